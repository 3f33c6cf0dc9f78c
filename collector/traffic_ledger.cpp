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
bool keeps_pairs(const TrafficSteps& steps, std::int64_t step) {
    return step == 60 ? steps.host_minute : step == 3600 ? steps.host_hour : steps.host_day;
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
            retention.traffic_per_day_days > 0, retention.host_minute_hours() > 0,
            retention.host_hour_days() > 0, retention.host_day_days() > 0};
}

std::int64_t bucket_start(std::int64_t t_ms, std::int64_t step_seconds) {
    const std::int64_t length = step_seconds * 1000;
    std::int64_t start = t_ms / length * length;
    if (start > t_ms) start -= length;  // division rounds toward zero: before 1970, one down
    return start;
}

TrafficLedger::Batch TrafficLedger::stage(const FlowChanges& changes, bool baseline) {
    using End = FlowChanges::End;
    Batch batch;
    const std::int64_t now = changes.now;
    const std::int64_t minute = bucket_start(now, 60);
    // A new flow's counters are all new; so are those of a flow born and gone in the batch,
    // which has no row. A moved flow adds its delta, an ending one what its final counters
    // add (nothing when a read found it gone: the last reading was counted already).
    if (!baseline)
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

void TrafficLedger::add_wan(Batch& batch, std::int64_t now_ms, const TrafficSums& wan) {
    if (!wan.empty()) batch.wan[bucket_start(now_ms, 60)].add(wan);
}

void TrafficLedger::keep(Batch&& batch) {
    if (pending_.empty()) {
        pending_ = std::move(batch);
        return;
    }
    for (const auto& [minute, sums] : batch.wan) pending_.wan[minute].add(sums);
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
    return now_ms - last_flush_ms_ >= flush_period_ms || now_ms < last_flush_ms_ ||
           pending_.sums.size() + batch.sums.size() >= max_waiting;
}

void TrafficLedger::flushed(std::int64_t now_ms) {
    pending_.sums.clear();
    pending_.wan.clear();
    last_flush_ms_ = now_ms;
}

void TrafficLedger::for_each_row(const Batch& batch, const TrafficSteps& steps,
                                 const std::function<void(const TrafficRow&)>& traffic,
                                 const std::function<void(const ContactRow&)>& contact) const {
    // Devices and the LAN have few rows (devices x buckets): gathered. Pairs are walked: both
    // maps are in (device, host, minute) order, so one pair's minutes come together, and so
    // do the hours and days they fall in.
    std::map<std::tuple<IpAddress, std::int64_t, std::int64_t>, TrafficSums> devices;
    std::map<std::pair<std::int64_t, std::int64_t>, TrafficSums> lan;
    std::map<IpAddress, ContactRow> device_contacts;

    struct Run {
        bool open = false;
        IpAddress device, host;
        TrafficRow rows[3];  // the bucket under way, per step
        ContactRow contact;
    } run;
    auto close_run = [&] {
        if (!run.open) return;
        for (const TrafficRow& row : run.rows)
            if (row.step != 0) traffic(row);
        if (steps.pairs()) contact(run.contact);
        run = Run{};
    };
    auto add = [&](const Batch::Key& key, const Batch::Value& value) {
        if (!run.open || run.device != key.device || run.host != key.host) {
            close_run();
            run.open = true;
            run.device = key.device;
            run.host = key.host;
            run.contact = ContactRow{key.device, key.host, value.first_at, value.last_at, {}};
        }
        for (std::size_t i = 0; i < 3; ++i) {
            const std::int64_t step = steps_kept[i];
            const std::int64_t bucket = bucket_start(key.minute, step);
            if (keeps_pairs(steps, step)) {
                TrafficRow& row = run.rows[i];
                if (row.step != 0 && row.bucket != bucket) {
                    traffic(row);
                    row = TrafficRow{};
                }
                if (row.step == 0) row = TrafficRow{key.device, step, bucket, key.host, {}};
                row.sums.add(value.sums);
            }
            if (keeps(steps, step)) {
                devices[{key.device, step, bucket}].add(value.sums);
                lan[{step, bucket}].add(value.sums);
            }
        }
        for (ContactRow* row : {&run.contact, &device_contacts.try_emplace(key.device, ContactRow{key.device, std::nullopt,
                                                                                                 value.first_at, value.last_at, {}})
                                                  .first->second}) {
            row->first_at = std::min(row->first_at, value.first_at);
            row->last_at = std::max(row->last_at, value.last_at);
            row->sums.add(value.sums);
        }
    };
    // The two maps merged in order; a key in both adds both.
    auto a = pending_.sums.begin(), b = batch.sums.begin();
    while (a != pending_.sums.end() || b != batch.sums.end()) {
        if (b == batch.sums.end() || (a != pending_.sums.end() && a->first < b->first)) {
            add(a->first, a->second);
            ++a;
        } else if (a == pending_.sums.end() || b->first < a->first) {
            add(b->first, b->second);
            ++b;
        } else {
            add(a->first, a->second);
            add(b->first, b->second);
            ++a;
            ++b;
        }
    }
    close_run();
    for (const auto& [key, sums] : devices) traffic({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::nullopt, sums});
    for (const auto& [key, sums] : lan) traffic({std::nullopt, key.first, key.second, std::nullopt, sums});
    std::map<std::pair<std::int64_t, std::int64_t>, TrafficSums> wan;
    for (const auto* minutes : {&pending_.wan, &batch.wan})
        for (const auto& [minute, sums] : *minutes)
            for (const std::int64_t step : steps_kept)
                if (keeps(steps, step)) wan[{step, bucket_start(minute, step)}].add(sums);
    for (const auto& [key, sums] : wan) traffic({std::nullopt, key.first, key.second, std::nullopt, sums, true});
    for (const auto& [device, row] : device_contacts) contact(row);
}

HistoryRows TrafficLedger::rows(const Batch& batch, const TrafficSteps& steps) const {
    HistoryRows rows;
    for_each_row(
        batch, steps, [&](const TrafficRow& row) { rows.traffic.push_back(row); },
        [&](const ContactRow& row) { rows.contacts.push_back(row); });
    return rows;
}

std::vector<std::pair<IpAddress, std::int64_t>> ActiveConnections::apply(const FlowChanges& changes) {
    std::map<std::string_view, IpAddress> touched;
    for (const FlowChanges::Inserted& row : changes.inserted) {
        ++counts_[row.key->src];
        ++hosts_[row.key->dst];
        ++total_;
        touched.emplace(row.key->src.blob(), row.key->src);
    }
    // Ended flows with a row lose it; those without one (born and gone, or late) never had one.
    for (const FlowChanges::Ended& row : changes.ended) {
        if (row.id == 0) continue;
        std::int64_t& count = counts_[row.key.src];
        if (count > 0) --count;
        if (auto host = hosts_.find(row.key.dst); host != hosts_.end() && --host->second <= 0) hosts_.erase(host);
        if (total_ > 0) --total_;
        touched.emplace(row.key.src.blob(), row.key.src);
    }
    if (all_changed_) {
        for (const auto& [device, count] : counts_) touched.emplace(device.blob(), device);
        all_changed_ = false;
    }
    std::vector<std::pair<IpAddress, std::int64_t>> changed;
    changed.reserve(touched.size());
    for (const auto& [blob, device] : touched) changed.emplace_back(device, counts_[device]);
    return changed;
}

}  // namespace netmon
