#pragma once
// The identity of a flow: its protocol and original tuple, as conntrack itself keys it.
//
// The text form is "proto|src|sport|dst|dport", e.g. "tcp|10.0.0.2|45678|192.0.2.1|443", with
// the protocol's conntrack name or, for protocols without one, its number ("253|..."), and
// addresses in canonical form (so /proc's uncompressed IPv6 gives the same key as conntrack's).
// Where a protocol has no ports, the tuple fields that conntrack matches on take their place,
// as in the kernel's nf_conntrack_tuple:
//   icmp, icmpv6  sport = the echo identifier, dport = type << 8 | code
//                 ("icmp|10.0.0.2|4242|192.0.2.1|2048" is an echo request, type 8 code 0);
//   gre           sport = srckey, dport = dstkey;
//   anything else sport = dport = 0: conntrack has one entry per address pair and protocol.
// Two live flows share a key only when conntrack sees the same original tuple. The conntrack
// zone is not part of the key: entries that differ only in zone are one flow to netmon.

#include <cstddef>
#include <cstdint>
#include <string>

#include "netmon/address.h"

namespace netmon {

struct Entry;

struct Key {
    std::uint8_t protocol = 0;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    IpAddress src;
    IpAddress dst;

    static Key from_entry(const Entry& entry);
    std::string str() const;

    friend bool operator==(const Key&, const Key&) = default;
    friend auto operator<=>(const Key&, const Key&) = default;
};

// A 64-bit hash of every field of the key, well mixed in all bits.
std::uint64_t hash_key(const Key& key) noexcept;

struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept { return static_cast<std::size_t>(hash_key(key)); }
};

}  // namespace netmon
