#pragma once
// A flow's packet and byte counters, and how netmon keeps their totals right when the kernel's
// counters go back to zero (`conntrack -L -z` and other tools read them with reset-on-read).
//
// The kernel's counters are 64-bit unsigned, SQLite's integers 64-bit signed. netmon never
// lets a sum wrap: sums stop at the largest value (saturate), and a counter beyond 2^63 - 1 is
// stored as 2^63 - 1 (stored_counter). A saturated figure is a lower bound, never a small one.

#include <cstdint>
#include <limits>

namespace netmon {

struct Entry;

// The largest counter the database holds: 2^63 - 1.
inline constexpr std::uint64_t max_stored_counter = std::numeric_limits<std::int64_t>::max();

// a + b, or the largest value when that overflows.
constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    std::uint64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::uint64_t>::max() : sum;
}
// For values read from the database (never negative there): a + b, or the nearest end of the
// range when that overflows.
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (!__builtin_add_overflow(a, b, &sum)) return sum;
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}
// a - b, or 0 when b is larger.
constexpr std::uint64_t saturating_sub(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }
// The counter as the database stores it: at most 2^63 - 1.
constexpr std::int64_t stored_counter(std::uint64_t value) {
    return static_cast<std::int64_t>(value > max_stored_counter ? max_stored_counter : value);
}

struct Counters {
    std::uint64_t uplink_packets = 0;  // original direction
    std::uint64_t uplink_bytes = 0;
    std::uint64_t downlink_packets = 0;  // reply direction
    std::uint64_t downlink_bytes = 0;

    static Counters of(const Entry& entry);
    std::uint64_t total_bytes() const { return saturating_add(uplink_bytes, downlink_bytes); }

    // Each counter saturating: + stops at 2^64 - 1, - at 0.
    friend Counters operator+(const Counters& a, const Counters& b) {
        return {saturating_add(a.uplink_packets, b.uplink_packets), saturating_add(a.uplink_bytes, b.uplink_bytes),
                saturating_add(a.downlink_packets, b.downlink_packets),
                saturating_add(a.downlink_bytes, b.downlink_bytes)};
    }
    friend Counters operator-(const Counters& a, const Counters& b) {
        return {saturating_sub(a.uplink_packets, b.uplink_packets), saturating_sub(a.uplink_bytes, b.uplink_bytes),
                saturating_sub(a.downlink_packets, b.downlink_packets),
                saturating_sub(a.downlink_bytes, b.downlink_bytes)};
    }
    friend bool operator==(const Counters&, const Counters&) = default;
};

// True when any counter of reading is below the previous one: the kernel's counters were
// reset (they only ever grow otherwise). A reset followed by growth past the old values
// between two readings cannot be seen.
bool is_reset(const Counters& previous, const Counters& reading);

}  // namespace netmon
