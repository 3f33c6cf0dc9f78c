// The SQLite wrapper's errors: what they say to people (the file and SQLite's reason, never the
// SQL), and the SQL kept apart for debug logs. A temporary file of its own.
#include <catch2/catch.hpp>

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
