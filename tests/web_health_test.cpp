#include <catch2/catch.hpp>

#include "ingest_health.h"

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
