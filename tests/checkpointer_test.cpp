// The checkpointer: the WAL copied back into the database on a thread of its own when asked,
// and truncated when it stops. Real SQLite files in a temporary directory of their own.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "checkpointer.h"
#include "db_support.h"
#include "netmon/database.h"

using namespace netmon;
using namespace netmon::test;
namespace fs = std::filesystem;

namespace {

// A database in WAL mode with automatic checkpoints off, as the store opens it, and rows that
// are only in its WAL so far.
void write_rows(Database& db) {
    db.execute("PRAGMA journal_mode = WAL");
    db.execute("PRAGMA wal_autocheckpoint = 0");
    db.execute("CREATE TABLE t (x TEXT)");
    db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
               " INSERT INTO t SELECT printf('%0100d', i) FROM n");
}

// The size the database file has once every page of the WAL is copied back into it.
std::uintmax_t checkpointed_size(Database& db) {
    return static_cast<std::uintmax_t>(query_int(db, "PRAGMA page_count") * query_int(db, "PRAGMA page_size"));
}

// Waits up to 5 s for the database file to reach size; returns its size then.
std::uintmax_t wait_for_size(const std::string& path, std::uintmax_t size) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (fs::file_size(path) < size && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return fs::file_size(path);
}

}  // namespace

TEST_CASE("a request copies the WAL back into the database without the writer waiting", "[checkpointer]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Database writer(path, Database::Mode::read_write_create);
    write_rows(writer);
    Checkpointer checkpointer(path);
    CHECK(fs::file_size(path) < 200'000);
    CHECK(fs::file_size(path + "-wal") > 200'000);  // 2,000 rows of 100 bytes, all in the WAL
    checkpointer.request();
    const std::uintmax_t first = checkpointed_size(writer);
    CHECK(first > 200'000);
    CHECK(wait_for_size(path, first) == first);
    // The writer goes on meanwhile, and the next request copies its new pages too.
    writer.execute("INSERT INTO t SELECT x FROM t");
    const std::uintmax_t second = checkpointed_size(writer);
    CHECK(second > first);
    checkpointer.request();
    CHECK(wait_for_size(path, second) == second);
    CHECK(query_int(writer, "SELECT count(*) FROM t") == 4000);
}

TEST_CASE("stopping truncates the WAL, and leaves the -wal file to the writer", "[checkpointer]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Database writer(path, Database::Mode::read_write_create);
    write_rows(writer);
    { Checkpointer checkpointer(path); }
    CHECK(fs::exists(path + "-wal"));
    CHECK(fs::file_size(path + "-wal") == 0);
    CHECK(query_int(writer, "SELECT count(*) FROM t") == 2000);
}
