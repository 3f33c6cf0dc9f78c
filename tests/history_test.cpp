// The history the ingest writes (schema/004_history.sql), through the real reconciler and store
// on a real SQLite file: exact sums for a hand-computed sequence, a random model with restarts,
// resets, late DESTROYs and a clock stepped back, crashes that lose at most the last flush
// period and never count twice, and pruning in small steps.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "db_support.h"
#include "netmon/database.h"
#include "netmon/parser.h"
#include "reconciler.h"
#include "store.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::lab_filter;
using netmon::test::query_int;
using netmon::test::query_text;
using netmon::test::TempDir;
using netmon::test::TextSource;

namespace {

// 2026-12-02T10:00:00Z
constexpr std::int64_t t0 = 1'796'205'600'000;
constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

// A UDP flow's line, with counters; prefix "[DESTROY] " makes it an event.
std::string flow_line(const std::string& src, unsigned sport, const std::string& dst, std::uint64_t up,
                      std::uint64_t down, const std::string& prefix = "") {
    const bool v6 = src.find(':') != std::string::npos;
    return prefix + (v6 ? "ipv6 10" : "ipv4 2") + " udp 17 29 src=" + src + " dst=" + dst + " sport=" +
           std::to_string(sport) + " dport=53 packets=" + std::to_string(up / 100 + 1) + " bytes=" + std::to_string(up) +
           " src=" + dst + (v6 ? " dst=2001:db8:ffff::2" : " dst=198.51.100.2") + " sport=53 dport=" + std::to_string(sport) + " packets=" + std::to_string(down / 100 + 1) +
           " bytes=" + std::to_string(down) + " mark=0 use=1\n";
}

Entry event(const std::string& line) { return *parse_line(line).entry; }

std::string blob(const char* address) {
    std::string hex;
    const IpAddress parsed = *IpAddress::parse(address);
    for (unsigned char c : parsed.blob()) {
        static const char digits[] = "0123456789ABCDEF";
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return "X'" + hex + "'";
}

// All three levels of traffic in one view, as version 4 kept them: the devices' and the LAN's
// rows (traffic) with host X'', and the pairs' (host_traffic). On db's connection only.
Database& with_levels(Database& db) {
    db.execute("CREATE TEMP VIEW IF NOT EXISTS levels AS"
               " SELECT device, step, bucket, X'' AS host, uplink_bytes, downlink_bytes, uplink_packets,"
               " downlink_packets, flows FROM main.traffic"
               " UNION ALL SELECT device, step, bucket, host, uplink_bytes, downlink_bytes, uplink_packets,"
               " downlink_packets, flows FROM main.host_traffic");
    return db;
}

// "up/down/flows" of a traffic row at any level, or "none".
std::string traffic(Database& db, const std::string& device, std::int64_t step, std::int64_t bucket,
                    const std::string& host) {
    Statement s = with_levels(db).prepare(
        "SELECT uplink_bytes || '/' || downlink_bytes || '/' || flows FROM levels WHERE device = " + device +
        " AND step = " + std::to_string(step) + " AND bucket = " + std::to_string(bucket) + " AND host = " + host);
    return s.step() ? s.column_text(0) : "none";
}

}  // namespace

TEST_CASE("a replayed sequence gives the hand-computed history, each ended flow logged once", "[history]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    TextSource source;
    // The first read of the database: nothing yet (see the baseline test below).
    reconciler.run_cycle(source, t0 + 1'000);
    // A and B from 10.0.0.2 to 192.0.2.1, C from 10.0.0.3 to 198.51.100.7.
    source.set(flow_line("10.0.0.2", 1000, "192.0.2.1", 100, 1000) + flow_line("10.0.0.2", 1001, "192.0.2.1", 50, 500) +
               flow_line("10.0.0.3", 1002, "198.51.100.7", 10, 20));
    reconciler.run_cycle(source, t0 + 10'000);
    // A moves, B is gone, C stays: in the next minute.
    source.set(flow_line("10.0.0.2", 1000, "192.0.2.1", 300, 5000) + flow_line("10.0.0.3", 1002, "198.51.100.7", 10, 20));
    reconciler.run_cycle(source, t0 + 70'000);
    // C ends with its final counters; D is born and gone between two reads; B's DESTROY comes late.
    reconciler.apply_events({event(flow_line("10.0.0.3", 1002, "198.51.100.7", 15, 40, "[DESTROY] ")),
                             event(flow_line("10.0.0.3", 1003, "203.0.113.9", 7, 9, "[DESTROY] "))},
                            t0 + 75'000);
    reconciler.apply_events({event(flow_line("10.0.0.2", 1001, "192.0.2.1", 60, 600, "[DESTROY] "))}, t0 + 80'000);
    // An hour later, A has moved again.
    source.set(flow_line("10.0.0.2", 1000, "192.0.2.1", 1300, 9000));
    reconciler.run_cycle(source, t0 + hour + 5'000);
    reconciler.flush_history(t0 + hour + 6'000);

    Database& db = with_levels(store.database());
    const std::string a2 = blob("10.0.0.2"), a3 = blob("10.0.0.3"), h1 = blob("192.0.2.1"), h7 = blob("198.51.100.7"),
                      h9 = blob("203.0.113.9"), lan = "X''";
    // Minutes: each delta in the minute of the read that saw it.
    CHECK(traffic(db, a2, 60, t0, h1) == "150/1500/2");
    CHECK(traffic(db, a2, 60, t0 + minute, h1) == "210/4100/0");  // A's 200/4000, B's late 10/100
    CHECK(traffic(db, a2, 60, t0 + hour, h1) == "1000/4000/0");
    CHECK(traffic(db, a3, 60, t0, h7) == "10/20/1");
    CHECK(traffic(db, a3, 60, t0 + minute, h7) == "5/20/0");
    CHECK(traffic(db, a3, 60, t0 + minute, h9) == "7/9/1");
    CHECK(traffic(db, a2, 60, t0 + 2 * minute, h1) == "none");
    // Hours and days, devices and the LAN.
    CHECK(traffic(db, a2, 3600, t0, h1) == "360/5600/2");
    CHECK(traffic(db, a2, 3600, t0 + hour, h1) == "1000/4000/0");
    CHECK(traffic(db, a2, 3600, t0, "X''") == "360/5600/2");
    CHECK(traffic(db, a3, 3600, t0, "X''") == "22/49/2");
    CHECK(traffic(db, lan, 3600, t0, lan) == "382/5649/4");
    CHECK(traffic(db, lan, 86400, t0 - 10 * hour, lan) == "1382/9649/4");
    CHECK(traffic(db, a2, 86400, t0 - 10 * hour, h1) == "1360/9600/2");
    // A device's total is its flows' final kernel counters: A 1300/9000 and B 60/600.
    CHECK(query_text(db, "SELECT uplink_bytes || '/' || downlink_bytes || '/' || connections_seen || '/' ||"
                         " active_connections FROM devices WHERE address = " + a2) == "1360/9600/2/1");
    CHECK(query_text(db, "SELECT uplink_bytes || '/' || downlink_bytes || '/' || connections_seen || '/' ||"
                         " active_connections FROM devices WHERE address = " + a3) == "22/49/2/0");
    CHECK(query_text(db, "SELECT (first_seen_at - " + std::to_string(t0) + ") || '/' || (last_seen_at - " +
                             std::to_string(t0) + ") FROM device_hosts WHERE device = " + a2 + " AND host = " + h1) ==
          "10000/3605000");
    CHECK(query_int(db, "SELECT count(*) FROM device_hosts") == 3);
    // The flow log: B (gone, then its late DESTROY), C (DESTROY), D (born and gone); A lives.
    // B ended at its last activity seen (the read at 10 s), not when a read missed it (70 s).
    CHECK(query_int(db, "SELECT count(*) FROM flow_log") == 3);
    CHECK(query_text(db, "SELECT src_port || ' ' || (ended_at - " + std::to_string(t0) + ") || ' ' || (first_seen_at - " +
                             std::to_string(t0) + ") || ' ' || uplink_bytes || '/' || downlink_bytes || ' ' || ended_by ||"
                             " ' ' || proto FROM flow_log ORDER BY src_port LIMIT 1") ==
          "1001 10000 10000 60/600 1 17");
    CHECK(query_text(db, "SELECT group_concat(src_port || ':' || uplink_bytes || '/' || downlink_bytes || ':' ||"
                         " ended_by, ' ') FROM (SELECT * FROM flow_log ORDER BY src_port)") ==
          "1001:60/600:1 1002:15/40:1 1003:7/9:1");
    CHECK(query_int(db, "SELECT first_seen_at - ended_at FROM flow_log WHERE src_port = 1003") == 0);
    // The last cycle's write was due (10 s after the one before), so nothing was left to flush.
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'history_flushed_at'") == t0 + hour + 5'000);
}

TEST_CASE("the first read of a new database is the baseline: only what its flows add later counts", "[history]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    auto reconciler = std::make_unique<Reconciler>(store, lab_filter());
    TextSource source(flow_line("10.0.0.2", 1000, "192.0.2.1", 100'000, 900'000));
    reconciler->run_cycle(source, t0);
    Database& db = with_levels(store.database());
    CHECK(query_int(db, "SELECT count(*) FROM levels") == 0);
    CHECK(query_int(db, "SELECT active_connections FROM devices") == 1);
    // Later reads count what moves, and new flows whole, also after a restart.
    source.set(flow_line("10.0.0.2", 1000, "192.0.2.1", 100'010, 900'020) +
               flow_line("10.0.0.2", 1001, "192.0.2.1", 5, 6));
    reconciler->run_cycle(source, t0 + 20'000);
    reconciler.reset();
    reconciler = std::make_unique<Reconciler>(store, lab_filter());
    source.set(flow_line("10.0.0.2", 1000, "192.0.2.1", 100'011, 900'021) +
               flow_line("10.0.0.2", 1001, "192.0.2.1", 5, 6) + flow_line("10.0.0.2", 1002, "192.0.2.1", 7, 8));
    reconciler->run_cycle(source, t0 + 40'000);
    CHECK(query_text(db, "SELECT sum(uplink_bytes) || '/' || sum(downlink_bytes) || '/' || sum(flows) FROM levels"
                         " WHERE device = X'' AND step = 60") == "23/35/2");
}

TEST_CASE("history off: no rows, and the flow log off on its own", "[history]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    Retention off;
    off.traffic_per_minute_hours = off.traffic_per_hour_days = off.traffic_per_day_days = 0;
    off.host_traffic_per_minute_hours = off.host_traffic_per_hour_days = off.host_traffic_per_day_days = 0;
    off.flow_log_days = 0;
    reconciler.set_retention(off);
    TextSource source(flow_line("10.0.0.2", 1000, "192.0.2.1", 100, 1000));
    reconciler.run_cycle(source, t0);
    source.set("");
    reconciler.run_cycle(source, t0 + 20'000);
    reconciler.flush_history(t0 + 30'000);
    Database& db = with_levels(store.database());
    CHECK(query_int(db, "SELECT count(*) FROM levels") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM flow_log") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM device_hosts") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM devices") == 0);
}

namespace {

// The kernel's table as a model: flows whose counters move, reset, end by DESTROY (with a
// last move), or vanish (gone), sometimes with a DESTROY that arrives after the read.
struct Model {
    struct Flow {
        std::string device, host;
        unsigned port = 0;
        std::uint64_t up = 0, down = 0;
    };
    std::map<unsigned, Flow> table;                     // by port
    std::map<std::string, std::uint64_t> up, down;     // the truth per device: every byte that moved
    std::vector<Flow> vanished;                         // gone without a DESTROY yet
    std::mt19937_64 random{7};
    unsigned next_port = 1000;

    void move(Flow& f, std::uint64_t du, std::uint64_t dd) {
        f.up += du;
        f.down += dd;
        up[f.device] += du;
        down[f.device] += dd;
    }
    std::string text() const {
        std::string text;
        for (const auto& [port, f] : table) text += flow_line(f.device, port, f.host, f.up, f.down);
        return text;
    }
    std::uint64_t total() const {
        std::uint64_t sum = 0;
        for (const auto& [d, b] : up) sum += b;
        for (const auto& [d, b] : down) sum += b;
        return sum;
    }
    // Before a read: some flows move, some reset (their new counters are new bytes), new ones come.
    void churn() {
        // Gone with the counters the last read saw (bytes after it would be seen by no one).
        for (auto it = table.begin(); it != table.end();) {
            if (random() % 15 == 0) {
                vanished.push_back(it->second);
                it = table.erase(it);
            } else {
                ++it;
            }
        }
        static const char* devices[] = {"10.0.0.2", "10.0.0.3", "fd00:10::5"};
        static const char* hosts[] = {"192.0.2.1", "198.51.100.2", "2001:db8::9", "203.0.113.4"};
        for (auto& [port, f] : table) {
            const auto roll = random() % 10;
            if (roll < 4) move(f, random() % 5000, random() % 50000);
            if (roll == 9) {  // reset by another tool, then some traffic: uplink bytes fall, surely
                const std::uint64_t up_after = f.up / 2, down_after = f.down / 2;
                f.up = f.down = 0;
                move(f, up_after, down_after);
            }
        }
        for (int i = random() % 4; i > 0; --i) {
            const unsigned port = next_port++;
            const bool v6 = random() % 3 == 0;
            Flow f{v6 ? "fd00:10::5" : devices[random() % 2], hosts[v6 ? 2 : random() % 2 * 3], port, 0, 0};
            move(f, 1 + random() % 3000, random() % 30000);
            table[port] = f;
        }
    }
    // Events between reads: DESTROYs of live flows with a last move, and the late ones.
    std::vector<Entry> events() {
        std::vector<Entry> batch;
        for (auto it = table.begin(); it != table.end();) {
            if (random() % 12 == 0) {
                move(it->second, random() % 100, random() % 1000);
                batch.push_back(event(flow_line(it->second.device, it->first, it->second.host, it->second.up,
                                                it->second.down, "[DESTROY] ")));
                it = table.erase(it);
            } else {
                ++it;
            }
        }
        for (Flow& f : vanished) {
            if (random() % 2 == 0) continue;  // its DESTROY never comes (a read found it gone)
            move(f, random() % 100, random() % 100);
            batch.push_back(event(flow_line(f.device, f.port, f.host, f.up, f.down, "[DESTROY] ")));
        }
        vanished.clear();
        return batch;
    }
};

std::map<std::string, std::uint64_t> stored(Database& db, const std::string& sql) {
    std::map<std::string, std::uint64_t> sums;
    Statement s = db.prepare(sql);
    while (s.step())
        sums[IpAddress::from_blob(s.column_blob(0))->to_string()] = static_cast<std::uint64_t>(s.column_int(1));
    return sums;
}

// An ingest on a database file that can be restarted (a clean stop flushes first; a crash does not).
struct Ingest {
    explicit Ingest(std::string file) : path(std::move(file)) { restart(); }
    void restart() {
        reconciler.reset();
        store = std::make_unique<Store>(path);
        reconciler = std::make_unique<Reconciler>(*store, lab_filter());
    }
    std::string path;
    std::unique_ptr<Store> store;
    std::unique_ptr<Reconciler> reconciler;
};

}  // namespace

TEST_CASE("random traffic with restarts, resets, late DESTROYs and a clock step: exact at every level",
          "[history]") {
    TempDir dir;
    Model model;
    TextSource source;
    std::int64_t now = t0;
    Ingest ingest(dir.file("netmon.db"));
    auto& reconciler = ingest.reconciler;
    reconciler->run_cycle(source, now);  // the baseline: an empty table
    for (int round = 1; round <= 300; ++round) {
        now += 1000 + static_cast<std::int64_t>(model.random() % 20'000);
        if (round == 150) now -= 2 * hour;  // NTP steps the clock back
        model.churn();
        source.set(model.text());
        if (round % 37 == 0) {
            // A read that fails halfway writes nothing; the next one counts its bytes once.
            source.fail_after(1);
            CHECK_THROWS(reconciler->run_cycle(source, now));
            source.heal();
        }
        reconciler->run_cycle(source, now);
        reconciler->apply_events(model.events(), now + 500);
        if (round % 60 == 0) {
            // A clean restart: what waits is written, the next start diffs against the rows.
            reconciler->flush_history(now + 600);
            ingest.restart();
        }
    }
    reconciler->flush_history(now + 1000);
    Database& db = with_levels(ingest.store->database());
    // Every level, every step, and the devices' totals: the model's bytes, exactly.
    for (const std::string step : {"60", "3600", "86400"}) {
        INFO("step " << step);
        auto device_up = stored(db, "SELECT device, sum(uplink_bytes) FROM levels WHERE host = X'' AND device <> X''"
                                    " AND step = " + step + " GROUP BY device");
        auto pair_down = stored(db, "SELECT device, sum(downlink_bytes) FROM levels WHERE host <> X'' AND step = " +
                                        step + " GROUP BY device");
        CHECK(device_up == model.up);
        CHECK(pair_down == model.down);
        CHECK(query_int(db, "SELECT sum(uplink_bytes + downlink_bytes) FROM levels WHERE device = X'' AND step = " +
                                step) == static_cast<std::int64_t>(model.total()));
    }
    CHECK(stored(db, "SELECT address, uplink_bytes FROM devices") == model.up);
    CHECK(stored(db, "SELECT address, downlink_bytes FROM devices") == model.down);
    auto pairs_up = stored(db, "SELECT device, sum(uplink_bytes) FROM device_hosts GROUP BY device");
    CHECK(pairs_up == model.up);
    // Every flow that ended is logged once; those alive are not.
    const auto logged = query_int(db, "SELECT count(*) FROM flow_log");
    const auto distinct = query_int(db, "SELECT count(*) FROM (SELECT DISTINCT device, src_port FROM flow_log)");
    CHECK(logged == distinct);
    CHECK(logged + static_cast<std::int64_t>(model.table.size()) == static_cast<std::int64_t>(model.next_port - 1000));
    CHECK(query_int(db, "SELECT sum(active_connections) FROM devices") == static_cast<std::int64_t>(model.table.size()));
    // The summary's counts in meta are the rows', through restarts, failed reads and DESTROYs.
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'active_connections'") ==
          query_int(db, "SELECT count(*) FROM connections"));
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'active_remote_hosts'") ==
          query_int(db, "SELECT count(DISTINCT dst_ip) FROM connections"));
}

TEST_CASE("a crash loses at most the sums since the last flush, and never counts a byte twice", "[history]") {
    TempDir dir;
    Model model;
    TextSource source;
    std::int64_t now = t0;
    Ingest ingest(dir.file("netmon.db"));
    auto& reconciler = ingest.reconciler;
    std::uint64_t lost_at_most = 0;  // the bytes read since the last flush, at each crash
    std::uint64_t read_since_flush = 0;
    std::int64_t last_flush = 0;
    reconciler->run_cycle(source, now);  // the baseline: an empty table
    for (int round = 1; round <= 200; ++round) {
        now += 1000 + static_cast<std::int64_t>(model.random() % 4000);
        const std::uint64_t before = model.total();
        model.churn();
        source.set(model.text());
        reconciler->run_cycle(source, now);
        reconciler->apply_events(model.events(), now + 100);
        // The ledger flushes every 10 s: what a crash now loses was read since then.
        const std::int64_t flushed = query_int(ingest.store->database(), "SELECT value FROM meta WHERE key = 'history_flushed_at'");
        if (flushed != last_flush) {
            last_flush = flushed;
            read_since_flush = 0;
        }
        read_since_flush += model.total() - before;
        if (round % 25 == 0) {
            // kill -9: nothing of memory is written.
            lost_at_most += read_since_flush;
            read_since_flush = 0;
            ingest.restart();
        }
    }
    reconciler->flush_history(now + 1000);
    Database& db = with_levels(ingest.store->database());
    const auto stored_total = static_cast<std::uint64_t>(
        query_int(db, "SELECT sum(uplink_bytes + downlink_bytes) FROM levels WHERE device = X'' AND step = 3600"));
    CHECK(stored_total <= model.total());
    CHECK(model.total() - stored_total <= lost_at_most);
    CHECK(lost_at_most < model.total() / 4);  // the test crashed often, and still lost little
}

TEST_CASE("pruning deletes old history in batches, the flow log by age and by rows", "[history]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    // 12,000 pair minute rows two days old (pairs keep minutes 24 h), 100 recent ones, and
    // 8,000 old flow log rows.
    db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 11999)"
               " INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes) SELECT X'0A000002', 60, " +
               std::to_string(t0 - 49 * hour) + " + i * 60000 - 12000 * 60000, X'C0000201', 1 FROM n");
    db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)"
               " INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes) SELECT X'0A000002', 60, " +
               std::to_string(t0) + " - i * 60000, X'C0000201', 1 FROM n");
    db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 7999)"
               " INSERT INTO flow_log (ended_at, device, host, proto, src_port, dst_port, first_seen_at, last_seen_at,"
               " ended_by) SELECT " + std::to_string(t0 - 8 * 24 * hour) + " + i, X'0A000002', X'C0000201', 6, i, 443, 0,"
               " 0, 1 FROM n");
    CHECK(store.history_row_counts().host_traffic == 12100);  // the triggers' count
    Store reopened(dir.file("netmon.db"));  // counts the flow log it finds
    CHECK(reopened.flow_log_rows() == 8000);
    Reconciler reconciler(reopened, lab_filter());
    TextSource source(flow_line("10.0.0.2", 1000, "192.0.2.1", 100, 1000));
    CycleResult first = reconciler.run_cycle(source, t0);
    // One batch of each table at most.
    CHECK(first.history_pruned == 2 * history_pruning_batch);
    CHECK(query_int(reopened.database(), "SELECT count(*) FROM host_traffic WHERE step = 60 AND bucket < " +
                                             std::to_string(t0 - 24 * hour)) == 12000 - 5000);
    // The rest in the next cycles, at once: a whole batch went, so more may wait.
    std::uint64_t more = 0;
    for (int i = 1; i <= 3; ++i) more += reconciler.run_cycle(source, t0 + i * 1000).history_pruned;
    CHECK(more == 7000 + 3000);
    Database& after = reopened.database();
    CHECK(query_int(after, "SELECT count(*) FROM host_traffic WHERE step = 60 AND bucket < " + std::to_string(t0 - 24 * hour)) == 0);
    CHECK(query_int(after, "SELECT count(*) FROM host_traffic WHERE step = 60 AND bucket <= " +
                               std::to_string(t0) + " AND bucket > " + std::to_string(t0 - 24 * hour)) == 100);
    CHECK(reopened.history_row_counts().host_traffic ==
          static_cast<std::uint64_t>(query_int(after, "SELECT count(*) FROM host_traffic")));
    CHECK(query_int(after, "SELECT count(*) FROM flow_log") == 0);
    CHECK(reopened.flow_log_rows() == 0);
    CHECK(query_int(after, "SELECT value FROM meta WHERE key = 'history_rows_pruned_total'") == 20000);

    // By rows: past flow_log_max_rows, the oldest go.
    Retention small;
    small.flow_log_max_rows = 3;
    reconciler.set_retention(small);
    for (unsigned port = 2000; port < 2010; ++port) {
        source.set(flow_line("10.0.0.2", port, "192.0.2.1", 1, 1));
        reconciler.run_cycle(source, t0 + 10'000 + port);
    }
    CHECK(reopened.flow_log_rows() >= 9);  // nothing pruned within the minute
    reconciler.run_cycle(source, t0 + 10 * minute);
    CHECK(query_int(after, "SELECT count(*) FROM flow_log") == 3);
    CHECK(query_text(after, "SELECT group_concat(src_port) FROM (SELECT src_port FROM flow_log ORDER BY ended_at)") ==
          "2006,2007,2008");
}

TEST_CASE("past their row caps, the pairs' oldest buckets and longest silent contacts go first", "[history]") {
    constexpr std::int64_t day = 24 * hour;
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    Retention small;
    small.host_traffic_max_rows = 12;
    small.device_hosts_max = 3;
    reconciler.set_retention(small);
    TextSource source("");
    reconciler.run_cycle(source, t0);  // the baseline, empty
    // A new remote host each day, for six days: each adds its pair's minute, hour and day row;
    // a pair's minutes go after 24 hours.
    std::string flows;
    for (int d = 0; d < 6; ++d) {
        flows += flow_line("10.0.0.2", 1000 + d, "192.0.2." + std::to_string(d + 1), 100, 1000);
        source.set(flows);
        reconciler.run_cycle(source, t0 + d * (day + hour));  // yesterday's minute is 25 hours old
        Database& db = store.database();
        // The triggers' counts are the tables' counts.
        CHECK(store.history_row_counts().host_traffic ==
              static_cast<std::uint64_t>(query_int(db, "SELECT count(*) FROM host_traffic")));
        CHECK(store.history_row_counts().device_hosts ==
              static_cast<std::uint64_t>(query_int(db, "SELECT count(*) FROM device_hosts")));
    }
    Database& db = store.database();
    // 6 hours + 6 days + today's minute = 13 rows (yesterday's minute went by age): the oldest
    // bucket, host 1's day, went.
    CHECK(query_int(db, "SELECT count(*) FROM host_traffic") == 12);
    CHECK(query_int(db, "SELECT count(*) FROM host_traffic WHERE host = X'C0000201'") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM host_traffic WHERE host = X'C0000201' AND step = 3600") == 1);
    // The pairs silent longest went; the devices' own traffic is all there.
    CHECK(query_text(db, "SELECT group_concat(hex(host)) FROM (SELECT host FROM device_hosts ORDER BY host)") ==
          "C0000204,C0000205,C0000206");
    CHECK(query_int(db, "SELECT sum(uplink_bytes) FROM traffic WHERE device = X'0A000002' AND step = 86400") == 600);
    CHECK(query_int(db, "SELECT sum(hosts) FROM device_host_days") == 3);
}

TEST_CASE("device_host_days counts each pair once, in the day of its last contact, whatever moves", "[history]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Database& db = store.database();
    std::mt19937 random(12);
    // Random contacts (some before 1970, some at a day's edge), updates that move a pair's
    // last contact forwards or not at all, and deletes, through the ingest's own upsert.
    for (int i = 0; i < 3000; ++i) {
        const int device = static_cast<int>(random() % 3), host = static_cast<int>(random() % 40);
        const std::int64_t at = static_cast<std::int64_t>(random() % 10) * 86'400'000 - 3 * 86'400'000 +
                                static_cast<std::int64_t>(random() % 3) * 43'200'000 - 1 +
                                static_cast<std::int64_t>(random() % 3);
        if (random() % 10 == 0) {
            db.execute("DELETE FROM device_hosts WHERE host = " + blob(("192.0.2." + std::to_string(host)).c_str()));
            continue;
        }
        store.write([&] {
            ContactRow row{*IpAddress::parse(("10.0.0." + std::to_string(device + 2)).c_str()),
                           *IpAddress::parse(("192.0.2." + std::to_string(host)).c_str()), at, at, {}};
            row.sums.uplink_bytes = 1;
            store.add_contact(row);
        });
    }
    CHECK(query_int(db, "SELECT count(*) FROM device_hosts") > 50);
    // Against a count from scratch.
    const std::string brute =
        "SELECT group_concat(device || ':' || day || ':' || n) FROM (SELECT hex(device) AS device,"
        " last_seen_at - ((last_seen_at % 86400000) + 86400000) % 86400000 AS day, count(*) AS n"
        " FROM device_hosts GROUP BY 1, 2 ORDER BY 1, 2)";
    const std::string kept =
        "SELECT group_concat(device || ':' || day || ':' || n) FROM (SELECT hex(device) AS device, day, hosts AS n"
        " FROM device_host_days ORDER BY 1, 2)";
    CHECK(query_text(db, kept) == query_text(db, brute));
}

TEST_CASE("a flow ends at its last activity, its last event when no read saw it and not its DESTROY", "[history]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    Reconciler reconciler(store, lab_filter());
    TextSource source;
    reconciler.run_cycle(source, t0);
    // E: born after the read by its NEW, answered (UPDATE) at 2 s, DESTROYed by its timeout at
    // 32 s with its only counters. F: read at 60 s, then moved and DESTROYed at 61 s.
    const std::string tuple = "src=10.0.0.2 dst=192.0.2.1 sport=5000 dport=53 src=192.0.2.1 dst=198.51.100.2 "
                              "sport=53 dport=5000";
    reconciler.apply_events({event("[NEW] ipv4 2 udp 17 30 " + tuple + " [UNREPLIED] mark=0 use=1")}, t0 + 1'000);
    reconciler.apply_events({event("[UPDATE] ipv4 2 udp 17 30 " + tuple + " mark=0 use=1")}, t0 + 2'000);
    reconciler.apply_events({event(flow_line("10.0.0.2", 5000, "192.0.2.1", 80, 200, "[DESTROY] "))}, t0 + 32'000);
    source.set(flow_line("10.0.0.2", 5001, "192.0.2.1", 80, 200));
    reconciler.run_cycle(source, t0 + 60'000);
    reconciler.apply_events({event(flow_line("10.0.0.2", 5001, "192.0.2.1", 90, 300, "[DESTROY] "))}, t0 + 61'000);
    Database& db = store.database();
    CHECK(query_int(db, "SELECT ended_at - " + std::to_string(t0) + " FROM flow_log WHERE src_port = 5000") == 2'000);
    CHECK(query_int(db, "SELECT uplink_bytes FROM flow_log WHERE src_port = 5000") == 80);
    CHECK(query_int(db, "SELECT ended_at - " + std::to_string(t0) + " FROM flow_log WHERE src_port = 5001") == 61'000);
}
