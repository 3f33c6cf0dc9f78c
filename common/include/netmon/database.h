#pragma once
// RAII over SQLite: a connection, prepared statements, transactions. Only database.cpp includes
// <sqlite3.h>.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace netmon {

// An SQLite failure. code() is SQLite's primary result code (SQLITE_BUSY, SQLITE_FULL, ...).
// what() is for people: what could not be done to which file, and SQLite's reason
// ("cannot write /var/lib/netmon/netmon.db: database or disk is full"); statement() is the SQL
// that failed, when one did, for debug logs only.
class DatabaseError : public std::runtime_error {
public:
    DatabaseError(const std::string& message, int code, std::string statement = {})
        : std::runtime_error(message), code_(code), statement_(std::move(statement)) {}
    // For a database that could not be opened again and so is closed (SQLITE_CANTOPEN).
    static DatabaseError closed(const std::string& path);
    // For a row a constraint kept out (SQLITE_CONSTRAINT), found by its caller.
    static DatabaseError constraint(const std::string& message);
    int code() const { return code_; }
    const std::string& statement() const { return statement_; }
    bool busy() const;  // locked by another connection: worth retrying later
    // The file or its directory could not be opened, created or written (SQLITE_CANTOPEN,
    // SQLITE_READONLY, SQLITE_PERM): a matter of permissions or of a read-only file system.
    bool access_denied() const;

private:
    int code_;
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
    bool column_is_null(int index) const;

private:
    friend class Database;
    struct Finalize {
        void operator()(sqlite3_stmt* statement) const noexcept;
    };
    Statement(std::unique_ptr<sqlite3_stmt, Finalize> handle, sqlite3* db)
        : handle_(std::move(handle)), db_(db) {}
    void check(int rc, const char* what) const;

    std::unique_ptr<sqlite3_stmt, Finalize> handle_;
    sqlite3* db_ = nullptr;
};

class Database {
public:
    enum class Mode { read_only, read_write_create };

    // Opens path. Throws DatabaseError naming the file. Read-only opens never create the file.
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
    struct Close {
        void operator()(sqlite3* db) const noexcept;
    };
    std::unique_ptr<sqlite3, Close> db_;
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
