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

// What the history's pruning deletes (schema/004_history.sql, 005_history_size.sql): rows older
// than their retention, and past the row caps the oldest. A retention of 0 keeps nothing of its
// table.
struct HistoryPruning {
    // traffic rows (devices and the LAN) of each step (60, 3600, 86400) whose bucket began before these
    std::int64_t minute_before = 0;
    std::int64_t hour_before = 0;
    std::int64_t day_before = 0;
    // host_traffic rows (pairs) of each step whose bucket began before these
    std::int64_t host_minute_before = 0;
    std::int64_t host_hour_before = 0;
    std::int64_t host_day_before = 0;
    std::uint64_t host_traffic_over = 0;    // rows past host_traffic_max_rows: the oldest buckets go
    std::int64_t flow_log_before = 0;       // flows that ended before this
    std::uint64_t flow_log_over = 0;        // rows past flow_log_max_rows: the oldest go
    std::int64_t device_hosts_before = 0;   // pairs without contact since (the pairs' longest age)
    std::uint64_t device_hosts_over = 0;    // rows past device_hosts_max: the longest without contact go
    std::int64_t devices_before = 0;        // devices without contact since (the longest age), and no connections
    // LAN addresses not seen since (retention.traffic_per_day_days), and the names of devices
    // with neither an address nor a devices row, not updated since.
    std::int64_t lan_addresses_before = 0;
    // DNS names (schema/006_names.sql): answers older than host_traffic_per_day_days, and past
    // names_max_rows each table's oldest.
    std::int64_t names_before = 0;
    std::uint64_t remote_names_over = 0;
    std::uint64_t host_names_over = 0;
    std::uint64_t batch = 0;                // at most this many rows of each table in one step
};

// The rows of the capped tables now.
struct HistoryRowCounts {
    std::uint64_t flow_log = 0;
    std::uint64_t host_traffic = 0;
    std::uint64_t device_hosts = 0;
    std::uint64_t remote_names = 0;
    std::uint64_t host_names = 0;
};

// The most rows remote_names and host_names keep each: a LAN device can fill them at will
// (answers for random names), and netmon-web reads them on every page.
inline constexpr std::uint64_t names_max_rows = 200'000;

// Rows one step of the history's pruning deletes from each table, at most: a few ms of writing.
inline constexpr std::uint64_t history_pruning_batch = 5000;
// How often the history is pruned when nothing is left over from the last step.
inline constexpr std::int64_t history_pruning_period_ms = 60'000;

HistoryPruning plan_history_pruning(const Retention& retention, std::int64_t now_ms, const HistoryRowCounts& rows);

}  // namespace netmon
