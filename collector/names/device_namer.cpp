#include "device_namer.h"

#include "oui_registry.h"

namespace netmon {

std::string_view device_name_source_name(DeviceNameSource source) {
    switch (source) {
        case DeviceNameSource::config: return "config";
        case DeviceNameSource::dhcp: return "dhcp";
        case DeviceNameSource::oui: return "oui";
    }
    return "config";
}

DeviceNamer::DeviceNamer(const Names& names, const OuiRegistry* oui) : oui_(oui) {
    // The first of a repeated key wins, as the first match does everywhere else.
    for (const auto& [mac, name] : names.device_by_mac) config_by_mac_.try_emplace(mac, name);
    for (const auto& [address, name] : names.device_by_address) {
        config_by_address_.try_emplace(address, name);
        configured_addresses_.push_back(address);
    }
}

void DeviceNamer::set_leases(std::span<const Lease> leases) {
    lease_by_mac_.clear();
    lease_by_address_.clear();
    for (const Lease& lease : leases) {
        if (lease.hostname.empty()) continue;
        if (lease.mac) lease_by_mac_.try_emplace(*lease.mac, lease.hostname);
        lease_by_address_.try_emplace(lease.address, lease.hostname);
    }
}

DeviceName DeviceNamer::name(const std::optional<MacAddress>& mac, std::span<const IpAddress> addresses) const {
    DeviceName result;
    if (mac && oui_ != nullptr)
        if (auto vendor = oui_->vendor(*mac)) result.vendor = std::string(*vendor);
    auto found = [&](const std::string& name, DeviceNameSource source) {
        result.name = name;
        result.source = source;
        return result;
    };
    if (mac)
        if (auto it = config_by_mac_.find(*mac); it != config_by_mac_.end()) return found(it->second, DeviceNameSource::config);
    for (const IpAddress& address : addresses)
        if (auto it = config_by_address_.find(address); it != config_by_address_.end())
            return found(it->second, DeviceNameSource::config);
    if (mac)
        if (auto it = lease_by_mac_.find(*mac); it != lease_by_mac_.end()) return found(it->second, DeviceNameSource::dhcp);
    for (const IpAddress& address : addresses)
        if (auto it = lease_by_address_.find(address); it != lease_by_address_.end())
            return found(it->second, DeviceNameSource::dhcp);
    if (result.vendor) return found(*result.vendor, DeviceNameSource::oui);
    return result;
}

}  // namespace netmon
