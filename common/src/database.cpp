#include "netmon/database.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <utility>

#include "netmon/counters.h"

namespace netmon {
namespace {

std::string message_of(sqlite3* db, int rc, std::string_view what) {
    std::string text(what);
    text += ": ";
    text += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return text;
}

// The connection's file, as SQLite names it (a full path); ":memory:" for none.
std::string file_of(sqlite3* db) {
    const char* name = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    return name != nullptr && *name != '\0' ? name : ":memory:";
}

// "cannot write FILE: reason", or "cannot read FILE: reason" for what only reads.
std::string access_message(sqlite3* db, int rc, bool writes) {
    return message_of(db, rc, (writes ? "cannot write " : "cannot read ") + file_of(db));
}

DatabaseError::Kind kind_of(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return DatabaseError::Kind::busy;
        case SQLITE_CANTOPEN: return DatabaseError::Kind::cannot_open;
        case SQLITE_READONLY: return DatabaseError::Kind::read_only;
        case SQLITE_PERM:
        case SQLITE_AUTH: return DatabaseError::Kind::denied;
        case SQLITE_NOTADB: return DatabaseError::Kind::not_a_database;
        case SQLITE_CORRUPT: return DatabaseError::Kind::corrupt;
        case SQLITE_FULL: return DatabaseError::Kind::full;
        case SQLITE_CONSTRAINT: return DatabaseError::Kind::constraint;
        default: return DatabaseError::Kind::other;
    }
}

// file:PATH?immutable=1, with the characters that mean something in a URI escaped.
std::string immutable_uri(const std::string& path) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string uri = "file:";
    for (char c : path) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '?' || c == '#' || c == '%' || byte < 0x21 || byte >= 0x7f) {
            uri += '%';
            uri += hex[byte >> 4];
            uri += hex[byte & 15];
        } else {
            uri += c;
        }
    }
    return uri + "?immutable=1";
}

// Process-wide settings that must precede any other use of SQLite: once, before the first open.
bool configure_sqlite() {
    // Memory statistics take a global mutex on every allocation; netmon never reads them.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
}

}  // namespace

void detail::finalize_statement(sqlite3_stmt* statement) noexcept { sqlite3_finalize(statement); }

void detail::close_database(sqlite3* db) noexcept { sqlite3_close_v2(db); }

DatabaseError DatabaseError::closed(const std::string& path) {
    return DatabaseError(path + " is closed: it could not be opened again", Kind::cannot_open);
}

DatabaseError DatabaseError::constraint(const std::string& message) { return DatabaseError(message, Kind::constraint); }

bool DatabaseError::access_denied() const {
    // SQLITE_AUTH (also Kind::denied) never happens here: netmon installs no authorizer.
    return kind_ == Kind::cannot_open || kind_ == Kind::read_only || kind_ == Kind::denied;
}

void Statement::check(int rc, const char* what) const {
    if (rc != SQLITE_OK)
        throw DatabaseError(message_of(db_, rc, std::string(what) + " on " + file_of(db_)), kind_of(rc),
                            sqlite3_sql(handle_.get()));
}

Statement& Statement::bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(handle_.get(), index, value), "bind");
    return *this;
}

Statement& Statement::bind(int index, std::uint64_t value) {
    return bind(index, stored_counter(value));
}

Statement& Statement::bind(int index, double value) {
    check(sqlite3_bind_double(handle_.get(), index, value), "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check(sqlite3_bind_text(handle_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT),
          "bind");
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    // A null pointer would bind NULL: no bytes at all are a zero-length BLOB.
    if (bytes.empty()) check(sqlite3_bind_zeroblob(handle_.get(), index, 0), "bind");
    else
        check(sqlite3_bind_blob(handle_.get(), index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT),
              "bind");
    return *this;
}

Statement& Statement::bind_null(int index) {
    check(sqlite3_bind_null(handle_.get(), index), "bind");
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(handle_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset so that the statement can be reused after the error.
    std::string message = access_message(db_, rc, sqlite3_stmt_readonly(handle_.get()) == 0);
    std::string statement = sqlite3_sql(handle_.get());
    sqlite3_reset(handle_.get());
    throw DatabaseError(message, kind_of(rc), std::move(statement));
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(handle_.get());
    sqlite3_clear_bindings(handle_.get());
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(handle_.get(), index); }

double Statement::column_double(int index) const { return sqlite3_column_double(handle_.get(), index); }

std::string Statement::column_text(int index) const {
    const auto* text = sqlite3_column_text(handle_.get(), index);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(handle_.get(), index))};
}

std::string_view Statement::column_blob(int index) const {
    const void* bytes = sqlite3_column_blob(handle_.get(), index);
    if (bytes == nullptr) return {};
    return {static_cast<const char*>(bytes), static_cast<std::size_t>(sqlite3_column_bytes(handle_.get(), index))};
}

bool Statement::column_is_null(int index) const {
    return sqlite3_column_type(handle_.get(), index) == SQLITE_NULL;
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
    static const bool configured = configure_sqlite();
    (void)configured;
    int flags = SQLITE_OPEN_NOMUTEX | (mode == Mode::read_write_create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                                        : SQLITE_OPEN_READONLY);
    // immutable=1 exists only as a URI parameter. SQLITE_OPEN_URI reads this one name as a URI
    // whatever the process-wide setting (SQLITE_CONFIG_URI, which is too late once SQLite has
    // been initialised, and SQLITE_USE_URI, a build option).
    const std::string name = mode == Mode::immutable ? immutable_uri(path) : path;
    if (mode == Mode::immutable) flags |= SQLITE_OPEN_URI;
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
    // Owned at once: a failed open still allocates a handle.
    db_.reset(raw);
    if (rc != SQLITE_OK) throw DatabaseError(message_of(raw, rc, "cannot open " + path), kind_of(rc));
    sqlite3_extended_result_codes(raw, 0);
}

void Database::execute(std::string_view sql) {
    std::string text(sql);
    char* error = nullptr;
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string reason = error != nullptr ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        const bool writes = sqlite3_db_readonly(db_.get(), "main") != 1;
        throw DatabaseError((writes ? "cannot write " : "cannot read ") + file_of(db_.get()) + ": " + reason,
                            kind_of(rc), std::move(text));
    }
}

Statement Database::prepare(std::string_view sql) const {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    Statement::Handle handle(raw);
    if (rc != SQLITE_OK)
        throw DatabaseError(message_of(db_.get(), rc, "cannot prepare a statement on " + path_), kind_of(rc),
                            std::string(sql));
    return Statement(std::move(handle), db_.get());
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }

std::int64_t Database::changes() const { return sqlite3_changes64(db_.get()); }

std::int64_t Database::pragma_int(std::string_view name) {
    Statement statement = prepare("PRAGMA " + std::string(name));
    return statement.step() ? statement.column_int(0) : 0;
}

void Database::set_busy_timeout(int milliseconds) { sqlite3_busy_timeout(db_.get(), milliseconds); }

void Database::keep_wal_on_close() {
    int persist = 1;
    sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
}

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
    db_.execute(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (done_) return;
    try {
        db_.execute("ROLLBACK");
    } catch (...) {
        // Destructors never throw; SQLite has already rolled back when a statement failed hard.
    }
}

void Transaction::commit() {
    db_.execute("COMMIT");
    done_ = true;
}

}  // namespace netmon
