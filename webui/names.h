#pragma once
// Names as netmon-web shows them (schema/006_names.sql, issue 13): which device (its MAC, all of
// its addresses, the name the ingest decided for it) and which site (the name the device asked
// the DNS for). The ingest decides device names; the remote name of a flow or a pair is decided
// here, from the rows, by remote_name_of. Pure: the rows are passed in.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/address.h"
#include "netmon/json_writer.h"
#include "netmon/mac.h"

namespace netmon::web {

// What a device= or src= parameter names: a MAC ("aa:bb:cc:dd:ee:ff", any case, '-' too), or an
// address, which means its MAC's device when the MAC is known.
struct DeviceRef {
    std::optional<MacAddress> mac;
    IpAddress address;  // when there is no mac

    DeviceRef() = default;
    DeviceRef(const IpAddress& ip) : address(ip) {}  // NOLINT: an address is a device's name too
    DeviceRef(const MacAddress& m) : mac(m) {}       // NOLINT
    // A MAC or an IP address; nothing for anything else.
    static std::optional<DeviceRef> parse(std::string_view text);
    // The canonical text: "aa:bb:cc:dd:ee:ff" or the address's.
    std::string to_string() const;
    friend bool operator==(const DeviceRef& a, const DeviceRef& b) {
        return a.mac == b.mac && (a.mac || a.address == b.address);
    }
};

// A device's name as the ingest decided it (device_names), and its MAC (lan_addresses).
struct DeviceName {
    std::optional<MacAddress> mac;
    std::optional<std::string> name;
    std::optional<std::string> source;  // "config", "dhcp", "oui"
    std::optional<std::string> vendor;
    // A locally administered MAC (a phone's random one): no vendor registered it.
    bool mac_random() const { return mac && mac->is_locally_administered(); }
    friend bool operator==(const DeviceName&, const DeviceName&) = default;
};

// A remote host's name for a flow or a pair.
struct RemoteName {
    std::optional<std::string> name;
    std::optional<std::string> source;  // "dns", "ptr"
    friend bool operator==(const RemoteName&, const RemoteName&) = default;
};

// A remote_names row of one of the device's addresses and the host.
struct AnswerRow {
    std::string name;
    std::int64_t answered_at = 0;
    std::int64_t expires_at = 0;
};

// The contract's rule: the latest answer to the device (any of its addresses) for the host that
// had not expired when the contact began (expires_at >= first_seen_at): "dns"; else the host's
// latest name from any device's answer (host_names): "dns"; else none (a reverse name may fill
// it: see NameQueries::reverse_name).
RemoteName remote_name_of(const std::vector<AnswerRow>& answers, std::int64_t first_seen_at,
                          const std::optional<std::string>& host_name);

// The members of a LAN side, into the object the writer is in: "mac" (text or null),
// "device_name", "device_name_source", "vendor" (text or null) and "mac_random".
void write_device_name_members(JsonWriter& w, const DeviceName& name);
// "remote_name" and "remote_name_source" (text or null).
void write_remote_name_members(JsonWriter& w, const RemoteName& name);

// q of the filter box as a LIKE pattern: %q%, with '%', '_' and '\' escaped by '\'.
std::string like_pattern(std::string_view q);
// Whether a MAC's text holds q (case-insensitive; '-' in q stands for ':').
bool mac_matches(const MacAddress& mac, std::string_view q);
// Whether a name holds q, as LIKE '%q%' matches it: ASCII letters in any case, the rest as is.
bool name_matches(std::string_view name, std::string_view q);

}  // namespace netmon::web
