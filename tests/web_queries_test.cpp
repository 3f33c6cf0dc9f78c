#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "connections_cache.h"
#include "db_support.h"
#include "netmon/database.h"
#include "netmon/schema.h"
#include "queries.h"
#include "reader_pool.h"
#include "netmon/connection_search.h"

using namespace netmon;
using namespace netmon::web;
using netmon::test::TempDir;

namespace {

constexpr std::int64_t now = 1'795'500'000'000;

// A database as netmon-ingest leaves it, written here with plain SQL.
struct TestDatabase {
    TempDir dir;
    std::string path = dir.file("netmon.db");
    Database db{path, Database::Mode::read_write_create};

    TestDatabase() {
        db.execute("PRAGMA journal_mode = WAL");
        migrate(db);
    }

    void host(const std::string& ip, std::int64_t first_seen_at) {
        Statement s = db.prepare(
            "INSERT INTO remote_hosts (ip, family, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
            " downlink_bytes) VALUES (?1, ?2, ?3, ?3, 1, 10, 20)");
        s.bind(1, std::string_view(ip)).bind(2, ip.find(':') == std::string::npos ? 4 : 6).bind(3, first_seen_at);
        s.run();
    }

    void connection(const std::string& proto, const std::string& src, int sport, const std::string& dst, int dport,
                    std::int64_t up, std::int64_t down, std::int64_t first_seen_at) {
        Statement s = db.prepare(
            "INSERT INTO connections (proto, family, src_ip, src_port, dst_ip, dst_port, state, flags,"
            " uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, first_seen_at, last_seen_at,"
            " sampled_at) VALUES (?1, 4, ?2, ?3, ?4, ?5, CASE WHEN ?1 = 'tcp' THEN 'ESTABLISHED' END, 'ASSURED',"
            " 1, ?6, 1, ?7, ?8, ?8, ?8)");
        s.bind(1, std::string_view(proto)).bind(2, std::string_view(src)).bind(3, sport);
        s.bind(4, std::string_view(dst)).bind(5, dport).bind(6, up).bind(7, down).bind(8, first_seen_at);
        s.run();
    }

    // Three devices, four hosts, five connections.
    void fill() {
        host("192.0.2.10", now - 3'600'000);
        host("203.0.113.20", now - 10'000);
        host("198.51.100.30", now - 3'600'000);
        host("2001:db8::1", now - 120'000);
        connection("tcp", "10.0.0.11", 35410, "192.0.2.10", 443, 2540, 120528, now - 3'600'000);
        connection("udp", "10.0.0.11", 40217, "203.0.113.20", 53, 176, 456, now - 10'000);
        connection("tcp", "10.0.0.12", 44300, "203.0.113.20", 80, 681, 5268, now - 5'000);
        connection("udp", "10.0.0.13", 60597, "198.51.100.30", 53, 78, 178, now - 30'000);  // young, old host
        connection("tcp", "fd00:10::11", 53698, "2001:db8::1", 443, 1000, 30000, now - 120'000);
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('interval_ms', 1000), ('last_cycle_at', 1795499999500),"
            " ('last_good_cycle_at', 1795499999500), ('last_cycle_ok', 1), ('accounting', 'off'),"
            " ('source', 'file x'), ('lines_skipped_total', '12')");
    }

    Reader reader() { return Reader(Database(path, Database::Mode::read_only)); }
};

std::vector<ConnectionRow> rows_of(Reader& reader, const ConnectionFilter& filter) {
    std::vector<ConnectionRow> rows;
    reader.connections(filter, now, [&](const ConnectionRow& row) { rows.push_back(row); });
    return rows;
}

std::vector<std::string> destinations(const std::vector<ConnectionRow>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row.dst_ip + ":" + std::to_string(row.dst_port));
    return out;
}

ConnectionFilter filter_with(std::string q, std::string proto, std::string src, std::size_t limit = 500) {
    ConnectionFilter filter;
    filter.q = std::move(q);
    filter.proto = std::move(proto);
    filter.src = std::move(src);
    filter.limit = limit;
    return filter;
}

}  // namespace

TEST_CASE("the index serves the order whatever the filter: no sort of the table, no table scan") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    auto text_of = [](const std::vector<std::string>& plan) {
        std::string text;
        for (const auto& line : plan) text += line + "\n";
        return text;
    };
    for (const auto& filter : {filter_with("", "", ""), filter_with("443", "", ""), filter_with("", "tcp", ""),
                               filter_with("", "", "10.0.0.11"), filter_with("10", "udp", "10.0.0.11", 10000)}) {
        auto plans = reader.connections_plans(filter);
        REQUIRE(plans.size() == 7);
        std::string all;
        for (const auto& plan : plans) all += text_of(plan) + "--\n";
        INFO(all);
        // The top of the order, filtered, down to a total; the total of the n-th row.
        CHECK(plans[0].at(0) == "SEARCH c USING INDEX connections_by_total_bytes (total_bytes>?)");
        CHECK(text_of(plans[0]).find("TEMP B-TREE") == std::string::npos);
        CHECK(plans[1].at(0).starts_with("SCAN connections USING "));
        CHECK(plans[1].at(0).ends_with("INDEX connections_by_total_bytes"));
        // Rows by id; the ids from an index each, never from the table.
        CHECK(text_of(plans[2]).find("SEARCH c USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
        CHECK(plans[3].at(0).starts_with("SCAN connection_search VIRTUAL TABLE INDEX"));
        CHECK(plans[4].at(0) == "SCAN c USING COVERING INDEX connections_by_key");
        CHECK(plans[5].at(0).starts_with("SCAN connections USING "));
        CHECK(plans[5].at(0).ends_with("INDEX connections_by_total_bytes"));
        // The rows not indexed yet: those noted, each looked up by id.
        CHECK(plans[6].at(0).starts_with("SCAN a"));
        CHECK(text_of(plans[6]).find("SEARCH c USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
        CHECK(all.find("SCAN remote_hosts") == std::string::npos);
        CHECK(all.find("SCAN connections\n") == std::string::npos);
    }
}

TEST_CASE("the hosts query and the summary read indexes, never a whole table or a sort of one") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    for (const auto& plan : {reader.hosts_plan(), reader.summary_plan()}) {
        std::string text;
        for (const auto& line : plan) text += line + "\n";
        INFO(text);
        REQUIRE_FALSE(plan.empty());
        // A table is scanned only through an index, where every entry counts (count(*),
        // count(DISTINCT)); "SCAN h" is the 500 hosts just found.
        for (const auto& line : plan)
            if (line.starts_with("SCAN connections") || line.starts_with("SCAN remote_hosts"))
                CHECK(line.find("USING COVERING INDEX") != std::string::npos);
    }
    std::string hosts;
    for (const auto& line : reader.hosts_plan()) hosts += line + "\n";
    CHECK(hosts.find("SEARCH remote_hosts USING INDEX remote_hosts_by_first_seen") != std::string::npos);
    CHECK(hosts.find("SEARCH connections USING INDEX connections_by_key (dst_ip=?)") != std::string::npos);
}

TEST_CASE("connections by total bytes, descending, with every field") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    auto rows = rows_of(reader, {});
    CHECK(destinations(rows) == std::vector<std::string>{"192.0.2.10:443", "2001:db8::1:443", "203.0.113.20:80",
                                                         "203.0.113.20:53", "198.51.100.30:53"});
    const ConnectionRow& first = rows[0];
    CHECK(first.proto == "tcp");
    CHECK(first.src_ip == "10.0.0.11");
    CHECK(first.src_port == 35410);
    CHECK(first.state == "ESTABLISHED");
    CHECK(first.flags == "ASSURED");
    CHECK(first.total_bytes == 2540 + 120528);
    CHECK(first.first_seen_at == now - 3'600'000);
    CHECK_FALSE(rows[3].state);  // udp: no state
}

TEST_CASE("seen_before follows the remote host, not the connection") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    std::map<std::string, bool> seen;
    reader.connections({}, now, [&](const ConnectionRow& row) {
        seen[row.dst_ip + ":" + std::to_string(row.dst_port)] = seen_before(row.host_first_seen_at, now);
    });
    CHECK(seen["192.0.2.10:443"]);         // old host, old connection
    CHECK_FALSE(seen["203.0.113.20:80"]);  // new host
    CHECK_FALSE(seen["203.0.113.20:53"]);
    CHECK(seen["198.51.100.30:53"]);       // a young connection to an old host
    CHECK(seen["2001:db8::1:443"]);
}

TEST_CASE("filters: protocol, device, substring of an address or a port, limit") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    CHECK(destinations(rows_of(reader, filter_with("", "udp", ""))) ==
          std::vector<std::string>{"203.0.113.20:53", "198.51.100.30:53"});
    CHECK(destinations(rows_of(reader, filter_with("", "", "10.0.0.11"))) ==
          std::vector<std::string>{"192.0.2.10:443", "203.0.113.20:53"});
    CHECK(destinations(rows_of(reader, filter_with("", "", "fd00:10::11"))) ==
          std::vector<std::string>{"2001:db8::1:443"});
    CHECK(destinations(rows_of(reader, filter_with("203.0.113", "", ""))) ==
          std::vector<std::string>{"203.0.113.20:80", "203.0.113.20:53"});
    CHECK(destinations(rows_of(reader, filter_with("443", "", ""))).size() == 3);  // two dports, one sport 44300
    CHECK(destinations(rows_of(reader, filter_with("605", "", ""))) ==
          std::vector<std::string>{"198.51.100.30:53"});  // sport 60597
    CHECK(destinations(rows_of(reader, filter_with("db8:", "tcp", ""))) ==
          std::vector<std::string>{"2001:db8::1:443"});
    CHECK(rows_of(reader, filter_with("", "", "", 2)).size() == 2);
    CHECK(rows_of(reader, filter_with("", "sctp", "")).empty());
    // A value is a value, never SQL.
    CHECK(rows_of(reader, filter_with("' OR 1=1 --", "", "")).empty());
    // A match stays inside one field: 10.0.0.11 and its port 35410 do not make "1135".
    CHECK(rows_of(reader, filter_with("1135", "", "")).empty());
    CHECK(destinations(rows_of(reader, filter_with("0.0.11", "", ""))) ==
          std::vector<std::string>{"192.0.2.10:443", "203.0.113.20:53"});  // src 10.0.0.11
}

TEST_CASE("hosts: newest first, active connections and bytes, since") {
    TestDatabase t;
    t.fill();
    t.host("192.0.2.99", now - 1000);  // no active connection
    Reader reader = t.reader();
    auto hosts = reader.hosts({}, now);
    REQUIRE(hosts.size() == 5);
    CHECK(hosts[0].ip == "192.0.2.99");
    CHECK(hosts[0].active_connections == 0);
    CHECK(hosts[1].ip == "203.0.113.20");
    CHECK(hosts[1].active_connections == 2);
    CHECK(hosts[1].active_bytes == 176 + 456 + 681 + 5268);
    CHECK(hosts[1].uplink_bytes == 10);
    HostFilter recent;
    recent.since_seconds = 60;
    CHECK(reader.hosts(recent, now).size() == 2);
    HostFilter one;
    one.limit = 1;
    CHECK(reader.hosts(one, now).size() == 1);
}

TEST_CASE("each way a filter is answered gives what a sort of the whole table gives") {
    TestDatabase t;
    // 6,000 connections: the 4,000 largest to 198.51.100.x from 10.0.0.2 over TCP; then 2,000
    // small ones to 203.0.113.7 from 10.0.0.3, half of them UDP, ports 20000 up.
    t.db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 5999)"
        " INSERT INTO connections (proto, family, src_ip, src_port, dst_ip, dst_port, state, flags, uplink_packets,"
        " uplink_bytes, downlink_packets, downlink_bytes, first_seen_at, last_seen_at, sampled_at)"
        " SELECT CASE WHEN i >= 4000 AND i % 2 = 1 THEN 'udp' ELSE 'tcp' END, 4,"
        " CASE WHEN i < 4000 THEN '10.0.0.2' ELSE '10.0.0.3' END, 20000 + i,"
        " CASE WHEN i < 4000 THEN '198.51.100.' || (i % 200) ELSE '203.0.113.7' END, 443, NULL, '', 1,"
        " (6000 - i) * 1000 + i % 7, 1, i % 13, 1795500000000, 1795500000000, 1795500000000 FROM n");
    Reader reader = t.reader();
    auto expected = [&](const ConnectionFilter& f) {
        Statement s = t.db.prepare(
            "SELECT dst_ip || ':' || dst_port || '/' || src_port FROM connections NOT INDEXED"
            " WHERE (?1 = '' OR proto = ?1) AND (?2 = '' OR src_ip = ?2) AND (?3 = '' OR instr(dst_ip, ?3) > 0"
            " OR instr(src_ip, ?3) > 0 OR instr(dst_port, ?3) > 0 OR instr(src_port, ?3) > 0)"
            " ORDER BY total_bytes DESC, id LIMIT ?4");
        s.bind(1, std::string_view(f.proto)).bind(2, std::string_view(f.src)).bind(3, std::string_view(f.q));
        s.bind(4, static_cast<std::int64_t>(f.limit));
        std::vector<std::string> out;
        while (s.step()) out.push_back(s.column_text(0));
        return out;
    };
    auto got = [&](const ConnectionFilter& f) {
        std::vector<std::string> out;
        for (const auto& r : rows_of(reader, f))
            out.push_back(r.dst_ip + ":" + std::to_string(r.dst_port) + "/" + std::to_string(r.src_port));
        return out;
    };
    for (const auto& f : {
             filter_with("198.51", "", ""),            // dense: the first rows answer
             filter_with("203.0.113.7", "", ""),       // 2,000 matches after the first 2,000 rows: fetched
             filter_with("203.0.113.7", "", "", 20),   // the same, a small limit
             filter_with("", "", "10.0.0.3"),          // a device's 2,000
             filter_with("", "udp", ""),               // 1,000: fetched
             filter_with("2", "udp", "10.0.0.3"),      // all three
             filter_with("113", "", "", 10000),        // a limit too large for the first rows
             filter_with("251", "", ""),               // few, everywhere (ports 2251x, ...)
             filter_with("zz", "", ""),                // none
         }) {
        INFO("q=" << f.q << " proto=" << f.proto << " src=" << f.src << " limit=" << f.limit);
        CHECK(got(f) == expected(f));
    }
    // Many matches beyond the first rows: the order's index is walked for the first 500.
    t.db.execute("UPDATE connections SET dst_ip = '203.0.113.7' WHERE id % 3 = 0 AND id > 2100");
    for (const auto& f : {filter_with("203.0.113.7", "", ""), filter_with("203.0.113", "tcp", ""),
                          filter_with("", "", "10.0.0.3", 700)}) {
        INFO("q=" << f.q << " proto=" << f.proto << " src=" << f.src << " limit=" << f.limit);
        CHECK(got(f).size() == std::min<std::size_t>(f.limit, expected(f).size()));
        CHECK(got(f) == expected(f));
    }
    // Substrings at random, long and short, found or not: the trigram index finds more than
    // q (each piece anywhere in the text), never fewer, and the answer is exact all the same.
    // Before the ingest indexed any (the rows from the table), with half indexed, and all.
    std::mt19937 random(20261202);
    const std::string alphabet = "0123457.:";
    for (int i = 0; i < 300; ++i) {
        if (i == 100) SearchIndexer(t.db).run(3000);
        if (i == 200) SearchIndexer(t.db).run(UINT64_MAX);
        std::string q;
        const std::size_t length = 1 + random() % 6;
        for (std::size_t k = 0; k < length; ++k) q += alphabet[random() % alphabet.size()];
        const std::size_t limits[] = {1, 20, 500, 5000};
        ConnectionFilter f = filter_with(q, i % 5 == 0 ? "udp" : "", "", limits[random() % 4]);
        INFO("q=" << f.q << " proto=" << f.proto << " limit=" << f.limit);
        CHECK(got(f) == expected(f));
    }
}

TEST_CASE("counters at 2^63 - 1: totals and a host's active bytes saturate, sum() does not fail") {
    TestDatabase t;
    t.host("192.0.2.1", now - 1000);
    t.connection("tcp", "10.0.0.11", 40000, "192.0.2.1", 443, INT64_MAX, INT64_MAX, now - 1000);
    t.connection("tcp", "10.0.0.12", 40001, "192.0.2.1", 443, INT64_MAX, 1, now - 1000);
    t.connection("tcp", "10.0.0.13", 40002, "192.0.2.1", 443, 5, 6, now - 1000);
    Reader reader = t.reader();
    auto rows = rows_of(reader, {});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].total_bytes == INT64_MAX);
    CHECK(rows[1].total_bytes == INT64_MAX);
    CHECK(rows[2].total_bytes == 11);
    auto hosts = reader.hosts({}, now);
    REQUIRE(hosts.size() == 1);
    CHECK(hosts[0].active_connections == 3);
    CHECK(hosts[0].active_bytes == INT64_MAX);
    // Below the limit the halves add up exactly.
    t.db.execute("UPDATE connections SET uplink_bytes = 4294967296 + 7, downlink_bytes = 4294967295"
                 " WHERE src_port < 40002");
    hosts = reader.hosts({}, now);
    CHECK(hosts[0].active_bytes == 2 * (4294967296LL + 7 + 4294967295LL) + 11);
}

TEST_CASE("summary and meta") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    Summary s = reader.summary(now);
    CHECK(s.active_connections == 5);
    CHECK(s.active_remote_hosts == 4);
    CHECK(s.known_remote_hosts == 4);
    CHECK(s.new_remote_hosts == 1);  // 203.0.113.20
    // 203.0.113.20 leaves the window 50 s from now.
    CHECK(reader.summary(now + 50'000).new_remote_hosts == 1);
    CHECK(reader.summary(now + 50'001).new_remote_hosts == 0);

    IngestStatus status = reader.ingest_status();
    CHECK(status.interval_ms == 1000);
    CHECK(status.last_good_cycle_at == 1795499999500);
    CHECK(status.accounting == "off");
    CHECK(status.source == "file x");
    CHECK(status.lines_skipped_total == 12);  // stored as text, read as a number
    CHECK_FALSE(status.event_overruns_total);
}

TEST_CASE("the summary and data_version see the ingest's commits") {
    TestDatabase t;
    t.fill();
    Reader reader = t.reader();
    std::int64_t version = reader.data_version();
    CHECK(reader.summary(now).active_connections == 5);
    CHECK(reader.data_version() == version);
    t.connection("tcp", "10.0.0.14", 1, "192.0.2.10", 22, 1, 1, now);
    CHECK(reader.data_version() != version);
    CHECK(reader.summary(now).active_connections == 6);
}

TEST_CASE("the summary takes the ingest's own counts of connections and their remote hosts when it has them") {
    TestDatabase t;
    t.fill();
    // Counts only an ingest keeps (they differ from the rows on purpose, to tell them apart).
    t.db.execute("INSERT INTO meta (key, value) VALUES ('active_connections', 1234), ('active_remote_hosts', 56)");
    Reader reader = t.reader();
    Summary s = reader.summary(now);
    CHECK(s.active_connections == 1234);
    CHECK(s.active_remote_hosts == 56);
    CHECK(s.known_remote_hosts == 4);  // still counted: remote_hosts' own index
}

TEST_CASE("the connections cache holds for one filter, one data version, until a NEW host turns SEEN") {
    ConnectionsCache cache;
    ConnectionFilter filter;
    CHECK(cache.find(filter, 1, now) == nullptr);
    cache.store(filter, 1, now, now + 5000, "[1]");
    REQUIRE(cache.find(filter, 1, now + 5000));
    CHECK(*cache.find(filter, 1, now + 5000) == "[1]");
    CHECK(cache.find(filter, 1, now + 5001) == nullptr);
    CHECK(cache.find(filter, 2, now) == nullptr);
    CHECK(cache.find(filter, 1, now - 1) == nullptr);  // the clock went back
    ConnectionFilter other;
    other.proto = "udp";
    CHECK(cache.find(other, 1, now) == nullptr);
    cache.store(filter, 1, now, INT64_MAX, std::string(ConnectionsCache::max_body + 1, ' '));
    CHECK(cache.find(filter, 1, now) == nullptr);
}

TEST_CASE("schemas the web does not know are refused") {
    TestDatabase t;
    t.db.execute("PRAGMA user_version = 99");
    CHECK_THROWS_AS(t.reader(), SchemaError);
    TempDir dir;
    { Database empty(dir.file("empty.db"), Database::Mode::read_write_create); }
    CHECK_THROWS_AS(Reader(Database(dir.file("empty.db"), Database::Mode::read_only)), SchemaError);
}

TEST_CASE("the pool says why there is no data, and recovers when the database appears") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    ReaderPool pool(path);
    {
        auto lease = pool.acquire();
        CHECK_FALSE(lease);
        CHECK(lease.error().find("there is no database at " + path) != std::string::npos);
    }
    std::ofstream(path) << "this is not a database, it is a text file of some length........................";
    {
        auto lease = pool.acquire();
        CHECK_FALSE(lease);
        CHECK(lease.error().find("is not an SQLite database") != std::string::npos);
    }
    std::filesystem::remove(path);
    {
        Database db(path, Database::Mode::read_write_create);
        db.execute("PRAGMA journal_mode = WAL");
        migrate(db);
        db.execute("PRAGMA user_version = 99");
        auto lease = pool.acquire();
        CHECK_FALSE(lease);
        CHECK(lease.error().find("newer than this netmon knows") != std::string::npos);
        db.execute("PRAGMA user_version = " + std::to_string(latest_schema_version()));
        auto again = pool.acquire();
        REQUIRE(again);
        CHECK(again->summary(now).active_connections == 0);
    }
}

TEST_CASE("the pool reuses a connection, and drops it when the file is replaced") {
    TestDatabase t;
    t.fill();
    ReaderPool pool(t.path);
    Reader* first = nullptr;
    {
        auto lease = pool.acquire();
        REQUIRE(lease);
        first = &*lease;
    }
    {
        auto lease = pool.acquire();
        REQUIRE(lease);
        CHECK(&*lease == first);
        CHECK(lease->summary(now).active_connections == 5);
    }
    // A new file under the same name (a restore, a new install): a new connection reads it.
    TestDatabase other;
    other.db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    std::filesystem::copy_file(other.path, t.dir.file("new.db"));
    std::filesystem::rename(t.dir.file("new.db"), t.path);
    std::filesystem::remove(t.path + "-wal");
    std::filesystem::remove(t.path + "-shm");
    auto lease = pool.acquire();
    REQUIRE(lease);
    CHECK(lease->summary(now).active_connections == 0);
}
