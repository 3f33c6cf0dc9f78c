#include <catch2/catch.hpp>

#include "retention.h"

using namespace netmon;

namespace {

constexpr std::int64_t day_ms = 86'400'000;
constexpr std::int64_t now = 1'795'500'000'000;

}  // namespace

TEST_CASE("the age bound: hosts last seen more than remote_hosts_days ago", "[retention]") {
    Retention retention;  // 90 days, 200,000 hosts
    HostPruning p = plan_host_pruning(retention, now, 10, 0);
    CHECK(p.forget_before_ms == now - 90 * day_ms);
    CHECK(p.over_limit == 0);
    CHECK(p.batch == min_pruning_batch);
    retention.remote_hosts_days = 1;
    CHECK(plan_host_pruning(retention, now, 10, 0).forget_before_ms == now - day_ms);
    // A clock near the start of time forgets nothing rather than overflow.
    retention.remote_hosts_days = 36'500;
    CHECK(plan_host_pruning(retention, INT64_MIN + 5, 10, 0).forget_before_ms == INT64_MIN);
}

TEST_CASE("the count bound: the rows past remote_hosts_max", "[retention]") {
    Retention retention;
    retention.remote_hosts_max = 1000;
    CHECK(plan_host_pruning(retention, now, 999, 0).over_limit == 0);
    CHECK(plan_host_pruning(retention, now, 1000, 0).over_limit == 0);
    CHECK(plan_host_pruning(retention, now, 1001, 0).over_limit == 1);
    CHECK(plan_host_pruning(retention, now, 300'000, 0).over_limit == 299'000);
}

TEST_CASE("a batch is small, but never smaller than what was written since the last one", "[retention]") {
    Retention retention;
    retention.remote_hosts_max = 1000;
    // 299,000 too many: a thousand a cycle, not all at once.
    CHECK(plan_host_pruning(retention, now, 300'000, 0).batch == min_pruning_batch);
    CHECK(plan_host_pruning(retention, now, 300'000, 10).batch == min_pruning_batch);
    // A flood of 50,000 new hosts since the last cycle: as many go, so the table cannot grow.
    CHECK(plan_host_pruning(retention, now, 51'000, 50'000).batch == 50'000);
}
