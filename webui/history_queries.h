#pragma once
// The SQL of the history endpoints (/devices.json, /history.json, /flows.json and
// /hosts.json?device=, docs/API.md) over the tables of schema/005_history_size.sql, with its
// statements prepared once per connection and every value bound. The choice of buckets a
// window reads (plan_window) and the zero-filling of a series (fill_points) are pure.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "history_rows.h"
#include "netmon/database.h"
#include "request_params.h"

namespace netmon::web {

// How long the ingest keeps each step of traffic (retention.traffic_* of netmon.yml: a device's
// and the LAN's rows) and of host_traffic (retention.host_traffic_*: each pair's, kept shorter);
// 0: not kept. The defaults are the ingest's.
struct HistoryRetention {
    std::int64_t minute_hours = 48;
    std::int64_t hour_days = 90;
    std::int64_t day_days = 730;
    std::int64_t host_minute_hours = 24;
    std::int64_t host_hour_days = 7;
    std::int64_t host_day_days = 90;
};

// Buckets of one step, first_bucket to last_bucket (their starts, ms, both included).
struct BucketRun {
    std::int64_t step = 3600;  // seconds
    std::int64_t first_bucket = 0;
    std::int64_t last_bucket = 0;
    friend bool operator==(const BucketRun&, const BucketRun&) = default;
};

// What a window of /devices.json or /hosts.json?device= reads: the whole buckets [from_ms,
// to_ms) of step, the current one last, read as runs that cover them exactly.
struct WindowPlan {
    std::int64_t step = 3600;
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;  // the end of the current bucket
    std::vector<BucketRun> runs;
};

// 1h: the 60 minute buckets ending with the current one; 24h, 7d, 30d: hour buckets; a step
// whose retention is shorter than the window gives way to the next one that keeps it (day
// buckets). Whole days inside an hour window are read as day buckets, which hold the same
// bytes as their 24 hours (every step holds every byte), so that 30 days read some 80 rows per
// device rather than 720.
WindowPlan plan_window(const HistoryWindow& window, std::int64_t now_ms, const HistoryRetention& retention);

// The same for the rows of each pair (/hosts.json?device=), with the pair retentions: 1h, 24h
// and 7d as plan_window gives them. A window longer than the pairs' hours are kept (30d: hours
// 7 days) is read in the day buckets of the days it ends with, today's included (30d: the 29
// days before today, no hours of the day before them, which are gone); today is then read in
// its hours when they are kept, so that the window ends with the current hour as the devices'
// does and bytes booked in a later hour (a clock stepped back) are left out.
WindowPlan plan_host_window(const HistoryWindow& window, std::int64_t now_ms, const HistoryRetention& retention);

// Every bucket of range, in order: the rows' sums where there is a row, zeros elsewhere. Rows
// outside the range are ignored.
std::vector<HistoryPoint> fill_points(const HistoryRange& range, const std::vector<HistoryPoint>& rows);

// Sorted as /devices.json lists them: total bytes descending, then by address.
void sort_devices(std::vector<DeviceRow>& rows);
// One row per device: the rows of addresses with the same MAC (mac_of) added up (traffic,
// remote hosts, active connections; the first first_seen_at, the last last_seen_at), their
// addresses listed, device the lowest of them; sorted. A remote host two addresses of one
// device talked to counts twice in its remote_hosts.
std::vector<DeviceRow> group_devices(std::vector<DeviceRow> rows,
                                     const std::function<std::optional<MacAddress>(const IpAddress&)>& mac_of);

class HistoryQueries {
public:
    // Prepares the statements on db, which must have the history tables (schema version 5 or
    // later). Keeps no reference to db: its statements keep the connection. Throws DatabaseError.
    explicit HistoryQueries(const Database& db);

    // The devices with traffic in the plan's buckets or with active connections, sorted. Their
    // traffic and remote_hosts, which only a flush of the ingest changes, are kept between calls
    // for as long as meta's history_flushed_at stays the same (and the window's buckets do);
    // active_connections and the times are read each time. Call it inside a read transaction,
    // so that history_flushed_at and the rows come from one snapshot.
    std::vector<DeviceRow> devices(const WindowPlan& plan);
    // The series of one level (see docs/API.md): the LAN, a device, a pair, or a host from every
    // device; zero-filled. A host's series from every device is the sum of its pairs' rows in each
    // pair's span of contact (device_hosts' first_seen_at to last_seen_at, where the ingest books
    // all of them): a pair row outside it, or one whose device_hosts row is gone, is not counted.
    // A device is the sum of its addresses' series: devices are request.device's addresses
    // (NameQueries::resolve: a MAC's, which may be none); when empty, an address's own.
    std::vector<HistoryPoint> history(const HistoryRequest& request, const HistoryRange& range,
                                      std::span<const IpAddress> devices = {});
    // The remote hosts of one device (all of its addresses) with traffic in the plan's buckets (a
    // plan_host_window), by total bytes descending, at most limit; first and last contact over
    // all of its addresses.
    std::vector<DeviceHostRow> device_hosts(std::span<const IpAddress> device, const WindowPlan& plan,
                                            std::size_t limit);
    std::vector<DeviceHostRow> device_hosts(const IpAddress& device, const WindowPlan& plan, std::size_t limit) {
        return device_hosts(std::span<const IpAddress>(&device, 1), plan, limit);
    }
    // Calls row for each ended flow that matches, newest (ended_at, then id) first. The row is
    // only valid during the call. devices as for history().
    void flows(const FlowLogRequest& request, const std::function<void(const FlowLogRow&)>& row,
               std::span<const IpAddress> devices = {});
    // Every device's counters since its first contact, by address.
    std::vector<DeviceTotalsRow> device_totals();

    // SQLite's plans for every statement, one list of lines each, for the test that makes sure
    // none reads a whole table of traffic or flow_log.
    static std::vector<std::vector<std::string>> plans(const Database& db);

private:
    // What devices() keeps of one window.
    struct WindowSums {
        std::optional<std::int64_t> flushed_at;  // none: not to be used again
        std::int64_t step = 0;
        std::int64_t from_ms = 0;
        std::int64_t to_ms = 0;
        std::unordered_map<std::string, TrafficSums> traffic;       // by the device's stored bytes
        std::unordered_map<std::string, std::int64_t> remote_hosts;  // by the device's stored bytes
    };
    WindowSums& window_sums(const WindowPlan& plan);

    Statement flushed_at_;
    Statement device_traffic_;
    Statement device_rows_;
    Statement remote_hosts_;
    Statement series_;
    Statement pair_series_;
    Statement host_series_;
    Statement host_traffic_;
    Statement device_host_;
    Statement flows_by_end_;
    Statement flows_by_device_;
    Statement flows_by_host_;
    Statement device_totals_;
    std::vector<WindowSums> window_sums_;  // the last windows asked for, at most max_kept_windows
};

}  // namespace netmon::web
