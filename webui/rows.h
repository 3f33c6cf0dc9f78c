#pragma once
// What netmon-web reads from the database, as plain values, and the NEW/SEEN rule.

#include <cstdint>
#include <optional>
#include <string>

#include "names.h"

namespace netmon::web {

// A remote host is new for this long after its first_seen_at (seed step 8).
inline constexpr std::int64_t new_host_window_ms = 60'000;

// seen_before of /connections.json: the host was first seen more than 60 s before now. The
// dashboard's badge is its negation: "NEW" when first seen within the last 60 s, else "SEEN".
inline bool seen_before(std::int64_t host_first_seen_at, std::int64_t now_ms) {
    return host_first_seen_at < now_ms - new_host_window_ms;
}

// A connections row, with its remote host's first_seen_at.
struct ConnectionRow {
    std::string proto;
    std::string src_ip;
    std::int64_t src_port = 0;
    std::string dst_ip;
    std::int64_t dst_port = 0;
    std::optional<std::string> state;
    std::string flags;  // space-separated, as stored
    std::int64_t uplink_packets = 0;
    std::int64_t uplink_bytes = 0;
    std::int64_t downlink_packets = 0;
    std::int64_t downlink_bytes = 0;
    std::int64_t total_bytes = 0;
    double uplink_rate = 0;  // bytes per second
    double downlink_rate = 0;
    std::int64_t first_seen_at = 0;
    std::int64_t last_seen_at = 0;
    // The remote host's first_seen_at (see Reader::connections); the connection's own when
    // the host has no row.
    std::int64_t host_first_seen_at = 0;
    // The names of both sides (Reader::connections looks them up for the rows it gives).
    DeviceName device_name;
    RemoteName remote_name;
};

// A remote_hosts row with what its active connections add up to.
struct HostRow {
    std::string ip;
    int family = 4;
    std::int64_t first_seen_at = 0;
    std::int64_t last_seen_at = 0;
    std::int64_t connections_seen = 0;  // ended ones included
    std::int64_t uplink_bytes = 0;      // ended flows included
    std::int64_t downlink_bytes = 0;
    std::int64_t active_connections = 0;
    std::int64_t active_bytes = 0;  // total_bytes of its active connections
    RemoteName remote_name;
};

// The summary line's figures.
struct Summary {
    std::int64_t active_connections = 0;
    std::int64_t active_remote_hosts = 0;  // distinct remote hosts of the active connections
    std::int64_t known_remote_hosts = 0;   // every remote host ever seen
    std::int64_t new_remote_hosts = 0;     // first seen within new_host_window_ms
};

}  // namespace netmon::web
