#include <catch2/catch.hpp>

#include "netmon/address.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::ip;

TEST_CASE("IPv4 addresses parse into four bytes", "[address]") {
    auto a = IpAddress::parse("192.0.2.1");
    REQUIRE(a);
    CHECK(a->family == Family::v4);
    CHECK(a->bytes[0] == 192);
    CHECK(a->bytes[3] == 1);
    CHECK(a->bytes[4] == 0);
    CHECK(a->to_string() == "192.0.2.1");
    CHECK(IpAddress::parse("0.0.0.0")->to_string() == "0.0.0.0");
    CHECK(IpAddress::parse("255.255.255.255")->to_string() == "255.255.255.255");
}

TEST_CASE("invalid IPv4 text is refused", "[address]") {
    for (const char* text : {"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4",
                             "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3.4/24",
                             "1000.1.1.1", "-1.2.3.4"}) {
        INFO(text);
        CHECK_FALSE(IpAddress::parse(text));
    }
}

TEST_CASE("IPv6 addresses parse in every form conntrack prints", "[address]") {
    auto compressed = IpAddress::parse("2001:db8:2::10");
    auto full = IpAddress::parse("2001:0db8:0002:0000:0000:0000:0000:0010");  // /proc's form
    REQUIRE(compressed);
    REQUIRE(full);
    CHECK(compressed->family == Family::v6);
    CHECK(*compressed == *full);
    CHECK(full->to_string() == "2001:db8:2::10");
    CHECK(IpAddress::parse("::")->to_string() == "::");
    CHECK(IpAddress::parse("::1")->to_string() == "::1");
    CHECK(IpAddress::parse("::ffff:192.0.2.1")->to_string() == "::ffff:192.0.2.1");
    for (const char* text : {":::", "2001:db8::g", "1:2:3:4:5:6:7:8:9", "2001:db8:::1",
                             "fe80::1%eth0", "[::1]", "12345::"}) {
        INFO(text);
        CHECK_FALSE(IpAddress::parse(text));
    }
}

TEST_CASE("IPv4-mapped IPv6 addresses unmap to IPv4", "[address]") {
    IpAddress mapped = ip("::ffff:10.1.2.3");
    CHECK(mapped.is_v4_mapped());
    CHECK(mapped.unmapped() == ip("10.1.2.3"));
    CHECK_FALSE(ip("2001:db8::1").is_v4_mapped());
    CHECK(ip("2001:db8::1").unmapped() == ip("2001:db8::1"));
    CHECK_FALSE(ip("10.1.2.3").is_v4_mapped());
}

TEST_CASE("CIDR prefixes parse, normalize and match", "[address]") {
    auto lan = Cidr::parse("10.0.0.0/24");
    REQUIRE(lan);
    CHECK(lan->contains(ip("10.0.0.0")));
    CHECK(lan->contains(ip("10.0.0.255")));
    CHECK_FALSE(lan->contains(ip("10.0.1.0")));
    CHECK_FALSE(lan->contains(ip("9.255.255.255")));
    CHECK_FALSE(lan->contains(ip("::ffff:10.0.0.1")));  // families never mix

    CHECK(Cidr::parse("10.0.0.77/24")->to_string() == "10.0.0.0/24");
    CHECK(Cidr::parse("192.0.2.7")->to_string() == "192.0.2.7/32");
    CHECK(Cidr::parse("2001:db8::1")->to_string() == "2001:db8::1/128");
    CHECK(Cidr::parse("0.0.0.0/0")->contains(ip("203.0.113.9")));
    CHECK(Cidr::parse("::/0")->contains(ip("2001:db8::1")));

    auto v6 = Cidr::parse("2001:db8:10::/61");
    REQUIRE(v6);
    CHECK(v6->contains(ip("2001:db8:10:7:ffff::1")));
    CHECK_FALSE(v6->contains(ip("2001:db8:10:8::1")));
    CHECK_FALSE(v6->contains(ip("2001:db8:11::1")));
    CHECK(Cidr::parse("100.64.0.0/10")->contains(ip("100.127.255.255")));
    CHECK_FALSE(Cidr::parse("100.64.0.0/10")->contains(ip("100.128.0.0")));

    for (const char* text : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/2a", "/24",
                             "2001:db8::/129", "10.0.0.0/24/1", "10.0.0.0/0024", "nonsense"}) {
        INFO(text);
        CHECK_FALSE(Cidr::parse(text));
    }
}

namespace {

// Checks each address of list against expected, naming the address when it fails.
void check_public(std::initializer_list<const char*> list, bool expected) {
    for (const char* text : list) {
        INFO(text << (expected ? " should be public" : " should not be public"));
        CHECK(is_public(ip(text)) == expected);
    }
}

}  // namespace

TEST_CASE("IPv4 special-purpose blocks: first and last address inside, neighbours outside", "[address]") {
    // Not globally reachable, edge to edge.
    check_public({"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0", "100.127.255.255",
                  "127.0.0.0", "127.255.255.255", "169.254.0.0", "169.254.255.255", "172.16.0.0",
                  "172.31.255.255", "192.0.0.0", "192.0.0.8", "192.0.0.11", "192.0.0.170", "192.0.0.171",
                  "192.0.0.255", "192.168.0.0", "192.168.255.255", "198.18.0.0", "198.19.255.255", "224.0.0.0",
                  "239.255.255.255", "240.0.0.0", "255.255.255.254", "255.255.255.255"},
                 false);
    // Their neighbours, the globally reachable exceptions inside 192.0.0.0/24, and the
    // documentation ranges (public here, for the labs) with theirs.
    check_public({"1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
                  "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
                  "191.255.255.255", "192.0.0.9", "192.0.0.10", "192.0.1.0", "192.0.2.0", "192.0.2.255",
                  "192.0.3.0", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.167.255.255", "192.169.0.0",
                  "192.175.48.1", "198.17.255.255", "198.20.0.0", "198.51.100.0", "198.51.100.255",
                  "203.0.113.0", "203.0.113.255", "223.255.255.255"},
                 true);
}

TEST_CASE("IPv6 special-purpose blocks: first and last address inside, neighbours outside", "[address]") {
    check_public({
                     "::", "::1", "::2", "::ffff:ffff", "::1:0:0",               // ::/96, IPv4-compatible
                     "::fffe:ffff:ffff",                                          // below the mapped block
                     "::ffff:0:0:0",                                              // IPv4-translated, reserved
                     "64:ff9b::", "64:ff9b::a00:1", "64:ff9b::ffff:ffff",         // NAT64 of non-public IPv4
                     "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",         // NAT64 local use
                     "100::", "100::ffff:ffff:ffff:ffff",                         // discard-only
                     "100:0:0:1::", "100:0:0:1:ffff:ffff:ffff:ffff",              // dummy prefix
                     "100:0:0:2::", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",    // reserved below 2000::/3
                     "2001:1::", "2001:1::4", "2001:1:ffff:ffff::",  // around the anycast ones
                     "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff",              // benchmarking
                     "2001:4:111:ffff:ffff:ffff:ffff:ffff", "2001:4:113::",       // around AS112-v6
                     "2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff",         // ORCHID, deprecated
                     "2001:40::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",        // the rest of 2001::/23
                     "2002::", "2002:a00:1::1", "2002:c0a8:101::1", "2002:ac10::1", // 6to4 of non-public IPv4
                     "2002:6440::1", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                     "4000::", "5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff",  // reserved, SRv6 SIDs
                     "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",                    // reserved
                     "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",          // unique-local
                     "fe00::", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",          // reserved
                     "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",          // link-local
                     "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",          // site-local
                     "ff00::", "ff02::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",  // multicast
                 },
                 false);
    check_public({
                     "2000::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",       // global unicast, edges
                     "64:ff9b::808:808", "64:ff9b::c000:201",                    // NAT64 of public IPv4
                     "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff",           // Teredo
                     "2001:1::1", "2001:1::2", "2001:1::3",                      // PCP, TURN, DNS-SD anycast
                     "2001:3::", "2001:3:ffff:ffff:ffff:ffff:ffff:ffff",         // AMT
                     "2001:4:112::", "2001:4:112:ffff:ffff:ffff:ffff:ffff",      // AS112-v6
                     "2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff",        // ORCHIDv2
                     "2001:30::", "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff",        // drone remote ID
                     "2001:200::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",      // past 2001::/23
                     "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",      // documentation
                     "2001:db9::", "2001:4860:4860::8888", "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                     "2002:808:808::1", "2002:c000:201::1",                      // 6to4 of public IPv4
                     "2003::", "2620:4f:8000::1",
                     "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                     "3fff:1000::",                                             // documentation and after it
                 },
                 true);
    // The IPv4-mapped forms follow the IPv4 address.
    check_public({"::ffff:10.0.0.1", "::ffff:192.0.0.8", "::ffff:198.18.0.1", "::ffff:240.0.0.1"}, false);
    check_public({"::ffff:8.8.8.8", "::ffff:192.0.0.9", "::ffff:192.0.2.1"}, true);
}

TEST_CASE("an address's blob is its 4 or 16 bytes, and from_blob reads them back", "[address]") {
    for (const char* text : {"192.0.2.10", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1", "::"}) {
        const IpAddress address = *IpAddress::parse(text);
        const std::string_view blob = address.blob();
        CHECK(blob.size() == (address.family == Family::v4 ? 4u : 16u));
        const auto back = IpAddress::from_blob(blob);
        REQUIRE(back);
        CHECK(*back == address);
        CHECK(back->to_string() == address.to_string());
    }
    CHECK(IpAddress::parse("192.0.2.10")->blob() == std::string_view("\xc0\x00\x02\x0a", 4));
    CHECK_FALSE(IpAddress::from_blob(""));
    CHECK_FALSE(IpAddress::from_blob("abc"));
    CHECK_FALSE(IpAddress::from_blob(std::string(5, 'x')));
    CHECK_FALSE(IpAddress::from_blob(std::string(17, 'x')));
}
