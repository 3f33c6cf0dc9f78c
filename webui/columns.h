#pragma once
// A row struct's columns, each named once with the SQL that selects it and how its value is
// read: the SELECT list and the reader both come from the list, so that a column is added in
// one place and no reader counts positions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "netmon/database.h"

namespace netmon::web {

template <class Row>
struct Column {
    // The expression(s) of the SELECT list: one, or width of them separated by ", ".
    std::string_view sql;
    // Reads the value from the result columns index .. index + width - 1 of the current row.
    void (*read)(const Statement& statement, int index, Row& row);
    int width = 1;
};

namespace detail {
template <class Member>
struct MemberOf;
template <class Row, class T>
struct MemberOf<T Row::*> {
    using row = Row;
    using type = T;
};
}  // namespace detail

// The reader of a column that goes into one member as it is: text, nullable text, a real or an
// integer. Row is the member's class unless given (a struct derived from it).
template <auto member, class Row = typename detail::MemberOf<decltype(member)>::row>
void read_member(const Statement& s, int index, Row& row) {
    using T = typename detail::MemberOf<decltype(member)>::type;
    if constexpr (std::is_same_v<T, std::string>) {
        row.*member = s.column_text(index);
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
        if (s.column_is_null(index)) (row.*member).reset();
        else row.*member = s.column_text(index);
    } else if constexpr (std::is_same_v<T, std::optional<std::int64_t>>) {
        if (s.column_is_null(index)) (row.*member).reset();
        else row.*member = s.column_int(index);
    } else if constexpr (std::is_floating_point_v<T>) {
        row.*member = s.column_double(index);
    } else {
        static_assert(std::is_integral_v<T>, "a column reads text, a real or an integer");
        row.*member = static_cast<T>(s.column_int(index));
    }
}

// "a, b, c": the SELECT list of the columns, in their order.
template <class Row, std::size_t n>
std::string select_list(const std::array<Column<Row>, n>& columns) {
    std::string list;
    for (const Column<Row>& column : columns) {
        if (!list.empty()) list += ", ";
        list += column.sql;
    }
    return list;
}

// Reads the current row of a statement whose SELECT list is select_list(columns).
template <class Row, std::size_t n>
void read_columns(const Statement& s, const std::array<Column<Row>, n>& columns, Row& row) {
    int index = 0;
    for (const Column<Row>& column : columns) {
        column.read(s, index, row);
        index += column.width;
    }
}

}  // namespace netmon::web
