#include <catch2/catch.hpp>

#include "allowed_hosts.h"
#include "auth_throttle.h"
#include "connection_limits.h"

using namespace netmon;
using namespace netmon::web;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

bool allows(const AllowedHosts& hosts, const char* host) {
    std::string value = host;
    return hosts.allows(&value);
}

}  // namespace

TEST_CASE("Host: the listen address with its port, and the configured names") {
    AllowedHosts hosts(*ListenAddress::parse("10.0.0.1:8080"), {"Router.LAN", "netmon.example."});
    CHECK(allows(hosts, "10.0.0.1:8080"));
    CHECK(allows(hosts, "router.lan:8080"));
    CHECK(allows(hosts, "ROUTER.lan.:8080"));
    CHECK(allows(hosts, "netmon.example:8080"));
    CHECK(hosts.allows(nullptr));  // HTTP/1.0 without Host: no browser
    for (const char* refused : {"attacker.example:8080", "attacker.example", "10.0.0.1", "10.0.0.1:80",
                                "10.0.0.2:8080", "router.lan", "router.lan:8081", "localhost:8080",
                                "127.0.0.1:8080", "10.0.0.1:", "10.0.0.1:08080x", "", ":8080", "[10.0.0.1]:8080",
                                "router.lan.evil.example:8080", "10.0.0.1:8080:8080"}) {
        INFO(refused);
        CHECK_FALSE(allows(hosts, refused));
    }
}

TEST_CASE("Host: port 80 may be left out, IPv6 literals in brackets") {
    AllowedHosts hosts(*ListenAddress::parse("[fd00:10::1]:80"), {});
    CHECK(allows(hosts, "[fd00:10::1]"));
    CHECK(allows(hosts, "[fd00:10::1]:80"));
    CHECK(allows(hosts, "[fd00:10:0:0::1]:80"));
    CHECK_FALSE(allows(hosts, "[fd00:10::2]:80"));
    CHECK_FALSE(allows(hosts, "fd00:10::1"));
    CHECK_FALSE(allows(hosts, "[fd00:10::1"));
    CHECK_FALSE(allows(hosts, "[fd00:10::1]x"));
}

TEST_CASE("Host: localhost on a loopback address, any literal on a wildcard, never a name") {
    AllowedHosts loopback(*ListenAddress::parse("127.0.0.1:8080"), {});
    CHECK(allows(loopback, "localhost:8080"));
    CHECK(allows(loopback, "127.0.0.1:8080"));
    CHECK_FALSE(allows(loopback, "evil.example:8080"));
    AllowedHosts any(*ListenAddress::parse("0.0.0.0:8080"), {});
    CHECK(allows(any, "10.0.0.1:8080"));
    CHECK(allows(any, "[2001:db8::1]:8080"));
    CHECK_FALSE(allows(any, "localhost:8080"));
    CHECK_FALSE(allows(any, "evil.example:8080"));
}

TEST_CASE("auth throttle: five free misses, then waits that double up to a minute") {
    AuthThrottle throttle;
    const IpAddress a = ip("10.0.0.11");
    std::int64_t now = 1'000'000;
    for (int i = 0; i < AuthThrottle::free_failures - 1; ++i) {
        throttle.failed(a, now);
        CHECK_FALSE(throttle.wait_ms(a, now));
    }
    throttle.failed(a, now);
    CHECK(throttle.wait_ms(a, now) == 1000);
    CHECK(throttle.wait_ms(a, now + 999) == 1);
    CHECK_FALSE(throttle.wait_ms(a, now + 1000));
    throttle.failed(a, now += 1000);
    CHECK(throttle.wait_ms(a, now) == 2000);
    for (int i = 0; i < 20; ++i) throttle.failed(a, now);
    CHECK(throttle.wait_ms(a, now) == AuthThrottle::max_wait_ms);
    CHECK_FALSE(throttle.wait_ms(ip("10.0.0.12"), now));  // others are not held up
    throttle.succeeded(a);
    CHECK_FALSE(throttle.wait_ms(a, now));
}

TEST_CASE("auth throttle: an IPv6 /64 is one client, quiet addresses are forgotten, it is bounded") {
    AuthThrottle throttle;
    for (int i = 0; i < AuthThrottle::free_failures; ++i)
        throttle.failed(ip(("fd00:10::" + std::to_string(i + 1)).c_str()), 0);
    CHECK(throttle.wait_ms(ip("fd00:10::ffff"), 0));
    CHECK_FALSE(throttle.wait_ms(ip("fd00:11::1"), 0));
    throttle.failed(ip("fd00:10::1"), AuthThrottle::forget_after_ms);
    CHECK_FALSE(throttle.wait_ms(ip("fd00:10::1"), AuthThrottle::forget_after_ms));  // count started again
    for (unsigned i = 0; i < 3 * AuthThrottle::max_addresses; ++i) {
        IpAddress address = IpAddress::v4(10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                          static_cast<std::uint8_t>(i));
        throttle.failed(address, static_cast<std::int64_t>(i));
    }
    CHECK(throttle.size() == AuthThrottle::max_addresses);
}

TEST_CASE("connection limits: a crowded address gives up its oldest idle connection") {
    ConnectionLimits limits(3, 100);
    const IpAddress a = ip("10.0.0.11"), b = ip("10.0.0.12");
    for (std::uint64_t id = 1; id <= 3; ++id) CHECK(limits.admit(id, a).admitted);
    limits.set_busy(1, true);  // being answered: never the one to go
    auto admission = limits.admit(4, a);
    CHECK(admission.admitted);
    CHECK(admission.evict == 2);
    CHECK(limits.open_from(a) == 3);
    CHECK(limits.admit(5, b).admitted);
    CHECK_FALSE(limits.admit(5, b).evict);
    limits.release(2);  // the evicted one closing later changes nothing
    CHECK(limits.open_from(a) == 3);
    limits.set_busy(3, true);
    limits.set_busy(4, true);
    auto refused = limits.admit(6, a);  // all of a's are being answered
    CHECK_FALSE(refused.admitted);
    CHECK_FALSE(refused.evict);
    CHECK(limits.open() == 4);
}

TEST_CASE("connection limits: at the total, the most crowded address gives way") {
    ConnectionLimits limits(10, 5);
    const IpAddress a = ip("10.0.0.11"), b = ip("10.0.0.12"), c = ip("10.0.0.13");
    std::uint64_t id = 0;
    for (int i = 0; i < 4; ++i) REQUIRE(limits.admit(++id, a).admitted);
    REQUIRE(limits.admit(++id, b).admitted);
    auto admission = limits.admit(++id, c);
    CHECK(admission.admitted);
    CHECK(admission.evict == 1);
    CHECK(limits.open() == 5);
    CHECK(limits.open_from(a) == 3);
    CHECK(limits.open_from(c) == 1);
    for (std::uint64_t i = 1; i <= id; ++i) limits.release(i);
    CHECK(limits.open() == 0);
}

TEST_CASE("Host: an empty one is refused on port 80 too") {
    AllowedHosts hosts(*ListenAddress::parse("10.0.0.1:80"), {});
    CHECK(allows(hosts, "10.0.0.1"));
    CHECK_FALSE(allows(hosts, ""));
    CHECK_FALSE(allows(hosts, "[10.0.0.1]"));
}
