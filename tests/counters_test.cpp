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
