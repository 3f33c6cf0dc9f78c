#include <catch2/catch.hpp>

#include <set>

#include "netmon/key.h"
#include "netmon/parser.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::fixture_line;
using netmon::test::fixture_lines;
using netmon::test::parse_ok;

TEST_CASE("the key is proto|src|sport|dst|dport of the original tuple", "[key]") {
    Entry e = parse_ok(fixture_line("router_extended.txt", "ESTABLISHED src=10.0.0.11"));
    CHECK(Key::from_entry(e).str() == "tcp|10.0.0.11|35410|192.0.2.10|443");

    Entry udp = parse_ok(fixture_line("router_extended.txt", "dport=53 packets=2"));
    CHECK(Key::from_entry(udp).str() == "udp|10.0.0.11|40217|203.0.113.20|53");
}

TEST_CASE("IPv6 keys use the canonical form whatever the source printed", "[key]") {
    Entry extended = parse_ok(fixture_line("router_extended.txt", "ipv6     10 tcp"));
    Entry proc = parse_ok(fixture_line("router_proc.txt", "ipv6     10 tcp"));
    CHECK(Key::from_entry(extended).str() == "tcp|fd00:10::11|53698|2001:db8:2::10|443");
    CHECK(Key::from_entry(proc) == Key::from_entry(extended));
    CHECK(KeyHash{}(Key::from_entry(proc)) == KeyHash{}(Key::from_entry(extended)));
}

TEST_CASE("protocols without ports: icmp id and type/code, gre keys, numbers", "[key]") {
    Entry icmp = parse_ok(fixture_line("router_extended.txt", "icmp     1 24 src=10.0.0.11"));
    CHECK(Key::from_entry(icmp).str() == "icmp|10.0.0.11|50353|192.0.2.10|2048");
    Entry icmpv6 = parse_ok(fixture_line("router_extended.txt", "icmpv6   58 25 src=fd00:10::11 dst=2001"));
    CHECK(Key::from_entry(icmpv6).str() == "icmpv6|fd00:10::11|50354|2001:db8:3::20|32768");
    Entry gre = parse_ok(
        "gre 47 179 src=10.0.0.2 dst=192.0.2.1 srckey=0x10 dstkey=0x20 src=192.0.2.1 dst=10.0.0.2 "
        "srckey=0x20 dstkey=0x10");
    CHECK(Key::from_entry(gre).str() == "gre|10.0.0.2|16|192.0.2.1|32");
    Entry unknown = parse_ok(fixture_line("router_extended.txt", "unknown  253"));
    CHECK(Key::from_entry(unknown).str() == "253|10.0.0.12|0|192.0.2.10|0");
}

TEST_CASE("flows conntrack tells apart have different keys", "[key]") {
    // Two pings with different ids, a ping and its reply type, tcp and udp on the same ports,
    // IPv4 and its mapped IPv6 form.
    const char* lines[] = {
        "icmp 1 29 src=10.0.0.2 dst=192.0.2.1 type=8 code=0 id=1 src=192.0.2.1 dst=10.0.0.2 type=0 code=0 id=1",
        "icmp 1 29 src=10.0.0.2 dst=192.0.2.1 type=8 code=0 id=2 src=192.0.2.1 dst=10.0.0.2 type=0 code=0 id=2",
        "icmp 1 29 src=10.0.0.2 dst=192.0.2.1 type=13 code=0 id=1 src=192.0.2.1 dst=10.0.0.2 type=14 code=0 id=1",
        "tcp 6 9 ESTABLISHED src=10.0.0.2 dst=192.0.2.1 sport=5 dport=6 src=192.0.2.1 dst=10.0.0.2 sport=6 dport=5",
        "udp 17 9 src=10.0.0.2 dst=192.0.2.1 sport=5 dport=6 src=192.0.2.1 dst=10.0.0.2 sport=6 dport=5",
        "udp 17 9 src=10.0.0.2 dst=192.0.2.1 sport=6 dport=5 src=192.0.2.1 dst=10.0.0.2 sport=5 dport=6",
        "udp 17 9 src=::ffff:10.0.0.2 dst=::ffff:192.0.2.1 sport=5 dport=6 src=::ffff:192.0.2.1 dst=::ffff:10.0.0.2 sport=6 dport=5",
        "unknown 253 9 src=10.0.0.2 dst=192.0.2.1 src=192.0.2.1 dst=10.0.0.2",
        "unknown 254 9 src=10.0.0.2 dst=192.0.2.1 src=192.0.2.1 dst=10.0.0.2",
    };
    std::set<std::string> texts;
    std::set<Key> keys;
    for (const char* line : lines) {
        Key key = Key::from_entry(parse_ok(line));
        texts.insert(key.str());
        keys.insert(key);
    }
    CHECK(texts.size() == std::size(lines));
    CHECK(keys.size() == std::size(lines));
}

TEST_CASE("every flow of a real capture has its own key", "[key]") {
    std::set<std::string> keys;
    auto lines = fixture_lines("router_extended.txt");
    for (const auto& line : lines) keys.insert(Key::from_entry(parse_ok(line)).str());
    CHECK(keys.size() == lines.size());
}
