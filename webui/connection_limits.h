#pragma once
// How many connections netmon-web keeps open, in all and per client address, and which one
// gives way when a new one comes: the oldest that is not being answered, of the same address
// when that address is at its limit, else of the address with the most. So one device's idle
// or slow connections never lock others out, and a new connection from a crowded address
// still gets in. Pure bookkeeping: connections are numbered in the order they were accepted.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "netmon/address.h"

namespace netmon::web {

class ConnectionLimits {
public:
    ConnectionLimits(std::size_t per_address, std::size_t total);

    struct Admission {
        bool admitted = false;
        std::optional<std::uint64_t> evict;  // close this one (already no longer counted)
    };
    // id: larger than every earlier one.
    Admission admit(std::uint64_t id, const IpAddress& peer);
    // A connection being answered is never chosen to give way.
    void set_busy(std::uint64_t id, bool busy);
    // The connection closed; nothing for an id already evicted or never admitted.
    void release(std::uint64_t id);

    std::size_t open() const { return connections_.size(); }
    std::size_t open_from(const IpAddress& peer) const;

private:
    struct Connection {
        IpAddress peer;
        bool busy = false;
    };
    struct PerAddress {
        std::size_t count = 0;
        std::set<std::uint64_t> idle;  // not busy, oldest first
    };
    std::optional<std::uint64_t> oldest_idle(const IpAddress& peer) const;

    std::size_t per_address_;
    std::size_t total_;
    std::unordered_map<std::uint64_t, Connection> connections_;
    std::unordered_map<IpAddress, PerAddress, IpAddressHash> addresses_;
};

}  // namespace netmon::web
