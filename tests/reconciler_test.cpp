#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "db_support.h"
#include "netmon/database.h"
#include "netmon/entry.h"
#include "netmon/outbound.h"
#include "netmon/schema.h"
#include "reconciler.h"
#include "store.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::lab_filter;
using netmon::test::query_int;
using netmon::test::query_text;
using netmon::test::read_fixture;
using netmon::test::TempDir;
using netmon::test::TextSource;

namespace {

std::string udp_line(const std::string& src, unsigned sport, const std::string& dst, std::uint64_t up_bytes,
                     std::uint64_t down_bytes, const std::string& prefix = "") {
    return prefix + "ipv4 2 udp 17 29 src=" + src + " dst=" + dst + " sport=" + std::to_string(sport) +
           " dport=53 packets=" + std::to_string(up_bytes / 100 + 1) + " bytes=" + std::to_string(up_bytes) +
           " src=" + dst + " dst=198.51.100.2 sport=53 dport=" + std::to_string(sport) +
           " packets=" + std::to_string(down_bytes / 100 + 1) + " bytes=" + std::to_string(down_bytes) +
           " mark=0 use=1\n";
}

// A TCP flow from 10.0.0.2 to 192.0.2.1:443 in state, without counters.
std::string tcp_line(const std::string& state, unsigned sport, const std::string& flags = "") {
    return "tcp 6 120 " + state + " src=10.0.0.2 dst=192.0.2.1 sport=" + std::to_string(sport) + " dport=443 " +
           flags + " src=192.0.2.1 dst=198.51.100.2 sport=443 dport=" + std::to_string(sport) + "\n";
}

// Counts the UPDATEs of connections rows, from inside the database.
void count_updates(Database& db) {
    db.execute("INSERT INTO meta (key, value) VALUES ('test_updates', 0);"
               "CREATE TRIGGER test_count_updates AFTER UPDATE ON connections BEGIN"
               " UPDATE meta SET value = value + 1 WHERE key = 'test_updates'; END;");
}

}  // namespace

TEST_CASE("replaying a real capture stores exactly its outbound flows", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    TextSource source(read_fixture("router_mixed.txt"));
    CycleResult result = reconciler.run_cycle(source, 1'000'000);
    CHECK(result.inserted == 15);
    CHECK(result.flows == 15);
    CHECK(result.entries_seen == 22);
    CHECK(result.stats.skipped == 12);

    // Row for row what print-outbound says of the same capture (checked by hand).
    auto expected = nlohmann::json::parse(read_fixture("router_mixed.outbound.json"));
    Database& db = store.database();
    REQUIRE(query_int(db, "SELECT count(*) FROM connections") == 15);
    Statement rows = db.prepare(
        "SELECT proto, src_ip, src_port, dst_ip, dst_port, coalesce(state, ''), flags, uplink_packets,"
        " uplink_bytes, downlink_packets, downlink_bytes, total_bytes, first_seen_at, last_seen_at"
        " FROM connections ORDER BY total_bytes DESC, proto, src_ip, src_port");
    for (const auto& want : expected) {
        REQUIRE(rows.step());
        INFO(want.dump());
        CHECK(rows.column_text(0) == want["proto"].get<std::string>());
        CHECK(rows.column_text(1) == want["src_ip"].get<std::string>());
        CHECK(rows.column_int(2) == want["src_port"].get<int>());
        CHECK(rows.column_text(3) == want["dst_ip"].get<std::string>());
        CHECK(rows.column_int(4) == want["dst_port"].get<int>());
        CHECK(rows.column_text(5) == (want["state"].is_null() ? "" : want["state"].get<std::string>()));
        std::string flags;
        for (const auto& f : want["flags"]) {
            if (!flags.empty()) flags += ' ';
            flags += f.get<std::string>();
        }
        CHECK(rows.column_text(6) == flags);
        CHECK(rows.column_int(7) == want["uplink_packets"].get<std::int64_t>());
        CHECK(rows.column_int(8) == want["uplink_bytes"].get<std::int64_t>());
        CHECK(rows.column_int(9) == want["downlink_packets"].get<std::int64_t>());
        CHECK(rows.column_int(10) == want["downlink_bytes"].get<std::int64_t>());
        CHECK(rows.column_int(11) == want["total_bytes"].get<std::int64_t>());
        CHECK(rows.column_int(12) == 1'000'000);
        CHECK(rows.column_int(13) == 1'000'000);
    }
    CHECK_FALSE(rows.step());

    // One remote host per distinct destination, with the bytes of its flows.
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts") == 6);
    CHECK(query_int(db, "SELECT count(DISTINCT dst_ip) FROM connections") == 6);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts WHERE ip = '203.0.113.20'") == 5);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.10'") == 2540 + 168 + 84 + 58);
    CHECK(query_int(db, "SELECT first_seen_at FROM remote_hosts WHERE ip = '2001:db8:2::10'") == 1'000'000);
    CHECK(query_int(db, "SELECT family FROM remote_hosts WHERE ip = '2001:db8:2::10'") == 6);

    // The cycle's figures in meta.
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'lines_skipped'") == 12);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'entries_seen'") == 22);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'outbound_kept'") == 15);
    // Stamped when the cycle ends: its start and its duration.
    const std::int64_t took = query_int(db, "SELECT value FROM meta WHERE key = 'last_cycle_ms'");
    CHECK(took >= 0);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'last_cycle_at'") == 1'000'000 + took);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'last_good_cycle_at'") == 1'000'000 + took);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'last_cycle_ok'") == 1);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'schema_version'") == latest_schema_version());
}

TEST_CASE("a later snapshot without some flows deletes them and keeps their hosts", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 100, 200) + udp_line("10.0.0.3", 1001, "192.0.2.2", 100, 200) +
                      udp_line("10.0.0.4", 1002, "192.0.2.3", 100, 200));
    reconciler.run_cycle(source, 1'000);
    source.set(udp_line("10.0.0.3", 1001, "192.0.2.2", 100, 200));
    CycleResult result = reconciler.run_cycle(source, 2'000);
    CHECK(result.deleted == 2);
    CHECK(result.unchanged == 1);
    Database& db = store.database();
    CHECK(query_text(db, "SELECT group_concat(src_ip) FROM connections") == "10.0.0.3");
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts") == 3);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == 100);
    // A flow that comes back is new again; its host keeps its first sighting.
    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 50, 0));
    reconciler.run_cycle(source, 3'000);
    CHECK(query_int(db, "SELECT first_seen_at FROM connections WHERE src_ip = '10.0.0.2'") == 3'000);
    CHECK(query_int(db, "SELECT first_seen_at FROM remote_hosts WHERE ip = '192.0.2.1'") == 1'000);
    CHECK(query_int(db, "SELECT last_seen_at FROM remote_hosts WHERE ip = '192.0.2.1'") == 3'000);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts WHERE ip = '192.0.2.1'") == 2);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == 150);
}

TEST_CASE("counters update, first_seen_at stays, unchanged rows are not rewritten", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    count_updates(db);
    Reconciler reconciler(store, lab_filter());
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 100, 200) + udp_line("10.0.0.3", 1001, "192.0.2.1", 10, 20));
    reconciler.run_cycle(source, 1'000);
    CycleResult same = reconciler.run_cycle(source, 2'000);
    CHECK(same.unchanged == 2);
    CHECK(same.updated == 0);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'test_updates'") == 0);

    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 150, 900) + udp_line("10.0.0.3", 1001, "192.0.2.1", 10, 20));
    CycleResult moved = reconciler.run_cycle(source, 3'000);
    CHECK(moved.updated == 1);
    CHECK(moved.unchanged == 1);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'test_updates'") == 1);
    CHECK(query_int(db, "SELECT uplink_bytes FROM connections WHERE src_ip = '10.0.0.2'") == 150);
    CHECK(query_int(db, "SELECT downlink_bytes FROM connections WHERE src_ip = '10.0.0.2'") == 900);
    CHECK(query_int(db, "SELECT total_bytes FROM connections WHERE src_ip = '10.0.0.2'") == 1050);
    CHECK(query_int(db, "SELECT first_seen_at FROM connections WHERE src_ip = '10.0.0.2'") == 1'000);
    CHECK(query_int(db, "SELECT last_seen_at FROM connections WHERE src_ip = '10.0.0.2'") == 3'000);
    CHECK(query_int(db, "SELECT last_seen_at FROM connections WHERE src_ip = '10.0.0.3'") == 1'000);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == 160);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == 920);

    // A state change alone is a change too.
    std::string tcp = "tcp 6 100 SYN_SENT src=10.0.0.5 dst=192.0.2.9 sport=5 dport=443 packets=1 bytes=60 "
                      "[UNREPLIED] src=192.0.2.9 dst=198.51.100.2 sport=443 dport=5 packets=0 bytes=0\n";
    source.set(tcp);
    reconciler.run_cycle(source, 4'000);
    std::string established = "tcp 6 100 ESTABLISHED src=10.0.0.5 dst=192.0.2.9 sport=5 dport=443 packets=1 bytes=60 "
                              "src=192.0.2.9 dst=198.51.100.2 sport=443 dport=5 packets=0 bytes=0 [ASSURED]\n";
    source.set(established);
    CHECK(reconciler.run_cycle(source, 5'000).updated == 1);
    CHECK(query_text(db, "SELECT state || '/' || flags FROM connections") == "ESTABLISHED/ASSURED");
}

TEST_CASE("many flows in any order: every row and host gets its own counters", "[reconciler]") {
    // More flows than the reconciler looks ahead, listed in a different order each cycle, as a
    // kernel lists its table: the writes it batches and sorts must still land on the right rows.
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    constexpr unsigned flows = 1000;
    auto flow = [](unsigned i, std::uint64_t extra) {
        return udp_line("10.0.0." + std::to_string(2 + i % 200), 1000 + i, "192.0.2." + std::to_string(1 + i % 50),
                        100 * i + extra, 1000 * i + 2 * extra);
    };
    auto snapshot = [&](unsigned step, unsigned moved_from) {
        std::string text;
        for (unsigned n = 0; n < flows; ++n) {
            unsigned i = (n * step + 7) % flows;  // step is prime to flows: every flow once
            text += flow(i, i >= moved_from ? 5 : 0);
        }
        return text;
    };
    TextSource source(snapshot(1, flows));
    CHECK(reconciler.run_cycle(source, 1'000).inserted == flows);
    source.set(snapshot(37, 900));
    CycleResult moved = reconciler.run_cycle(source, 2'000);
    CHECK(moved.updated == 100);
    CHECK(moved.unchanged == 900);
    Database& db = store.database();
    // Every row holds its own flow's counters, whichever order they came in.
    CHECK(query_int(db, "SELECT count(*) FROM connections WHERE uplink_bytes = 100 * (src_port - 1000)"
                        " + (CASE WHEN src_port >= 1900 THEN 5 ELSE 0 END)") == flows);
    CHECK(query_int(db, "SELECT count(*) FROM connections WHERE downlink_bytes = 1000 * (src_port - 1000)"
                        " + (CASE WHEN src_port >= 1900 THEN 10 ELSE 0 END)") == flows);
    CHECK(query_int(db, "SELECT count(*) FROM connections WHERE last_seen_at = 2000") == 100);
    CHECK(query_int(db, "SELECT min(src_port) FROM connections WHERE last_seen_at = 2000") == 1900);
    // Each host has the bytes of its own 20 flows, the moves included.
    for (unsigned h = 0; h < 50; ++h) {
        std::uint64_t up = 0;
        for (unsigned i = h; i < flows; i += 50) up += 100 * i + (i >= 900 ? 5 : 0);
        CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2." + std::to_string(1 + h) + "'") ==
              static_cast<std::int64_t>(up));
    }
}

TEST_CASE("a read that lists a new flow twice, or sees it born and gone, writes it once", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    // The same new flow twice in one text (the second reading lower: the last one counts), and
    // one whose [NEW] and [DESTROY] lines are both in it.
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 500, 900) + udp_line("10.0.0.2", 1000, "192.0.2.1", 300, 700) +
                      udp_line("10.0.0.3", 2000, "192.0.2.2", 0, 0, "[1.0] [NEW] ") +
                      udp_line("10.0.0.3", 2000, "192.0.2.2", 80, 160, "[1.5] [DESTROY] "));
    CycleResult result = reconciler.run_cycle(source, 1'000);
    CHECK(result.inserted == 2);
    CHECK(result.deleted == 1);
    CHECK(result.flows == 1);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 1);
    CHECK(query_int(db, "SELECT uplink_bytes FROM connections WHERE src_ip = '10.0.0.2'") == 300);
    CHECK(query_int(db, "SELECT downlink_bytes FROM connections WHERE src_ip = '10.0.0.2'") == 700);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == 300);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts WHERE ip = '192.0.2.1'") == 1);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == 80);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == 160);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts WHERE ip = '192.0.2.2'") == 1);
    // The flow goes on from the reading it was stored with.
    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 350, 700));
    CHECK(reconciler.run_cycle(source, 2'000).updated == 1);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == 350);
}

TEST_CASE("a change waiting to be written never lands on a row id reused in the same batch", "[reconciler]") {
    // SQLite gives a deleted row's id (the highest) to the next insert: an UPDATE of a flow
    // that a DESTROY then deletes must not be written onto the row of the next NEW.
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    auto event = [](const std::string& line) { return *parse_line(line).entry; };
    auto tcp = [](const std::string& state, unsigned sport, const std::string& flags) {
        std::string line = tcp_line(state, sport, flags);
        line.pop_back();  // the newline
        return line;
    };
    reconciler.apply_events({event("[1.0] [NEW] " + tcp("SYN_SENT", 40000, "[UNREPLIED]")),
                             event("[1.1] [UPDATE] " + tcp("ESTABLISHED", 40000, "[ASSURED]")),
                             event("[1.2] [DESTROY] " + tcp("ESTABLISHED", 40000, "[ASSURED]")),
                             event("[1.3] [NEW] " + tcp("SYN_SENT", 40001, "[UNREPLIED]"))},
                            1'000);
    REQUIRE(query_int(db, "SELECT count(*) FROM connections") == 1);
    CHECK(query_text(db, "SELECT state || '/' || flags FROM connections WHERE src_port = 40001") ==
          "SYN_SENT/UNREPLIED");

    // The same in a full read whose new flow is written at once: its state is the 257th name
    // seen, which the reconciler does not keep (see intern_state).
    std::string text;
    for (unsigned i = 0; i < 256; ++i) text += tcp_line("S" + std::to_string(i), 41000 + i);
    TextSource source(text);
    reconciler.run_cycle(source, 2'000);
    const std::int64_t highest = query_int(db, "SELECT max(id) FROM connections");
    const auto last_port = static_cast<unsigned>(query_int(db, "SELECT src_port FROM connections WHERE id = " + std::to_string(highest)));
    text += tcp_line("ESTABLISHED", last_port, "[ASSURED]");               // an update of it, waiting
    text += "[2.1] [DESTROY] " + tcp_line("ESTABLISHED", last_port);      // its row deleted at once
    text += tcp_line("LAST_ONE", 42000);  // a 257th state name: inserted at once, with that id
    source.set(text);
    reconciler.run_cycle(source, 3'000);
    CHECK(query_int(db, "SELECT id FROM connections WHERE src_port = 42000") == highest);
    CHECK(query_text(db, "SELECT state || '/' || flags FROM connections WHERE src_port = 42000") == "LAST_ONE/");
}

TEST_CASE("a new flow listed again in the same read with a state past the 255th keeps its name", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    std::string text = tcp_line("SYN_SENT", 40000);
    for (unsigned i = 2; i <= 255; ++i) text += tcp_line("S" + std::to_string(i), 41000 + i);
    text += tcp_line("ESTABLISHED", 40000);
    TextSource source(text);
    reconciler.run_cycle(source, 1'000);
    CHECK(query_text(db, "SELECT state FROM connections WHERE src_port = 40000") == "ESTABLISHED");
}

TEST_CASE("counters that go down are a reset: totals keep growing, across restarts too", "[reconciler]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 1000, 5000));
    {
        Store store(path);
        Reconciler reconciler(store, lab_filter());
        reconciler.run_cycle(source, 1'000);
        source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 300, 100));  // conntrack -L -z happened
        CycleResult reset = reconciler.run_cycle(source, 2'000);
        CHECK(reset.resets == 1);
        CHECK(query_int(store.database(), "SELECT uplink_bytes FROM connections") == 1300);
        CHECK(query_int(store.database(), "SELECT downlink_bytes FROM connections") == 5100);
        source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 500, 200));
        CHECK(reconciler.run_cycle(source, 3'000).resets == 0);
        CHECK(query_int(store.database(), "SELECT uplink_bytes FROM connections") == 1500);
    }
    // A restart reads the offset back: the kernel's 600 means 1600, not a new reset.
    Store store(path);
    Reconciler reconciler(store, lab_filter());
    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 600, 250));
    CycleResult after_restart = reconciler.run_cycle(source, 4'000);
    CHECK(after_restart.resets == 0);
    CHECK(after_restart.inserted == 0);
    Database& db = store.database();
    CHECK(query_int(db, "SELECT uplink_bytes FROM connections") == 1600);
    CHECK(query_int(db, "SELECT downlink_bytes FROM connections") == 5250);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts") == 1600);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts") == 5250);
    CHECK(query_int(db, "SELECT first_seen_at FROM connections") == 1'000);
    // When the flow goes, its offset goes with it.
    source.set("");
    reconciler.run_cycle(source, 5'000);
    CHECK(query_int(db, "SELECT count(*) FROM counter_offsets") == 0);
}

TEST_CASE("counters at 2^63 - 1 and 2^64 - 1: stored as 2^63 - 1, sums saturate, nothing turns REAL", "[reconciler]") {
    constexpr std::uint64_t i64_max = INT64_MAX;
    constexpr std::uint64_t u64_max = UINT64_MAX;
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    // Two flows to one host, both near the limits; a third to another host.
    auto table = [&](std::uint64_t third_up, std::uint64_t third_down) {
        return udp_line("10.0.0.2", 1000, "192.0.2.1", u64_max, u64_max) +
               udp_line("10.0.0.3", 1001, "192.0.2.1", i64_max, i64_max) +
               udp_line("10.0.0.4", 1002, "192.0.2.2", third_up, third_down);
    };
    auto all_integers = [](Database& db) {
        return query_int(db,
                         "SELECT count(*) FROM connections WHERE typeof(total_bytes) <> 'integer'"
                         " OR typeof(uplink_bytes) <> 'integer' OR typeof(downlink_bytes) <> 'integer'"
                         " OR typeof(uplink_packets) <> 'integer' OR typeof(downlink_packets) <> 'integer'") == 0 &&
               query_int(db,
                         "SELECT count(*) FROM remote_hosts WHERE typeof(uplink_bytes) <> 'integer'"
                         " OR typeof(downlink_bytes) <> 'integer'") == 0;
    };
    TextSource source(table(i64_max, 1));
    {
        Store store(path);
        Database& db = store.database();
        Reconciler reconciler(store, lab_filter());
        reconciler.run_cycle(source, 1'000);
        CHECK(all_integers(db));
        CHECK(query_int(db, "SELECT uplink_bytes FROM connections WHERE src_ip = '10.0.0.2'") == INT64_MAX);
        CHECK(query_int(db, "SELECT count(*) FROM connections WHERE total_bytes = 9223372036854775807") == 3);
        CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == INT64_MAX);
        CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == INT64_MAX);
        CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == 1);

        source.set(table(i64_max, 11));
        CHECK(reconciler.run_cycle(source, 2'000).updated == 1);
        CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == 11);
        // A reset at the limit: what had been counted moves into the offset, totals saturate.
        source.set(table(5, 5));
        CHECK(reconciler.run_cycle(source, 3'000).resets == 1);
        CHECK(query_int(db, "SELECT uplink_bytes FROM connections WHERE src_ip = '10.0.0.4'") == INT64_MAX);
        CHECK(query_int(db, "SELECT downlink_bytes FROM connections WHERE src_ip = '10.0.0.4'") == 16);
        CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == INT64_MAX);
        CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == 16);
        CHECK(all_integers(db));
    }
    // A restart reads the stored (clamped) counters back: no false reset, no overflow.
    Store store(path);
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    source.set(table(6, 6));
    CycleResult result = reconciler.run_cycle(source, 4'000);
    CHECK(result.resets == 0);
    CHECK(result.inserted == 0);
    CHECK(query_int(db, "SELECT downlink_bytes FROM connections WHERE src_ip = '10.0.0.4'") == 17);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.1'") == INT64_MAX);
    CHECK(all_integers(db));
    // The flows end (DESTROY events with their last counters): their hosts keep saturated sums.
    std::vector<Entry> events;
    for (const std::string& line : {udp_line("10.0.0.2", 1000, "192.0.2.1", u64_max, u64_max, "[5.0] [DESTROY] "),
                                    udp_line("10.0.0.4", 1002, "192.0.2.2", u64_max, u64_max, "[5.0] [DESTROY] ")})
        events.push_back(*parse_line(line.substr(0, line.size() - 1)).entry);
    CHECK(reconciler.apply_events(events, 5'000).deleted == 2);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == INT64_MAX);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts WHERE ip = '192.0.2.2'") == INT64_MAX);
    CHECK(all_integers(db));
}

TEST_CASE("remote hosts are forgotten past their retention, in batches, never while a connection is active",
          "[reconciler][retention]") {
    constexpr std::int64_t day = 86'400'000;
    const std::int64_t now = 400 * day;
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    Retention retention;  // 90 days
    reconciler.set_retention(retention);
    TextSource source(udp_line("10.0.0.2", 1000, "203.0.0.1", 100, 200));
    reconciler.run_cycle(source, now);
    // 203.0.0.1 has an active connection that has not moved for 200 days; 2,500 hosts were
    // last seen 100 days ago, ten between 10 and 19 days ago.
    db.execute("UPDATE remote_hosts SET last_seen_at = " + std::to_string(now - 200 * day));
    db.execute("WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 2501)"
               " INSERT INTO remote_hosts (ip, family, first_seen_at, last_seen_at)"
               " SELECT '203.0.' || (i / 256) || '.' || (i % 256), 4, 0, " + std::to_string(now - 100 * day) +
               " FROM n");
    db.execute("WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 9)"
               " INSERT INTO remote_hosts (ip, family, first_seen_at, last_seen_at)"
               " SELECT '192.0.2.' || k, 4, 0, " + std::to_string(now) + " - (10 + k) * " + std::to_string(day) +
               " FROM n");
    REQUIRE(store.count_hosts() == 2511);

    // A thousand a cycle, not all at once.
    std::vector<std::uint64_t> pruned;
    for (int cycle = 1; cycle <= 4; ++cycle) pruned.push_back(reconciler.run_cycle(source, now + cycle * 1000).hosts_pruned);
    CHECK(pruned == std::vector<std::uint64_t>{1000, 1000, 500, 0});
    CHECK(store.count_hosts() == 11);
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts WHERE ip = '203.0.0.1'") == 1);  // active: kept
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts WHERE ip LIKE '192.0.2.%'") == 10);

    // Past remote_hosts_max, those longest without contact go first; the active one stays.
    retention.remote_hosts_max = 5;
    reconciler.set_retention(retention);
    CHECK(reconciler.run_cycle(source, now + 5'000).hosts_pruned == 6);
    CHECK(query_text(db, "SELECT group_concat(ip, ' ') FROM (SELECT ip FROM remote_hosts ORDER BY ip)") ==
          "192.0.2.0 192.0.2.1 192.0.2.2 192.0.2.3 203.0.0.1");
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'remote_hosts_pruned_total'") == 2506);

    // A flood of 1,500 hosts between two cycles (flows born and gone: no active connection)
    // is gone at the next cycle, all of it: the batch grows with what was written.
    std::vector<Entry> events;
    for (unsigned i = 0; i < 1500; ++i) {
        const std::string line = "[6.0] [DESTROY] ipv4 2 udp 17 29 src=10.0.0.3 dst=100." + std::to_string(1 + i / 250) +
                                 "." + std::to_string(i % 250) + ".1 sport=2000 dport=53 packets=1 bytes=10"
                                 " src=1.2.3.4 dst=198.51.100.2 sport=53 dport=2000 packets=1 bytes=10";
        events.push_back(*parse_line(line).entry);
    }
    reconciler.apply_events(events, now + 6'000);
    REQUIRE(store.count_hosts() == 1505);
    CHECK(reconciler.run_cycle(source, now + 7'000).hosts_pruned == 1500);
    CHECK(store.count_hosts() == 5);
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts WHERE ip = '203.0.0.1'") == 1);
}

TEST_CASE("a failed read, or a text with no entry at all, changes nothing", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    TextSource source(read_fixture("router_extended.txt"));
    reconciler.run_cycle(source, 1'000);
    REQUIRE(query_int(db, "SELECT count(*) FROM connections") == 15);
    const std::int64_t hosts = query_int(db, "SELECT count(*) FROM remote_hosts");

    source.fail_after(0);
    CHECK_THROWS_AS(reconciler.run_cycle(source, 2'000), SourceError);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 15);

    // Failing midway: what was written in the cycle is rolled back, memory too.
    source.set(udp_line("10.0.0.9", 9, "192.0.2.99", 1, 1) + read_fixture("router_extended.txt"));
    source.fail_after(3);
    CHECK_THROWS_AS(reconciler.run_cycle(source, 3'000), SourceError);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 15);
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts") == hosts);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'last_cycle_at'") ==
          1'000 + query_int(db, "SELECT value FROM meta WHERE key = 'last_cycle_ms'"));

    source.heal();
    source.set("this is not conntrack output\nnor is this\n\n");
    CHECK_THROWS_AS(reconciler.run_cycle(source, 4'000), CycleError);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 15);

    // Back to the same table: nothing new, nothing gone, and the failure's text is gone from
    // meta (IngestService records it there), its time kept.
    store.set_meta(meta::last_error, "cannot open /x: No such file or directory");
    store.set_meta(meta::last_error_at, std::int64_t{4'000});
    source.set(read_fixture("router_extended.txt"));
    CycleResult again = reconciler.run_cycle(source, 5'000);
    CHECK(query_int(db, "SELECT count(*) FROM meta WHERE key = 'last_error'") == 0);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'last_error_at'") == 4'000);
    CHECK(again.inserted == 0);
    CHECK(again.deleted == 0);
    CHECK(again.unchanged == 15);

    // An empty table is a real answer: everything goes, hosts stay.
    source.set("conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n");
    CHECK(reconciler.run_cycle(source, 6'000).deleted == 15);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM remote_hosts") == hosts);
}

TEST_CASE("a locked or full database fails the cycle and the next one catches up", "[reconciler]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Store store(path, 50);
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 100, 200));
    reconciler.run_cycle(source, 1'000);

    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 150, 200) + udp_line("10.0.0.3", 1000, "192.0.2.1", 1, 1));
    {
        Database other(path, Database::Mode::read_write_create);
        Transaction lock(other);  // BEGIN IMMEDIATE: the write lock
        try {
            reconciler.run_cycle(source, 2'000);
            FAIL("the cycle should have failed on the lock");
        } catch (const DatabaseError& e) {
            CHECK(e.busy());
        }
    }
    CycleResult next = reconciler.run_cycle(source, 3'000);
    CHECK(next.inserted == 1);
    CHECK(next.updated == 1);
    CHECK(query_int(db, "SELECT sum(uplink_bytes) FROM connections") == 151);

    // Full: no more pages may be added.
    const std::int64_t pages = db.pragma_int("page_count");
    db.execute("PRAGMA max_page_count = " + std::to_string(pages));
    std::string many;
    for (unsigned i = 0; i < 3000; ++i) many += udp_line("10.0.0." + std::to_string(2 + i % 200), 2000 + i, "192.0.2.7", 1, 1);
    source.set(many);
    CHECK_THROWS_AS(reconciler.run_cycle(source, 4'000), DatabaseError);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 2);
    db.execute("PRAGMA max_page_count = 1073741823");
    CHECK(reconciler.run_cycle(source, 5'000).inserted == 3000);
    CHECK(db.pragma_int("quick_check") == 0);  // "ok" reads as 0
    CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("events: NEW at once, UPDATE keeps counters, DESTROY records the final ones", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    auto event = [](const std::string& line) { return *parse_line(line).entry; };
    const std::string tuple = "src=10.0.0.2 dst=192.0.2.1 sport=40000 dport=443";
    const std::string reply = "src=192.0.2.1 dst=198.51.100.2 sport=443 dport=40000";

    EventResult created = reconciler.apply_events(
        {event("[1.0] [NEW] tcp 6 120 SYN_SENT " + tuple + " [UNREPLIED] " + reply)}, 1'000);
    CHECK(created.inserted == 1);
    CHECK(query_text(db, "SELECT state || '/' || flags FROM connections") == "SYN_SENT/UNREPLIED");

    TextSource source("tcp 6 431999 ESTABLISHED " + tuple + " packets=10 bytes=1000 " + reply +
                      " packets=8 bytes=9000 [ASSURED]\n");
    reconciler.run_cycle(source, 2'000);
    CHECK(query_int(db, "SELECT total_bytes FROM connections") == 10000);

    // UPDATE events carry no counters: the stored ones stay.
    reconciler.apply_events({event("[2.5] [UPDATE] tcp 6 120 FIN_WAIT " + tuple + " " + reply + " [ASSURED]")}, 2'500);
    CHECK(query_text(db, "SELECT state FROM connections") == "FIN_WAIT");
    CHECK(query_int(db, "SELECT total_bytes FROM connections") == 10000);

    EventResult gone = reconciler.apply_events(
        {event("[3.0] [DESTROY] tcp 6 " + tuple + " packets=12 bytes=1500 " + reply + " packets=9 bytes=9500 [ASSURED]"),
         event("[3.1] [DESTROY] udp 17 src=10.0.0.3 dst=192.0.2.1 sport=5 dport=53 packets=1 bytes=70 src=192.0.2.1 "
               "dst=198.51.100.2 sport=53 dport=5 packets=1 bytes=130")},
        3'000);
    CHECK(gone.deleted == 1);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 0);
    // The host got the final 500 + 500 bytes of the first, and the whole of the short second flow.
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts") == 1500 + 70);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts") == 9500 + 130);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts") == 2);

    // Not outbound: ignored.
    CHECK(reconciler.apply_events({event("[4.0] [NEW] udp 17 30 src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2 "
                                         "src=198.51.100.2 dst=198.51.100.1 sport=2 dport=1")},
                                  4'000)
              .inserted == 0);
}

TEST_CASE("a DESTROY that arrives after a read found the flow gone counts its bytes once", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 1000, 2000));
    reconciler.run_cycle(source, 1'000);
    source.set("");
    CHECK(reconciler.run_cycle(source, 2'000).deleted == 1);  // the table no longer has it
    // Its DESTROY event was still queued: only the last 100 and 50 bytes are new.
    std::string last = udp_line("10.0.0.2", 1000, "192.0.2.1", 1100, 2050, "[3.0] [DESTROY] ");
    last.pop_back();
    reconciler.apply_events({*parse_line(last).entry}, 3'000);
    CHECK(query_int(db, "SELECT uplink_bytes FROM remote_hosts") == 1100);
    CHECK(query_int(db, "SELECT downlink_bytes FROM remote_hosts") == 2050);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 0);
    // A late UPDATE does not bring it back; a NEW on the same tuple is a new flow.
    std::string update = udp_line("10.0.0.2", 1000, "192.0.2.1", 0, 0, "[3.1] [UPDATE] ");
    reconciler.apply_events({*parse_line(update).entry}, 3'100);
    CHECK(query_int(db, "SELECT count(*) FROM connections") == 0);
    std::string again = udp_line("10.0.0.2", 1000, "192.0.2.1", 0, 0, "[3.2] [NEW] ");
    CHECK(reconciler.apply_events({*parse_line(again).entry}, 3'200).inserted == 1);
    CHECK(query_int(db, "SELECT connections_seen FROM remote_hosts") == 2);
}

TEST_CASE("samples and rates every 10 seconds", "[reconciler]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    Reconciler reconciler(store, lab_filter());
    TextSource source(udp_line("10.0.0.2", 1000, "192.0.2.1", 1000, 2000));
    reconciler.run_cycle(source, 100'000);
    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 6000, 22000));
    reconciler.run_cycle(source, 105'000);
    CHECK(query_int(db, "SELECT count(*) FROM connection_samples") == 0);  // not yet 10 s
    reconciler.run_cycle(source, 110'000);
    CHECK(query_int(db, "SELECT count(*) FROM connection_samples") == 1);
    CHECK(query_int(db, "SELECT uplink_bytes FROM connection_samples") == 6000);
    // 5000 and 20000 bytes in the 10 s since it was first seen.
    CHECK(query_text(db, "SELECT uplink_rate || ' ' || downlink_rate FROM connections") == "500.0 2000.0");
    reconciler.run_cycle(source, 120'000);
    CHECK(query_text(db, "SELECT uplink_rate || ' ' || downlink_rate FROM connections") == "0.0 0.0");
    CHECK(query_int(db, "SELECT count(*) FROM connection_samples") == 1);
    // Samples older than 10 minutes go.
    source.set(udp_line("10.0.0.2", 1000, "192.0.2.1", 7000, 22000));
    reconciler.run_cycle(source, 800'000);
    CHECK(query_int(db, "SELECT min(sampled_at) FROM connection_samples") == 800'000);
}

TEST_CASE("readers read while the ingest writes", "[reconciler][schema]") {
    TempDir dir;
    const std::string path = dir.file("netmon.db");
    Store store(path);
    Reconciler reconciler(store, lab_filter());
    TextSource source(read_fixture("router_extended.txt"));
    reconciler.run_cycle(source, 1'000);

    Database reader(path, Database::Mode::read_only);
    Transaction writing(store.database());
    store.database().execute("DELETE FROM connections");
    // The reader is not blocked, and sees the last committed state.
    CHECK(query_int(reader, "SELECT count(*) FROM connections") == 15);
    writing.commit();
    CHECK(query_int(reader, "SELECT count(*) FROM connections") == 0);
}
