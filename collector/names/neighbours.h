#pragma once
// The kernel's neighbour table (ARP for IPv4, NDP for IPv6) over NETLINK_ROUTE: which MAC each
// LAN address answers from, so that a device is its MAC and not one of its addresses.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "netmon/address.h"
#include "netmon/mac.h"

namespace netmon {

struct Neighbour {
    IpAddress address;
    MacAddress mac;
    friend bool operator==(const Neighbour&, const Neighbour&) = default;
};

// Whether an entry in state (NUD_* bits) may say where the address is: not FAILED or
// INCOMPLETE (the kernel asked and got no answer). Pure.
bool neighbour_state_usable(std::uint16_t state);

// One RTM_NEWNEIGH message (its netlink header first) as a Neighbour: an IPv4 or IPv6
// destination, a 6-byte link-layer address that is neither zero nor multicast (which leaves
// out the NOARP entries the kernel computes for multicast and point-to-point), and a usable
// state. Nothing for anything else, including a message too short for what it claims. Pure.
std::optional<Neighbour> parse_neighbour_message(std::span<const std::uint8_t> message);

class NeighbourTable {
public:
    // A NETLINK_ROUTE socket in the calling thread's network namespace. Throws SourceError
    // when it cannot be opened or bound.
    NeighbourTable();
    ~NeighbourTable();
    NeighbourTable(const NeighbourTable&) = delete;
    NeighbourTable& operator=(const NeighbourTable&) = delete;

    // The whole table, IPv4 and IPv6, replacing out's contents (its capacity is kept, so a
    // cycle allocates nothing once warm). Throws SourceError when the kernel fails the dump
    // or does not answer within 2 s.
    void dump(std::vector<Neighbour>& out);

private:
    struct Socket;
    std::unique_ptr<Socket> socket_;
    std::uint32_t sequence_ = 0;
};

}  // namespace netmon
