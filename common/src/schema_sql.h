#pragma once
// The migrations of schema/, compiled in by common/CMakeLists.txt (schema_sql.cpp.in).

#include <string_view>
#include <vector>

namespace netmon {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

// In version order; the last is the newest.
extern const std::vector<Migration> schema_migrations;

}  // namespace netmon
