// The reconciler's decisions on the real kernel's fixtures, without a database or a clock: what
// a read or a batch of events changes (FlowChanges), as FlowDiff decides it.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "flow_diff.h"
#include "netmon/outbound.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::lab_filter;
using netmon::test::fixture_line;
using netmon::test::ip;
using netmon::test::parse_ok;
using netmon::test::read_fixture;

namespace {

// The outbound entries of a text, in its order; lines that are not entries are skipped.
std::vector<Entry> outbound_entries(const std::string& text) {
    const OutboundFilter filter = lab_filter();
    std::vector<Entry> entries;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        ParseResult parsed = parse_line(line);
        if (parsed.entry && filter.is_outbound(*parsed.entry)) entries.push_back(*parsed.entry);
    }
    return entries;
}

FlowChanges read(FlowDiff& diff, const std::string& text, std::int64_t now, bool sample = false) {
    diff.begin_read(now, sample);
    for (const Entry& entry : outbound_entries(text)) diff.add(entry);
    return diff.finish();
}

FlowChanges events(FlowDiff& diff, const std::string& text, std::int64_t now) {
    diff.begin_events(now);
    for (const Entry& entry : outbound_entries(text)) diff.add(entry);
    return diff.finish();
}

// As the store would: ids first + 0, first + 1, ... for the new rows.
void write(FlowDiff& diff, const FlowChanges& changes, std::int64_t first = 100) {
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < changes.inserted.size(); ++i) ids.push_back(first + static_cast<std::int64_t>(i));
    diff.written(changes, ids);
}

// The line of a fixture flow with its counters replaced.
std::string with_counters(std::string line, std::uint64_t up_packets, std::uint64_t up_bytes,
                          std::uint64_t down_packets, std::uint64_t down_bytes) {
    Entry entry = parse_ok(line);
    auto replace = [&](const std::string& from, const std::string& to, std::size_t start) {
        const std::size_t at = line.find(from, start);
        REQUIRE(at != std::string::npos);
        line.replace(at, from.size(), to);
        return at + to.size();
    };
    std::size_t at = replace("packets=" + std::to_string(entry.original.packets), "packets=" + std::to_string(up_packets), 0);
    at = replace("bytes=" + std::to_string(entry.original.bytes), "bytes=" + std::to_string(up_bytes), at);
    at = replace("packets=" + std::to_string(entry.reply.packets), "packets=" + std::to_string(down_packets), at);
    replace("bytes=" + std::to_string(entry.reply.bytes), "bytes=" + std::to_string(down_bytes), at);
    return line + "\n";
}

const char* const tcp_flow = "src=10.0.0.11 dst=192.0.2.10 sport=35410 dport=443";

}  // namespace

TEST_CASE("a first read of a real capture: every outbound flow new, with its counters and hosts", "[flow_diff]") {
    FlowDiff diff;
    FlowChanges changes = read(diff, read_fixture("router_mixed.txt"), 1'000'000);
    CHECK(changes.now == 1'000'000);
    CHECK(changes.counts.inserted == 15);
    CHECK(changes.inserted.size() == 15);
    CHECK(changes.updated.empty());
    CHECK(changes.ended.empty());
    CHECK(changes.resets.empty());
    CHECK(changes.samples.empty());
    CHECK(diff.size() == 15);
    // The same figures the stored rows and remote hosts get (reconciler_test).
    REQUIRE(changes.hosts.size() == 6);
    CHECK(changes.hosts.at(ip("203.0.113.20")).new_connections == 5);
    CHECK(changes.hosts.at(ip("192.0.2.10")).uplink_bytes == 2540 + 168 + 84 + 58);
    std::uint64_t bytes = 0, hosts_bytes = 0;
    for (const auto& row : changes.inserted) bytes += row.flow->raw.total_bytes();
    for (const auto& [address, host] : changes.hosts) hosts_bytes += host.uplink_bytes + host.downlink_bytes;
    CHECK(hosts_bytes == bytes);
    std::set<Key> keys;
    for (const auto& row : changes.inserted) keys.insert(*row.key);
    CHECK(keys.size() == 15);
}

TEST_CASE("the same read again changes nothing, and a read without the flows ends them all", "[flow_diff]") {
    FlowDiff diff;
    const std::string capture = read_fixture("router_extended.txt");
    FlowChanges first = read(diff, capture, 1'000);
    REQUIRE(first.inserted.size() == 15);
    write(diff, first);
    std::map<Key, std::int64_t> ids;
    for (std::size_t i = 0; i < first.inserted.size(); ++i) ids[*first.inserted[i].key] = 100 + static_cast<std::int64_t>(i);

    FlowChanges again = read(diff, capture, 2'000, true);
    CHECK(again.counts.unchanged == 15);
    CHECK(again.counts.inserted + again.counts.updated + again.counts.deleted == 0);
    CHECK(again.inserted.empty());
    CHECK(again.updated.empty());
    CHECK(again.ended.empty());
    CHECK(again.samples.empty());  // nothing moved
    CHECK(again.hosts.empty());
    write(diff, again);

    FlowChanges gone = read(diff, "", 3'000);
    CHECK(gone.counts.deleted == 15);
    REQUIRE(gone.ended.size() == 15);
    for (const auto& ended : gone.ended) {
        CHECK(ended.end == FlowChanges::End::gone);
        CHECK(ended.id == ids.at(ended.key));  // the row written for it
        CHECK(ended.delta == Counters{});
    }
    CHECK(gone.hosts.empty());  // hosts stay as they were
    write(diff, gone);
    CHECK(diff.size() == 0);

    // Its DESTROY event after the read: only what the final counters add since the last reading.
    const std::string line = fixture_line("router_extended.txt", tcp_flow);
    const Entry last = parse_ok(line);
    FlowChanges late = events(diff, "[1.0] [DESTROY] " + with_counters(line, last.original.packets + 1,
                                                                        last.original.bytes + 100,
                                                                        last.reply.packets + 1, last.reply.bytes + 50),
                              4'000);
    REQUIRE(late.ended.size() == 1);
    CHECK(late.ended[0].end == FlowChanges::End::late);
    CHECK(late.ended[0].id == 0);
    CHECK(late.ended[0].delta.uplink_bytes == 100);
    CHECK(late.ended[0].delta.downlink_bytes == 50);
    CHECK(late.hosts.at(ip("192.0.2.10")).uplink_bytes == 100);
    CHECK(late.hosts.at(ip("192.0.2.10")).new_connections == 0);
    CHECK(late.counts.deleted == 0);
}

TEST_CASE("moved counters: an update with its delta, a sample, and a reset moves into the offset", "[flow_diff]") {
    FlowDiff diff;
    const std::string line = fixture_line("router_extended.txt", tcp_flow);
    const Entry entry = parse_ok(line);
    const Counters first_reading = Counters::of(entry);
    FlowChanges first = read(diff, line + "\n", 1'000);
    REQUIRE(first.inserted.size() == 1);
    CHECK(first.inserted[0].flow->raw == first_reading);
    CHECK(*first.inserted[0].state == "ESTABLISHED");
    write(diff, first, 7);

    // 1000 bytes more up, 3000 down.
    FlowChanges moved = read(diff,
                             with_counters(line, entry.original.packets + 10, entry.original.bytes + 1000,
                                           entry.reply.packets + 20, entry.reply.bytes + 3000),
                             2'000, true);
    REQUIRE(moved.updated.size() == 1);
    const FlowChanges::Updated& update = moved.updated[0];
    CHECK(update.id == 7);
    CHECK(update.counters_moved);
    CHECK(update.totals.uplink_bytes == entry.original.bytes + 1000);
    CHECK(update.delta == Counters{10, 1000, 20, 3000});
    CHECK(moved.hosts.at(ip("192.0.2.10")).uplink_bytes == 1000);
    CHECK(moved.hosts.at(ip("192.0.2.10")).downlink_bytes == 3000);
    REQUIRE(moved.samples.size() == 1);  // moved in this sample period
    CHECK(moved.samples[0].id == 7);
    CHECK(moved.samples[0].moved);
    write(diff, moved);

    // Another tool reset the counters: totals go on from what had been counted.
    FlowChanges reset = read(diff, with_counters(line, 1, 60, 1, 40), 3'000, true);
    REQUIRE(reset.resets.size() == 1);
    CHECK(reset.counts.resets == 1);
    CHECK(reset.resets[0].id == 7);
    CHECK(reset.resets[0].offset.uplink_bytes == entry.original.bytes + 1000);
    REQUIRE(reset.updated.size() == 1);
    CHECK(reset.updated[0].totals.uplink_bytes == entry.original.bytes + 1000 + 60);
    CHECK(reset.updated[0].delta.uplink_bytes == 60);
    CHECK(reset.updated[0].delta.downlink_bytes == 40);
    write(diff, reset);

    // Nothing moved since: the last sample of its rates (zero), then none.
    FlowChanges still = read(diff, with_counters(line, 1, 60, 1, 40), 4'000, false);
    CHECK(still.samples.empty());
    write(diff, still);
    FlowChanges last_sample = read(diff, with_counters(line, 1, 60, 1, 40), 5'000, true);
    REQUIRE(last_sample.samples.size() == 1);
    CHECK_FALSE(last_sample.samples[0].moved);
    write(diff, last_sample);
    CHECK(read(diff, with_counters(line, 1, 60, 1, 40), 5'500, true).samples.empty());

    // Its DESTROY, with final counters past the reset: the row's end, with the offset row.
    FlowChanges destroyed = events(diff, "[6.0] [DESTROY] " + with_counters(line, 2, 160, 2, 90), 6'000);
    REQUIRE(destroyed.ended.size() == 1);
    const FlowChanges::Ended& ended = destroyed.ended[0];
    CHECK(ended.id == 7);
    CHECK(ended.end == FlowChanges::End::destroyed);
    CHECK(ended.has_offset);
    CHECK(ended.totals.uplink_bytes == entry.original.bytes + 1000 + 160);
    CHECK(ended.delta.uplink_bytes == 100);
    CHECK(ended.delta.downlink_bytes == 50);
    CHECK(destroyed.counts.deleted == 1);
    CHECK(diff.size() == 0);
}

TEST_CASE("the real event capture in one batch: flows born and gone get no row, only their hosts", "[flow_diff]") {
    FlowDiff diff;
    const std::string capture = read_fixture("router_events.txt");
    FlowChanges changes = events(diff, capture, 1'000);
    CHECK(changes.counts.inserted > 0);
    // Every flow is one row at most, and none of those that ended has one.
    std::set<Key> keys;
    for (const auto& row : changes.inserted) keys.insert(*row.key);
    CHECK(keys.size() == changes.inserted.size());
    for (const auto& ended : changes.ended) {
        CHECK(ended.id == 0);
        CHECK(keys.count(ended.key) == 0);
    }
    CHECK(changes.inserted.size() == diff.size());
    CHECK(changes.inserted.size() + changes.counts.deleted == changes.counts.inserted);
    // The hosts' bytes are the flows' bytes: the new rows' and those of the flows that ended.
    std::uint64_t bytes = 0, hosts_bytes = 0;
    std::uint64_t new_connections = 0;
    for (const auto& row : changes.inserted) bytes += row.flow->raw.total_bytes();
    for (const auto& ended : changes.ended) bytes += ended.delta.total_bytes();
    for (const auto& [address, host] : changes.hosts) {
        hosts_bytes += host.uplink_bytes + host.downlink_bytes;
        new_connections += host.new_connections;
    }
    CHECK(hosts_bytes == bytes);
    CHECK(hosts_bytes > 0);
    CHECK(new_connections == changes.inserted.size() + changes.ended.size());
    CHECK(changes.updated.empty());  // NEW then UPDATE of a flow is one new row with its last state
}

TEST_CASE("a new flow listed twice in one read is one row with the last reading", "[flow_diff]") {
    FlowDiff diff;
    const std::string line = fixture_line("router_extended.txt", tcp_flow);
    const std::string text = with_counters(line, 5, 500, 5, 900) + with_counters(line, 3, 300, 3, 700);
    FlowChanges changes = read(diff, text, 1'000);
    REQUIRE(changes.inserted.size() == 1);
    CHECK(changes.counts.inserted == 1);
    CHECK(changes.inserted[0].flow->raw == Counters{3, 300, 3, 700});
    CHECK(changes.hosts.at(ip("192.0.2.10")).uplink_bytes == 300);
    CHECK(changes.hosts.at(ip("192.0.2.10")).new_connections == 1);
}

TEST_CASE("a read that is not written is forgotten: the next one finds the same flows gone", "[flow_diff]") {
    FlowDiff diff;
    const std::string capture = read_fixture("router_extended.txt");
    write(diff, read(diff, capture, 1'000));
    diff.begin_read(2'000, false);
    FlowChanges unwritten = diff.finish();  // the table empty: every flow gone, never written
    CHECK(unwritten.ended.size() == 15);
    // Events in between do not take the unwritten read's gone flows for theirs.
    const std::string line = fixture_line("router_extended.txt", tcp_flow);
    FlowChanges late = events(diff, "[2.5] [DESTROY] " + line + "\n", 2'500);
    REQUIRE(late.ended.size() == 1);
    CHECK(late.ended[0].end == FlowChanges::End::destroyed);  // born and gone, to this memory
    write(diff, late);
}
