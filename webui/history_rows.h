#pragma once
// What netmon-web reads from the history tables (schema/004_history.sql), as plain values.
// Times are ms since the epoch, UTC; addresses are parsed from their stored bytes.

#include <cstdint>
#include <optional>
#include <string>

#include <vector>

#include "names.h"
#include "netmon/address.h"
#include "netmon/counters.h"

namespace netmon::web {

// Bytes, packets and new flows of some buckets of traffic, added up saturating at 2^63 - 1
// (the database's counters stop there, so their sums do too).
struct TrafficSums {
    std::int64_t uplink_bytes = 0;
    std::int64_t downlink_bytes = 0;
    std::int64_t uplink_packets = 0;
    std::int64_t downlink_packets = 0;
    std::int64_t flows = 0;

    std::int64_t total_bytes() const { return saturating_add(uplink_bytes, downlink_bytes); }
    TrafficSums& operator+=(const TrafficSums& other) {
        uplink_bytes = saturating_add(uplink_bytes, other.uplink_bytes);
        downlink_bytes = saturating_add(downlink_bytes, other.downlink_bytes);
        uplink_packets = saturating_add(uplink_packets, other.uplink_packets);
        downlink_packets = saturating_add(downlink_packets, other.downlink_packets);
        flows = saturating_add(flows, other.flows);
        return *this;
    }
    friend bool operator==(const TrafficSums&, const TrafficSums&) = default;
};

// One point of /history.json: the bucket starting at bucket.
struct HistoryPoint {
    std::int64_t bucket = 0;
    TrafficSums traffic;
    friend bool operator==(const HistoryPoint&, const HistoryPoint&) = default;
};

// A LAN device of /devices.json: its traffic in the window and its row of devices.
struct DeviceRow {
    IpAddress device;  // the lowest of addresses
    std::vector<IpAddress> addresses;  // the device's (group_devices: all of its MAC's with traffic)
    std::optional<MacAddress> mac;
    DeviceName name;
    TrafficSums traffic;
    std::int64_t remote_hosts = 0;  // device_hosts rows with contact in the window
    std::int64_t active_connections = 0;
    std::int64_t first_seen_at = 0;
    std::int64_t last_seen_at = 0;
};

// A remote host of one device in a window (/hosts.json?device=): its traffic in the window, and
// first and last contact from device_hosts (none when the retention forgot the pair).
struct DeviceHostRow {
    IpAddress host;
    TrafficSums traffic;
    std::optional<std::int64_t> first_seen_at;
    std::optional<std::int64_t> last_seen_at;
    RemoteName remote_name;
};

// A flow_log row.
struct FlowLogRow {
    std::int64_t ended_at = 0;
    IpAddress device;
    IpAddress host;
    int proto = 0;
    std::int64_t src_port = 0;
    std::int64_t dst_port = 0;
    std::int64_t first_seen_at = 0;
    std::int64_t last_seen_at = 0;
    std::optional<std::string> state;
    int flags = 0;  // netmon::Flag bits
    std::int64_t uplink_packets = 0;
    std::int64_t uplink_bytes = 0;
    std::int64_t downlink_packets = 0;
    std::int64_t downlink_bytes = 0;
    int ended_by = 0;  // 1: destroyed, 2: gone
};

// A devices row's counters, for /metrics.
struct DeviceTotalsRow {
    std::string device;  // canonical text
    std::int64_t uplink_bytes = 0;
    std::int64_t downlink_bytes = 0;
};

}  // namespace netmon::web
