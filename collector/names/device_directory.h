#pragma once
// Which MAC each LAN address has and which name each device goes by, as rows to write
// (schema/006_names.sql): the neighbour table's (address, MAC) pairs and the DHCP leases
// joined with names.devices and the OUI registry. Only what changed is written: a new or
// moved address, a last_seen_at older than refresh_ms, a device whose name changed. Pure: no
// socket, no file, no clock.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "device_namer.h"
#include "neighbours.h"
#include "netmon/address.h"
#include "netmon/mac.h"

namespace netmon {

struct LanAddressRow {
    IpAddress address;
    MacAddress mac;
    std::int64_t seen_at = 0;  // first_seen_at of a new row, last_seen_at of every row
    friend bool operator==(const LanAddressRow&, const LanAddressRow&) = default;
};

struct DeviceNameRow {
    std::string device;  // the key: a MAC's 6 bytes, or an address's 4 or 16
    DeviceName name;
    std::int64_t updated_at = 0;
    friend bool operator==(const DeviceNameRow&, const DeviceNameRow&) = default;
};

struct DeviceChanges {
    std::vector<LanAddressRow> addresses;
    std::vector<DeviceNameRow> names;
    std::uint64_t lease_lines_skipped = 0;  // in the lease files read for these
    bool empty() const { return addresses.empty() && names.empty() && lease_lines_skipped == 0; }
};

class DeviceDirectory {
public:
    // A seen address's last_seen_at is written again at most this often.
    static constexpr std::int64_t refresh_ms = 60'000;
    // An address not seen for this long is forgotten here (its row stays, for the retention).
    static constexpr std::int64_t forget_after_ms = 24 * 3600 * 1000;

    explicit DeviceDirectory(std::vector<Cidr> local_subnets);
    void set_local_subnets(std::vector<Cidr> local_subnets) { local_subnets_ = std::move(local_subnets); }

    // What to write at now: neighbours (the kernel's table; none in replay) first, then the
    // leases' (address, MAC) pairs for addresses the table does not list, named by namer
    // (whose leases are leases). Addresses outside local_subnets are left out. Changes
    // nothing here: written() does, once the rows are in the database.
    DeviceChanges changes(std::span<const Neighbour> neighbours, std::span<const Lease> leases,
                          const DeviceNamer& namer, std::int64_t now) const;
    // The rows of changes are in the database.
    void written(const DeviceChanges& changes);
    // Forget every row written: the database is another file (the next changes write all).
    void forget();

    std::size_t addresses() const { return addresses_.size(); }

private:
    struct Known {
        MacAddress mac;
        std::int64_t written_at = 0;  // its last_seen_at in the database
    };
    bool is_local(const IpAddress& address) const;

    std::vector<Cidr> local_subnets_;
    std::unordered_map<IpAddress, Known, IpAddressHash> addresses_;
    std::unordered_map<std::string, DeviceName> names_;  // by key, as written
};

}  // namespace netmon
