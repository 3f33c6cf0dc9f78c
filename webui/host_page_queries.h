#pragma once
// What only the history pages ask, beyond the endpoints of docs/API.md: /device.json?device=ADDR
// (a LAN device's row of `devices`: first and last seen, totals since then) and
// /host.json?host=ADDR (a remote host's first contact and every LAN device that ever talked to
// it, from `device_hosts`: when and how much). Both read the tables of schema/004_history.sql
// with bound parameters; the JSON is written from plain rows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "name_queries.h"
#include "netmon/address.h"
#include "request_params.h"

namespace netmon {
class Database;
}

namespace netmon::web {

// The one parameter name= of /device.json and /host.json, required and an IP address. Nothing,
// with error naming it, for a missing, malformed or unknown parameter.
std::optional<IpAddress> parse_address_parameter(const QueryParams& params, std::string_view name, std::string& error);
// The same for /device.json's device=, which is also a MAC.
std::optional<DeviceRef> parse_device_parameter(const QueryParams& params, std::string& error);

// A totals row: of `devices`, `device_hosts` or `remote_hosts`.
struct ContactTotals {
    std::int64_t first_seen_at = 0;
    std::int64_t last_seen_at = 0;
    std::int64_t connections_seen = 0;
    std::int64_t uplink_bytes = 0;
    std::int64_t downlink_bytes = 0;
};

struct DeviceRecord {
    ContactTotals totals;
    std::int64_t active_connections = 0;
};

struct HostDevice {
    IpAddress device;
    ContactTotals totals;
    Device names;  // its MAC, addresses and name (group_host_devices)
};

struct HostRecord {
    std::optional<ContactTotals> host;  // its remote_hosts row, kept since the first release
    std::vector<HostDevice> devices;    // by total bytes descending, then address
    RemoteName remote_name;
};

// At most this many devices in /host.json: a LAN's devices, with room.
inline constexpr std::size_t max_host_devices = 1000;

// The device's row, or nothing. Throws DatabaseError.
std::optional<DeviceRecord> read_device_record(Database& db, const IpAddress& device);
// The rows of all of a device's addresses added up (the first first_seen_at, the last
// last_seen_at), or nothing when none has one.
std::optional<DeviceRecord> read_device_record(Database& db, const std::vector<IpAddress>& addresses);
// One entry per device (a MAC's addresses added up, as above), each with its names from lookup;
// sorted as HostRecord's devices.
void group_host_devices(HostRecord& record, NameLookup& lookup);
// The host's rows (none for an unknown host). Throws DatabaseError.
HostRecord read_host_record(Database& db, const IpAddress& host);

// {"device", "first_seen_at", "last_seen_at" (ISO or null when unknown), "connections_seen",
// "uplink_bytes", "downlink_bytes", "total_bytes", "active_connections"}
// With names: its "addresses" and names (names.h) after "device", which is what was asked for
// (a MAC, or an address), in canonical form.
std::string device_record_json(const IpAddress& device, const std::optional<DeviceRecord>& record);
std::string device_record_json(const DeviceRef& asked, const Device& device, const std::optional<DeviceRecord>& record);
// {"host", "first_seen_at", "last_seen_at" (null when unknown), "connections_seen",
// "uplink_bytes", "downlink_bytes", "total_bytes", "devices": [{"device", "first_seen_at",
// "last_seen_at", "connections_seen", "uplink_bytes", "downlink_bytes", "total_bytes"}]}
// Each device's entry, once grouped, has as "device" the lowest of its addresses that talked to
// the host, then its "addresses" and names; the
// host its "remote_name" and "remote_name_source" after "host".
std::string host_record_json(const IpAddress& host, const HostRecord& record);

}  // namespace netmon::web
