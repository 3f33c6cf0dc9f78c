#pragma once
// The history's decisions, without a database or a clock: which bytes go into which bucket of
// traffic, host_traffic, devices and device_hosts (schema/004_history.sql, 005_history_size.sql),
// and when they are written.
//
// Every batch's changes (FlowChanges) carry what each flow's counters added since they were
// last read: a new flow's whole counters, a moved flow's delta, an ending flow's last delta.
// Those are the only bytes history counts, each once, in the minute of the batch that read
// them, so that a device's total in a window is the sum of its flows' deltas in it. A restart
// reads the stored totals back (FlowDiff), so the bytes a flow added while the ingest was down
// are counted once, at the first cycle after it.
//
// The sums wait in memory and are written every flush_period (and when the ingest stops): a
// flush writes each (device, remote host) once however many cycles touched it. A crash
// (kill -9) loses at most the sums since the last flush; it never counts a byte twice, since
// the stored flows' totals, which the next start diffs against, include those bytes already.
//
// A batch's sums are staged apart (stage) and only kept (keep) once the batch is written: a
// batch that fails is read again by the next cycle, and its bytes must not be in memory twice.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "flow_changes.h"
#include "netmon/address.h"
#include "netmon/config.h"
#include "netmon/counters.h"
#include "netmon/key.h"

namespace netmon {

// What a set of flows added: bytes and packets each way, and how many of them began.
struct TrafficSums {
    std::uint64_t uplink_bytes = 0;
    std::uint64_t downlink_bytes = 0;
    std::uint64_t uplink_packets = 0;
    std::uint64_t downlink_packets = 0;
    std::uint64_t flows = 0;

    void add(const Counters& delta, std::uint64_t new_flows);
    void add(const TrafficSums& other);
    bool empty() const {
        return uplink_bytes == 0 && downlink_bytes == 0 && uplink_packets == 0 && downlink_packets == 0 && flows == 0;
    }
    friend bool operator==(const TrafficSums&, const TrafficSums&) = default;
};

// A traffic row's sums to add. No device: the whole LAN; no host: all of the device's hosts.
// wan: a wan_traffic row instead (schema/007_coverage.sql), the WAN interface's own counters
// (no device, no host, no flows).
struct TrafficRow {
    std::optional<IpAddress> device;
    std::int64_t step = 0;    // seconds: 60, 3600 or 86400
    std::int64_t bucket = 0;  // ms, a multiple of step * 1000
    std::optional<IpAddress> host;
    TrafficSums sums;
    bool wan = false;
};

// A devices or device_hosts row's sums to add, with the first and last time they moved.
struct ContactRow {
    IpAddress device;
    std::optional<IpAddress> host;  // none: the devices row
    std::int64_t first_at = 0;
    std::int64_t last_at = 0;
    TrafficSums sums;
};

// What one flush writes, gathered (for tests; the ingest writes them one by one).
struct HistoryRows {
    std::vector<TrafficRow> traffic;
    std::vector<ContactRow> contacts;  // devices rows (no host) and device_hosts rows
};

// The steps kept (a retention of 0 keeps none of that step): of the devices' and the LAN's
// rows (traffic), and of the pairs' (host_traffic; with none of those, no device_hosts rows
// either).
struct TrafficSteps {
    bool minute = true;
    bool hour = true;
    bool day = true;
    bool host_minute = true;
    bool host_hour = true;
    bool host_day = true;
    static TrafficSteps of(const Retention& retention);
    bool pairs() const { return host_minute || host_hour || host_day; }
    bool any() const { return minute || hour || day || pairs(); }
};

// The start of the bucket of length step (seconds) that holds t (ms), also before 1970.
std::int64_t bucket_start(std::int64_t t_ms, std::int64_t step_seconds);

class TrafficLedger {
public:
    // How long sums wait in memory before they are written, at most.
    static constexpr std::int64_t flush_period_ms = 10'000;
    // How many (device, remote host, minute) sums may wait, at most (about 100 bytes each):
    // past it they are written at once, so that a burst of new pairs cannot grow the memory.
    static constexpr std::size_t max_waiting = 32'768;

    // What one batch added, per (device, remote host, minute), apart from what waits.
    struct Batch {
        struct Key {
            IpAddress device;
            IpAddress host;
            std::int64_t minute = 0;
            friend auto operator<=>(const Key&, const Key&) = default;
        };
        struct Value {
            TrafficSums sums;
            std::int64_t first_at = 0;
            std::int64_t last_at = 0;
        };
        std::map<Key, Value> sums;
        // The WAN interface's bytes read with the batch, per minute: what the LAN's rows are
        // compared with (the coverage).
        std::map<std::int64_t, TrafficSums> wan;
        bool empty() const { return sums.empty() && wan.empty(); }
    };

    explicit TrafficLedger(std::int64_t last_flush_ms = 0) : last_flush_ms_(last_flush_ms) {}

    // changes' bytes and new flows, per (device, remote host, minute of changes.now). Pure.
    // baseline: the first read of a new database, whose flows were there before netmon: their
    // counters so far are the baseline, not traffic of this minute (nobody knows when those
    // bytes moved); only what they add from then on counts.
    static Batch stage(const FlowChanges& changes, bool baseline = false);
    // A written batch's sums wait for the next flush.
    void keep(Batch&& batch);
    // Whether the sums waiting, with batch, are to be written with it now: flush_period_ms
    // after the last flush, at once when the clock went back past it, or when max_waiting
    // would be passed.
    bool due(std::int64_t now_ms, const Batch& batch) const;
    // Calls traffic for each traffic row and contact for each devices and device_hosts row of
    // what waits plus batch, for the steps kept: a pair's rows as its sums are walked, in
    // order, without gathering them (at max_waiting pairs, that would be 100,000 rows).
    void for_each_row(const Batch& batch, const TrafficSteps& steps, const std::function<void(const TrafficRow&)>& traffic,
                      const std::function<void(const ContactRow&)>& contact) const;
    // The same rows, gathered.
    HistoryRows rows(const Batch& batch, const TrafficSteps& steps) const;
    // They were written at now: nothing waits any more.
    void flushed(std::int64_t now_ms);
    bool waiting() const { return !pending_.empty(); }
    // The WAN's bytes of a reading at now_ms, into batch: rows of the minute now_ms is in.
    static void add_wan(Batch& batch, std::int64_t now_ms, const TrafficSums& wan);

private:
    Batch pending_;
    std::int64_t last_flush_ms_;
};

// Each LAN device's rows in connections (devices.active_connections), the rows in all, and the
// distinct remote hosts they go to, kept from the changes that insert and delete them: the
// dashboard's summary reads these instead of counting (count(DISTINCT dst_ip) reads a whole
// index).
class ActiveConnections {
public:
    void clear() {
        counts_.clear();
        hosts_.clear();
        total_ = 0;
        all_changed_ = true;
    }
    // A stored row, read back at start.
    void load(const Key& key) {
        ++counts_[key.src];
        ++hosts_[key.dst];
        ++total_;
    }
    std::int64_t total() const { return total_; }
    std::int64_t remote_hosts() const { return static_cast<std::int64_t>(hosts_.size()); }
    // Applies changes (its inserted rows and the rows its ended flows deleted), and returns the
    // devices whose count changed with their new count, in address order; after a clear (a
    // start, a reload), every device: the database may hold other counts (an upgrade from a
    // version without them, a failed write).
    std::vector<std::pair<IpAddress, std::int64_t>> apply(const FlowChanges& changes);

private:
    std::unordered_map<IpAddress, std::int64_t, IpAddressHash> counts_;
    std::unordered_map<IpAddress, std::int64_t, IpAddressHash> hosts_;  // only those with rows
    std::int64_t total_ = 0;
    bool all_changed_ = true;
};

}  // namespace netmon
