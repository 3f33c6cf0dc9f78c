#include "retention.h"

#include <algorithm>
#include <limits>

namespace netmon {

namespace {

constexpr std::int64_t hour_ms = 3600 * 1000;
constexpr std::int64_t day_ms = 24 * hour_ms;

// now - age, or the earliest time when that is before it; an age of 0 keeps nothing (the
// latest time: everything is older). Ages are at most 36,500 days (config.cpp): no overflow.
std::int64_t keep_since(std::int64_t now_ms, std::int64_t age_ms) {
    if (age_ms <= 0) return std::numeric_limits<std::int64_t>::max();
    return now_ms > std::numeric_limits<std::int64_t>::min() + age_ms ? now_ms - age_ms
                                                                      : std::numeric_limits<std::int64_t>::min();
}

}  // namespace

HistoryPruning plan_history_pruning(const Retention& retention, std::int64_t now_ms, const HistoryRowCounts& rows) {
    HistoryPruning pruning;
    const std::int64_t minute_age = retention.traffic_per_minute_hours * hour_ms;
    const std::int64_t hour_age = retention.traffic_per_hour_days * day_ms;
    const std::int64_t day_age = retention.traffic_per_day_days * day_ms;
    const bool pairs = retention.keeps_host_traffic();
    const std::int64_t host_minute_age = retention.host_minute_hours() * hour_ms;
    const std::int64_t host_hour_age = retention.host_hour_days() * day_ms;
    const std::int64_t host_day_age = retention.host_day_days() * day_ms;
    const std::int64_t log_age = retention.keeps_flow_log() ? retention.flow_log_days * day_ms : 0;
    pruning.minute_before = keep_since(now_ms, minute_age);
    pruning.hour_before = keep_since(now_ms, hour_age);
    pruning.day_before = keep_since(now_ms, day_age);
    pruning.host_minute_before = keep_since(now_ms, host_minute_age);
    pruning.host_hour_before = keep_since(now_ms, host_hour_age);
    pruning.host_day_before = keep_since(now_ms, host_day_age);
    pruning.flow_log_before = keep_since(now_ms, log_age);
    auto over = [](std::uint64_t count, std::uint64_t max) { return count > max ? count - max : 0; };
    pruning.host_traffic_over = over(rows.host_traffic, pairs ? retention.host_traffic_max_rows : 0);
    pruning.flow_log_over = over(rows.flow_log, retention.keeps_flow_log() ? retention.flow_log_max_rows : 0);
    // A pair's first and last contact are kept as long as any of its traffic is.
    const std::int64_t pair_age = std::max({host_minute_age, host_hour_age, host_day_age});
    pruning.device_hosts_before = keep_since(now_ms, pair_age);
    pruning.device_hosts_over = over(rows.device_hosts, pairs ? retention.device_hosts_max : 0);
    pruning.devices_before = keep_since(now_ms, std::max({minute_age, hour_age, day_age, pair_age, log_age}));
    // A device's MAC and name are kept as long as its daily traffic is, and no less than a day
    // (a retention of 0 keeps no traffic, but the LAN's devices are still known by name).
    pruning.lan_addresses_before = keep_since(now_ms, std::max<std::int64_t>(day_age, day_ms));
    pruning.names_before = keep_since(now_ms, retention.host_traffic_per_day_days * day_ms);
    pruning.remote_names_over = over(rows.remote_names, names_max_rows);
    pruning.host_names_over = over(rows.host_names, names_max_rows);
    pruning.batch = history_pruning_batch;
    return pruning;
}

HostPruning plan_host_pruning(const Retention& retention, std::int64_t now_ms, std::uint64_t hosts,
                              std::uint64_t touched) {
    HostPruning pruning;
    // Days are at most 36,500 (config.cpp): no overflow; a clock before 1970 forgets nothing.
    const std::int64_t age_ms = retention.remote_hosts_days * day_ms;
    pruning.forget_before_ms = now_ms > std::numeric_limits<std::int64_t>::min() + age_ms
                                   ? now_ms - age_ms
                                   : std::numeric_limits<std::int64_t>::min();
    pruning.over_limit = hosts > retention.remote_hosts_max ? hosts - retention.remote_hosts_max : 0;
    pruning.batch = std::max(min_pruning_batch, touched);
    return pruning;
}

}  // namespace netmon
