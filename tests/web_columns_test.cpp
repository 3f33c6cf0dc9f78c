#include <catch2/catch.hpp>

#include <array>
#include <optional>
#include <string>

#include "columns.h"
#include "db_support.h"
#include "netmon/database.h"

using namespace netmon;
using namespace netmon::web;

namespace {

struct Sample {
    std::string name;
    std::optional<std::string> note;
    std::optional<std::int64_t> count;
    double rate = 0;
    int small = 0;
    std::int64_t sum = 0;  // of two result columns
};

constexpr std::array<Column<Sample>, 6> sample_columns = {{
    {"name", read_member<&Sample::name>},
    {"note", read_member<&Sample::note>},
    {"count", read_member<&Sample::count>},
    {"rate", read_member<&Sample::rate>},
    {"small", read_member<&Sample::small>},
    {"a, b", [](const Statement& s, int index, Sample& row) { row.sum = s.column_int(index) + s.column_int(index + 1); },
     2},
}};

}  // namespace

TEST_CASE("a column list gives the SELECT list, in order, with two-column members") {
    CHECK(select_list(sample_columns) == "name, note, count, rate, small, a, b");
}

TEST_CASE("a column list reads each member from its own columns, NULLs as none") {
    netmon::test::TempDir dir;
    Database db(dir.file("columns.db"), Database::Mode::read_write_create);
    db.execute(
        "CREATE TABLE t (name TEXT, note TEXT, count INTEGER, rate REAL, small INTEGER, a INTEGER, b INTEGER);"
        "INSERT INTO t VALUES ('one', 'a note', 7, 2.5, 3, 40, 2), ('two', NULL, NULL, 0.125, -1, 1, 1)");
    Statement s = db.prepare("SELECT " + select_list(sample_columns) + " FROM t ORDER BY name");
    Sample row;
    REQUIRE(s.step());
    read_columns(s, sample_columns, row);
    CHECK(row.name == "one");
    CHECK(row.note == "a note");
    CHECK(row.count == 7);
    CHECK(row.rate == 2.5);
    CHECK(row.small == 3);
    CHECK(row.sum == 42);
    // The same row struct again: a NULL leaves no value of the row before it.
    REQUIRE(s.step());
    read_columns(s, sample_columns, row);
    CHECK(row.name == "two");
    CHECK_FALSE(row.note);
    CHECK_FALSE(row.count);
    CHECK(row.rate == 0.125);
    CHECK(row.small == -1);
    CHECK(row.sum == 2);
    CHECK_FALSE(s.step());
}
