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
