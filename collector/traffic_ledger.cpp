#include "traffic_ledger.h"

#include <algorithm>
#include <string_view>
#include <tuple>

namespace netmon {
namespace {

constexpr std::int64_t steps_kept[] = {60, 3600, 86400};

bool keeps(const TrafficSteps& steps, std::int64_t step) {
    return step == 60 ? steps.minute : step == 3600 ? steps.hour : steps.day;
}

void add_to(TrafficLedger::Batch& batch, const Key& key, std::int64_t minute, std::int64_t now,
            const Counters& delta, std::uint64_t new_flows) {
    if (delta == Counters{} && new_flows == 0) return;
    auto [it, inserted] = batch.sums.try_emplace({key.src, key.dst, minute});
    TrafficLedger::Batch::Value& value = it->second;
    if (inserted) value.first_at = now;
    value.first_at = std::min(value.first_at, now);
    value.last_at = std::max(value.last_at, now);
    value.sums.add(delta, new_flows);
}

}  // namespace

void TrafficSums::add(const Counters& delta, std::uint64_t new_flows) {
    uplink_bytes = saturating_add(uplink_bytes, delta.uplink_bytes);
    downlink_bytes = saturating_add(downlink_bytes, delta.downlink_bytes);
    uplink_packets = saturating_add(uplink_packets, delta.uplink_packets);
    downlink_packets = saturating_add(downlink_packets, delta.downlink_packets);
    flows = saturating_add(flows, new_flows);
}

void TrafficSums::add(const TrafficSums& other) {
    add(Counters{other.uplink_packets, other.uplink_bytes, other.downlink_packets, other.downlink_bytes}, other.flows);
}

TrafficSteps TrafficSteps::of(const Retention& retention) {
    return {retention.traffic_per_minute_hours > 0, retention.traffic_per_hour_days > 0,
            retention.traffic_per_day_days > 0};
}

std::int64_t bucket_start(std::int64_t t_ms, std::int64_t step_seconds) {
    const std::int64_t length = step_seconds * 1000;
    std::int64_t start = t_ms / length * length;
    if (start > t_ms) start -= length;  // division rounds toward zero: before 1970, one down
    return start;
}

TrafficLedger::Batch TrafficLedger::stage(const FlowChanges& changes) {
    using End = FlowChanges::End;
    Batch batch;
    const std::int64_t now = changes.now;
    const std::int64_t minute = bucket_start(now, 60);
    // A new flow's counters are all new; so are those of a flow born and gone in the batch,
    // which has no row. A moved flow adds its delta, an ending one what its final counters
    // add (nothing when a read found it gone: the last reading was counted already).
    for (const FlowChanges::Inserted& row : changes.inserted) add_to(batch, *row.key, minute, now, row.flow->raw, 1);
    for (const FlowChanges::Updated& row : changes.updated)
        if (row.counters_moved) add_to(batch, row.key, minute, now, row.delta, 0);
    for (const FlowChanges::Ended& row : changes.ended) {
        if (row.end == End::gone) continue;
        const bool born_here = row.id == 0 && row.end == End::destroyed;
        add_to(batch, row.key, minute, now, row.delta, born_here ? 1 : 0);
    }
    return batch;
}

void TrafficLedger::keep(Batch&& batch) {
    if (pending_.empty()) {
        pending_ = std::move(batch);
        return;
    }
    for (auto& [key, value] : batch.sums) {
        auto [it, inserted] = pending_.sums.try_emplace(key, value);
        if (inserted) continue;
        it->second.sums.add(value.sums);
        it->second.first_at = std::min(it->second.first_at, value.first_at);
        it->second.last_at = std::max(it->second.last_at, value.last_at);
    }
}

bool TrafficLedger::due(std::int64_t now_ms, const Batch& batch) const {
    if (pending_.empty() && batch.empty()) return false;
    return now_ms - last_flush_ms_ >= flush_period_ms || now_ms < last_flush_ms_;
}

void TrafficLedger::flushed(std::int64_t now_ms) {
    pending_.sums.clear();
    last_flush_ms_ = now_ms;
}

HistoryRows TrafficLedger::rows(const Batch& batch, const TrafficSteps& steps) const {
    // Keyed as the tables are (device, step, bucket, host; device, host), blobs compared as
    // bytes, so that the rows come out in the order of their tables' keys.
    using TrafficKey = std::tuple<std::string_view, std::int64_t, std::int64_t, std::string_view>;
    struct Traffic {
        std::optional<IpAddress> device, host;
        TrafficSums sums;
    };
    using ContactKey = std::pair<std::string_view, std::string_view>;
    std::map<TrafficKey, Traffic> traffic;
    std::map<ContactKey, ContactRow> contacts;

    auto add = [&](const Batch::Key& key, const Batch::Value& value) {
        // The addresses live in the batches' keys, which outlive this call: the views stay valid.
        const std::optional<IpAddress> device = key.device, host = key.host;
        for (std::int64_t step : steps_kept) {
            if (!keeps(steps, step)) continue;
            const std::int64_t bucket = bucket_start(key.minute, step);
            for (const auto& [d, h] : {std::pair{device, host}, std::pair{device, std::optional<IpAddress>{}},
                                      std::pair{std::optional<IpAddress>{}, std::optional<IpAddress>{}}}) {
                auto [it, inserted] = traffic.try_emplace(
                    TrafficKey{d ? key.device.blob() : std::string_view{}, step, bucket,
                               h ? key.host.blob() : std::string_view{}},
                    Traffic{d, h, {}});
                it->second.sums.add(value.sums);
            }
        }
        for (const std::optional<IpAddress>& h : {host, std::optional<IpAddress>{}}) {
            auto [it, inserted] = contacts.try_emplace(
                ContactKey{key.device.blob(), h ? key.host.blob() : std::string_view{}},
                ContactRow{key.device, h, value.first_at, value.last_at, {}});
            ContactRow& row = it->second;
            row.first_at = std::min(row.first_at, value.first_at);
            row.last_at = std::max(row.last_at, value.last_at);
            row.sums.add(value.sums);
        }
    };
    for (const auto& [key, value] : pending_.sums) add(key, value);
    for (const auto& [key, value] : batch.sums) add(key, value);

    HistoryRows rows;
    rows.traffic.reserve(traffic.size());
    for (const auto& [key, row] : traffic)
        rows.traffic.push_back({row.device, std::get<1>(key), std::get<2>(key), row.host, row.sums});
    rows.contacts.reserve(contacts.size());
    for (auto& [key, row] : contacts) rows.contacts.push_back(row);
    return rows;
}

std::vector<std::pair<IpAddress, std::int64_t>> ActiveConnections::apply(const FlowChanges& changes) {
    std::map<std::string_view, IpAddress> touched;
    for (const FlowChanges::Inserted& row : changes.inserted) {
        ++counts_[row.key->src];
        touched.emplace(row.key->src.blob(), row.key->src);
    }
    // Ended flows with a row lose it; those without one (born and gone, or late) never had one.
    for (const FlowChanges::Ended& row : changes.ended) {
        if (row.id == 0) continue;
        std::int64_t& count = counts_[row.key.src];
        if (count > 0) --count;
        touched.emplace(row.key.src.blob(), row.key.src);
    }
    std::vector<std::pair<IpAddress, std::int64_t>> changed;
    changed.reserve(touched.size());
    for (const auto& [blob, device] : touched) changed.emplace_back(device, counts_[device]);
    return changed;
}

}  // namespace netmon
