#include <catch2/catch.hpp>

#include "netmon/key.h"
#include "netmon/outbound.h"
#include "netmon/snapshot.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::lab_filter;
using netmon::test::read_fixture;

namespace {

std::vector<std::string> keys_of(const Snapshot& snapshot) {
    std::vector<std::string> keys;
    for (const Entry& e : snapshot.entries) keys.push_back(Key::from_entry(e).str());
    std::sort(keys.begin(), keys.end());
    return keys;
}

}  // namespace

TEST_CASE("a table dump keeps the outbound flows", "[snapshot]") {
    OutboundFilter filter = lab_filter();
    Snapshot snapshot = parse_snapshot(read_fixture("router_extended.txt"), &filter);
    CHECK(snapshot.entries.size() == 15);
    CHECK(snapshot.entries_seen == 22);
    CHECK(snapshot.stats.skipped == 0);
    Snapshot all = parse_snapshot(read_fixture("router_extended.txt"), nullptr);
    CHECK(all.entries.size() == 22);
    CHECK(summarize(snapshot) == "22 lines, 22 entries, 15 outbound flows, 0 lines skipped");
}

TEST_CASE("all three table formats give the same flows", "[snapshot]") {
    OutboundFilter filter = lab_filter();
    auto extended = keys_of(parse_snapshot(read_fixture("router_extended.txt"), &filter));
    CHECK(keys_of(parse_snapshot(read_fixture("router_plain.txt"), &filter)) == extended);
    CHECK(keys_of(parse_snapshot(read_fixture("router_proc.txt"), &filter)) == extended);
    CHECK(keys_of(parse_snapshot(read_fixture("router_extended_id.txt"), &filter)) == extended);
}

TEST_CASE("an event capture folds to the flows alive at its end", "[snapshot]") {
    // The capture ends with `conntrack -F` (DESTROY for all) and two new flows made with
    // accounting off: only those two are alive.
    OutboundFilter filter = lab_filter();
    Snapshot events = parse_snapshot(read_fixture("router_events.txt"), &filter);
    Snapshot table = parse_snapshot(read_fixture("router_noacct_extended.txt"), &filter);
    CHECK(keys_of(events) == keys_of(table));
    CHECK(events.entries.size() == 2);
}

TEST_CASE("a repeated entry replaces the earlier one, DESTROY removes", "[snapshot]") {
    std::string a1 = "udp 17 9 src=10.0.0.2 dst=192.0.2.1 sport=5 dport=6 packets=1 bytes=10 src=192.0.2.1 dst=10.0.0.2 sport=6 dport=5 packets=0 bytes=0";
    std::string a2 = "udp 17 9 src=10.0.0.2 dst=192.0.2.1 sport=5 dport=6 packets=2 bytes=20 src=192.0.2.1 dst=10.0.0.2 sport=6 dport=5 packets=1 bytes=5";
    std::string b = "udp 17 9 src=10.0.0.3 dst=192.0.2.1 sport=5 dport=6 packets=1 bytes=10 src=192.0.2.1 dst=10.0.0.3 sport=6 dport=5 packets=0 bytes=0";
    std::string b_gone = "[DESTROY] " + b;
    Snapshot snapshot = parse_snapshot(a1 + "\n" + b + "\n" + a2 + "\n" + b_gone + "\n", nullptr);
    REQUIRE(snapshot.entries.size() == 1);
    CHECK(snapshot.entries[0].original.bytes == 20);
    CHECK(snapshot.entries[0].reply.bytes == 5);

    Snapshot back = parse_snapshot(b + "\n" + b_gone + "\n" + b + "\n", nullptr);
    CHECK(back.entries.size() == 1);
}

TEST_CASE("malformed lines are counted, the rest kept", "[snapshot]") {
    OutboundFilter filter = lab_filter();
    Snapshot mixed = parse_snapshot(read_fixture("router_mixed.txt"), &filter);
    Snapshot clean = parse_snapshot(read_fixture("router_extended_id.txt"), &filter);
    CHECK(keys_of(mixed) == keys_of(clean));
    CHECK(mixed.stats.skipped == 12);
}
