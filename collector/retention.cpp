#include "retention.h"

#include <algorithm>
#include <limits>

namespace netmon {

HostPruning plan_host_pruning(const Retention& retention, std::int64_t now_ms, std::uint64_t hosts,
                              std::uint64_t touched) {
    constexpr std::int64_t day_ms = 24 * 3600 * 1000;
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
