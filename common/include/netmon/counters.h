#pragma once
// A flow's packet and byte counters, and how netmon keeps their totals right when the kernel's
// counters go back to zero (`conntrack -L -z` and other tools read them with reset-on-read).

#include <cstdint>

namespace netmon {

struct Entry;

struct Counters {
    std::uint64_t uplink_packets = 0;  // original direction
    std::uint64_t uplink_bytes = 0;
    std::uint64_t downlink_packets = 0;  // reply direction
    std::uint64_t downlink_bytes = 0;

    static Counters of(const Entry& entry);
    std::uint64_t total_bytes() const { return uplink_bytes + downlink_bytes; }

    friend Counters operator+(const Counters& a, const Counters& b) {
        return {a.uplink_packets + b.uplink_packets, a.uplink_bytes + b.uplink_bytes,
                a.downlink_packets + b.downlink_packets, a.downlink_bytes + b.downlink_bytes};
    }
    friend Counters operator-(const Counters& a, const Counters& b) {
        return {a.uplink_packets - b.uplink_packets, a.uplink_bytes - b.uplink_bytes,
                a.downlink_packets - b.downlink_packets, a.downlink_bytes - b.downlink_bytes};
    }
    friend bool operator==(const Counters&, const Counters&) = default;
};

// True when any counter of reading is below the previous one: the kernel's counters were
// reset (they only ever grow otherwise). A reset followed by growth past the old values
// between two readings cannot be seen.
bool is_reset(const Counters& previous, const Counters& reading);

}  // namespace netmon
