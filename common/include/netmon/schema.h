#pragma once
// The database schema: the migrations in schema/NNN_name.sql, compiled into the binaries and
// tracked with PRAGMA user_version.

#include <stdexcept>
#include <string>

namespace netmon {

class Database;

// The database is newer than this binary, or not a netmon database.
class SchemaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The version the newest migration brings a database to.
int latest_schema_version();

// Brings the database to latest_schema_version(), each missing migration in its own
// transaction. Throws SchemaError for a database newer than this binary knows, DatabaseError
// when SQLite fails (the failed migration is rolled back).
void migrate(Database& db);

// The database's version (0 for an empty file). Throws SchemaError when it is newer than this
// binary knows or when tables are missing.
int check_schema(Database& db);

}  // namespace netmon
