// The remote-name LRU: pure, times given.
#include "names/remote_name_cache.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using namespace netmon;
using netmon::test::ip;

TEST_CASE("a noted answer names its pair until its TTL plus grace") {
    RemoteNameCache cache(10, 300'000);
    cache.note(ip("10.0.0.11"), ip("198.51.100.10"), "www.example.test", 60, 1'000);
    CHECK(cache.find(ip("10.0.0.11"), ip("198.51.100.10"), 1'000) == "www.example.test");
    CHECK(cache.find(ip("10.0.0.11"), ip("198.51.100.10"), 1'000 + 360'000) == "www.example.test");
    CHECK_FALSE(cache.find(ip("10.0.0.11"), ip("198.51.100.10"), 1'000 + 360'001));
    CHECK_FALSE(cache.find(ip("10.0.0.12"), ip("198.51.100.10"), 1'000));
    const auto& rows = cache.take_changes();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].client == ip("10.0.0.11"));
    CHECK(rows[0].address == ip("198.51.100.10"));
    CHECK(rows[0].name == "www.example.test");
    CHECK(rows[0].answered_at == 1'000);
    CHECK(rows[0].expires_at == 361'000);
}

TEST_CASE("the changes are each pair once, with its latest answer, then none") {
    RemoteNameCache cache(10, 0);
    cache.note(ip("10.0.0.11"), ip("198.51.100.10"), "a.example.test", 60, 1'000);
    cache.note(ip("10.0.0.11"), ip("2001:db8::10"), "a.example.test", 60, 1'000);
    cache.note(ip("10.0.0.11"), ip("198.51.100.10"), "b.example.test", 30, 2'000);
    const auto& rows = cache.take_changes();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].name == "b.example.test");
    CHECK(rows[0].expires_at == 32'000);
    CHECK(rows[1].address == ip("2001:db8::10"));
    CHECK(cache.take_changes().empty());
    cache.note(ip("10.0.0.11"), ip("2001:db8::10"), "a.example.test", 60, 3'000);
    REQUIRE(cache.take_changes().size() == 1);
}

TEST_CASE("past max_names the least recently answered pair goes, and is counted") {
    RemoteNameCache cache(3, 0);
    for (int i = 1; i <= 3; ++i)
        cache.note(ip("10.0.0.11"), IpAddress::v4(192, 0, 2, static_cast<std::uint8_t>(i)), "n" + std::to_string(i) + ".test", 60, i);
    cache.take_changes();
    // 192.0.2.1 answered again: 192.0.2.2 is the least recent now.
    cache.note(ip("10.0.0.11"), ip("192.0.2.1"), "n1.test", 60, 10);
    cache.note(ip("10.0.0.11"), ip("192.0.2.4"), "n4.test", 60, 11);
    CHECK(cache.size() == 3);
    CHECK(cache.evictions() == 1);
    CHECK_FALSE(cache.find(ip("10.0.0.11"), ip("192.0.2.2"), 11));
    CHECK(cache.find(ip("10.0.0.11"), ip("192.0.2.1"), 11) == "n1.test");
    CHECK(cache.find(ip("10.0.0.11"), ip("192.0.2.3"), 11) == "n3.test");
    CHECK(cache.find(ip("10.0.0.11"), ip("192.0.2.4"), 11) == "n4.test");
}

TEST_CASE("a flood of distinct answers stays at max_names, every survivor still found") {
    RemoteNameCache cache(1000, 0);
    for (std::uint32_t i = 0; i < 100'000; ++i) {
        IpAddress address = IpAddress::v4(198, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                          static_cast<std::uint8_t>(i));
        cache.note(ip("10.0.0.11"), address, "host" + std::to_string(i) + ".flood.example.test", 60, i);
        if (i % 777 == 0) cache.take_changes();
    }
    CHECK(cache.size() == 1000);
    CHECK(cache.evictions() == 99'000);
    for (std::uint32_t i = 99'000; i < 100'000; ++i) {
        IpAddress address = IpAddress::v4(198, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                          static_cast<std::uint8_t>(i));
        REQUIRE(cache.find(ip("10.0.0.11"), address, i) == "host" + std::to_string(i) + ".flood.example.test");
    }
    CHECK_FALSE(cache.find(ip("10.0.0.11"), IpAddress::v4(198, 0, 0, 5), 0));
    // Only the pairs still held, and each once.
    CHECK(cache.take_changes().size() <= 1000);
}

TEST_CASE("a name longer than 253 bytes is cut") {
    RemoteNameCache cache(2, 0);
    cache.note(ip("10.0.0.11"), ip("192.0.2.1"), std::string(300, 'a'), 60, 0);
    CHECK(cache.find(ip("10.0.0.11"), ip("192.0.2.1"), 0)->size() == 253);
}
