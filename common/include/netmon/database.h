#pragma once
// RAII over SQLite: a connection, prepared statements, transactions. Only database.cpp includes
// <sqlite3.h>.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "netmon/c_handle.h"

struct sqlite3;
struct sqlite3_stmt;

namespace netmon {

namespace detail {
// sqlite3_finalize and sqlite3_close_v2, wrapped in database.cpp so that this header needs no
// <sqlite3.h>.
void finalize_statement(sqlite3_stmt* statement) noexcept;
void close_database(sqlite3* db) noexcept;
}  // namespace detail

// An SQLite failure. kind() is what went wrong, in the terms callers act on; what() is for
// people: what could not be done to which file, and SQLite's reason
// ("cannot write /var/lib/netmon/netmon.db: database or disk is full"); statement() is the SQL
// that failed, when one did, for debug logs only.
class DatabaseError : public std::runtime_error {
public:
    enum class Kind {
        busy,            // locked by another connection (SQLITE_BUSY, SQLITE_LOCKED)
        cannot_open,     // the file or its directory could not be opened or created (SQLITE_CANTOPEN)
        read_only,       // a write to a read-only file or connection (SQLITE_READONLY)
        denied,          // refused by the file system or an authorizer (SQLITE_PERM, SQLITE_AUTH)
        not_a_database,  // the file is not an SQLite database (SQLITE_NOTADB)
        corrupt,         // the file is damaged (SQLITE_CORRUPT)
        full,            // the disk or the database's page limit is full (SQLITE_FULL)
        constraint,      // a row a constraint kept out (SQLITE_CONSTRAINT)
        other,
    };

    DatabaseError(const std::string& message, Kind kind, std::string statement = {})
        : std::runtime_error(message), kind_(kind), statement_(std::move(statement)) {}
    // For a database that could not be opened again and so is closed (Kind::cannot_open).
    static DatabaseError closed(const std::string& path);
    // For a row a constraint kept out, found by its caller.
    static DatabaseError constraint(const std::string& message);
    Kind kind() const { return kind_; }
    const std::string& statement() const { return statement_; }
    bool busy() const { return kind_ == Kind::busy; }  // worth retrying later
    // The file or its directory could not be opened, created or written (cannot_open,
    // read_only, or denied by the file system): a matter of permissions or of a read-only file
    // system.
    bool access_denied() const;

private:
    Kind kind_;
    std::string statement_;
};

class Statement {
public:
    Statement() = default;
    Statement(Statement&&) noexcept = default;
    Statement& operator=(Statement&&) noexcept = default;

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, unsigned value) { return bind(index, static_cast<std::int64_t>(value)); }
    // SQLite integers are signed: a value beyond 2^63 - 1 is bound as 2^63 - 1 (stored_counter).
    Statement& bind(int index, std::uint64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    // bytes as a BLOB; an empty one is a BLOB of no bytes (X''), not NULL.
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);

    // Runs one step: true when a row is ready to be read, false when done. Throws DatabaseError.
    bool step();
    // Steps to completion, for statements that return no rows.
    void run();
    // Ready for new bindings; keeps the compiled statement.
    void reset();

    std::int64_t column_int(int index) const;
    double column_double(int index) const;
    std::string column_text(int index) const;
    // The column's bytes (a BLOB's, or a text's), without a copy: valid until the next step,
    // reset or column call on this statement.
    std::string_view column_blob(int index) const;
    bool column_is_null(int index) const;

private:
    friend class Database;
    using Handle = CHandle<sqlite3_stmt*, &detail::finalize_statement>;
    Statement(Handle handle, sqlite3* db) : handle_(std::move(handle)), db_(db) {}
    void check(int rc, const char* what) const;

    Handle handle_;
    sqlite3* db_ = nullptr;
};

class Database {
public:
    // immutable: read-only, and SQLite assumes that nothing changes the file while it is open:
    // it takes no locks and neither reads nor creates the -wal and -shm files (SQLite's
    // immutable=1), for a database whose writer has stopped and left no -wal file.
    enum class Mode { read_only, read_write_create, immutable };

    // Opens the file path. Throws DatabaseError naming the file. Read-only and
    // immutable opens never create the file.
    Database(const std::string& path, Mode mode);
    Database(Database&&) noexcept = default;
    Database& operator=(Database&&) noexcept = default;

    // Runs one or more statements without parameters (schema scripts, pragmas).
    void execute(std::string_view sql);
    Statement prepare(std::string_view sql) const;
    std::int64_t last_insert_id() const;
    // Rows the last INSERT, UPDATE or DELETE of this connection changed.
    std::int64_t changes() const;
    // The value of "PRAGMA name", as an integer.
    std::int64_t pragma_int(std::string_view name);
    void set_busy_timeout(int milliseconds);
    // When this connection closes, SQLite leaves path-wal and path-shm in place instead of
    // deleting them by name (SQLITE_FCNTL_PERSIST_WAL): for a file that is no longer at path.
    void keep_wal_on_close();
    const std::string& path() const { return path_; }

private:
    CHandle<sqlite3*, &detail::close_database> db_;
    std::string path_;
};

// BEGIN IMMEDIATE (the writer) or BEGIN (readers); rolls back in its destructor unless committed.
class Transaction {
public:
    enum class Kind { deferred, immediate };
    explicit Transaction(Database& db, Kind kind = Kind::immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace netmon
