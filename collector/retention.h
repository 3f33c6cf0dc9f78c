#pragma once
// Which remote hosts the ingest forgets, and how many in one cycle (retention.* of netmon.yml).
// Decided here without a database or a clock; Store::prune_hosts deletes. remote_hosts is the
// one table a LAN device can grow at will (one UDP packet to each of many random addresses), so
// it has two bounds: an age (no contact for remote_hosts_days) and a row count
// (remote_hosts_max, past which those longest without contact go first). A host with an active
// connection is never forgotten, so the table holds at most remote_hosts_max rows plus the
// hosts of active connections.

#include <cstdint>

#include "netmon/config.h"

namespace netmon {

struct HostPruning {
    std::int64_t forget_before_ms = 0;  // hosts last seen before this go (the age bound)
    std::uint64_t over_limit = 0;       // rows past remote_hosts_max: the longest without contact go
    std::uint64_t batch = 0;            // at most this many rows deleted in this cycle, both bounds together
};

// The fewest rows a cycle may delete: a few ms of writing.
inline constexpr std::uint64_t min_pruning_batch = 1000;

// hosts: the rows remote_hosts has now; touched: the hosts written since the last pruning (the
// new ones are among them). The batch is at least min_pruning_batch and at least touched, so
// the table cannot outgrow its bound however fast hosts come, and a cycle deletes no more than
// it just wrote, or a thousand rows: never a long write.
HostPruning plan_host_pruning(const Retention& retention, std::int64_t now_ms, std::uint64_t hosts,
                              std::uint64_t touched);

}  // namespace netmon
