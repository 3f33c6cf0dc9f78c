#include "history_queries.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>

#include "columns.h"
#include "netmon/meta_keys.h"

namespace netmon::web {
namespace {

constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 86'400'000;

std::int64_t floor_to(std::int64_t ms, std::int64_t unit) {
    std::int64_t floored = ms / unit * unit;
    return floored > ms ? floored - unit : floored;
}

// Only the device-level fields of retention are read: plan_host_window passes the pairs' there.
std::int64_t kept_seconds(std::int64_t step, const HistoryRetention& retention) {
    if (step == 60) return retention.minute_hours * 3600;
    if (step == 3600) return retention.hour_days * 86400;
    return retention.day_days * 86400;
}

}  // namespace

WindowPlan plan_window(const HistoryWindow& window, std::int64_t now_ms, const HistoryRetention& retention) {
    static constexpr std::array<std::int64_t, 3> steps = {60, 3600, 86400};
    const std::int64_t preferred = window.seconds <= 3600 ? 60 : 3600;
    // The finest step that keeps the whole window; else the one that keeps the most of it.
    std::int64_t step = 0, longest = 0;
    for (std::int64_t candidate : steps) {
        if (candidate < preferred) continue;
        const std::int64_t kept = kept_seconds(candidate, retention);
        if (kept >= window.seconds) {
            step = candidate;
            break;
        }
        if (kept > longest) {
            longest = kept;
            step = candidate;
        }
    }
    if (step == 0) step = preferred;  // history is off: nothing to read, in any step

    WindowPlan plan;
    plan.step = step;
    const std::int64_t step_ms = step * 1000;
    plan.to_ms = floor_to(now_ms, step_ms) + step_ms;
    plan.from_ms = plan.to_ms - std::max<std::int64_t>(1, window.seconds / step) * step_ms;
    const std::int64_t first_day = floor_to(plan.from_ms + day_ms - 1, day_ms);
    const std::int64_t last_day_end = floor_to(plan.to_ms, day_ms);
    // Day buckets for the whole days, when they are kept a day longer than the window (the
    // oldest day bucket of the window is then surely still there).
    const bool by_days = step == 3600 && first_day < last_day_end &&
                         kept_seconds(86400, retention) >= window.seconds + 86400;
    if (!by_days) {
        plan.runs.push_back({step, plan.from_ms, plan.to_ms - step_ms});
        return plan;
    }
    if (plan.from_ms < first_day) plan.runs.push_back({3600, plan.from_ms, first_day - hour_ms});
    plan.runs.push_back({86400, first_day, last_day_end - day_ms});
    if (last_day_end < plan.to_ms) plan.runs.push_back({3600, last_day_end, plan.to_ms - hour_ms});
    return plan;
}

WindowPlan plan_host_window(const HistoryWindow& window, std::int64_t now_ms, const HistoryRetention& retention) {
    HistoryRetention pairs;
    pairs.minute_hours = retention.host_minute_hours;
    pairs.hour_days = retention.host_hour_days;
    pairs.day_days = retention.host_day_days;
    WindowPlan plan = plan_window(window, now_ms, pairs);
    // Day buckets only when a finer step is not kept as long as the window: then plan_window
    // gave one run of whole days, today's the last. Today's hours are surely kept when hours are
    // kept a day or more (the oldest, today's first, is less than a day old).
    if (plan.step != 86400 || pairs.hour_days <= 0 || plan.runs.size() != 1) return plan;
    const std::int64_t today = floor_to(now_ms, day_ms);
    const std::int64_t current_hour = floor_to(now_ms, hour_ms);
    plan.step = 3600;
    plan.to_ms = current_hour + hour_ms;
    plan.runs.clear();
    if (plan.from_ms < today) plan.runs.push_back({86400, plan.from_ms, today - day_ms});
    plan.runs.push_back({3600, today, current_hour});
    return plan;
}

std::vector<HistoryPoint> fill_points(const HistoryRange& range, const std::vector<HistoryPoint>& rows) {
    const std::int64_t step_ms = range.step * 1000;
    std::vector<HistoryPoint> points(range.points());
    for (std::size_t i = 0; i < points.size(); ++i)
        points[i].bucket = range.first_bucket + static_cast<std::int64_t>(i) * step_ms;
    for (const HistoryPoint& row : rows) {
        if (row.bucket < range.first_bucket || row.bucket > range.last_bucket) continue;
        if ((row.bucket - range.first_bucket) % step_ms != 0) continue;  // not a bucket of this step
        points[static_cast<std::size_t>((row.bucket - range.first_bucket) / step_ms)].traffic += row.traffic;
    }
    return points;
}

void sort_devices(std::vector<DeviceRow>& rows) {
    std::sort(rows.begin(), rows.end(), [](const DeviceRow& a, const DeviceRow& b) {
        const std::int64_t total_a = a.traffic.total_bytes(), total_b = b.traffic.total_bytes();
        if (total_a != total_b) return total_a > total_b;
        return a.device < b.device;
    });
}

std::vector<DeviceRow> group_devices(std::vector<DeviceRow> rows,
                                     const std::function<std::optional<MacAddress>(const IpAddress&)>& mac_of) {
    std::vector<DeviceRow> grouped;
    std::unordered_map<std::string, std::size_t> by_key;  // a MAC's bytes or an address's -> index
    for (DeviceRow& row : rows) {
        std::optional<MacAddress> mac = mac_of(row.device);
        std::string key(mac ? mac->blob() : row.device.blob());
        if (row.addresses.empty()) row.addresses = {row.device};
        auto [found, added] = by_key.emplace(std::move(key), grouped.size());
        if (added) {
            row.mac = mac;
            grouped.push_back(std::move(row));
            continue;
        }
        DeviceRow& device = grouped[found->second];
        device.traffic += row.traffic;
        device.remote_hosts = saturating_add(device.remote_hosts, row.remote_hosts);
        device.active_connections = saturating_add(device.active_connections, row.active_connections);
        device.first_seen_at = std::min(device.first_seen_at, row.first_seen_at);
        device.last_seen_at = std::max(device.last_seen_at, row.last_seen_at);
        device.addresses.insert(device.addresses.end(), row.addresses.begin(), row.addresses.end());
    }
    for (DeviceRow& device : grouped) {
        std::sort(device.addresses.begin(), device.addresses.end());
        device.device = device.addresses.front();
    }
    sort_devices(grouped);
    return grouped;
}

namespace {

// A sum that cannot fail: sum() stops with "integer overflow" past 2^63 - 1, so each column is
// summed in two halves, the high 32 bits and the low, and put together saturating.
std::int64_t from_halves(std::int64_t high, std::int64_t low) {
    if (high > (INT64_MAX >> 32)) return INT64_MAX;
    return saturating_add(high << 32, low);
}

constexpr std::string_view summed_traffic =
    "sum(t.uplink_bytes >> 32), sum(t.uplink_bytes & 4294967295),"
    " sum(t.downlink_bytes >> 32), sum(t.downlink_bytes & 4294967295),"
    " sum(t.uplink_packets >> 32), sum(t.uplink_packets & 4294967295),"
    " sum(t.downlink_packets >> 32), sum(t.downlink_packets & 4294967295),"
    " sum(t.flows >> 32), sum(t.flows & 4294967295)";

TrafficSums read_summed_traffic(const Statement& s, int index) {
    auto half = [&](int i) { return from_halves(s.column_int(index + i), s.column_int(index + i + 1)); };
    return {half(0), half(2), half(4), half(6), half(8)};
}

constexpr std::string_view plain_traffic =
    "t.uplink_bytes, t.downlink_bytes, t.uplink_packets, t.downlink_packets, t.flows";

TrafficSums read_plain_traffic(const Statement& s, int index) {
    return {s.column_int(index), s.column_int(index + 1), s.column_int(index + 2), s.column_int(index + 3),
            s.column_int(index + 4)};
}

// The buckets of a run, ?first to ?last by ?step seconds: each is then one lookup of the primary
// key of host_traffic (device, step, bucket, host). A range of buckets would read every pair row
// of the device in them, a hundred or so per device and hour, to find the one of the host.
std::string run_buckets(int step, int first, int last) {
    const std::string s = "?" + std::to_string(step);
    return "WITH RECURSIVE b(bucket) AS (SELECT ?" + std::to_string(first) + " UNION ALL SELECT bucket + " + s +
           " * 1000 FROM b WHERE bucket + " + s + " * 1000 <= ?" + std::to_string(last) + ")";
}

// ?1 step, ?2 first bucket, ?3 last: each device's rows in the run, summed per device. traffic
// holds no pair rows (schema/005_history_size.sql): a device's rows of one step are one range of
// its key. CROSS JOIN: the devices (a few dozen rows) first, then one range each.
std::string device_traffic_sql() {
    return "SELECT d.address, " + std::string(summed_traffic) +
           " FROM devices AS d CROSS JOIN traffic AS t"
           " ON t.device = d.address AND t.step = ?1 AND t.bucket BETWEEN ?2 AND ?3"
           " GROUP BY d.address";
}

constexpr std::string_view device_rows_sql =
    "SELECT address, active_connections, first_seen_at, last_seen_at FROM devices";

// Each device's remote hosts with last contact from a window's start S on (count(*) of
// device_hosts WHERE last_seen_at >= S): the hosts of device_host_days (kept by triggers, a row
// per device and UTC day) from the day ?1 on, plus ?4 times the contacts in [?2, ?3) from
// device_hosts_by_last_seen. Either the days after S's plus S's day from S on (?4 = 1), or the
// days from S's on less S's day before S (?4 = -1): remote_hosts_terms picks the shorter span
// of index entries, less than half a day's. Counting every entry from S on cost 0.1 us each:
// 2 ms for a device with 20,000 hosts in 30 days, 180 ms for a busy home's 30 days.
constexpr std::string_view remote_hosts_sql =
    "SELECT d.address,"
    " coalesce((SELECT sum(h.hosts) FROM device_host_days AS h WHERE h.device = d.address AND h.day >= ?1), 0)"
    " + ?4 * (SELECT count(*) FROM device_hosts AS p"
    " WHERE p.device = d.address AND p.last_seen_at >= ?2 AND p.last_seen_at < ?3)"
    " FROM devices AS d";

// The parameters of remote_hosts_sql for a window [from, to): contacts after to are rare (a
// clock stepped back), so the span after from is counted up to to only.
struct RemoteHostsTerms {
    std::int64_t days_from, count_from, count_to, sign;
};
RemoteHostsTerms remote_hosts_terms(std::int64_t from_ms, std::int64_t to_ms) {
    const std::int64_t day = floor_to(from_ms, day_ms), next_day = day + day_ms;
    if (std::min(next_day, to_ms) - from_ms <= from_ms - day) return {next_day, from_ms, next_day, 1};
    return {day, day, from_ms, -1};
}

// ?1 meta::history_flushed_at: when the ingest last wrote traffic, devices and device_hosts, in
// the transaction that wrote them (collector/reconciler.cpp).
constexpr std::string_view flushed_at_sql = "SELECT value FROM meta WHERE key = ?1 AND typeof(value) = 'integer'";

// The windows devices() keeps: the four of /devices.json.
constexpr std::size_t max_kept_windows = 4;

// ?1 device (X'' for the LAN), ?2 step, ?3 first bucket, ?4 last: the rows of the level, one
// range of the key (721 rows for 30 days of hours).
constexpr std::string_view series_sql =
    "SELECT t.bucket, t.uplink_bytes, t.downlink_bytes, t.uplink_packets, t.downlink_packets, t.flows"
    " FROM traffic AS t WHERE t.device = ?1 AND t.step = ?2 AND t.bucket BETWEEN ?3 AND ?4";

// ?1 device, ?2 step, ?3 first bucket, ?4 last, ?5 host: the pair's row of each bucket.
std::string pair_series_sql() {
    return run_buckets(2, 3, 4) + " SELECT t.bucket, " + std::string(plain_traffic) +
           " FROM b CROSS JOIN host_traffic AS t"
           " ON t.device = ?1 AND t.step = ?2 AND t.bucket = b.bucket AND t.host = ?5";
}

// ?1 host, ?2 step, ?3 first bucket, ?4 last: the host's pair rows from every device, per bucket.
// host_traffic has no index by host (it would be a third of the file): the host's devices come
// from device_hosts_by_host, and each pair's buckets, only those of its span of contact (its
// first contact floored to the step, to its last; the ingest books every byte of the pair in
// it) and of the range, are looked up one by one. A pair contacted once costs a lookup or two.
// The first row of p is past its last bucket when the span and the range do not meet.
std::string host_series_sql() {
    return "WITH RECURSIVE p(device, bucket, last) AS ("
           "SELECT device, max(?3, first_seen_at - ((first_seen_at % (?2 * 1000)) + ?2 * 1000) % (?2 * 1000)),"
           " min(?4, last_seen_at) FROM device_hosts WHERE host = ?1"
           " UNION ALL SELECT device, bucket + ?2 * 1000, last FROM p WHERE bucket + ?2 * 1000 <= last)"
           " SELECT p.bucket, " + std::string(summed_traffic) +
           " FROM p CROSS JOIN host_traffic AS t"
           " ON t.device = p.device AND t.step = ?2 AND t.bucket = p.bucket AND t.host = ?1"
           " WHERE p.bucket <= p.last GROUP BY p.bucket";
}

// ?1 device, ?2 step, ?3 first bucket, ?4 last: its pair rows in the run. Here every pair row of
// the range is wanted, so a range of the primary key it is; they are added up per host by the
// caller (add_up_hosts), which costs less than GROUP BY's sort of them.
std::string host_traffic_sql() {
    return "SELECT t.host, " + std::string(plain_traffic) +
           " FROM host_traffic AS t"
           " WHERE t.device = ?1 AND t.step = ?2 AND t.bucket BETWEEN ?3 AND ?4";
}

// One remote host's sums, as device_hosts() adds them up: flat, no allocation, with its 16
// bytes as two integers to sort by (the order of IpAddress's bytes within a family).
struct HostSums {
    IpAddress host;
    TrafficSums traffic;
    std::uint64_t high = 0, low = 0;

    HostSums(const IpAddress& address, const TrafficSums& sums) : host(address), traffic(sums) {
        for (int i = 0; i < 8; ++i) {
            high = high << 8 | address.bytes[static_cast<std::size_t>(i)];
            low = low << 8 | address.bytes[static_cast<std::size_t>(i + 8)];
        }
    }
    bool same_host(const HostSums& other) const {
        return high == other.high && low == other.low && host.family == other.host.family;
    }
};

bool by_host(const HostSums& a, const HostSums& b) {
    if (a.host.family != b.host.family) return a.host.family < b.host.family;
    return a.high != b.high ? a.high < b.high : a.low < b.low;
}

// rows[0, sorted) are sorted by host, one row each: sorts the rest into them and adds up each
// host's rows into one.
void add_up_hosts(std::vector<HostSums>& rows, std::size_t sorted) {
    const auto middle = rows.begin() + static_cast<std::ptrdiff_t>(sorted);
    std::sort(middle, rows.end(), by_host);
    std::inplace_merge(rows.begin(), middle, rows.end(), by_host);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (kept > 0 && rows[kept - 1].same_host(rows[i])) rows[kept - 1].traffic += rows[i].traffic;
        else rows[kept++] = rows[i];
    }
    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(kept), rows.end());
}

constexpr std::string_view device_host_sql =
    "SELECT first_seen_at, last_seen_at FROM device_hosts WHERE device = ?1 AND host = ?2";

// The columns of a FlowLogRow.
constexpr std::array<Column<FlowLogRow>, 15> flow_columns = {{
    {"ended_at", read_member<&FlowLogRow::ended_at>},
    {"device",
     [](const Statement& s, int index, FlowLogRow& row) {
         row.device = IpAddress::from_blob(s.column_blob(index)).value_or(IpAddress{});
     }},
    {"host",
     [](const Statement& s, int index, FlowLogRow& row) {
         row.host = IpAddress::from_blob(s.column_blob(index)).value_or(IpAddress{});
     }},
    {"proto", read_member<&FlowLogRow::proto>},
    {"src_port", read_member<&FlowLogRow::src_port>},
    {"dst_port", read_member<&FlowLogRow::dst_port>},
    {"first_seen_at", read_member<&FlowLogRow::first_seen_at>},
    {"last_seen_at", read_member<&FlowLogRow::last_seen_at>},
    {"state", read_member<&FlowLogRow::state>},
    {"flags", read_member<&FlowLogRow::flags>},
    {"uplink_packets", read_member<&FlowLogRow::uplink_packets>},
    {"uplink_bytes", read_member<&FlowLogRow::uplink_bytes>},
    {"downlink_packets", read_member<&FlowLogRow::downlink_packets>},
    {"downlink_bytes", read_member<&FlowLogRow::downlink_bytes>},
    {"ended_by", read_member<&FlowLogRow::ended_by>},
}};

// ?1 from, ?2 to (ended_at, both included), ?3 limit, ?4 device, ?5 host. One statement per
// index, each walking it backwards from ?2: the newest first with no sort, and a limit that
// stops the walk. INDEXED BY, so that no estimate can make SQLite sort the whole log instead.
std::string flows_sql(std::string_view index, std::string_view condition) {
    return "SELECT " + select_list(flow_columns) + " FROM flow_log INDEXED BY " + std::string(index) +
           " WHERE " + std::string(condition) + "ended_at >= ?1 AND ended_at <= ?2" +
           " ORDER BY ended_at DESC, id DESC LIMIT ?3";
}
std::string flows_by_end_sql() { return flows_sql("flow_log_by_end", ""); }
std::string flows_by_device_sql() { return flows_sql("flow_log_by_device", "device = ?4 AND "); }
// A remote host has far fewer flows than a device: with both, its index, and the device checked.
std::string flows_by_host_sql() { return flows_sql("flow_log_by_host", "host = ?5 AND (?4 IS NULL OR device = ?4) AND "); }

constexpr std::string_view device_totals_sql = "SELECT address, uplink_bytes, downlink_bytes FROM devices";

std::vector<std::string> plan_of(const Database& db, const std::string& sql) {
    Statement plan = db.prepare("EXPLAIN QUERY PLAN " + sql);
    std::vector<std::string> lines;
    while (plan.step()) lines.push_back(plan.column_text(3));
    return lines;
}

void bind_address(Statement& s, int index, const std::optional<IpAddress>& address) {
    if (address) s.bind_blob(index, address->blob());
    else s.bind_null(index);
}

}  // namespace

HistoryQueries::HistoryQueries(const Database& db)
    : flushed_at_(db.prepare(flushed_at_sql)),
      device_traffic_(db.prepare(device_traffic_sql())),
      device_rows_(db.prepare(device_rows_sql)),
      remote_hosts_(db.prepare(remote_hosts_sql)),
      series_(db.prepare(series_sql)),
      pair_series_(db.prepare(pair_series_sql())),
      host_series_(db.prepare(host_series_sql())),
      host_traffic_(db.prepare(host_traffic_sql())),
      device_host_(db.prepare(device_host_sql)),
      flows_by_end_(db.prepare(flows_by_end_sql())),
      flows_by_device_(db.prepare(flows_by_device_sql())),
      flows_by_host_(db.prepare(flows_by_host_sql())),
      device_totals_(db.prepare(device_totals_sql)) {}

HistoryQueries::WindowSums& HistoryQueries::window_sums(const WindowPlan& plan) {
    flushed_at_.reset();
    flushed_at_.bind(1, meta::history_flushed_at);
    std::optional<std::int64_t> flushed_at;
    if (flushed_at_.step()) flushed_at = flushed_at_.column_int(0);
    flushed_at_.reset();
    auto same_window = [&](const WindowSums& sums) {
        return sums.step == plan.step && sums.from_ms == plan.from_ms && sums.to_ms == plan.to_ms;
    };
    auto found = std::find_if(window_sums_.begin(), window_sums_.end(), same_window);
    if (found != window_sums_.end() && flushed_at && found->flushed_at == flushed_at) return *found;
    // A flush, or a bucket more: forget the window, and the ones of an older flush.
    std::erase_if(window_sums_, [&](const WindowSums& sums) { return same_window(sums) || sums.flushed_at != flushed_at; });
    if (window_sums_.size() >= max_kept_windows) window_sums_.erase(window_sums_.begin());
    WindowSums& sums = window_sums_.emplace_back();
    sums.flushed_at = flushed_at;
    sums.step = plan.step;
    sums.from_ms = plan.from_ms;
    sums.to_ms = plan.to_ms;
    Statement& s = device_traffic_;
    for (const BucketRun& run : plan.runs) {
        s.reset();
        s.bind(1, run.step).bind(2, run.first_bucket).bind(3, run.last_bucket);
        while (s.step()) sums.traffic[std::string(s.column_blob(0))] += read_summed_traffic(s, 1);
        s.reset();
    }
    Statement& h = remote_hosts_;
    h.reset();
    const RemoteHostsTerms terms = remote_hosts_terms(plan.from_ms, plan.to_ms);
    h.bind(1, terms.days_from).bind(2, terms.count_from).bind(3, terms.count_to).bind(4, terms.sign);
    while (h.step()) sums.remote_hosts[std::string(h.column_blob(0))] = h.column_int(1);
    h.reset();
    return sums;
}

std::vector<DeviceRow> HistoryQueries::devices(const WindowPlan& plan) {
    WindowSums& sums = window_sums(plan);
    std::vector<DeviceRow> rows;
    Statement& d = device_rows_;
    d.reset();
    while (d.step()) {
        const std::string blob(d.column_blob(0));
        auto address = IpAddress::from_blob(blob);
        if (!address) continue;
        auto traffic = sums.traffic.find(blob);
        const std::int64_t active = d.column_int(1);
        if (traffic == sums.traffic.end() && active <= 0) continue;
        DeviceRow& row = rows.emplace_back();
        row.device = *address;
        row.addresses = {*address};
        if (traffic != sums.traffic.end()) row.traffic = traffic->second;
        row.active_connections = active;
        row.first_seen_at = d.column_int(2);
        row.last_seen_at = d.column_int(3);
        // A device not in the kept counts came after them, without a flush: none counted yet.
        auto hosts = sums.remote_hosts.find(blob);
        row.remote_hosts = hosts != sums.remote_hosts.end() ? hosts->second : 0;
    }
    d.reset();
    sort_devices(rows);
    return rows;
}

namespace {

// The addresses a device ref stands for, when the caller resolved none: an address's own.
std::vector<IpAddress> device_addresses(const std::optional<DeviceRef>& device, std::span<const IpAddress> devices) {
    if (!devices.empty()) return {devices.begin(), devices.end()};
    if (device && !device->mac) return {device->address};
    return {};
}

}  // namespace

std::vector<HistoryPoint> HistoryQueries::history(const HistoryRequest& request, const HistoryRange& range,
                                                  std::span<const IpAddress> devices) {
    std::vector<HistoryPoint> rows;
    if (request.host && !request.device) {
        Statement& s = host_series_;
        s.reset();
        s.bind_blob(1, request.host->blob()).bind(2, range.step).bind(3, range.first_bucket).bind(4, range.last_bucket);
        while (s.step()) rows.push_back({s.column_int(0), read_summed_traffic(s, 1)});
        s.reset();
    } else {
        // The LAN (X''), or each address of the device: fill_points adds up their rows.
        std::vector<std::string> keys;
        if (!request.device) keys.emplace_back();
        for (const IpAddress& address : device_addresses(request.device, devices)) keys.emplace_back(address.blob());
        Statement& s = request.host ? pair_series_ : series_;
        for (const std::string& key : keys) {
            s.reset();
            s.bind_blob(1, key);
            s.bind(2, range.step).bind(3, range.first_bucket).bind(4, range.last_bucket);
            if (request.host) s.bind_blob(5, request.host->blob());
            while (s.step()) rows.push_back({s.column_int(0), read_plain_traffic(s, 1)});
            s.reset();
        }
    }
    return fill_points(range, rows);
}

std::vector<DeviceHostRow> HistoryQueries::device_hosts(std::span<const IpAddress> addresses,
                                                        const WindowPlan& plan, std::size_t limit) {
    // A busy device's 30 days are some 850,000 pair rows of 270,000 hosts. A hash table of the
    // hosts cost 0.8 us a row in cache misses and allocations; rows kept flat, sorted and added
    // up whenever they are as many again as the hosts so far, a tenth of that, and less memory.
    std::vector<HostSums> hosts;
    std::size_t added_up = 0;  // hosts[0, added_up) are sorted, one per host
    Statement& s = host_traffic_;
    for (const IpAddress& device : addresses)
    for (const BucketRun& run : plan.runs) {
        s.reset();
        s.bind_blob(1, device.blob()).bind(2, run.step).bind(3, run.first_bucket).bind(4, run.last_bucket);
        while (s.step()) {
            auto host = IpAddress::from_blob(s.column_blob(0));
            if (!host) continue;  // not an address: not the ingest's
            hosts.emplace_back(*host, read_plain_traffic(s, 1));
            if (hosts.size() >= 2 * std::max<std::size_t>(added_up, 32768)) {
                add_up_hosts(hosts, added_up);
                added_up = hosts.size();
            }
        }
        s.reset();
    }
    add_up_hosts(hosts, added_up);
    auto by_total = [](const HostSums& a, const HostSums& b) {
        const std::int64_t total_a = a.traffic.total_bytes(), total_b = b.traffic.total_bytes();
        if (total_a != total_b) return total_a > total_b;
        return a.host < b.host;
    };
    if (hosts.size() > limit) {
        std::partial_sort(hosts.begin(), hosts.begin() + static_cast<std::ptrdiff_t>(limit), hosts.end(), by_total);
        hosts.erase(hosts.begin() + static_cast<std::ptrdiff_t>(limit), hosts.end());
    } else {
        std::sort(hosts.begin(), hosts.end(), by_total);
    }
    std::vector<DeviceHostRow> rows;
    rows.reserve(hosts.size());
    for (const HostSums& host : hosts) rows.push_back({host.host, host.traffic, std::nullopt, std::nullopt, {}});
    // First and last contact for the rows shown only.
    Statement& h = device_host_;
    for (DeviceHostRow& row : rows) {
        for (const IpAddress& device : addresses) {
            h.reset();
            h.bind_blob(1, device.blob()).bind_blob(2, row.host.blob());
            if (h.step()) {
                const std::int64_t first = h.column_int(0), last = h.column_int(1);
                row.first_seen_at = row.first_seen_at ? std::min(*row.first_seen_at, first) : first;
                row.last_seen_at = row.last_seen_at ? std::max(*row.last_seen_at, last) : last;
            }
            h.reset();
        }
    }
    return rows;
}

void HistoryQueries::flows(const FlowLogRequest& request, const std::function<void(const FlowLogRow&)>& row,
                           std::span<const IpAddress> devices) {
    Statement& s = request.host ? flows_by_host_ : request.device ? flows_by_device_ : flows_by_end_;
    const std::vector<IpAddress> addresses = device_addresses(request.device, devices);
    auto run = [&](const std::optional<IpAddress>& device, const std::function<void(const FlowLogRow&)>& each) {
        s.reset();
        s.bind(1, request.from_ms.value_or(INT64_MIN)).bind(2, request.to_ms.value_or(INT64_MAX));
        s.bind(3, static_cast<std::int64_t>(request.limit));
        if (request.host || request.device) bind_address(s, 4, device);
        if (request.host) bind_address(s, 5, request.host);
        FlowLogRow r;
        while (s.step()) {
            read_columns(s, flow_columns, r);
            each(r);
        }
        s.reset();
    };
    if (!request.device) return run(std::nullopt, row);
    if (addresses.size() == 1) return run(addresses.front(), row);
    // Several addresses: the newest of each, merged. Each walk stops at the limit, so the
    // newest limit of all are among them; ties keep the addresses' order.
    std::vector<FlowLogRow> found;
    for (const IpAddress& address : addresses) run(address, [&](const FlowLogRow& r) { found.push_back(r); });
    std::stable_sort(found.begin(), found.end(),
                     [](const FlowLogRow& a, const FlowLogRow& b) { return a.ended_at > b.ended_at; });
    if (found.size() > request.limit) found.resize(request.limit);
    for (const FlowLogRow& r : found) row(r);
}

std::vector<DeviceTotalsRow> HistoryQueries::device_totals() {
    std::vector<std::pair<IpAddress, DeviceTotalsRow>> found;
    Statement& s = device_totals_;
    s.reset();
    while (s.step()) {
        auto address = IpAddress::from_blob(s.column_blob(0));
        if (address) found.push_back({*address, {address->to_string(), s.column_int(1), s.column_int(2)}});
    }
    s.reset();
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<DeviceTotalsRow> rows;
    rows.reserve(found.size());
    for (auto& [address, row] : found) rows.push_back(std::move(row));
    return rows;
}

std::vector<std::vector<std::string>> HistoryQueries::plans(const Database& db) {
    std::vector<std::vector<std::string>> plans;
    for (const std::string& sql :
         {device_traffic_sql(), std::string(remote_hosts_sql), std::string(series_sql), pair_series_sql(),
          host_series_sql(), host_traffic_sql(),
          std::string(device_host_sql), flows_by_end_sql(), flows_by_device_sql(), flows_by_host_sql(),
          std::string(device_totals_sql), std::string(device_rows_sql), std::string(flushed_at_sql)})
        plans.push_back(plan_of(db, sql));
    return plans;
}

}  // namespace netmon::web
