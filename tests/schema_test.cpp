#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "db_support.h"
#include "netmon/connection_search.h"
#include "netmon/database.h"
#include "netmon/outbound.h"
#include "netmon/schema.h"
#include "reconciler.h"
#include "store.h"

using namespace netmon;
using netmon::test::query_int;
using netmon::test::query_text;
using netmon::test::TempDir;
using netmon::test::TextSource;

namespace {

std::string schema_file(const std::string& name) {
    std::ifstream file(std::string(NETMON_SOURCE_DIR) + "/schema/" + name);
    if (!file) throw std::runtime_error("missing schema/" + name);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// A database at version 1, as netmon 0.1 left it, with a flow whose total overflowed into a
// REAL and a host whose sums did.
void make_version_1(Database& db) {
    db.execute(schema_file("001_initial.sql"));
    db.execute("PRAGMA user_version = 1");
    db.execute(
        "INSERT INTO remote_hosts (id, ip, family, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
        " downlink_bytes) VALUES (7, '192.0.2.1', 4, 1000, 2000, 3, 9223372036854775807 + 5, 42),"
        " (8, '192.0.2.2', 4, 1500, 2500, 1, 10, 20);"
        "INSERT INTO connections (id, proto, family, src_ip, src_port, dst_ip, dst_port, state, flags,"
        " uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, first_seen_at, last_seen_at, sampled_at)"
        " VALUES (11, 'tcp', 4, '10.0.0.2', 40000, '192.0.2.1', 443, 'ESTABLISHED', 'ASSURED', 5,"
        " 9223372036854775807, 6, 9223372036854775807, 1000, 2000, 2000),"
        " (12, 'udp', 4, '10.0.0.3', 5353, '192.0.2.2', 53, NULL, '', 1, 10, 1, 20, 1500, 2500, 2500);"
        "INSERT INTO counter_offsets VALUES (11, 1, 2, 3, 4);"
        "INSERT INTO connection_samples VALUES (2000, 11, 100, 200);"
        "INSERT INTO meta (key, value) VALUES ('cycles_total', 17);");
}

}  // namespace

TEST_CASE("migrating from version 1, where sums overflowed into REALs, keeps every row and saturates", "[schema]") {
    TempDir dir;
    Database db(dir.file("netmon.db"), Database::Mode::read_write_create);
    make_version_1(db);
    REQUIRE(query_text(db, "SELECT typeof(total_bytes) FROM connections WHERE id = 11") == "real");
    REQUIRE(query_text(db, "SELECT typeof(uplink_bytes) FROM remote_hosts WHERE id = 7") == "real");

    migrate(db);
    CHECK(check_schema(db) == latest_schema_version());
    CHECK(latest_schema_version() >= 2);
    // Every row, with its id.
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts") == 2);
    CHECK(query_text(db, "SELECT group_concat(id) FROM (SELECT id FROM connections ORDER BY id)") == "11,12");
    CHECK(query_text(db, "SELECT state || ' ' || flags || ' ' || src_port || ' ' || first_seen_at FROM connections"
                         " WHERE id = 11") == "ESTABLISHED ASSURED 40000 1000");
    CHECK(query_int(db, "SELECT uplink_bytes FROM counter_offsets WHERE connection_id = 11") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM connection_samples WHERE connection_id = 11") == 1);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'cycles_total'") == 17);
    // Saturated integers, where there were REALs.
    CHECK(query_text(db, "SELECT typeof(total_bytes) FROM connections WHERE id = 11") == "integer");
    CHECK(query_int(db, "SELECT total_bytes FROM connections WHERE id = 11") == INT64_MAX);
    CHECK(query_int(db, "SELECT total_bytes FROM connections WHERE id = 12") == 30);
    CHECK(query_text(db, "SELECT typeof(uplink_bytes) FROM remote_hosts WHERE id = 7") == "integer");
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE id = 7") == INT64_MAX);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE id = 7") == 42);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE id = 8") == 10);
    // The generated column saturates for new values too.
    db.execute("UPDATE connections SET uplink_bytes = 9223372036854775807, downlink_bytes = 1 WHERE id = 12");
    CHECK(query_text(db, "SELECT typeof(total_bytes) FROM connections WHERE id = 12") == "integer");
    CHECK(query_int(db, "SELECT total_bytes FROM connections WHERE id = 12") == INT64_MAX);
    // Migrating again does nothing.
    migrate(db);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 2);
}

TEST_CASE("a failed migration leaves the database at its version", "[schema]") {
    TempDir dir;
    Database db(dir.file("netmon.db"), Database::Mode::read_write_create);
    make_version_1(db);
    // Something of the same name in the way of version 2.
    db.execute("CREATE TABLE connections_v2 (x)");
    CHECK_THROWS_AS(migrate(db), DatabaseError);
    CHECK(check_schema(db) == 1);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 2);
    CHECK(query_text(db, "SELECT typeof(total_bytes) FROM connections WHERE id = 11") == "real");
}

TEST_CASE("version 3 notes the rows the trigram index has to learn and to forget", "[schema]") {
    TempDir dir;
    Database db(dir.file("netmon.db"), Database::Mode::read_write_create);
    make_version_1(db);
    migrate(db);
    REQUIRE(latest_schema_version() >= 3);
    auto ids = [&](const std::string& table) {
        return query_text(db, "SELECT coalesce(group_concat(id), '') FROM (SELECT id FROM " + table + " ORDER BY id)");
    };
    // The rows migrated are to be indexed, and nothing is indexed yet.
    CHECK(ids("search_added") == "11,12");
    CHECK(ids("search_removed").empty());
    CHECK(query_int(db, "SELECT count(*) FROM connection_search WHERE connection_search MATCH '\"192\"'") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'connections_by_search'") == 0);
    // A row not indexed yet that goes is simply not indexed.
    db.execute("DELETE FROM connections WHERE id = 12");
    CHECK(ids("search_added") == "11");
    CHECK(ids("search_removed").empty());
    SearchIndexer(db).run(100);
    CHECK(ids("search_added").empty());
    // An indexed one that goes, or changes its key, is forgotten with the text it had.
    db.execute("UPDATE connections SET dst_ip = '203.0.113.9' WHERE id = 11");
    CHECK(ids("search_added") == "11");
    CHECK(query_text(db, "SELECT search FROM search_removed") == "192.0.2.1 443 10.0.0.2 40000");
    // Counter updates, which the ingest makes all the time, note nothing.
    SearchIndexer(db).run(100);
    db.execute("UPDATE connections SET uplink_bytes = 5, state = 'TIME_WAIT', last_seen_at = 3000 WHERE id = 11");
    CHECK(ids("search_added").empty());
    CHECK(ids("search_removed").empty());
}

TEST_CASE("version 4 adds the history to an upgraded database and counts only what moves after it", "[schema]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    {
        Database db(path, Database::Mode::read_write_create);
        make_version_1(db);
    }
    Store store(path);  // migrates
    Database& db = store.database();
    REQUIRE(latest_schema_version() >= 4);
    for (const char* table : {"devices", "device_hosts", "traffic", "flow_log"})
        CHECK(query_int(db, std::string("SELECT count(*) FROM ") + table) == 0);
    // Remote hosts keep their first-seen times and totals.
    CHECK(query_text(db, "SELECT first_seen_at || ' ' || connections_seen || ' ' || uplink_bytes FROM remote_hosts"
                         " WHERE id = 8") == "1500 1 10");
    // The ingest on it: a cycle listing the udp flow with 5 more bytes each way counts those 5,
    // not what it had before the upgrade, and writes every device's connections.
    Reconciler reconciler(store, OutboundFilter({*Cidr::parse("10.0.0.0/24")}));
    TextSource source(
        "ipv4 2 udp 17 29 src=10.0.0.3 dst=192.0.2.2 sport=5353 dport=53 packets=2 bytes=15 src=192.0.2.2"
        " dst=10.0.0.3 sport=53 dport=5353 packets=2 bytes=25 mark=0 use=1\n"
        "ipv4 2 tcp 6 100 ESTABLISHED src=10.0.0.2 dst=192.0.2.1 sport=40000 dport=443 packets=5"
        " bytes=9223372036854775807 src=192.0.2.1 dst=10.0.0.2 sport=443 dport=40000 packets=6"
        " bytes=9223372036854775807 [ASSURED] mark=0 use=1\n");
    reconciler.run_cycle(source, 10'000);
    CHECK(query_text(db, "SELECT uplink_bytes || '/' || downlink_bytes FROM host_traffic WHERE device = X'0A000003'"
                         " AND host = X'C0000202' AND step = 60") == "5/5");
    CHECK(query_text(db, "SELECT uplink_bytes || '/' || downlink_bytes FROM traffic WHERE device = X'0A000003'"
                         " AND step = 60") == "5/5");
    CHECK(query_text(db, "SELECT group_concat(active_connections) FROM devices") == "1,1");
    // The tcp flow has a counter offset (1, 2, 3, 4): its kernel counters were the totals minus it,
    // so a reading equal to the totals adds the offset.
    CHECK(query_text(db, "SELECT uplink_bytes || '/' || downlink_bytes FROM host_traffic WHERE device = X'0A000002'"
                         " AND host = X'C0000201' AND step = 3600") == "2/4");
}

TEST_CASE("version 5 moves the pairs' rows of version 4 apart, every row and sum kept", "[schema]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    {
        Database db(path, Database::Mode::read_write_create);
        for (const char* file : {"001_initial.sql", "002_bounds.sql", "003_connection_search.sql", "004_history.sql"})
            db.execute(schema_file(file));
        db.execute("PRAGMA user_version = 4");
        // Version 4's three levels in one table: pairs, a device (host X''), the LAN (both X'').
        db.execute(
            "INSERT INTO traffic (device, step, bucket, host, uplink_bytes, downlink_bytes, uplink_packets,"
            " downlink_packets, flows) VALUES"
            " (X'0A000002', 60, 60000, X'C0000201', 1, 2, 3, 4, 5),"
            " (X'0A000002', 60, 60000, X'C0000202', 10, 20, 30, 40, 50),"
            " (X'0A000002', 3600, 0, X'C0000201', 1, 2, 3, 4, 5),"
            " (X'0A000002', 60, 60000, X'', 11, 22, 33, 44, 55),"
            " (X'0A000002', 3600, 0, X'', 1, 2, 3, 4, 5),"
            " (X'', 60, 60000, X'', 11, 22, 33, 44, 55);"
            "INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at) VALUES"
            " (X'0A000002', X'C0000201', 60000, 60000), (X'0A000002', X'C0000202', -5, 90000000),"
            " (X'0A000003', X'C0000202', -5, -5);");
    }
    Store store(path);  // migrates
    Database& db = store.database();
    CHECK(check_schema(db) == latest_schema_version());
    CHECK(query_text(db, "SELECT group_concat(hex(device) || ' ' || step || ' ' || bucket || ' ' || hex(host) || ' ' ||"
                         " uplink_bytes || ' ' || downlink_bytes || ' ' || uplink_packets || ' ' || downlink_packets ||"
                         " ' ' || flows, ', ') FROM host_traffic") ==
          "0A000002 60 60000 C0000201 1 2 3 4 5, 0A000002 60 60000 C0000202 10 20 30 40 50,"
          " 0A000002 3600 0 C0000201 1 2 3 4 5");
    CHECK(query_text(db, "SELECT group_concat(hex(device) || ' ' || step || ' ' || bucket || ' ' || uplink_bytes ||"
                         " ' ' || flows, ', ') FROM traffic") ==
          " 60 60000 11 55, 0A000002 60 60000 11 55, 0A000002 3600 0 1 5");
    CHECK(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'traffic_by_host'") == 0);
    // The counts the triggers go on from.
    CHECK(query_text(db, "SELECT group_concat(step || ':' || rows) FROM host_traffic_rows") == "60:2,3600:1,86400:0");
    CHECK(store.history_row_counts().host_traffic == 3);
    CHECK(store.history_row_counts().device_hosts == 3);
    CHECK(query_text(db, "SELECT group_concat(hex(device) || ' ' || day || ' ' || hosts, ', ') FROM device_host_days") ==
          "0A000002 0 1, 0A000002 86400000 1, 0A000003 -86400000 1");
}
