// The store's file: noticing that its path names another file or none, and opening it again.
// Real SQLite files in a temporary directory of their own.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "db_support.h"
#include "netmon/schema.h"
#include "store.h"

using namespace netmon;
using namespace netmon::test;
namespace fs = std::filesystem;

namespace {

std::int64_t rows(Store& store, const char* table) {
    return query_int(store.database(), std::string("SELECT count(*) FROM ") + table);
}

void insert_host(Store& store, const char* ip) {
    FlowChanges changes;
    changes.now = 1000;
    changes.hosts[*IpAddress::parse(ip)] = HostActivity{1, 2, 1};
    store.write([&] { store.apply(changes); });
}

}  // namespace

TEST_CASE("compare_file: same, missing or replaced", "[store]") {
    const FileIdentity opened{8, 100};
    CHECK(compare_file(opened, FileIdentity{8, 100}) == FileChange::same);
    CHECK(compare_file(opened, std::nullopt) == FileChange::missing);
    CHECK(compare_file(opened, FileIdentity{8, 101}) == FileChange::replaced);
    CHECK(compare_file(opened, FileIdentity{9, 100}) == FileChange::replaced);
}

TEST_CASE("a deleted database is noticed and created again, empty, with its schema", "[store]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Store store(path);
    insert_host(store, "192.0.2.1");
    CHECK(store.file_change() == FileChange::same);
    CHECK(fs::exists(path + "-wal"));
    fs::remove(path);  // rm netmon.db, as an admin would: the -wal and -shm stay
    CHECK(store.file_change() == FileChange::missing);
    store.reopen();
    CHECK(store.file_change() == FileChange::same);
    CHECK(fs::exists(path));
    CHECK(rows(store, "remote_hosts") == 0);
    CHECK(query_int(store.database(), "PRAGMA user_version") == latest_schema_version());
    // The old -wal was not replayed into the new file: it is whole.
    insert_host(store, "192.0.2.2");
    CHECK(query_text(store.database(), "PRAGMA integrity_check") == "ok");
    Database reader(path, Database::Mode::read_only);
    CHECK(query_int(reader, "SELECT count(*) FROM remote_hosts") == 1);
}

TEST_CASE("a database replaced by another file is noticed and the new one used", "[store]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    {
        Store other(dir.file("other.db"));
        insert_host(other, "198.51.100.1");
        insert_host(other, "198.51.100.2");
    }  // closed: no -wal or -shm of its own left
    Store store(path);
    insert_host(store, "192.0.2.1");
    fs::rename(dir.file("other.db"), path);
    CHECK(store.file_change() == FileChange::replaced);
    store.reopen();
    CHECK(store.file_change() == FileChange::same);
    CHECK(rows(store, "remote_hosts") == 2);
    CHECK(query_text(store.database(), "PRAGMA integrity_check") == "ok");
    CHECK(query_int(store.database(), "SELECT count(*) FROM remote_hosts WHERE ip = '192.0.2.1'") == 0);
}

TEST_CASE("the old file's -wal and -shm are removed, not read as the new file's", "[store]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    {
        Store other(dir.file("other.db"));
        insert_host(other, "198.51.100.1");
    }
    Store store(path);
    insert_host(store, "192.0.2.1");
    // A reader of the old file (netmon-web) keeps it open, so closing cannot clean up, and
    // in a read transaction, so that the old -wal keeps frames no checkpoint can copy back.
    Database reader(path, Database::Mode::read_only);
    Transaction snapshot(reader, Transaction::Kind::deferred);
    CHECK(query_int(reader, "SELECT count(*) FROM remote_hosts") == 1);
    for (int i = 0; i < 50; ++i) insert_host(store, ("192.0.2." + std::to_string(100 + i)).c_str());
    CHECK(fs::file_size(path + "-wal") > 0);
    std::int64_t expected = 0;
    SECTION("deleted") {
        fs::remove(path);
    }
    SECTION("replaced by another database") {
        fs::rename(dir.file("other.db"), path);
        expected = 1;
    }
    store.reopen();
    CHECK(rows(store, "remote_hosts") == expected);
    CHECK(query_text(store.database(), "PRAGMA integrity_check") == "ok");
    insert_host(store, "192.0.2.9");
    CHECK(query_text(store.database(), "PRAGMA integrity_check") == "ok");
    // The reader still sees the old file, whole, until it opens the new one.
    CHECK(query_int(reader, "SELECT count(*) FROM remote_hosts WHERE ip = '192.0.2.1'") == 1);
    Database fresh(path, Database::Mode::read_only);
    CHECK(query_int(fresh, "SELECT count(*) FROM remote_hosts") == expected + 1);
    CHECK(query_int(fresh, "SELECT count(*) FROM remote_hosts WHERE ip = '192.0.2.1'") == 0);
}

TEST_CASE("a reopen that fails leaves the store closed until one succeeds", "[store]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Store store(path);
    insert_host(store, "192.0.2.1");
    fs::remove(path);
    {
        std::ofstream garbage(path);
        garbage << std::string(4096, 'x');
    }
    CHECK(store.file_change() == FileChange::replaced);
    CHECK_THROWS_AS(store.reopen(), DatabaseError);
    CHECK(store.file_change() == FileChange::missing);  // closed: try again next time
    CHECK_THROWS_WITH(store.database(), path + " is closed: it could not be opened again");
    CHECK_THROWS_AS(store.set_meta("x", std::int64_t{1}), DatabaseError);
    fs::remove(path);
    store.reopen();
    CHECK(store.file_change() == FileChange::same);
    insert_host(store, "192.0.2.2");
    CHECK(rows(store, "remote_hosts") == 1);
}

TEST_CASE("a connection inserted twice is an error, not a silent no-op, and the first row stays", "[store]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    FlowChanges changes;
    Key key;
    key.protocol = 6;
    key.src = *IpAddress::parse("10.0.0.2");
    key.sport = 40000;
    key.dst = *IpAddress::parse("192.0.2.1");
    key.dport = 443;
    const Flow flow;
    const std::string state = "ESTABLISHED";
    changes.inserted.push_back({&key, &flow, &state});
    changes.now = 1000;
    const std::int64_t id = store.apply(changes).at(0);
    changes.now = 2000;
    CHECK_THROWS_AS(store.apply(changes), DatabaseError);
    CHECK(rows(store, "connections") == 1);
    CHECK(query_int(store.database(), "SELECT first_seen_at FROM connections WHERE id = " + std::to_string(id)) == 1000);
    // Noted for the trigram index, and indexed when the store is asked to.
    CHECK(rows(store, "search_added") == 1);
    CHECK(store.index_search(100) == 1);
    CHECK(rows(store, "search_added") == 0);
    CHECK(query_int(store.database(), "SELECT rowid FROM connection_search WHERE connection_search MATCH '\"0.2\"'") == id);
}

TEST_CASE("a database newer than the binary, or not netmon's, is refused", "[store][schema]") {
    TempDir dir;
    {
        Database db(dir.file("newer.db"), Database::Mode::read_write_create);
        db.execute("PRAGMA user_version = 99");
    }
    CHECK_THROWS_WITH(Store(dir.file("newer.db")),
                      Catch::Contains("database schema version 99 is newer than this netmon knows"));
    {
        Database db(dir.file("other.db"), Database::Mode::read_write_create);
        db.execute("CREATE TABLE something (x)");
    }
    CHECK_THROWS_WITH(Store(dir.file("other.db")), Catch::Contains("not a netmon database"));
    // An older one (here: empty) is migrated, and stays at the version on reopening.
    { Store fresh(dir.file("fresh.db")); }
    Database db(dir.file("fresh.db"), Database::Mode::read_only);
    CHECK(check_schema(db) == latest_schema_version());
    CHECK(query_text(db, "PRAGMA journal_mode") == "wal");
}

TEST_CASE("writes back to back under readers keep the WAL near its limit", "[store]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Store store(path);
    constexpr std::uint64_t limit = 4 << 20;
    store.set_wal_limit(limit);
    // A reader that always holds a snapshot of its own, as the dashboard's polls do.
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        Database db(path, Database::Mode::read_only);
        while (!stop) query_int(db, "SELECT count(*) FROM meta");
    });
    const std::string value(256 * 1024, 'x');  // a write of about 64 pages
    std::uint64_t largest = 0;
    for (int i = 0; i < 200; ++i) {  // 50 MiB of writes, none waiting for the last
        store.write([&] { store.set_meta("bulk", value + std::to_string(i)); });
        largest = std::max<std::uint64_t>(largest, std::filesystem::file_size(path + "-wal"));
    }
    stop = true;
    reader.join();
    INFO("largest WAL " << largest);
    // The limit, and what one write adds past it.
    CHECK(largest <= limit + (1 << 20));
}
