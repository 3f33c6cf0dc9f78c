// The coverage end to end without a kernel: the ingest's Reconciler and Store write a cycle's
// flows and the WAN's bytes of the same cycle (wan_traffic) into a real SQLite file; netmon-web
// reads the last hour's ratio each way, and says it and the ingest's causes in the summary,
// /coverage, /metrics.json, /healthz's body and Prometheus.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "api_json.h"
#include "coverage.h"
#include "coverage/coverage_causes.h"
#include "coverage_page.h"
#include "dashboard.h"
#include "db_support.h"
#include "ingest_health.h"
#include "netmon/meta_keys.h"
#include "prometheus.h"
#include "queries.h"
#include "reconciler.h"
#include "retention.h"
#include "store.h"
#include "test_support.h"

using namespace netmon;
using namespace netmon::web;
using netmon::test::TempDir;
using netmon::test::TextSource;

namespace {

// 2026-12-02T10:00:00Z
constexpr std::int64_t t0 = 1'796'205'600'000;
constexpr std::int64_t minute = 60'000;

std::string flow_line(unsigned sport, std::uint64_t up, std::uint64_t down) {
    return "ipv4 2 tcp 6 300 ESTABLISHED src=10.0.0.11 dst=192.0.2.10 sport=" + std::to_string(sport) +
           " dport=443 packets=10 bytes=" + std::to_string(up) + " src=192.0.2.10 dst=198.51.100.2 sport=443 dport=" +
           std::to_string(sport) + " packets=20 bytes=" + std::to_string(down) + " [ASSURED] mark=0 use=1\n";
}

netmon::TrafficSums wan(std::uint64_t up, std::uint64_t down) {
    netmon::TrafficSums sums;
    sums.uplink_bytes = up;
    sums.downlink_bytes = down;
    sums.uplink_packets = up / 100;
    sums.downlink_packets = down / 100;
    return sums;
}

// An ingest's database after cycles: a flow that moved 1,000 up and 99,000 down after the
// first read, while the WAN carried 1,000 / 100,000 more (its own traffic beside it), and the
// history flushed.
struct Ingested {
    TempDir dir;
    std::string path = dir.file("netmon.db");
    Ingested() {
        Store store(path);
        Reconciler reconciler(store, test::lab_filter());
        TextSource source(flow_line(40000, 500, 1000));
        reconciler.run_cycle(source, t0);  // the baseline: a new database's flows were there before
        source.set(flow_line(40000, 1500, 100000));
        reconciler.add_wan(wan(1000, 100000));
        reconciler.run_cycle(source, t0 + 20'000);
        reconciler.flush_history(t0 + 21'000);
        store.write([&] {
            store.set_meta(meta::coverage_causes,
                           causes_json({{"zero_on_read", "Another program zeroes the counters.", "stop it"}}));
            store.set_meta(meta::wan_interface, "enp2s0");
        });
    }
};

IngestView view_of(Ingested& db, std::int64_t now) {
    Reader reader(Database(db.path, Database::Mode::read_only));
    IngestView view;
    view.summary = reader.summary(now);
    view.status = reader.ingest_status();
    view.coverage = reader.coverage().last_hour(now);
    view.health = evaluate_ingest(view.status, now, 1000);
    return view;
}

}  // namespace

TEST_CASE("coverage: the ingest's cycle writes the WAN's bytes beside the flows', and the web divides them") {
    Ingested db;
    {
        Database check(db.path, Database::Mode::read_only);
        CHECK(test::query_int(check, "SELECT downlink_bytes FROM wan_traffic WHERE step = 60") == 100000);
        CHECK(test::query_int(check, "SELECT downlink_bytes FROM wan_traffic WHERE step = 3600") == 100000);
        CHECK(test::query_int(check, "SELECT count(*) FROM wan_traffic") == 3);  // a minute, an hour, a day
    }
    const IngestView view = view_of(db, t0 + 30'000);
    REQUIRE(view.coverage.measured);
    CHECK(view.coverage.downlink.seen_bytes == 99000);
    CHECK(view.coverage.downlink.wan_bytes == 100000);
    CHECK(view.coverage.uplink.seen_bytes == 1000);
    CHECK(*view.coverage.uplink.ratio() == Approx(1.0));
    CHECK(*view.coverage.downlink.ratio() == Approx(0.99));
    CHECK(percent_text(*view.coverage.total().ratio()) == "99.0%");
    // Pruned with the LAN's rows, by the same ages: the minutes go, the hour stays.
    {
        Store store(db.path);
        HistoryPruning pruning;
        pruning.minute_before = t0 + minute;
        pruning.batch = 1000;
        store.write([&] { store.prune_history(pruning); });
        Database check(db.path, Database::Mode::read_only);
        CHECK(test::query_int(check, "SELECT count(*) FROM wan_traffic WHERE step = 60") == 0);
        CHECK(test::query_int(check, "SELECT count(*) FROM wan_traffic WHERE step = 3600") == 1);
        CHECK(test::query_int(check, "SELECT count(*) FROM traffic WHERE step = 60") == 0);
    }
    // An hour later the minute is out of the window: nothing measured.
    const IngestView later = view_of(db, t0 + 61 * minute);
    CHECK_FALSE(later.coverage.measured);
    CHECK_FALSE(later.coverage.total().ratio());
}

TEST_CASE("coverage: said in the summary, /coverage, /metrics.json, /healthz's body and Prometheus") {
    Ingested db;
    const std::int64_t now = t0 + 30'000;
    const IngestView view = view_of(db, now);

    // The cause is a notice (the dashboard's, /metrics.json's), with its fix.
    bool noticed = false;
    for (const Notice& n : view.health.notices)
        noticed |= n.text == "Another program zeroes the counters. Fix: stop it.";
    CHECK(noticed);

    DashboardView page;
    page.ingest = view;
    page.now_ms = now;
    const std::string html = render_dashboard(page);
    CHECK(html.find("netmon sees <strong>99.0%</strong> of the WAN's bytes this hour") != std::string::npos);
    CHECK(html.find("href=\"/coverage\"") != std::string::npos);

    const std::string coverage = render_coverage_page(view, now);
    CHECK(coverage.find("<code>enp2s0</code>") != std::string::npos);
    CHECK(coverage.find("99.0%") != std::string::npos);
    CHECK(coverage.find("Another program zeroes the counters.") != std::string::npos);

    const nlohmann::json metrics = nlohmann::json::parse(metrics_json(SystemSample{}, view, now));
    const nlohmann::json& c = metrics["netmon"]["coverage"];
    CHECK(c["downlink"]["ratio"].get<double>() == Approx(0.99));
    CHECK(c["downlink"]["wan_bytes"] == 100000);
    CHECK(c["wan_interface"] == "enp2s0");
    CHECK(c["causes"][0]["id"] == "zero_on_read");

    // /healthz: the causes in its body; its status is freshness alone.
    const nlohmann::json health = nlohmann::json::parse(health_json(view, now));
    CHECK(health["coverage"]["causes"][0]["fix"] == "stop it");

    MetricsInput input;
    input.database_up = true;
    input.ingest = view.status;
    input.health = view.health;
    input.coverage = view.coverage;
    const std::string text = render_prometheus(input);
    CHECK(text.find("netmon_coverage_ratio{direction=\"downlink\"} 0.99") != std::string::npos);
    CHECK(text.find("netmon_coverage_ratio{direction=\"uplink\"} 1") != std::string::npos);
    CHECK(text.find("netmon_coverage_cause{cause=\"zero_on_read\"} 1") != std::string::npos);
}

TEST_CASE("coverage: causes that are not an array of causes are none, and percents are as people read them") {
    CHECK(parse_causes("").empty());
    CHECK(parse_causes("{\"id\":\"x\"}").empty());
    CHECK(parse_causes("[1, {\"id\": 2}, {\"id\": \"a\", \"text\": \"b\"}]").size() == 1);
    CHECK(percent_text(0.987) == "98.7%");
    CHECK(percent_text(0.99951) == "100%");
    CHECK(percent_text(1.0004) == "100%");
    CHECK(percent_text(1.013) == "101.3%");
    CHECK(percent_text(0) == "0.0%");
    CoverageDirection none;
    CHECK_FALSE(none.ratio());
}
