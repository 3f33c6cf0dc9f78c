#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <numeric>
#include <nlohmann/json.hpp>

#include "db_support.h"
#include "history_json.h"
#include "history_queries.h"
#include "netmon/database.h"
#include "netmon/schema.h"
#include "queries.h"
#include "request_params.h"
#include "units.h"

using namespace netmon;
using namespace netmon::web;
using netmon::test::TempDir;
using json = nlohmann::json;

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 3'600'000;
constexpr std::int64_t day = 86'400'000;
// 2026-11-24T00:00:00Z, and a "now" in the middle of a minute of that afternoon.
constexpr std::int64_t midnight = 1'795'478'400'000;
constexpr std::int64_t now = midnight + 13 * hour + 25 * minute + 30'000;

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

HistoryWindow window_named(std::string_view name) {
    std::string error;
    auto request = parse_devices_request({{"window", std::string(name)}}, error);
    REQUIRE(request);
    return request->window;
}

// The buckets a window reads, as a set of [start, end) spans: contiguous, no overlap.
void check_runs_cover(const WindowPlan& plan) {
    std::int64_t at = plan.from_ms;
    for (const BucketRun& run : plan.runs) {
        INFO("run " << run.step << " " << run.first_bucket << " " << run.last_bucket);
        CHECK(run.first_bucket == at);
        CHECK(run.first_bucket % (run.step * 1000) == 0);
        CHECK(run.last_bucket >= run.first_bucket);
        at = run.last_bucket + run.step * 1000;
    }
    CHECK(at == plan.to_ms);
}

// A database as netmon-ingest leaves it (schema/005_history_size.sql and
// history-size-contract.md), written with plain SQL: every delta at three levels (pair rows in
// host_traffic, device and LAN rows in traffic) and three steps.
struct HistoryDatabase {
    TempDir dir;
    std::string path = dir.file("netmon.db");
    Database db{path, Database::Mode::read_write_create};

    HistoryDatabase() {
        db.execute("PRAGMA journal_mode = WAL");
        migrate(db);
    }

    // A row of host_traffic when host is not empty, else of traffic (device "" for the LAN).
    void traffic_row(std::string_view device, std::string_view host, int step, std::int64_t at, std::int64_t up,
                     std::int64_t down, std::int64_t flows) {
        const std::string sums =
            " ON CONFLICT DO UPDATE SET uplink_bytes = uplink_bytes + excluded.uplink_bytes,"
            " downlink_bytes = downlink_bytes + excluded.downlink_bytes,"
            " uplink_packets = uplink_packets + excluded.uplink_packets,"
            " downlink_packets = downlink_packets + excluded.downlink_packets, flows = flows + excluded.flows";
        Statement s = db.prepare(
            host.empty() ? "INSERT INTO traffic (device, step, bucket, uplink_bytes, downlink_bytes, uplink_packets,"
                           " downlink_packets, flows) VALUES (?1, ?2, ?3, ?5, ?6, ?7, ?8, ?9)" + sums
                         : "INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes, downlink_bytes,"
                           " uplink_packets, downlink_packets, flows) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)" +
                               sums);
        const std::int64_t step_ms = step * 1000LL;
        s.bind(2, step).bind(3, at / step_ms * step_ms);
        s.bind_blob(1, device);
        if (!host.empty()) s.bind_blob(4, host);
        s.bind(5, up).bind(6, down).bind(7, up / 100 + 1).bind(8, down / 100 + 1).bind(9, flows);
        s.run();
    }

    // Bytes a device sent and received to host at time at, as the ingest books them.
    void traffic(std::string_view device_text, std::string_view host_text, std::int64_t at, std::int64_t up,
                 std::int64_t down, std::int64_t flows = 0) {
        const IpAddress device = ip(device_text), host = ip(host_text);
        for (int step : {60, 3600, 86400}) {
            traffic_row(device.blob(), host.blob(), step, at, up, down, flows);
            traffic_row(device.blob(), "", step, at, up, down, flows);
            traffic_row("", "", step, at, up, down, flows);
        }
        Statement d = db.prepare(
            "INSERT INTO devices (address, first_seen_at, last_seen_at, uplink_bytes, downlink_bytes)"
            " VALUES (?1, ?2, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET"
            " first_seen_at = min(first_seen_at, excluded.first_seen_at),"
            " last_seen_at = max(last_seen_at, excluded.last_seen_at),"
            " uplink_bytes = uplink_bytes + excluded.uplink_bytes,"
            " downlink_bytes = downlink_bytes + excluded.downlink_bytes");
        d.bind_blob(1, device.blob()).bind(2, at).bind(3, up).bind(4, down);
        d.run();
        Statement h = db.prepare(
            "INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at, uplink_bytes, downlink_bytes)"
            " VALUES (?1, ?2, ?3, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET"
            " first_seen_at = min(first_seen_at, excluded.first_seen_at),"
            " last_seen_at = max(last_seen_at, excluded.last_seen_at),"
            " uplink_bytes = uplink_bytes + excluded.uplink_bytes,"
            " downlink_bytes = downlink_bytes + excluded.downlink_bytes");
        h.bind_blob(1, device.blob()).bind_blob(2, host.blob()).bind(3, at).bind(4, up).bind(5, down);
        h.run();
    }

    void active(std::string_view device, std::int64_t connections, std::int64_t seen_at = now - 30 * day) {
        Statement s = db.prepare(
            "INSERT INTO devices (address, first_seen_at, last_seen_at, active_connections) VALUES (?1, ?2, ?2, ?3)"
            " ON CONFLICT DO UPDATE SET active_connections = excluded.active_connections");
        s.bind_blob(1, ip(device).blob()).bind(2, seen_at).bind(3, connections);
        s.run();
    }

    void ended_flow(std::int64_t ended_at, std::string_view device, std::string_view host, int dst_port,
                    int ended_by = 1) {
        Statement s = db.prepare(
            "INSERT INTO flow_log (ended_at, device, host, proto, src_port, dst_port, first_seen_at, last_seen_at,"
            " state, flags, uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, ended_by)"
            " VALUES (?1, ?2, ?3, 6, 40000, ?4, ?1 - 5000, ?1 - 1000, 'TIME_WAIT', 1, 3, 300, 4, 4000, ?5)");
        s.bind(1, ended_at).bind_blob(2, ip(device).blob()).bind_blob(3, ip(host).blob()).bind(4, dst_port);
        s.bind(5, ended_by);
        s.run();
    }

    Reader reader() { return Reader(Database(path, Database::Mode::read_only)); }
};

std::map<std::string, DeviceRow> by_device(const std::vector<DeviceRow>& rows) {
    std::map<std::string, DeviceRow> out;
    for (const DeviceRow& row : rows) out[row.device.to_string()] = row;
    return out;
}

// The uplink bytes of each point of the /history.json series params ask for, at now.
std::vector<std::int64_t> uplink_series(HistoryQueries& history, const QueryParams& params) {
    std::string error;
    auto request = parse_history_request(params, error);
    REQUIRE(request);
    auto range = resolve_history_range(*request, now, error);
    REQUIRE(range);
    std::vector<std::int64_t> uplink;
    for (const HistoryPoint& point : history.history(*request, *range)) uplink.push_back(point.traffic.uplink_bytes);
    return uplink;
}

}  // namespace

// ---- parameters ----

TEST_CASE("history: times in ISO 8601 with a zone, or Unix seconds") {
    CHECK(parse_time("2026-11-24T00:00:00Z") == midnight);
    CHECK(parse_time("2026-11-24T00:00Z") == midnight);
    CHECK(parse_time("2026-11-24t00:00:00z") == midnight);
    CHECK(parse_time("2026-11-24T00:00:00.250Z") == midnight + 250);
    CHECK(parse_time("2026-11-24T00:00:00.2Z") == midnight + 200);
    CHECK(parse_time("2026-11-24T00:00:00.123456789Z") == midnight + 123);
    CHECK(parse_time("2026-11-24T02:00:00+02:00") == midnight);
    CHECK(parse_time("2026-11-24T02:00:00 02:00") == midnight);  // an unencoded '+' decoded
    CHECK(parse_time("2026-11-24T02:00:00+0200") == midnight);
    CHECK(parse_time("2026-11-24T02:00:00+02") == midnight);
    CHECK(parse_time("2026-11-23T19:30:00-04:30") == midnight);
    CHECK(parse_time("1795478400") == midnight);
    CHECK(parse_time("0") == 0);
    CHECK(parse_time("2024-02-29T12:00:00Z") == 1'709'208'000'000);
    for (const char* bad : {"", "2026-11-24", "2026-11-24T00:00:00", "2026-11-24 00:00:00Z", "2026-11-24T24:00:00Z",
                            "2026-11-24T00:60:00Z", "2026-11-24T00:00:60Z", "2026-02-30T00:00:00Z",
                            "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "1969-12-31T23:59:59Z",
                            "2026-11-24T00:00:00+24:00", "2026-11-24T00:00:00+02:0", "2026-11-24T00:00:00+0",
                            "2026-11-24T00:00:00+", "2026-11-24T00:00:00+02:000", "2026-11-24T00:00:00+02-00", "2026-11-24T00:00:00.Z",
                            "2026-11-24T00:00:00ZZ", "-1", "1e9", "253402300800", "1795478400.5", "now"}) {
        INFO(bad);
        CHECK_FALSE(parse_time(bad));
    }
}

TEST_CASE("history: parameters, defaults and the buckets they give") {
    std::string error;
    auto request = parse_history_request({}, error);
    REQUIRE(request);
    auto range = resolve_history_range(*request, now, error);
    REQUIRE(range);
    // Step 3600, the last 24 h: 25 hour buckets, the current one last.
    CHECK(*range == HistoryRange{3600, midnight - 11 * hour, midnight + 13 * hour});
    CHECK(range->points() == 25);

    request = parse_history_request({{"step", "60"}}, error);
    range = resolve_history_range(*request, now, error);
    CHECK(*range == HistoryRange{60, midnight + 12 * hour + 25 * minute, midnight + 13 * hour + 25 * minute});
    request = parse_history_request({{"step", "86400"}}, error);
    range = resolve_history_range(*request, now, error);
    CHECK(*range == HistoryRange{86400, midnight - 30 * day, midnight});

    request = parse_history_request({{"device", "fd00:10:0:0::11"}, {"host", "2001:DB8::1"}, {"from", "1795478400"},
                                     {"to", "2026-11-24T05:59:59.999Z"}, {"step", "3600"}},
                                    error);
    REQUIRE(request);
    CHECK(request->device == ip("fd00:10::11"));
    CHECK(request->host == ip("2001:db8::1"));
    range = resolve_history_range(*request, now, error);
    CHECK(*range == HistoryRange{3600, midnight, midnight + 5 * hour});
    // Empty values are absent values, as an empty form field sends them.
    request = parse_history_request({{"device", ""}, {"from", ""}}, error);
    REQUIRE(request);
    CHECK_FALSE(request->device);
    CHECK_FALSE(request->from_ms);
}

TEST_CASE("history: bad parameters are errors naming them") {
    auto error_for = [](const QueryParams& params) {
        std::string error;
        auto request = parse_history_request(params, error);
        if (!request) return error;
        return resolve_history_range(*request, now, error) ? std::string("ok") : error;
    };
    CHECK(error_for({{"step", "120"}}) == "step: \"120\" is not a step (60, 3600 or 86400 seconds)");
    CHECK(error_for({{"step", "3600s"}}).starts_with("step:"));
    CHECK(error_for({{"device", "10.0.0.256"}}) == "device: \"10.0.0.256\" is not an IP address");
    CHECK(error_for({{"host", "example.com"}}).starts_with("host:"));
    CHECK(error_for({{"from", "yesterday"}}).starts_with("from: \"yesterday\" is not a time"));
    CHECK(error_for({{"to", "2026-11-24T00:00:00"}}).starts_with("to:"));
    CHECK(error_for({{"window", "1h"}}) == "unknown parameter \"window\" (known: device, host, from, to, step)");
    CHECK(error_for({{"step", "60"}, {"step", "60"}}) == "parameter \"step\" is given more than once");
    CHECK(error_for({{"from", "1795478401"}, {"to", "1795478400"}}).starts_with("from: 2026-11-24T00:00:01.000Z is after to"));
    // 10,000 points are the most: 10,000 minutes fit, one more does not.
    CHECK(error_for({{"step", "60"}, {"from", "1795478400"}, {"to", std::to_string(1'795'478'400 + 9999 * 60)}}) == "ok");
    CHECK(error_for({{"step", "60"}, {"from", "1795478400"}, {"to", std::to_string(1'795'478'400 + 10000 * 60)}})
              .starts_with("from: from and to span 10001 buckets of 60 s"));
    CHECK(error_for({{"step", "60"}, {"from", "0"}}).starts_with("from:"));
}

TEST_CASE("devices, hosts of a device and the flow log: parameters") {
    std::string error;
    CHECK(parse_devices_request({}, error)->window.name == "24h");
    CHECK(parse_devices_request({{"window", ""}}, error)->window.name == "24h");
    for (auto [name, seconds] : std::initializer_list<std::pair<const char*, std::int64_t>>{
             {"1h", 3600}, {"24h", 86400}, {"7d", 7 * 86400}, {"30d", 30 * 86400}}) {
        auto request = parse_devices_request({{"window", name}}, error);
        REQUIRE(request);
        CHECK(request->window.seconds == seconds);
    }
    CHECK_FALSE(parse_devices_request({{"window", "2h"}}, error));
    CHECK(error == "window: \"2h\" is not a window (1h, 24h, 7d or 30d)");
    CHECK_FALSE(parse_devices_request({{"device", "10.0.0.11"}}, error));
    CHECK(error == "unknown parameter \"device\" (known: window)");

    CHECK(names_device({{"device", "10.0.0.11"}}));
    CHECK(names_device({{"limit", "5"}, {"device", ""}}));
    CHECK_FALSE(names_device({{"limit", "5"}}));
    CHECK_FALSE(names_device({}));
    auto hosts = parse_device_hosts_request({{"device", "10.0.0.11"}, {"window", "7d"}, {"limit", "3"}}, error);
    REQUIRE(hosts);
    CHECK(hosts->device == ip("10.0.0.11"));
    CHECK(hosts->window.name == "7d");
    CHECK(hosts->limit == 3);
    CHECK_FALSE(parse_device_hosts_request({{"device", "10.0.0"}}, error));
    CHECK(error == "device: \"10.0.0\" is not an IP address");
    CHECK_FALSE(parse_device_hosts_request({{"device", "10.0.0.11"}, {"since", "60"}}, error));
    CHECK(error == "unknown parameter \"since\" (known: device, window, limit)");
    CHECK_FALSE(parse_device_hosts_request({{"window", "7d"}}, error));
    CHECK(error.starts_with("device:"));
    CHECK_FALSE(parse_device_hosts_request({{"device", ""}}, error));
    CHECK(error.starts_with("device: empty"));

    auto flows = parse_flow_log_request({}, error);
    REQUIRE(flows);
    CHECK(flows->limit == 100);
    CHECK_FALSE(flows->device);
    flows = parse_flow_log_request({{"limit", "1000"}, {"device", "10.0.0.11"}, {"host", "2001:db8::1"},
                                    {"from", "2026-11-24T00:00:00Z"}, {"to", "1795478400"}},
                                   error);
    REQUIRE(flows);
    CHECK(flows->limit == 1000);
    CHECK(flows->from_ms == midnight);
    CHECK(flows->to_ms == midnight);
    CHECK_FALSE(parse_flow_log_request({{"limit", "1001"}}, error));
    CHECK(error == "limit: \"1001\" is not a whole number from 1 to 1000");
    CHECK_FALSE(parse_flow_log_request({{"limit", "0"}}, error));
    CHECK_FALSE(parse_flow_log_request({{"from", "1795478401"}, {"to", "1795478400"}}, error));
    CHECK(error.starts_with("from:"));
    CHECK_FALSE(parse_flow_log_request({{"step", "60"}}, error));
    CHECK(error == "unknown parameter \"step\" (known: device, host, from, to, limit)");
}

// ---- windows ----

TEST_CASE("windows: whole buckets ending with the current one, whole days as day buckets") {
    const HistoryRetention defaults;
    WindowPlan hour_window = plan_window(window_named("1h"), now, defaults);
    CHECK(hour_window.step == 60);
    CHECK(hour_window.to_ms == midnight + 13 * hour + 26 * minute);
    CHECK(hour_window.from_ms == hour_window.to_ms - hour);
    REQUIRE(hour_window.runs.size() == 1);
    CHECK(hour_window.runs[0] == BucketRun{60, hour_window.from_ms, midnight + 13 * hour + 25 * minute});
    check_runs_cover(hour_window);

    // 24 h from 14:00 yesterday: no whole day in it.
    WindowPlan day_window = plan_window(window_named("24h"), now, defaults);
    CHECK(day_window.step == 3600);
    CHECK(day_window.to_ms == midnight + 14 * hour);
    CHECK(day_window.from_ms == midnight - 10 * hour);
    REQUIRE(day_window.runs.size() == 1);
    CHECK(day_window.runs[0] == BucketRun{3600, midnight - 10 * hour, midnight + 13 * hour});

    // 30 d: the hours of its first day, 29 whole days, today's hours.
    WindowPlan month = plan_window(window_named("30d"), now, defaults);
    CHECK(month.step == 3600);
    CHECK(month.to_ms - month.from_ms == 30 * day);
    REQUIRE(month.runs.size() == 3);
    CHECK(month.runs[0] == BucketRun{3600, midnight - 30 * day + 14 * hour, midnight - 29 * day - hour});
    CHECK(month.runs[1] == BucketRun{86400, midnight - 29 * day, midnight - day});
    CHECK(month.runs[2] == BucketRun{3600, midnight, midnight + 13 * hour});
    check_runs_cover(month);
    check_runs_cover(plan_window(window_named("7d"), now, defaults));

    // At 23:xx the current hour ends the day: 7 d are then 7 whole days.
    WindowPlan late = plan_window(window_named("7d"), midnight + 23 * hour + 5 * minute, defaults);
    REQUIRE(late.runs.size() == 1);
    CHECK(late.runs[0] == BucketRun{86400, midnight - 6 * day, midnight});
    check_runs_cover(late);
    // Exactly at midnight, the current hour is the first of a day.
    check_runs_cover(plan_window(window_named("30d"), midnight, defaults));
    check_runs_cover(plan_window(window_named("24h"), midnight, defaults));
}

TEST_CASE("windows: a step not kept as long as the window gives way to a longer one") {
    HistoryRetention short_hours;
    short_hours.hour_days = 7;
    WindowPlan month = plan_window(window_named("30d"), now, short_hours);
    CHECK(month.step == 86400);
    CHECK(month.to_ms == midnight + day);
    CHECK(month.from_ms == midnight - 29 * day);
    REQUIRE(month.runs.size() == 1);
    CHECK(month.runs[0] == BucketRun{86400, midnight - 29 * day, midnight});
    CHECK(plan_window(window_named("7d"), now, short_hours).step == 3600);

    HistoryRetention no_minutes;
    no_minutes.minute_hours = 0;
    WindowPlan hour_window = plan_window(window_named("1h"), now, no_minutes);
    CHECK(hour_window.step == 3600);
    REQUIRE(hour_window.runs.size() == 1);
    CHECK(hour_window.runs[0] == BucketRun{3600, midnight + 13 * hour, midnight + 13 * hour});

    // Day buckets kept no longer than the window: hours only, never a day bucket half pruned.
    HistoryRetention short_days;
    short_days.day_days = 30;
    WindowPlan hours_only = plan_window(window_named("30d"), now, short_days);
    CHECK(hours_only.runs.size() == 1);
    CHECK(hours_only.runs[0].step == 3600);
    check_runs_cover(hours_only);

    HistoryRetention off{0, 0, 0};
    CHECK(plan_window(window_named("30d"), now, off).step == 3600);
    CHECK(plan_window(window_named("1h"), now, off).step == 60);
}

TEST_CASE("fill_points: every bucket, zeros where there is no row") {
    const HistoryRange range{3600, midnight, midnight + 3 * hour};
    std::vector<HistoryPoint> rows = {{midnight + hour, {10, 20, 1, 2, 1}},
                                      {midnight + 3 * hour, {5, 6, 7, 8, 9}},
                                      {midnight + 4 * hour, {1, 1, 1, 1, 1}},  // after the range
                                      {midnight - hour, {1, 1, 1, 1, 1}}};    // before it
    auto points = fill_points(range, rows);
    REQUIRE(points.size() == 4);
    CHECK(points[0] == HistoryPoint{midnight, {}});
    CHECK(points[1] == HistoryPoint{midnight + hour, {10, 20, 1, 2, 1}});
    CHECK(points[2] == HistoryPoint{midnight + 2 * hour, {}});
    CHECK(points[3] == HistoryPoint{midnight + 3 * hour, {5, 6, 7, 8, 9}});
}

// ---- the queries, on a real database ----

TEST_CASE("devices: exact sums over the window's buckets, listed by total bytes") {
    HistoryDatabase t;
    // 10.0.0.11: traffic in the current minute, this morning, 10 days ago, and just before the
    // 30-day window (not counted in it).
    t.traffic("10.0.0.11", "192.0.2.10", now, 1000, 20000, 1);
    t.traffic("10.0.0.11", "192.0.2.10", now - 30 * minute, 10, 20);
    t.traffic("10.0.0.11", "203.0.113.7", midnight + 2 * hour, 300, 4000, 2);
    t.traffic("10.0.0.11", "203.0.113.7", now - 10 * day, 50000, 600000, 3);
    const WindowPlan month = plan_window(window_named("30d"), now, {});
    t.traffic("10.0.0.11", "203.0.113.7", month.from_ms - 1, 7, 7, 1);
    t.traffic("10.0.0.11", "203.0.113.7", month.from_ms, 1, 2, 1);  // the window's first ms counts
    // fd00:10::11, IPv6, less traffic.
    t.traffic("fd00:10::11", "2001:db8::1", now - 5 * minute, 100, 200, 1);
    // 10.0.0.12: nothing in any window, but connections alive now; 10.0.0.13: neither.
    t.active("10.0.0.12", 2);
    t.traffic("10.0.0.13", "192.0.2.10", now - 60 * day, 1, 1);
    t.active("10.0.0.11", 3);
    Reader reader = t.reader();
    HistoryQueries& history = reader.history();

    auto rows = history.devices(month);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].device.to_string() == "10.0.0.11");
    CHECK(rows[1].device.to_string() == "fd00:10::11");
    CHECK(rows[2].device.to_string() == "10.0.0.12");
    const DeviceRow& busy = rows[0];
    CHECK(busy.traffic.uplink_bytes == 1000 + 10 + 300 + 50000 + 1);
    CHECK(busy.traffic.downlink_bytes == 20000 + 20 + 4000 + 600000 + 2);
    CHECK(busy.traffic.flows == 1 + 2 + 3 + 1);
    CHECK(busy.remote_hosts == 2);
    CHECK(busy.active_connections == 3);
    CHECK(busy.first_seen_at == month.from_ms - 1);
    CHECK(busy.last_seen_at == now);
    CHECK(rows[2].traffic == TrafficSums{});
    CHECK(rows[2].active_connections == 2);

    // 24 h: this morning and the last half hour; not 10 days ago.
    auto today = by_device(history.devices(plan_window(window_named("24h"), now, {})));
    CHECK(today.at("10.0.0.11").traffic.uplink_bytes == 1000 + 10 + 300);
    CHECK(today.at("10.0.0.11").traffic.downlink_bytes == 20000 + 20 + 4000);
    CHECK(today.size() == 3);
    // 1 h, in minute buckets: the current minute included.
    auto last_hour = by_device(history.devices(plan_window(window_named("1h"), now, {})));
    CHECK(last_hour.at("10.0.0.11").traffic.uplink_bytes == 1000 + 10);
    CHECK(last_hour.at("fd00:10::11").traffic.total_bytes() == 300);
    CHECK(last_hour.at("10.0.0.11").remote_hosts == 1);  // 203.0.113.7 only this morning

    // With hours kept 7 days only, 30 days are read in whole day buckets, today's the last: the
    // day the hour window began with is left out, with the byte at its 14:00.
    HistoryRetention short_hours;
    short_hours.hour_days = 7;
    auto by_days = by_device(history.devices(plan_window(window_named("30d"), now, short_hours)));
    CHECK(by_days.at("10.0.0.11").traffic.uplink_bytes == 1000 + 10 + 300 + 50000);
}

TEST_CASE("devices: the sums are the same through every step, and traffic after now is not counted") {
    HistoryDatabase t;
    std::int64_t expected_up = 0, expected_down = 0;
    // A long download: a chunk every 7 minutes for 3 days.
    for (std::int64_t at = now - 3 * day + 1; at <= now; at += 7 * minute) {
        t.traffic("10.0.0.11", at % 2 ? "192.0.2.10" : "2001:db8::5", at, 11, 1013);
        if (at >= plan_window(window_named("7d"), now, {}).from_ms) expected_up += 11, expected_down += 1013;
    }
    // A clock stepped back: the ingest booked bytes in a bucket that is in the future now.
    t.traffic("10.0.0.11", "192.0.2.10", now + 2 * hour, 5, 5);
    Reader reader = t.reader();
    auto week = by_device(reader.history().devices(plan_window(window_named("7d"), now, {})));
    CHECK(week.at("10.0.0.11").traffic.uplink_bytes == expected_up);
    CHECK(week.at("10.0.0.11").traffic.downlink_bytes == expected_down);
    // The same from minute buckets (/history.json at step 60 over the same span).
    std::string error;
    HistoryRequest request;
    request.device = ip("10.0.0.11");
    request.step = 60;
    request.from_ms = now - 3 * day;
    request.to_ms = now;
    auto range = resolve_history_range(request, now, error);
    REQUIRE(range);
    std::int64_t up = 0, down = 0;
    for (const HistoryPoint& point : reader.history().history(request, *range)) {
        up += point.traffic.uplink_bytes;
        down += point.traffic.downlink_bytes;
    }
    CHECK(up == expected_up);
    CHECK(down == expected_down);
}

TEST_CASE("history: each level, zero-filled, window boundaries") {
    HistoryDatabase t;
    t.traffic("10.0.0.11", "192.0.2.10", midnight + 1 * hour + 5, 100, 1000, 1);
    t.traffic("10.0.0.11", "192.0.2.10", midnight + 1 * hour + 59 * minute, 1, 10);
    t.traffic("10.0.0.11", "203.0.113.7", midnight + 3 * hour, 200, 2000, 1);
    t.traffic("10.0.0.12", "192.0.2.10", midnight + 3 * hour + 1, 400, 4000, 2);
    t.traffic("fd00:10::11", "2001:db8::1", midnight + 2 * hour, 800, 8000, 1);
    t.traffic("10.0.0.11", "192.0.2.10", midnight + 4 * hour, 9, 9);  // after the range
    Reader reader = t.reader();
    HistoryQueries& history = reader.history();
    std::string error;
    auto series = [&](const QueryParams& params) { return uplink_series(history, params); };
    const QueryParams span = {{"from", "2026-11-24T00:00:00Z"}, {"to", "2026-11-24T03:59:59Z"}};
    auto with = [&](QueryParams more) {
        more.insert(more.end(), span.begin(), span.end());
        return more;
    };
    using V = std::vector<std::int64_t>;
    CHECK(series(span) == V{0, 101, 800, 600});                                           // the LAN
    CHECK(series(with({{"device", "10.0.0.11"}})) == V{0, 101, 0, 200});                   // one device
    CHECK(series(with({{"device", "10.0.0.11"}, {"host", "192.0.2.10"}})) == V{0, 101, 0, 0});  // a pair
    CHECK(series(with({{"host", "192.0.2.10"}})) == V{0, 101, 0, 400});                    // a host, every device
    CHECK(series(with({{"device", "fd00:10:0::11"}})) == V{0, 0, 800, 0});
    CHECK(series(with({{"host", "2001:db8::1"}, {"device", "fd00:10::11"}})) == V{0, 0, 800, 0});
    // Unknown, well-formed addresses: zeros.
    CHECK(series(with({{"device", "10.9.9.9"}})) == V{0, 0, 0, 0});
    CHECK(series(with({{"host", "198.51.100.1"}})) == V{0, 0, 0, 0});
    // Minutes: the first hour's two minutes, others zero; a range of one bucket.
    CHECK(series({{"step", "60"}, {"from", "2026-11-24T01:00:30Z"}, {"to", "2026-11-24T01:00:30Z"}}) == V{100});
    auto minutes = series({{"step", "60"}, {"from", "2026-11-24T01:00:00Z"}, {"to", "2026-11-24T01:59:00Z"}});
    REQUIRE(minutes.size() == 60);
    CHECK(minutes.front() == 100);
    CHECK(minutes.back() == 1);
    CHECK(std::accumulate(minutes.begin(), minutes.end(), std::int64_t{0}) == 101);
    // Days.
    CHECK(series({{"step", "86400"}, {"from", "2026-11-23T12:00:00Z"}, {"to", "2026-11-24T12:00:00Z"}}) ==
          V{0, 101 + 200 + 400 + 800 + 9});

    // Every field of a point, and the JSON.
    auto request = parse_history_request(with({{"device", "10.0.0.12"}}), error);
    auto range = resolve_history_range(*request, now, error);
    auto points = history.history(*request, *range);
    CHECK(points[3] == HistoryPoint{midnight + 3 * hour, {400, 4000, 5, 41, 2}});
    json document = json::parse(history_json(*request, *range, points));
    CHECK(document["step"] == 3600);
    CHECK(document["device"] == "10.0.0.12");
    CHECK(document["host"].is_null());
    CHECK(document["from"] == "2026-11-24T00:00:00.000Z");
    CHECK(document["to"] == "2026-11-24T03:00:00.000Z");
    REQUIRE(document["points"].size() == 4);
    CHECK(document["points"][3] == json::parse(R"({"t":"2026-11-24T03:00:00.000Z","uplink_bytes":400,
        "downlink_bytes":4000,"uplink_packets":5,"downlink_packets":41,"flows":2})"));
    CHECK(document["points"][0]["uplink_bytes"] == 0);
}

TEST_CASE("hosts of a device: bytes in the window, first and last contact, order, limit") {
    HistoryDatabase t;
    t.traffic("10.0.0.11", "192.0.2.10", now - 40 * day, 1, 1);  // first contact, before the window
    t.traffic("10.0.0.11", "192.0.2.10", now - 2 * hour, 500, 500, 1);
    t.traffic("10.0.0.11", "2001:db8::1", now - 3 * day, 2000, 3000, 2);
    t.traffic("10.0.0.11", "203.0.113.7", now - 5 * minute, 10, 10, 1);
    t.traffic("10.0.0.11", "198.51.100.1", now - 4 * minute, 10, 10, 1);  // ties 203.0.113.7: by address
    t.traffic("10.0.0.12", "192.0.2.10", now - hour, 99999, 99999);     // another device
    Reader reader = t.reader();
    HistoryQueries& history = reader.history();
    const WindowPlan week = plan_window(window_named("7d"), now, {});
    auto rows = history.device_hosts(ip("10.0.0.11"), week, 500);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].host.to_string() == "2001:db8::1");
    CHECK(rows[0].traffic.uplink_bytes == 2000);
    CHECK(rows[0].traffic.downlink_bytes == 3000);
    CHECK(rows[0].traffic.flows == 2);
    CHECK(rows[1].host.to_string() == "192.0.2.10");
    CHECK(rows[1].traffic.total_bytes() == 1000);  // the contact 40 days ago is not in the window
    CHECK(rows[1].first_seen_at == now - 40 * day);
    CHECK(rows[1].last_seen_at == now - 2 * hour);
    CHECK(rows[2].host.to_string() == "198.51.100.1");
    CHECK(rows[3].host.to_string() == "203.0.113.7");

    auto top = history.device_hosts(ip("10.0.0.11"), week, 2);
    REQUIRE(top.size() == 2);
    CHECK(top[1].host.to_string() == "192.0.2.10");
    CHECK(history.device_hosts(ip("10.0.0.11"), plan_window(window_named("1h"), now, {}), 500).size() == 2);
    CHECK(history.device_hosts(ip("10.9.9.9"), week, 500).empty());
    CHECK(history.device_hosts(ip("fd00:10::99"), week, 500).empty());

    DeviceHostsRequest request;
    request.device = ip("10.0.0.11");
    request.window = window_named("7d");
    json document = json::parse(device_hosts_json(request, week, top));
    CHECK(document["device"] == "10.0.0.11");
    CHECK(document["window"] == "7d");
    CHECK(document["from"] == format_time(week.from_ms));
    CHECK(document["to"] == format_time(week.to_ms));
    CHECK(document["hosts"][1] == json::parse(R"({"host":"192.0.2.10","uplink_bytes":500,"downlink_bytes":500,
        "total_bytes":1000,"flows":1,"first_seen_at":")" + format_time(now - 40 * day) +
                                              R"(","last_seen_at":")" + format_time(now - 2 * hour) +
                                              R"(","remote_name":null,"remote_name_source":null})"));
}

TEST_CASE("windows of pairs: the pairs' retention, 30 days in days with today's hours") {
    const HistoryRetention defaults;
    // 1h, 24h and 7d: kept in the pairs' steps, read as the devices' windows are.
    for (const char* name : {"1h", "24h", "7d"}) {
        INFO(name);
        const WindowPlan devices = plan_window(window_named(name), now, defaults);
        const WindowPlan pairs = plan_host_window(window_named(name), now, defaults);
        CHECK(pairs.step == devices.step);
        CHECK(pairs.from_ms == devices.from_ms);
        CHECK(pairs.to_ms == devices.to_ms);
        CHECK(pairs.runs == devices.runs);
    }
    // 30d: the pairs' hours are kept 7 days, the hours of the day 30 days ago are gone. The 29
    // days before today in day buckets, today in hours, to the end of the current hour.
    const WindowPlan month = plan_host_window(window_named("30d"), now, defaults);
    CHECK(month.from_ms == midnight - 29 * day);
    CHECK(month.to_ms == midnight + 14 * hour);
    REQUIRE(month.runs.size() == 2);
    CHECK(month.runs[0] == BucketRun{86400, midnight - 29 * day, midnight - day});
    CHECK(month.runs[1] == BucketRun{3600, midnight, midnight + 13 * hour});
    check_runs_cover(month);
    // In the first hour of a day: the 29 days before it, and the hour.
    const WindowPlan early = plan_host_window(window_named("30d"), midnight + 5 * minute, defaults);
    REQUIRE(early.runs.size() == 2);
    CHECK(early.runs[1] == BucketRun{3600, midnight, midnight});
    check_runs_cover(early);
    // Pairs' hours not kept at all: day buckets only, today's whole.
    HistoryRetention no_hours;
    no_hours.host_hour_days = 0;
    const WindowPlan days = plan_host_window(window_named("30d"), now, no_hours);
    REQUIRE(days.runs.size() == 1);
    CHECK(days.runs[0] == BucketRun{86400, midnight - 29 * day, midnight});
    CHECK(days.to_ms == midnight + day);
    // Pairs' hours kept as long as the devices': the devices' plan.
    HistoryRetention long_hours;
    long_hours.host_hour_days = 90;
    long_hours.host_day_days = 730;
    CHECK(plan_host_window(window_named("30d"), now, long_hours).runs ==
          plan_window(window_named("30d"), now, defaults).runs);
    // A day of pairs' minutes: 1h in minutes still; none kept: hours.
    HistoryRetention no_minutes;
    no_minutes.host_minute_hours = 0;
    CHECK(plan_host_window(window_named("1h"), now, no_minutes).step == 3600);
    // The devices' plan reads the devices' retention only.
    HistoryRetention short_pairs;
    short_pairs.host_day_days = 1;
    CHECK(plan_window(window_named("30d"), now, short_pairs).runs == plan_window(window_named("30d"), now, defaults).runs);
}

TEST_CASE("hosts of a device over 30 days: exact from day rows when the pairs' hour rows are gone") {
    HistoryDatabase t;
    // Booked at every step, then pruned as the ingest does with the pairs' default retention:
    // hour rows of pairs older than 7 days, minute rows older than 24 h.
    t.traffic("10.0.0.11", "192.0.2.10", now - 20 * day, 1000, 2000, 1);
    t.traffic("10.0.0.11", "192.0.2.10", now - 10 * day + 3 * hour, 30, 40, 1);
    t.traffic("10.0.0.11", "203.0.113.7", now - 29 * day - 13 * hour, 5, 5, 1);  // the window's first day
    t.traffic("10.0.0.11", "203.0.113.7", midnight + 2 * hour, 7, 8, 1);        // today
    t.traffic("10.0.0.11", "192.0.2.10", now - 2 * hour, 100, 200, 1);
    // The day 30 days ago, after the devices' window's start (14:00): its hours are gone, and the
    // day bucket holds more than the window: left out.
    t.traffic("10.0.0.11", "198.51.100.1", midnight - 30 * day + 20 * hour, 9, 9, 1);
    // A clock stepped back: booked in an hour after the current one, not in the window.
    t.traffic("10.0.0.11", "192.0.2.10", now + 2 * hour, 50, 50, 1);
    t.db.execute("DELETE FROM host_traffic WHERE step = 3600 AND bucket < " + std::to_string(now - 7 * day));
    t.db.execute("DELETE FROM host_traffic WHERE step = 60 AND bucket < " + std::to_string(now - day));
    Reader reader = t.reader();
    const HistoryRetention defaults;
    const WindowPlan month = plan_host_window(window_named("30d"), now, defaults);
    auto rows = reader.history().device_hosts(ip("10.0.0.11"), month, 500);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].host.to_string() == "192.0.2.10");
    CHECK(rows[0].traffic.uplink_bytes == 1000 + 30 + 100);
    CHECK(rows[0].traffic.downlink_bytes == 2000 + 40 + 200);
    CHECK(rows[0].traffic.flows == 3);
    CHECK(rows[1].host.to_string() == "203.0.113.7");
    CHECK(rows[1].traffic.uplink_bytes == 5 + 7);
    CHECK(rows[1].traffic.downlink_bytes == 5 + 8);
    // The brute-force sum over the pairs' day rows of the days before today and hour rows of today.
    Statement check = t.db.prepare(
        "SELECT sum(uplink_bytes) FROM host_traffic WHERE device = ?1 AND"
        " ((step = 86400 AND bucket >= ?2 AND bucket < ?3) OR (step = 3600 AND bucket >= ?3 AND bucket < ?4))");
    check.bind_blob(1, ip("10.0.0.11").blob()).bind(2, month.from_ms).bind(3, midnight).bind(4, month.to_ms);
    REQUIRE(check.step());
    CHECK(check.column_int(0) == rows[0].traffic.uplink_bytes + rows[1].traffic.uplink_bytes);
    // The device's own 30 days (/devices.json) still from its hours and days, kept 90 days.
    auto devices = by_device(reader.history().devices(plan_window(window_named("30d"), now, defaults)));
    CHECK(devices.at("10.0.0.11").traffic.uplink_bytes == 1000 + 30 + 5 + 7 + 100 + 9);
}

TEST_CASE("history of a host from every device: its devices from device_hosts, each in its span of contact") {
    HistoryDatabase t;
    t.traffic("10.0.0.11", "192.0.2.10", midnight + 1 * hour, 100, 1000, 1);
    t.traffic("10.0.0.11", "192.0.2.10", midnight + 3 * hour + 59 * minute, 1, 1, 1);
    t.traffic("10.0.0.12", "192.0.2.10", midnight + 2 * hour, 20, 20, 1);
    t.traffic("fd00:10::11", "192.0.2.10", midnight - 2 * day, 4, 4, 1);  // contact before the range only
    t.traffic("10.0.0.13", "203.0.113.7", midnight + 2 * hour, 5000, 5000, 1);  // another host
    // Rows the ingest does not write: a pair row outside its pair's span of contact (10.0.0.12
    // talked to the host at 02:00 only), and one of a pair whose device_hosts row is gone.
    for (int step : {60, 3600, 86400})
        t.traffic_row(ip("10.0.0.12").blob(), ip("192.0.2.10").blob(), step, midnight, 300, 300, 1);
    t.traffic("10.0.0.14", "192.0.2.10", midnight + 3 * hour, 7000, 7000, 1);
    t.db.execute("DELETE FROM device_hosts WHERE device = X'0a00000e'");
    Reader reader = t.reader();
    auto series = [&](const QueryParams& params) { return uplink_series(reader.history(), params); };
    using V = std::vector<std::int64_t>;
    const QueryParams span = {{"host", "192.0.2.10"}, {"from", "2026-11-24T00:00:00Z"}, {"to", "2026-11-24T04:00:00Z"}};
    // Not counted in the host's series from every device: the rows outside the spans.
    CHECK(series(span) == V{0, 100, 20, 1, 0});
    // A pair's own series reads its rows, wherever they are.
    CHECK(series({{"host", "192.0.2.10"}, {"device", "10.0.0.12"}, {"from", "2026-11-24T00:00:00Z"},
                  {"to", "2026-11-24T04:00:00Z"}}) == V{300, 0, 20, 0, 0});
    CHECK(series({{"host", "192.0.2.10"}, {"device", "10.0.0.14"}, {"from", "2026-11-24T00:00:00Z"},
                  {"to", "2026-11-24T04:00:00Z"}}) == V{0, 0, 0, 7000, 0});
    // Minutes and days, the span's first contact floored to the step.
    auto minutes = series({{"host", "192.0.2.10"}, {"step", "60"}, {"from", "2026-11-24T03:58:00Z"},
                           {"to", "2026-11-24T04:00:00Z"}});
    CHECK(minutes == V{0, 1, 0});
    // At the day step, the span floored to the day holds 10.0.0.12's row of 00:00.
    CHECK(series({{"host", "192.0.2.10"}, {"step", "86400"}, {"from", "2026-11-21T00:00:00Z"},
                  {"to", "2026-11-24T00:00:00Z"}}) == V{0, 4, 0, 100 + 1 + 20 + 300});
    // A range before every contact, or after: zeros.
    CHECK(series({{"host", "192.0.2.10"}, {"from", "2026-11-20T00:00:00Z"}, {"to", "2026-11-20T02:00:00Z"}}) ==
          V{0, 0, 0});
    CHECK(series({{"host", "192.0.2.10"}, {"from", "2026-11-24T05:00:00Z"}, {"to", "2026-11-24T06:00:00Z"}}) ==
          V{0, 0});
}

TEST_CASE("devices: remote hosts from device_host_days, exact at a window start in the middle of a day") {
    HistoryDatabase t;
    // 5 devices, 300 contacts each spread over 40 days, some moved later by a second contact
    // (the triggers move them between days), some before 1970 (a clock that was wrong).
    std::uint64_t state = 12345;
    auto next = [&](std::uint64_t bound) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::int64_t>((state >> 33) % bound);
    };
    const std::array<std::string, 5> devices = {"10.0.0.11", "10.0.0.12", "10.0.0.13", "fd00:10::11", "fd00:10::12"};
    Transaction written(t.db);  // one commit, not 2,000
    for (const std::string& device : devices) {
        t.active(device, 1);
        for (int i = 0; i < 300; ++i) {
            const std::string host = "192.0." + std::to_string(2 + i / 250) + "." + std::to_string(i % 250);
            const std::int64_t at = now - next(40 * day);
            t.traffic(device, host, at, 1, 1);
            if (next(3) == 0) t.traffic(device, host, std::min(now, at + next(3 * day)), 1, 1);
        }
    }
    t.db.execute("UPDATE device_hosts SET last_seen_at = -5 * 86400000 - 7 WHERE host = X'c0000207'");
    // Moved back and forth across midnight.
    t.db.execute("UPDATE device_hosts SET last_seen_at = last_seen_at - 86400000 WHERE host = X'c0000208'");
    written.commit();
    Reader reader = t.reader();
    Statement brute = t.db.prepare("SELECT count(*) FROM device_hosts WHERE device = ?1 AND last_seen_at >= ?2");
    int checked = 0;
    // Window starts late in a day (counted from the start on) and early (the day less the hours
    // before the start), and at midnight.
    for (std::int64_t at : {now, midnight + 1, midnight, midnight - 1, now - 3 * day + 17 * minute,
                            midnight + 5 * hour + 10 * minute}) {
        for (const char* name : {"1h", "24h", "7d", "30d"}) {
            const WindowPlan plan = plan_window(window_named(name), at, {});
            INFO(name << " at " << at << " from " << plan.from_ms);
            auto rows = by_device(reader.history().devices(plan));
            REQUIRE(rows.size() == devices.size());
            for (const std::string& device : devices) {
                brute.reset();
                brute.bind_blob(1, ip(device).blob()).bind(2, plan.from_ms);
                REQUIRE(brute.step());
                CHECK(rows.at(device).remote_hosts == brute.column_int(0));
                ++checked;
            }
            brute.reset();
        }
    }
    CHECK(checked == 120);
    // And it is not all the hosts, nor none.
    brute.reset();
    brute.bind_blob(1, ip("10.0.0.11").blob()).bind(2, plan_window(window_named("7d"), now, {}).from_ms);
    REQUIRE(brute.step());
    CHECK(brute.column_int(0) > 10);
    CHECK(brute.column_int(0) < 300);
}

TEST_CASE("devices: the traffic and remote hosts are kept until the ingest flushes again") {
    HistoryDatabase t;
    t.traffic("10.0.0.11", "192.0.2.10", now - hour, 100, 1000);
    const WindowPlan plan = plan_window(window_named("24h"), now, {});
    auto uplink = [&](HistoryQueries& history) {
        Transaction snapshot(t.db, Transaction::Kind::deferred);
        auto rows = history.devices(plan);
        return rows.empty() ? -1 : rows[0].traffic.uplink_bytes;
    };
    // Without history_flushed_at, nothing is kept.
    Reader reader = t.reader();
    CHECK(uplink(reader.history()) == 100);
    t.traffic("10.0.0.11", "192.0.2.10", now - hour, 1, 1);
    CHECK(uplink(reader.history()) == 101);

    t.db.execute("INSERT INTO meta (key, value) VALUES ('history_flushed_at', 1795500000000)");
    CHECK(uplink(reader.history()) == 101);
    // Written without a flush (which the ingest never does): still what the flush left.
    t.traffic("10.0.0.11", "203.0.113.7", now - hour, 10, 10);
    CHECK(uplink(reader.history()) == 101);
    // Active connections and the times are read each time, and a new device is listed.
    t.active("10.0.0.11", 5);
    t.active("10.0.0.99", 1);
    auto rows = reader.history().devices(plan);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].active_connections == 5);
    CHECK(rows[0].remote_hosts == 1);
    CHECK(rows[1].device.to_string() == "10.0.0.99");
    // The next flush: read again.
    t.db.execute("UPDATE meta SET value = 1795500010000 WHERE key = 'history_flushed_at'");
    CHECK(uplink(reader.history()) == 111);
    CHECK(reader.history().devices(plan)[0].remote_hosts == 2);
    // Another window is its own; the next hour's window reads again.
    CHECK(reader.history().devices(plan_window(window_named("1h"), now, {})).size() == 2);
    t.traffic("10.0.0.11", "203.0.113.7", now + hour, 1000, 0);
    CHECK(reader.history().devices(plan_window(window_named("24h"), now + hour, {}))[0].traffic.uplink_bytes == 1111);
}

TEST_CASE("devices JSON: every field") {
    HistoryDatabase t;
    t.traffic("fd00:10::11", "2001:db8::1", now - 5 * minute, 100, 200, 1);
    t.active("fd00:10::11", 4);
    Reader reader = t.reader();
    const WindowPlan plan = plan_window(window_named("24h"), now, {});
    json document = json::parse(devices_json(window_named("24h"), plan, reader.history().devices(plan)));
    CHECK(document["window"] == "24h");
    CHECK(document["from"] == "2026-11-23T14:00:00.000Z");
    CHECK(document["to"] == "2026-11-24T14:00:00.000Z");
    REQUIRE(document["devices"].size() == 1);
    CHECK(document["devices"][0] == json::parse(R"({"device":"fd00:10::11","uplink_bytes":100,"downlink_bytes":200,
        "total_bytes":300,"flows":1,"remote_hosts":1,"active_connections":4,"first_seen_at":")" +
                                                format_time(now - 5 * minute) + R"(","last_seen_at":")" +
                                                format_time(now - 5 * minute) + R"(","addresses":["fd00:10::11"],
        "mac":null,"device_name":null,"device_name_source":null,"vendor":null,"mac_random":false})"));
}

TEST_CASE("flows: newest first, filters, time bounds, limit") {
    HistoryDatabase t;
    t.ended_flow(now - 3000, "10.0.0.11", "192.0.2.10", 443);
    t.ended_flow(now - 1000, "10.0.0.11", "203.0.113.7", 80, 2);
    t.ended_flow(now - 2000, "10.0.0.12", "192.0.2.10", 443);
    t.ended_flow(now - 1000, "fd00:10::11", "2001:db8::1", 443);  // the same ended_at: the later row first
    t.ended_flow(now - 5000, "10.0.0.11", "192.0.2.10", 8443);
    Reader reader = t.reader();
    HistoryQueries& history = reader.history();
    auto ports = [&](const QueryParams& params) {
        std::string error;
        auto request = parse_flow_log_request(params, error);
        REQUIRE(request);
        std::vector<std::string> out;
        history.flows(*request, [&](const FlowLogRow& row) {
            out.push_back(row.device.to_string() + ">" + row.host.to_string() + ":" + std::to_string(row.dst_port));
        });
        return out;
    };
    using V = std::vector<std::string>;
    CHECK(ports({}) == V{"fd00:10::11>2001:db8::1:443", "10.0.0.11>203.0.113.7:80", "10.0.0.12>192.0.2.10:443",
                         "10.0.0.11>192.0.2.10:443", "10.0.0.11>192.0.2.10:8443"});
    CHECK(ports({{"limit", "2"}}) == V{"fd00:10::11>2001:db8::1:443", "10.0.0.11>203.0.113.7:80"});
    CHECK(ports({{"device", "10.0.0.11"}}) ==
          V{"10.0.0.11>203.0.113.7:80", "10.0.0.11>192.0.2.10:443", "10.0.0.11>192.0.2.10:8443"});
    CHECK(ports({{"host", "192.0.2.10"}}) ==
          V{"10.0.0.12>192.0.2.10:443", "10.0.0.11>192.0.2.10:443", "10.0.0.11>192.0.2.10:8443"});
    CHECK(ports({{"host", "192.0.2.10"}, {"device", "10.0.0.11"}, {"limit", "1"}}) == V{"10.0.0.11>192.0.2.10:443"});
    CHECK(ports({{"device", "fd00:10:0::11"}}) == V{"fd00:10::11>2001:db8::1:443"});
    // from and to bound ended_at, both included.
    CHECK(ports({{"from", format_time(now - 3000)}, {"to", format_time(now - 2000)}}) ==
          V{"10.0.0.12>192.0.2.10:443", "10.0.0.11>192.0.2.10:443"});
    CHECK(ports({{"to", format_time(now - 5001)}}).empty());
    CHECK(ports({{"device", "10.9.9.9"}}).empty());
    CHECK(ports({{"host", "2001:db8::99"}}).empty());

    std::string error;
    auto request = parse_flow_log_request({{"limit", "2"}}, error);
    FlowLogJson out;
    history.flows(*request, [&](const FlowLogRow& row) { out.add(row); });
    json document = json::parse(out.finish());
    REQUIRE(document["flows"].size() == 2);
    CHECK(document["flows"][1] == json::parse(R"({"proto":"tcp","device":"10.0.0.11","src_port":40000,
        "host":"203.0.113.7","dst_port":80,"state":"TIME_WAIT","flags":["ASSURED"],
        "first_seen_at":")" + format_time(now - 6000) + R"(","last_seen_at":")" + format_time(now - 2000) +
                                              R"(","ended_at":")" + format_time(now - 1000) + R"(",
        "uplink_bytes":300,"downlink_bytes":4000,"uplink_packets":3,"downlink_packets":4,"ended_by":"gone",
        "mac":null,"device_name":null,"device_name_source":null,"vendor":null,"mac_random":false,"remote_name":null,
        "remote_name_source":null})"));
    CHECK(document["flows"][0]["ended_by"] == "destroyed");
    FlowLogJson empty;
    CHECK(empty.finish() == R"({"flows":[]})");
}

TEST_CASE("device totals for /metrics: every device, by address") {
    HistoryDatabase t;
    t.traffic("fd00:10::11", "2001:db8::1", now, 5, 6);
    t.traffic("10.0.0.12", "192.0.2.10", now, 1, 2);
    t.traffic("10.0.0.11", "192.0.2.10", now - 400 * day, 3, 4);
    Reader reader = t.reader();
    auto rows = reader.history().device_totals();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].device == "10.0.0.11");
    CHECK(rows[0].uplink_bytes == 3);
    CHECK(rows[0].downlink_bytes == 4);
    CHECK(rows[1].device == "10.0.0.12");
    CHECK(rows[2].device == "fd00:10::11");
}

TEST_CASE("sums past 2^63 - 1 saturate, sum() does not fail") {
    HistoryDatabase t;
    const std::int64_t big = INT64_MAX - 10;
    t.traffic("10.0.0.11", "192.0.2.10", now - 2 * day, big, big);
    t.traffic("10.0.0.11", "203.0.113.7", now - day, big, 1);
    Reader reader = t.reader();
    auto rows = reader.history().devices(plan_window(window_named("7d"), now, {}));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].traffic.uplink_bytes == INT64_MAX);
    CHECK(rows[0].traffic.total_bytes() == INT64_MAX);
    HistoryRequest request;
    request.host = ip("192.0.2.10");
    request.step = 86400;
    std::string error;
    auto range = resolve_history_range(request, now, error);
    auto points = reader.history().history(request, *range);
    CHECK(points.at(points.size() - 3).traffic.uplink_bytes == big);
}

TEST_CASE("the history statements read indexes: no scan of traffic, host_traffic, device_hosts or flow_log") {
    HistoryDatabase t;
    t.traffic("10.0.0.11", "192.0.2.10", now, 1, 1);
    t.ended_flow(now, "10.0.0.11", "192.0.2.10", 443);
    auto plans = HistoryQueries::plans(t.db);
    REQUIRE(plans.size() == 13);
    std::string all;
    for (const auto& plan : plans) {
        REQUIRE_FALSE(plan.empty());
        for (const auto& line : plan) all += line + "\n";
        all += "--\n";
    }
    INFO(all);
    auto text_of = [](const std::vector<std::string>& plan) {
        std::string text;
        for (const auto& line : plan) text += line + "\n";
        return text;
    };
    for (const auto& plan : plans) {
        for (const auto& line : plan) {
            CHECK_FALSE(line.starts_with("SCAN traffic"));
            CHECK_FALSE(line.starts_with("SCAN t"));
            CHECK_FALSE(line.starts_with("SCAN flow_log"));
            CHECK_FALSE(line.starts_with("SCAN host_traffic"));
            CHECK_FALSE(line.starts_with("SCAN device_hosts"));
            CHECK_FALSE(line.starts_with("SCAN h"));  // device_host_days
        }
    }
    // The devices' traffic and a device's or the LAN's series: a range of traffic's primary key.
    CHECK(text_of(plans[0]).find("SEARCH t USING PRIMARY KEY (device=? AND step=? AND bucket>? AND bucket<?)") !=
          std::string::npos);
    CHECK(text_of(plans[2]) == "SEARCH t USING PRIMARY KEY (device=? AND step=? AND bucket>? AND bucket<?)\n");
    // Remote hosts: device_host_days' days after the window's first, device_hosts of that day.
    CHECK(text_of(plans[1]).find("SEARCH h USING PRIMARY KEY (device=? AND day>?)") != std::string::npos);
    CHECK(text_of(plans[1]).find(
              "SEARCH p USING COVERING INDEX device_hosts_by_last_seen (device=? AND last_seen_at>? AND last_seen_at<?)") !=
          std::string::npos);
    // A pair's series: one lookup of host_traffic's primary key per bucket.
    CHECK(text_of(plans[3]).find("SEARCH t USING PRIMARY KEY (device=? AND step=? AND bucket=? AND host=?)") !=
          std::string::npos);
    // A host from every device: its pairs by device_hosts_by_host, then a lookup per bucket.
    CHECK(text_of(plans[4]).find("SEARCH device_hosts USING INDEX device_hosts_by_host (host=?)") != std::string::npos);
    CHECK(text_of(plans[4]).find("SEARCH t USING PRIMARY KEY (device=? AND step=? AND bucket=? AND host=?)") !=
          std::string::npos);
    // A device's hosts: a range of host_traffic's primary key.
    CHECK(text_of(plans[5]) == "SEARCH t USING PRIMARY KEY (device=? AND step=? AND bucket>? AND bucket<?)\n");
    // The flow log: walked backwards down an index, newest first, never sorted.
    for (std::size_t i : {7u, 8u, 9u}) {
        CHECK(text_of(plans[i]).find("TEMP B-TREE") == std::string::npos);
        CHECK(text_of(plans[i]).find("SEARCH flow_log USING INDEX flow_log_by_") != std::string::npos);
    }
}
