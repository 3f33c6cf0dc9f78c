// The history's decisions without a database or a clock: which bytes land in which bucket, at
// which level, when they are written, and that a failed batch leaves nothing behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "retention.h"
#include "traffic_ledger.h"

using namespace netmon;

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;
// 2026-12-02T10:00:00Z
constexpr std::int64_t t0 = 1'796'205'600'000;

Key flow_key(const char* device, const char* host, std::uint16_t sport) {
    Key key;
    key.protocol = 6;
    key.src = *IpAddress::parse(device);
    key.dst = *IpAddress::parse(host);
    key.sport = sport;
    key.dport = 443;
    return key;
}

Counters bytes(std::uint64_t up, std::uint64_t down) { return {up / 100 + 1, up, down / 100 + 1, down}; }

// Changes at now: a moved flow for each of moved.
FlowChanges moved_at(std::int64_t now, const std::vector<std::pair<Key, Counters>>& moved) {
    FlowChanges changes;
    changes.now = now;
    for (const auto& [key, delta] : moved) {
        FlowChanges::Updated row;
        row.id = 1;
        row.counters_moved = true;
        row.delta = delta;
        row.key = key;
        changes.updated.push_back(row);
    }
    return changes;
}

const TrafficRow* find(const HistoryRows& rows, const char* device, std::int64_t step, std::int64_t bucket,
                       const char* host) {
    for (const TrafficRow& row : rows.traffic) {
        const bool device_matches = device ? row.device && *row.device == *IpAddress::parse(device) : !row.device;
        const bool host_matches = host ? row.host && *row.host == *IpAddress::parse(host) : !row.host;
        if (device_matches && host_matches && row.step == step && row.bucket == bucket) return &row;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("buckets start at whole UTC minutes, hours and days, before 1970 too", "[traffic_ledger]") {
    CHECK(bucket_start(t0 + 59'999, 60) == t0);
    CHECK(bucket_start(t0 + 60'000, 60) == t0 + minute);
    CHECK(bucket_start(t0 + 59 * minute, 3600) == t0);
    CHECK(bucket_start(t0 + 13 * hour, 86400) == t0 - 10 * hour);
    CHECK(bucket_start(t0 + 14 * hour, 86400) == t0 - 10 * hour + day);
    CHECK(bucket_start(0, 60) == 0);
    CHECK(bucket_start(-1, 60) == -minute);
    CHECK(bucket_start(-minute, 60) == -minute);
}

TEST_CASE("a batch's bytes land in its minute at every step and level, each once", "[traffic_ledger]") {
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 40000);
    const Key b = flow_key("10.0.0.11", "192.0.2.10", 40001);  // the same pair
    const Key c = flow_key("10.0.0.12", "2001:db8::7", 40002);
    TrafficLedger ledger;
    const std::int64_t now = t0 + 5 * hour + 30 * minute + 12'345;
    auto batch = TrafficLedger::stage(moved_at(now, {{a, bytes(100, 1000)}, {b, bytes(5, 50)}, {c, bytes(7, 70)}}));
    HistoryRows rows = ledger.rows(batch, TrafficSteps{});
    // 3 steps x (2 pairs + 2 devices + the LAN)
    CHECK(rows.traffic.size() == 15);
    const std::int64_t m = bucket_start(now, 60), h = bucket_start(now, 3600), d = bucket_start(now, 86400);
    for (auto [step, bucket] : {std::pair{std::int64_t{60}, m}, std::pair{std::int64_t{3600}, h},
                                std::pair{std::int64_t{86400}, d}}) {
        const TrafficRow* pair = find(rows, "10.0.0.11", step, bucket, "192.0.2.10");
        REQUIRE(pair);
        CHECK(pair->sums.uplink_bytes == 105);
        CHECK(pair->sums.downlink_bytes == 1050);
        CHECK(pair->sums.flows == 0);
        const TrafficRow* device = find(rows, "10.0.0.12", step, bucket, nullptr);
        REQUIRE(device);
        CHECK(device->sums.downlink_bytes == 70);
        const TrafficRow* lan = find(rows, nullptr, step, bucket, nullptr);
        REQUIRE(lan);
        CHECK(lan->sums.uplink_bytes == 112);
        CHECK(lan->sums.downlink_bytes == 1120);
        CHECK(lan->sums.uplink_packets == (2 + 1 + 1));
    }
    // devices rows (no host) and device_hosts rows, with when they moved.
    CHECK(rows.contacts.size() == 4);
    for (const ContactRow& row : rows.contacts) {
        CHECK(row.first_at == now);
        CHECK(row.last_at == now);
    }
}

TEST_CASE("new flows count as flows with their whole counters, gone ones add nothing", "[traffic_ledger]") {
    using End = FlowChanges::End;
    const Key fresh = flow_key("10.0.0.11", "192.0.2.10", 1);
    const Key short_lived = flow_key("10.0.0.11", "192.0.2.10", 2);
    const Key destroyed = flow_key("10.0.0.11", "192.0.2.10", 3);
    const Key gone = flow_key("10.0.0.11", "192.0.2.10", 4);
    const Key late = flow_key("10.0.0.11", "192.0.2.10", 5);
    Flow flow;
    flow.raw = bytes(1000, 2000);
    FlowChanges changes;
    changes.now = t0;
    changes.inserted.push_back({&fresh, &flow, nullptr});
    changes.ended.push_back({0, short_lived, bytes(10, 20), bytes(10, 20), false, End::destroyed, "", 0});
    changes.ended.push_back({7, destroyed, bytes(500, 500), bytes(1, 2), false, End::destroyed, "CLOSE", 1});
    changes.ended.push_back({8, gone, bytes(900, 900), {}, false, End::gone, "ESTABLISHED", 1});
    changes.ended.push_back({0, late, bytes(950, 950), bytes(3, 4), false, End::late, "CLOSE", 1});
    HistoryRows rows = TrafficLedger().rows(TrafficLedger::stage(changes), TrafficSteps{});
    const TrafficRow* pair = find(rows, "10.0.0.11", 60, t0, "192.0.2.10");
    REQUIRE(pair);
    CHECK(pair->sums.uplink_bytes == 1000 + 10 + 1 + 3);
    CHECK(pair->sums.downlink_bytes == 2000 + 20 + 2 + 4);
    CHECK(pair->sums.flows == 2);  // the new one and the one born and gone in the batch
}

TEST_CASE("sums wait for the flush period, and a batch that was not written is not kept", "[traffic_ledger]") {
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 40000);
    TrafficLedger ledger(t0);
    auto first = TrafficLedger::stage(moved_at(t0 + 1000, {{a, bytes(100, 100)}}));
    CHECK_FALSE(ledger.due(t0 + 1000, first));
    ledger.keep(std::move(first));
    // A batch whose write failed: staged, never kept.
    auto failed = TrafficLedger::stage(moved_at(t0 + 2000, {{a, bytes(7, 7)}}));
    (void)failed;
    auto later = TrafficLedger::stage(moved_at(t0 + TrafficLedger::flush_period_ms, {{a, bytes(1, 2)}}));
    REQUIRE(ledger.due(t0 + TrafficLedger::flush_period_ms, later));
    HistoryRows rows = ledger.rows(later, TrafficSteps{});
    const TrafficRow* pair = find(rows, "10.0.0.11", 60, t0, "192.0.2.10");
    REQUIRE(pair);
    CHECK(pair->sums.uplink_bytes == 101);
    CHECK(pair->sums.downlink_bytes == 102);
    ledger.flushed(t0 + TrafficLedger::flush_period_ms);
    CHECK_FALSE(ledger.waiting());
    // Nothing to write: never due.
    CHECK_FALSE(ledger.due(t0 + 100 * TrafficLedger::flush_period_ms, TrafficLedger::Batch{}));
}

TEST_CASE("a clock stepped back flushes at once, and its bytes go to the earlier minute", "[traffic_ledger]") {
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 40000);
    TrafficLedger ledger(t0 + hour);
    auto batch = TrafficLedger::stage(moved_at(t0, {{a, bytes(10, 20)}}));
    CHECK(ledger.due(t0, batch));
    HistoryRows rows = ledger.rows(batch, TrafficSteps{});
    REQUIRE(find(rows, "10.0.0.11", 60, t0, "192.0.2.10"));
    CHECK(find(rows, "10.0.0.11", 60, t0, "192.0.2.10")->sums.uplink_bytes == 10);
}

TEST_CASE("a step whose retention is 0 gets no rows", "[traffic_ledger]") {
    Retention retention;
    retention.traffic_per_minute_hours = retention.host_traffic_per_minute_hours = 0;
    retention.traffic_per_day_days = retention.host_traffic_per_day_days = 0;
    const TrafficSteps steps = TrafficSteps::of(retention);
    CHECK_FALSE(steps.minute);
    CHECK(steps.hour);
    CHECK_FALSE(steps.day);
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 40000);
    HistoryRows rows = TrafficLedger().rows(TrafficLedger::stage(moved_at(t0, {{a, bytes(1, 1)}})), steps);
    CHECK(rows.traffic.size() == 3);
    for (const TrafficRow& row : rows.traffic) CHECK(row.step == 3600);
}

TEST_CASE("random batches: every level of every step sums to the flows' deltas", "[traffic_ledger]") {
    std::mt19937_64 random(12);
    const char* devices[] = {"10.0.0.2", "10.0.0.3", "2001:db8:10::5"};
    const char* hosts[] = {"192.0.2.1", "198.51.100.2", "2001:db8::9", "203.0.113.4"};
    TrafficLedger ledger(t0);
    std::map<std::int64_t, std::uint64_t> lan_by_hour;  // the reference: uplink bytes per hour
    std::uint64_t written_up = 0, expected_up = 0;
    std::int64_t now = t0;
    for (int batch_no = 0; batch_no < 400; ++batch_no) {
        now += static_cast<std::int64_t>(random() % 7000);
        std::vector<std::pair<Key, Counters>> moved;
        for (int i = 0; i < 5; ++i) {
            const Key key = flow_key(devices[random() % 3], hosts[random() % 4], static_cast<std::uint16_t>(i));
            const Counters delta = bytes(random() % 5000, random() % 50000);
            moved.emplace_back(key, delta);
            expected_up += delta.uplink_bytes;
            lan_by_hour[bucket_start(now, 3600)] += delta.uplink_bytes;
        }
        auto batch = TrafficLedger::stage(moved_at(now, moved));
        if (ledger.due(now, batch)) {
            HistoryRows rows = ledger.rows(batch, TrafficSteps{});
            std::map<std::int64_t, std::uint64_t> per_step_lan, per_step_devices, per_step_pairs;
            for (const TrafficRow& row : rows.traffic) {
                auto& sums = !row.device ? per_step_lan : !row.host ? per_step_devices : per_step_pairs;
                sums[row.step] += row.sums.uplink_bytes;
                if (!row.device && row.step == 3600) lan_by_hour[row.bucket] -= row.sums.uplink_bytes;
            }
            for (std::int64_t step : {60, 3600, 86400}) {
                CHECK(per_step_lan[step] == per_step_devices[step]);
                CHECK(per_step_lan[step] == per_step_pairs[step]);
            }
            written_up += per_step_lan[60];
            ledger.flushed(now);
        } else {
            ledger.keep(std::move(batch));
        }
    }
    HistoryRows rest = ledger.rows({}, TrafficSteps{});
    for (const TrafficRow& row : rest.traffic) {
        if (!row.device && row.step == 60) written_up += row.sums.uplink_bytes;
        if (!row.device && row.step == 3600) lan_by_hour[row.bucket] -= row.sums.uplink_bytes;
    }
    CHECK(written_up == expected_up);
    for (const auto& [bucket, left] : lan_by_hour) CHECK(left == 0);
}

TEST_CASE("active connections follow inserts and the rows ended flows delete", "[traffic_ledger]") {
    using End = FlowChanges::End;
    ActiveConnections active;
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 1);
    const Key b = flow_key("10.0.0.11", "192.0.2.10", 2);
    const Key c = flow_key("10.0.0.12", "192.0.2.10", 3);
    const Key d = flow_key("10.0.0.13", "192.0.2.10", 4);
    active.load(d);
    // After a start, every device is written once, changed or not.
    auto at_start = active.apply(FlowChanges{});
    REQUIRE(at_start.size() == 1);
    CHECK(at_start[0].second == 1);
    CHECK(active.apply(FlowChanges{}).empty());
    active.load(a);
    Flow flow;
    FlowChanges changes;
    changes.inserted.push_back({&b, &flow, nullptr});
    changes.inserted.push_back({&c, &flow, nullptr});
    auto counts = active.apply(changes);
    REQUIRE(counts.size() == 2);
    CHECK(counts[0] == std::pair{*IpAddress::parse("10.0.0.11"), std::int64_t{2}});
    CHECK(counts[1] == std::pair{*IpAddress::parse("10.0.0.12"), std::int64_t{1}});
    FlowChanges ending;
    ending.ended.push_back({5, a, {}, {}, false, End::gone, "", 0});
    ending.ended.push_back({0, c, {}, {}, false, End::late, "", 0});  // no row: changes nothing
    counts = active.apply(ending);
    REQUIRE(counts.size() == 1);
    CHECK(counts[0].second == 1);
}

TEST_CASE("the pairs' steps are kept apart from the devices', and without any no pair contacts", "[traffic_ledger]") {
    Retention retention;
    retention.host_traffic_per_hour_days = 0;
    retention.traffic_per_minute_hours = 0;
    TrafficSteps steps = TrafficSteps::of(retention);
    CHECK(steps.host_minute);
    CHECK_FALSE(steps.host_hour);
    CHECK(steps.host_day);
    CHECK_FALSE(steps.minute);
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 40000);
    HistoryRows rows = TrafficLedger().rows(TrafficLedger::stage(moved_at(t0, {{a, bytes(3, 4)}})), steps);
    std::vector<std::pair<bool, std::int64_t>> written;  // (a pair's row, step)
    for (const TrafficRow& row : rows.traffic) written.emplace_back(row.host.has_value(), row.step);
    std::sort(written.begin(), written.end());
    // devices and the LAN: hour and day; the pair: minute and day
    CHECK(written == std::vector<std::pair<bool, std::int64_t>>{
                         {false, 3600}, {false, 3600}, {false, 86400}, {false, 86400}, {true, 60}, {true, 86400}});
    CHECK(rows.contacts.size() == 2);  // the device's and the pair's

    retention.host_traffic_max_rows = 0;  // no pairs at all
    steps = TrafficSteps::of(retention);
    CHECK_FALSE(steps.pairs());
    CHECK(steps.any());
    rows = TrafficLedger().rows(TrafficLedger::stage(moved_at(t0, {{a, bytes(3, 4)}})), steps);
    for (const TrafficRow& row : rows.traffic) CHECK_FALSE(row.host);
    REQUIRE(rows.contacts.size() == 1);
    CHECK_FALSE(rows.contacts[0].host);
}

TEST_CASE("history pruning: each step by its age, the flow log by age and rows, 0 keeps nothing", "[retention]") {
    Retention retention;
    HistoryPruning p = plan_history_pruning(retention, t0, {2'000'100, 12'000'005, 2'000'007});
    CHECK(p.minute_before == t0 - 48 * hour);
    CHECK(p.hour_before == t0 - 90 * day);
    CHECK(p.day_before == t0 - 730 * day);
    CHECK(p.host_minute_before == t0 - 24 * hour);
    CHECK(p.host_hour_before == t0 - 7 * day);
    CHECK(p.host_day_before == t0 - 90 * day);
    CHECK(p.host_traffic_over == 5);
    CHECK(p.flow_log_before == t0 - 7 * day);
    CHECK(p.flow_log_over == 100);
    CHECK(p.device_hosts_before == t0 - 90 * day);  // the pairs' longest
    CHECK(p.device_hosts_over == 7);
    CHECK(p.devices_before == t0 - 730 * day);
    CHECK(p.batch == history_pruning_batch);
    p = plan_history_pruning(retention, t0, {5, 12'000'000, 2'000'000});
    CHECK(p.flow_log_over == 0);
    CHECK(p.host_traffic_over == 0);
    CHECK(p.device_hosts_over == 0);

    retention.traffic_per_minute_hours = 0;
    retention.flow_log_max_rows = 0;
    p = plan_history_pruning(retention, t0, {10, 0, 0});
    CHECK(p.minute_before == INT64_MAX);
    CHECK(p.flow_log_before == INT64_MAX);
    CHECK(p.flow_log_over == 10);
    // Pairs off: all of their rows go, and every pair's contact.
    retention.host_traffic_max_rows = 0;
    p = plan_history_pruning(retention, t0, {0, 40, 30});
    CHECK(p.host_minute_before == INT64_MAX);
    CHECK(p.host_hour_before == INT64_MAX);
    CHECK(p.host_day_before == INT64_MAX);
    CHECK(p.host_traffic_over == 40);
    CHECK(p.device_hosts_before == INT64_MAX);
    CHECK(p.device_hosts_over == 30);
    CHECK(p.devices_before == t0 - 730 * day);
    // A pair kept longer than the devices keeps its device.
    Retention long_pairs;
    long_pairs.host_traffic_per_day_days = 1000;
    CHECK(plan_history_pruning(long_pairs, t0, {}).devices_before == t0 - 1000 * day);
    // A clock near the start of time forgets nothing by age.
    p = plan_history_pruning(Retention{}, INT64_MIN + 5, {});
    CHECK(p.hour_before == INT64_MIN);
    CHECK(p.host_day_before == INT64_MIN);
}

TEST_CASE("a burst of new pairs is written at once instead of waiting in memory", "[traffic_ledger]") {
    TrafficLedger ledger(t0);
    std::vector<std::pair<Key, Counters>> moved;
    for (std::size_t i = 0; i < TrafficLedger::max_waiting / 2; ++i)
        moved.emplace_back(flow_key("10.0.0.11", ("192.0." + std::to_string(i / 250 % 250) + "." +
                                                  std::to_string(i % 250 + 1)).c_str(),
                                    static_cast<std::uint16_t>(i / 62500)),
                           bytes(1, 1));
    auto first = TrafficLedger::stage(moved_at(t0 + 1000, moved));
    CHECK_FALSE(ledger.due(t0 + 1000, first));
    ledger.keep(std::move(first));
    // The same pairs in the next minute: as many new sums again, and the cap is reached.
    auto second = TrafficLedger::stage(moved_at(t0 + minute, moved));
    CHECK(ledger.due(t0 + 2000, second));
}

TEST_CASE("the baseline's new flows add nothing, its other changes do", "[traffic_ledger]") {
    const Key a = flow_key("10.0.0.11", "192.0.2.10", 1);
    Flow flow;
    flow.raw = bytes(1000, 2000);
    FlowChanges changes;
    changes.now = t0;
    changes.inserted.push_back({&a, &flow, nullptr});
    CHECK(TrafficLedger::stage(changes, true).empty());
    CHECK_FALSE(TrafficLedger::stage(changes, false).empty());
}
