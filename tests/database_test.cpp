// The SQLite wrapper's errors: what they say to people (the file and SQLite's reason, never the
// SQL), and the SQL kept apart for debug logs. A temporary file of its own.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>

#include "db_support.h"
#include "netmon/database.h"

using namespace netmon;
using namespace netmon::test;

TEST_CASE("a full database names the file and keeps the SQL out of the message", "[database]") {
    TempDir dir;
    const std::string path = dir.file("full.db");
    Database db(path, Database::Mode::read_write_create);
    db.execute("CREATE TABLE t (x BLOB)");
    db.execute("PRAGMA max_page_count = 8");  // as good as a full disk, for SQLite
    Statement insert = db.prepare("INSERT INTO t (x) VALUES (zeroblob(2000))");
    bool failed = false;
    for (int i = 0; i < 100 && !failed; ++i) {
        try {
            insert.run();
        } catch (const DatabaseError& e) {
            failed = true;
            CHECK(std::string(e.what()) == "cannot write " + path + ": database or disk is full");
            CHECK(e.statement() == "INSERT INTO t (x) VALUES (zeroblob(2000))");
            CHECK_FALSE(e.access_denied());
            CHECK(e.kind() == DatabaseError::Kind::full);
        }
    }
    CHECK(failed);
    // A transaction's COMMIT, through execute, says the same.
    Transaction transaction(db);
    CHECK_THROWS_WITH(db.execute("INSERT INTO t (x) VALUES (zeroblob(20000))"),
                      "cannot write " + path + ": database or disk is full");
}

TEST_CASE("a statement that does not compile names the file", "[database]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    {
        Database db(path, Database::Mode::read_write_create);
        db.execute("CREATE TABLE t (x INTEGER)");
    }
    Database reader(path, Database::Mode::read_only);
    try {
        reader.prepare("SELECT nonsense FROM t");
        FAIL("prepared");
    } catch (const DatabaseError& e) {
        CHECK(std::string(e.what()) == "cannot prepare a statement on " + path + ": no such column: nonsense");
        CHECK(e.statement() == "SELECT nonsense FROM t");
    }
    CHECK(DatabaseError::closed(path).access_denied());
}

namespace {

DatabaseError::Kind kind_of_failure(const std::function<void()>& action) {
    try {
        action();
    } catch (const DatabaseError& e) {
        return e.kind();
    }
    FAIL("no DatabaseError");
    return DatabaseError::Kind::other;
}

void write_file(const std::string& path, const std::string& text, std::streamoff at = 0) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    if (!file) file.open(path, std::ios::out | std::ios::binary);
    file.seekp(at);
    file << text;
}

std::int64_t first_value(const Database& db, std::string_view sql) {
    Statement select = db.prepare(sql);
    REQUIRE(select.step());
    return select.column_int(0);
}

}  // namespace

TEST_CASE("a database error says what kind of failure it is, without SQLite's codes", "[database]") {
    using Kind = DatabaseError::Kind;
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Database writer(path, Database::Mode::read_write_create);
    writer.execute("CREATE TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)");

    CHECK(kind_of_failure([&] { writer.execute("INSERT INTO t VALUES (1)"); }) == Kind::constraint);
    CHECK(DatabaseError::constraint("kept out").kind() == Kind::constraint);

    Database reader(path, Database::Mode::read_only);
    CHECK(kind_of_failure([&] { reader.execute("INSERT INTO t VALUES (2)"); }) == Kind::read_only);

    CHECK(kind_of_failure([&] { Database(dir.file("missing/netmon.db"), Database::Mode::read_write_create); }) ==
          Kind::cannot_open);
    CHECK(kind_of_failure([&] { Database(dir.file("absent.db"), Database::Mode::read_only); }) == Kind::cannot_open);
    CHECK(DatabaseError::closed(path).kind() == Kind::cannot_open);

    {
        Transaction holding(writer);
        writer.execute("INSERT INTO t VALUES (3)");
        Database other(path, Database::Mode::read_write_create);
        const DatabaseError::Kind kind = kind_of_failure([&] { Transaction waiting(other); });
        CHECK(kind == Kind::busy);
    }

    const std::string text = dir.file("netmon.yml");
    write_file(text, std::string(4096, 'x'));
    CHECK(kind_of_failure([&] { Database(text, Database::Mode::read_only).pragma_int("user_version"); }) ==
          Kind::not_a_database);

    // A valid header over a damaged table: page 2 (the table t) overwritten with junk.
    const std::string damaged = dir.file("damaged.db");
    {
        Database db(damaged, Database::Mode::read_write_create);
        db.execute("PRAGMA page_size = 4096; CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a')");
    }
    write_file(damaged, std::string(4096, '\x5a'), 4096);
    CHECK(kind_of_failure([&] {
              Database db(damaged, Database::Mode::read_only);
              Statement select = db.prepare("SELECT x FROM t");
              while (select.step()) {
              }
          }) == Kind::corrupt);
}

// Mode::immutable passes immutable=1 in a URI that SQLite reads as one for this open alone
// (SQLITE_OPEN_URI). The web's reader pool used to ask for URIs process-wide with
// sqlite3_config(SQLITE_CONFIG_URI), which fails with SQLITE_MISUSE once SQLite is initialised
// (any earlier open), so that it worked only because Debian builds SQLite with SQLITE_USE_URI.
TEST_CASE("an immutable open reads a file with characters that mean something in a URI", "[database]") {
    TempDir dir;
    const std::string path = dir.file("net mon?x=1#%41.db");
    {
        Database db(path, Database::Mode::read_write_create);
        db.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42)");
    }
    REQUIRE_FALSE(std::filesystem::exists(path + "-wal"));

    Database immutable(path, Database::Mode::immutable);
    CHECK(immutable.path() == path);
    CHECK(first_value(immutable, "SELECT x FROM t") == 42);
    // No WAL: the -wal and -shm files that a plain read of a WAL database creates stay away.
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
    CHECK_FALSE(std::filesystem::exists(path + "-shm"));
    CHECK(kind_of_failure([&] { immutable.execute("INSERT INTO t VALUES (44)"); }) == DatabaseError::Kind::read_only);
    {
        Database plain(path, Database::Mode::read_only);
        CHECK(plain.pragma_int("user_version") == 0);
        CHECK(std::filesystem::exists(path + "-shm"));
    }

    CHECK_THROWS_AS(Database(dir.file("absent?.db"), Database::Mode::immutable), DatabaseError);
}

TEST_CASE("an immutable open takes no locks", "[database]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Database writer(path, Database::Mode::read_write_create);
    // A writer that keeps its exclusive lock after its first write: every other reader is busy.
    writer.execute("PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42)");
    Database plain(path, Database::Mode::read_only);
    CHECK(kind_of_failure([&] { plain.pragma_int("user_version"); }) == DatabaseError::Kind::busy);
    CHECK(first_value(Database(path, Database::Mode::immutable), "SELECT x FROM t") == 42);
}

TEST_CASE("a blob binds and reads back byte for byte, and an empty one is not NULL", "[database]") {
    TempDir dir;
    Database db(dir.file("blob.db"), Database::Mode::read_write_create);
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
    Statement insert = db.prepare("INSERT INTO t (id, b) VALUES (?1, ?2)");
    const std::string bytes("\x00\x01\xff\x7f", 4);
    insert.bind(1, 1).bind_blob(2, bytes);
    insert.run();
    insert.bind(1, 2).bind_blob(2, std::string_view{});
    insert.run();
    Statement select = db.prepare("SELECT b, typeof(b), length(b) FROM t ORDER BY id");
    REQUIRE(select.step());
    CHECK(select.column_blob(0) == bytes);
    CHECK(select.column_text(1) == "blob");
    REQUIRE(select.step());
    CHECK(select.column_blob(0).empty());
    CHECK(select.column_text(1) == "blob");
    CHECK(select.column_int(2) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM t WHERE b = X''") == 1);
}
