#include <catch2/catch.hpp>

#include "netmon/counters.h"
#include "test_support.h"

using namespace netmon;

TEST_CASE("counters of an entry: uplink is the original direction", "[counters]") {
    Entry e = netmon::test::parse_ok(netmon::test::fixture_line("router_extended.txt", "ESTABLISHED src=10.0.0.11"));
    Counters c = Counters::of(e);
    CHECK(c.uplink_packets == 10);
    CHECK(c.uplink_bytes == 2540);
    CHECK(c.downlink_packets == 10);
    CHECK(c.downlink_bytes == 120528);
    CHECK(c.total_bytes() == 123068);
}

TEST_CASE("a reset is any counter going down", "[counters]") {
    Counters before{10, 1000, 20, 2000};
    CHECK_FALSE(is_reset(before, before));
    CHECK_FALSE(is_reset(before, {11, 1000, 20, 2001}));
    CHECK(is_reset(before, {0, 0, 0, 0}));
    CHECK(is_reset(before, {9, 1000, 20, 2000}));
    CHECK(is_reset(before, {10, 999, 20, 2000}));
    CHECK(is_reset(before, {10, 1000, 19, 2000}));
    CHECK(is_reset(before, {10, 1000, 20, 1999}));
    CHECK(is_reset(before, {1, 5000, 1, 5000}));  // fewer packets: reset, even with more bytes
}

TEST_CASE("counter arithmetic", "[counters]") {
    Counters a{1, 2, 3, 4};
    Counters b{10, 20, 30, 40};
    CHECK(a + b == Counters{11, 22, 33, 44});
    CHECK(b - a == Counters{9, 18, 27, 36});
}

TEST_CASE("sums saturate instead of wrapping, and the database's counters stop at 2^63 - 1", "[counters]") {
    constexpr std::uint64_t u64_max = UINT64_MAX;
    constexpr std::uint64_t i64_max = INT64_MAX;
    CHECK(saturating_add(u64_max, std::uint64_t{1}) == u64_max);
    CHECK(saturating_add(u64_max, u64_max) == u64_max);
    CHECK(saturating_add(i64_max, i64_max) == u64_max - 1);  // fits: 2^64 - 2
    CHECK(saturating_add(std::uint64_t{2}, std::uint64_t{3}) == 5);
    CHECK(saturating_sub(std::uint64_t{3}, std::uint64_t{5}) == 0);
    CHECK(saturating_sub(u64_max, std::uint64_t{1}) == u64_max - 1);

    CHECK(saturating_add(std::int64_t{INT64_MAX}, std::int64_t{1}) == INT64_MAX);
    CHECK(saturating_add(std::int64_t{INT64_MAX}, std::int64_t{INT64_MAX}) == INT64_MAX);
    CHECK(saturating_add(std::int64_t{INT64_MIN}, std::int64_t{-1}) == INT64_MIN);
    CHECK(saturating_add(std::int64_t{-2}, std::int64_t{5}) == 3);

    CHECK(stored_counter(0) == 0);
    CHECK(stored_counter(i64_max) == INT64_MAX);
    CHECK(stored_counter(i64_max + 1) == INT64_MAX);
    CHECK(stored_counter(u64_max) == INT64_MAX);
}

TEST_CASE("counters at the kernel's limits: totals and sums stop at 2^64 - 1, differences at 0", "[counters]") {
    constexpr std::uint64_t max = UINT64_MAX;
    Counters full{max, max, max, max};
    CHECK(full.total_bytes() == max);
    CHECK(Counters{0, INT64_MAX, 0, INT64_MAX}.total_bytes() == max - 1);
    CHECK(full + Counters{1, 1, 1, 1} == full);
    CHECK(Counters{1, 2, 3, 4} - Counters{2, 2, 2, 5} == Counters{0, 0, 1, 0});
    Entry e = netmon::test::parse_ok(
        "udp 17 29 src=10.0.0.2 dst=192.0.2.1 sport=1000 dport=53 packets=18446744073709551615"
        " bytes=18446744073709551615 src=192.0.2.1 dst=198.51.100.2 sport=53 dport=1000"
        " packets=9223372036854775807 bytes=9223372036854775807");
    CHECK(e.total_bytes() == max);
    CHECK(Counters::of(e).total_bytes() == max);
}
