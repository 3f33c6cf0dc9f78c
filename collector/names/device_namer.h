#pragma once
// Which name a LAN device goes by (schema/006_names.sql, device_names), first match wins:
// names.devices by its MAC, then by any of its addresses (source config); a DHCP lease's
// hostname for its MAC, then for any of its addresses (dhcp); the vendor of its MAC's prefix
// (oui). A random (locally administered) MAC has no vendor, so no oui name either. Pure.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dhcp_leases.h"
#include "netmon/address.h"
#include "netmon/config.h"
#include "netmon/mac.h"

namespace netmon {

class OuiRegistry;

enum class DeviceNameSource { config, dhcp, oui };
std::string_view device_name_source_name(DeviceNameSource source);  // "config", "dhcp", "oui"

struct DeviceName {
    std::optional<std::string> name;
    std::optional<DeviceNameSource> source;  // set exactly when name is
    std::optional<std::string> vendor;       // whenever the registry knows the MAC
    friend bool operator==(const DeviceName&, const DeviceName&) = default;
};

class DeviceNamer {
public:
    // names.devices of names; oui may be null (no vendors) and must outlive the namer.
    DeviceNamer(const Names& names, const OuiRegistry* oui);

    // The leases of every lease file, in the order of names.dhcp_leases: for a MAC or an
    // address given more than once, the first with a hostname counts.
    void set_leases(std::span<const Lease> leases);

    // The name of the device with mac (none: a device known by its address only) and
    // addresses, tried in their order.
    DeviceName name(const std::optional<MacAddress>& mac, std::span<const IpAddress> addresses) const;

    // The addresses names.devices names, in its order.
    const std::vector<IpAddress>& configured_addresses() const { return configured_addresses_; }

private:
    std::vector<IpAddress> configured_addresses_;
    std::unordered_map<MacAddress, std::string, MacAddressHash> config_by_mac_;
    std::unordered_map<IpAddress, std::string, IpAddressHash> config_by_address_;
    std::unordered_map<MacAddress, std::string, MacAddressHash> lease_by_mac_;
    std::unordered_map<IpAddress, std::string, IpAddressHash> lease_by_address_;
    const OuiRegistry* oui_;
};

}  // namespace netmon
