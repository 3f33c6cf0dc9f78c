#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "ingest_health.h"
#include "ingest_loop.h"

using namespace netmon::web;

namespace {

IngestStatus healthy(std::int64_t now) {
    IngestStatus status;
    status.interval_ms = 1000;
    status.last_cycle_at = now - 400;
    status.last_good_cycle_at = now - 400;
    status.last_cycle_ok = 1;
    status.accounting = "on";
    return status;
}

}  // namespace

TEST_CASE("fresh: the last good cycle within three intervals") {
    const std::int64_t now = 1'000'000;
    IngestHealth health = evaluate_ingest(healthy(now), now, 1000);
    CHECK(health.fresh);
    CHECK(health.notices.empty());
    CHECK(health.last_good_age_ms == 400);

    IngestStatus edge = healthy(now);
    edge.last_good_cycle_at = now - 3000;
    CHECK(evaluate_ingest(edge, now, 1000).fresh);
    edge.last_good_cycle_at = now - 3001;
    CHECK_FALSE(evaluate_ingest(edge, now, 1000).fresh);
}

TEST_CASE("the last cycle's duration is allowed for: a slow cycle is late, not stale") {
    const std::int64_t now = 1'000'000;
    IngestStatus status = healthy(now);
    status.last_cycle_ms = 1300;
    status.last_good_cycle_at = now - 4300;
    CHECK(evaluate_ingest(status, now, 1000).fresh);
    status.last_good_cycle_at = now - 4301;
    CHECK_FALSE(evaluate_ingest(status, now, 1000).fresh);
    status.last_cycle_ms = -5;  // nonsense is no allowance
    status.last_good_cycle_at = now - 3001;
    CHECK_FALSE(evaluate_ingest(status, now, 1000).fresh);
}

TEST_CASE("a loaded ingest, its cycles longer than the interval, is never called stale") {
    // The ingest's schedule (ingest_loop.h) and stamps (the end of each good cycle), against the
    // web's rule, every 10 ms. Issue 10, defect 7: under load /healthz said 503 a third of the
    // time, because the age ran from a cycle's start and an overrun skipped a slot.
    using Clock = std::chrono::steady_clock;
    const std::chrono::milliseconds interval(1000);
    const std::int64_t durations[] = {1300, 900, 1500, 400, 2500, 1300, 1300, 50, 1900, 1000, 1300, 700};
    const Clock::time_point origin{};
    const std::int64_t wall_origin = 1'800'000'000'000;  // the wall clock at origin
    auto wall = [&](Clock::time_point t) {
        return wall_origin + std::chrono::duration_cast<std::chrono::milliseconds>(t - origin).count();
    };
    struct Commit {
        std::int64_t at;
        std::int64_t took;
    };
    std::vector<Commit> commits;
    Clock::time_point start = origin;
    for (int round = 0; round < 5; ++round) {
        for (std::int64_t took : durations) {
            const Clock::time_point end = start + std::chrono::milliseconds(took);
            commits.push_back({wall(end), took});
            start = netmon::next_cycle_start(start, end, interval);
        }
    }
    std::size_t checked = 0;
    std::size_t last = 0;
    for (std::int64_t now = commits.front().at; now < commits.back().at; now += 10) {
        while (last + 1 < commits.size() && commits[last + 1].at <= now) ++last;
        IngestStatus status;
        status.interval_ms = interval.count();
        status.last_cycle_at = status.last_good_cycle_at = commits[last].at;
        status.last_cycle_ms = commits[last].took;
        status.last_cycle_ok = 1;
        IngestHealth health = evaluate_ingest(status, now, 1000);
        INFO("at " << now - wall_origin << " ms, the last commit " << now - commits[last].at << " ms ago");
        REQUIRE(health.fresh);
        ++checked;
    }
    CHECK(checked > 5000);
}

TEST_CASE("stale data says what to do") {
    const std::int64_t now = 1'000'000;
    IngestStatus status = healthy(now);
    status.last_good_cycle_at = now - 125'000;
    status.last_cycle_at = now - 125'000;
    IngestHealth health = evaluate_ingest(status, now, 1000);
    CHECK_FALSE(health.fresh);
    REQUIRE(health.notices.size() == 1);
    CHECK(health.notices[0].level == Notice::Level::error);
    CHECK(health.notices[0].text.find("2 min old") != std::string::npos);
    CHECK(health.notices[0].text.find("systemctl status netmon-ingest") != std::string::npos);
}

TEST_CASE("the meta interval decides, else the configured one") {
    const std::int64_t now = 1'000'000;
    IngestStatus status = healthy(now);
    status.interval_ms = 10'000;
    status.last_good_cycle_at = now - 20'000;
    CHECK(evaluate_ingest(status, now, 1000).fresh);
    status.interval_ms.reset();
    CHECK_FALSE(evaluate_ingest(status, now, 1000).fresh);
    CHECK(evaluate_ingest(status, now, 10'000).fresh);
}

TEST_CASE("no cycle yet, a failed cycle, accounting off") {
    const std::int64_t now = 1'000'000;
    IngestHealth none = evaluate_ingest(IngestStatus{}, now, 1000);
    CHECK_FALSE(none.fresh);
    REQUIRE(none.notices.size() == 1);
    CHECK(none.notices[0].text.starts_with("netmon-ingest has not finished a cycle yet"));

    IngestStatus failed = healthy(now);
    failed.last_cycle_ok = 0;
    failed.last_error = "cannot read /proc/net/nf_conntrack: Permission denied";
    IngestHealth health = evaluate_ingest(failed, now, 1000);
    CHECK(health.fresh);  // the last good cycle is still recent
    REQUIRE(health.notices.size() == 1);
    CHECK(health.notices[0].text.find("Permission denied") != std::string::npos);

    IngestStatus off = healthy(now);
    off.accounting = "off";
    health = evaluate_ingest(off, now, 1000);
    REQUIRE(health.notices.size() == 1);
    CHECK(health.notices[0].level == Notice::Level::warning);
    CHECK(health.notices[0].text.find("sysctl -w net.netfilter.nf_conntrack_acct=1") != std::string::npos);
}

TEST_CASE("meta values: integers, integers as text, text") {
    IngestStatus status;
    status.set("interval_ms", 500, "500");
    status.set("cycles_total", std::nullopt, "42");
    status.set("resyncs_total", std::nullopt, "not a number");
    status.set("last_error", std::nullopt, "boom");
    status.set("some_future_key", 1, "1");
    CHECK(status.interval_ms == 500);
    CHECK(status.cycles_total == 42);
    CHECK_FALSE(status.resyncs_total);
    CHECK(status.last_error == "boom");
}
