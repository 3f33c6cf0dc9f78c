#include "device_directory.h"

#include <algorithm>
#include <map>

namespace netmon {

DeviceDirectory::DeviceDirectory(std::vector<Cidr> local_subnets) : local_subnets_(std::move(local_subnets)) {}

bool DeviceDirectory::is_local(const IpAddress& address) const {
    return std::any_of(local_subnets_.begin(), local_subnets_.end(),
                       [&](const Cidr& subnet) { return subnet.contains(address); });
}

DeviceChanges DeviceDirectory::changes(std::span<const Neighbour> neighbours, std::span<const Lease> leases,
                                       const DeviceNamer& namer, std::int64_t now) const {
    DeviceChanges out;
    // The pairs of this read: the table's, then the leases' for addresses it does not list.
    std::unordered_map<IpAddress, MacAddress, IpAddressHash> seen;
    seen.reserve(neighbours.size() + leases.size());
    for (const Neighbour& n : neighbours)
        if (is_local(n.address)) seen.try_emplace(n.address, n.mac);
    for (const Lease& lease : leases)
        if (lease.mac && is_local(lease.address)) seen.try_emplace(lease.address, *lease.mac);

    for (const auto& [address, mac] : seen) {
        auto known = addresses_.find(address);
        const bool due = known == addresses_.end() || known->second.mac != mac ||
                         now - known->second.written_at >= refresh_ms || now < known->second.written_at;
        if (due) out.addresses.push_back({address, mac, now});
    }
    std::sort(out.addresses.begin(), out.addresses.end(),
              [](const LanAddressRow& a, const LanAddressRow& b) { return a.address < b.address; });

    // Each MAC's addresses, as they will be after this write: those already known (not
    // moved to another MAC since) and this read's.
    std::map<MacAddress, std::vector<IpAddress>> by_mac;
    for (const auto& [address, known] : addresses_) {
        auto now_seen = seen.find(address);
        const MacAddress& mac = now_seen != seen.end() ? now_seen->second : known.mac;
        by_mac[mac].push_back(address);
    }
    for (const auto& [address, mac] : seen)
        if (!addresses_.count(address)) by_mac[mac].push_back(address);

    auto consider = [&](std::string key, const DeviceName& name) {
        auto it = names_.find(key);
        if (it != names_.end() ? it->second == name : !name.name && !name.vendor) return;
        out.names.push_back({std::move(key), name, now});
    };
    for (auto& [mac, list] : by_mac) {
        std::sort(list.begin(), list.end());
        consider(std::string(mac.blob()), namer.name(mac, list));
    }
    // Devices known by an address only: a lease without a MAC, or names.devices by an
    // address whose MAC is not known.
    std::vector<IpAddress> loose;
    for (const Lease& lease : leases)
        if (!lease.mac && is_local(lease.address)) loose.push_back(lease.address);
    for (const IpAddress& address : namer.configured_addresses())
        if (is_local(address)) loose.push_back(address);
    std::sort(loose.begin(), loose.end());
    loose.erase(std::unique(loose.begin(), loose.end()), loose.end());
    for (const IpAddress& address : loose) {
        if (seen.count(address) || addresses_.count(address)) continue;
        consider(std::string(address.blob()), namer.name(std::nullopt, std::span<const IpAddress>(&address, 1)));
    }
    return out;
}

void DeviceDirectory::written(const DeviceChanges& changes) {
    for (const LanAddressRow& row : changes.addresses) addresses_[row.address] = Known{row.mac, row.seen_at};
    for (const DeviceNameRow& row : changes.names) names_[row.device] = row.name;
    // Addresses gone for a day leave memory: privacy addresses rotate daily, and a device
    // of the LAN must not grow it for ever.
    if (changes.addresses.empty()) return;
    const std::int64_t now = changes.addresses.front().seen_at;
    std::erase_if(addresses_, [&](const auto& item) { return now - item.second.written_at > forget_after_ms; });
}

void DeviceDirectory::forget() {
    addresses_.clear();
    names_.clear();
}

}  // namespace netmon
