#pragma once
// One conntrack entry, whichever source it came from (text, /proc, netlink).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "netmon/address.h"
#include "netmon/counters.h"
#include "netmon/protocol.h"

namespace netmon {

// Status flags, as conntrack-tools prints them in brackets.
namespace flag {
inline constexpr std::uint8_t assured = 1;     // [ASSURED]
inline constexpr std::uint8_t unreplied = 2;   // [UNREPLIED]: no reply seen yet
inline constexpr std::uint8_t offload = 4;     // [OFFLOAD]: in the software flowtable
inline constexpr std::uint8_t hw_offload = 8;  // [HW_OFFLOAD]
}  // namespace flag

// "ASSURED UNREPLIED": the set names separated by single spaces, "" when none.
std::string flags_text(std::uint8_t flags);
// Calls f(name) for every set flag, in a fixed order.
template <class F>
void for_each_flag(std::uint8_t flags, F&& f) {
    static constexpr std::string_view names[] = {"ASSURED", "UNREPLIED", "OFFLOAD", "HW_OFFLOAD"};
    for (unsigned bit = 0; bit < 4; ++bit)
        if (flags & (1u << bit)) f(names[bit]);
}

// Calls f(name) for every word of text, which is flags_text's form ("ASSURED UNREPLIED" as the
// database stores it): the words between spaces, in order, empty ones skipped.
template <class F>
void for_each_flag_name(std::string_view text, F&& f) {
    while (!text.empty()) {
        std::size_t space = text.find(' ');
        std::string_view name = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        if (!name.empty()) f(name);
    }
}

// The flags of a text in flags_text's form (the database's): its inverse, unknown words ignored.
std::uint8_t flags_from_text(std::string_view text);

// How an entry reached us: in a table dump, or as an event of `conntrack -E` / netlink groups.
enum class EventType : std::uint8_t { snapshot, created, updated, destroyed };

// A protocol state such as "ESTABLISHED" or "SHUTDOWN_ACK_SENT", stored inline because every
// entry has at most one and the parser must not allocate per line.
class State {
public:
    static constexpr std::size_t capacity = 23;
    // False (and unchanged) when text is longer than capacity.
    bool assign(std::string_view text);
    std::string_view view() const { return {text_, size_}; }
    bool empty() const { return size_ == 0; }
    friend bool operator==(const State& a, const State& b) { return a.view() == b.view(); }

private:
    char text_[capacity] = {};
    std::uint8_t size_ = 0;
};

// One direction of a connection. The fields that conntrack keys the tuple on beside the
// addresses live in sport/dport, as in the kernel's own nf_conntrack_tuple:
//   tcp, udp, udplite, sctp, dccp: the ports;
//   icmp, icmpv6: sport = the echo id, dport = type << 8 | code;
//   gre: sport = srckey, dport = dstkey (16-bit, as conntrack tracks them);
//   other protocols: both 0.
struct Tuple {
    IpAddress src;
    IpAddress dst;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;

    friend bool operator==(const Tuple&, const Tuple&) = default;
};

struct Entry {
    Family family = Family::v4;
    std::uint8_t protocol = 0;
    EventType event = EventType::snapshot;
    std::uint8_t flags = 0;
    // Whether packets= and bytes= were present: false when nf_conntrack_acct is off and in
    // NEW/UPDATE events, which never carry counters.
    bool has_counters = false;
    std::uint16_t zone = 0;
    std::uint32_t mark = 0;
    std::optional<std::uint32_t> timeout;  // seconds left; DESTROY events may lack it
    State state;                           // empty for protocols without states
    Tuple original;                        // as the LAN device sent it: uplink counters
    Tuple reply;                           // as the reply comes back (after NAT): downlink

    // Saturating: 2^64 - 1 at most (see counters.h).
    std::uint64_t total_bytes() const { return saturating_add(original.bytes, reply.bytes); }
    friend bool operator==(const Entry&, const Entry&) = default;
};

}  // namespace netmon
