// The coverage's pure parts (collector/coverage/): the WAN's counters between readings, the
// causes from cycles' observations, offloaded flows that freeze, and the ruleset's flowtables
// and notrack rules, from netlink messages libnftnl builds as the kernel sends them and from a
// real ruleset in a namespace of the test's own.
#include <catch2/catch.hpp>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_CT.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "coverage/coverage_causes.h"
#include "coverage/ruleset_scan.h"
#include "coverage/wan_meter.h"
#include "namespace_support.h"
#include "netmon/c_handle.h"

using namespace netmon;

namespace {

bool has(const std::vector<Cause>& causes, const std::string& id) {
    return std::any_of(causes.begin(), causes.end(), [&](const Cause& c) { return c.id == id; });
}

const Cause& cause(const std::vector<Cause>& causes, const std::string& id) {
    auto it = std::find_if(causes.begin(), causes.end(), [&](const Cause& c) { return c.id == id; });
    REQUIRE(it != causes.end());
    return *it;
}

CycleObservation clean(std::int64_t now) {
    CycleObservation o;
    o.now_ms = now;
    o.accounting = true;
    o.events_on = true;
    o.listens_to_events = true;
    o.flows = 100;
    o.events = 10;
    o.ruleset = RulesetFindings{};
    return o;
}

Entry offloaded(std::uint16_t port, std::uint64_t bytes, std::uint8_t flags = flag::offload) {
    Entry e;
    e.protocol = 6;
    e.original.src = *IpAddress::parse("10.0.0.11");
    e.original.dst = *IpAddress::parse("192.0.2.10");
    e.original.sport = port;
    e.original.dport = 443;
    e.reply.src = e.original.dst;
    e.reply.dst = *IpAddress::parse("198.51.100.2");
    e.reply.sport = 443;
    e.reply.dport = port;
    e.original.bytes = bytes;
    e.has_counters = true;
    e.flags = flags;
    return e;
}

}  // namespace

TEST_CASE("the WAN's bytes between readings are IP bytes, and a counter that goes back starts again") {
    WanMeter meter;
    CHECK_FALSE(meter.read({1000, 500, 10, 5}, 14));  // the first reading: the start
    auto added = meter.read({1000 + 15140, 500 + 2 * 66, 10 + 10, 5 + 2}, 14);
    REQUIRE(added);
    CHECK(added->downlink_bytes == 15000);  // 10 frames of 1514 bytes: 10 IP packets of 1500
    CHECK(added->downlink_packets == 10);
    CHECK(added->uplink_bytes == 104);  // 2 frames of 66: 2 packets of 52
    CHECK(added->uplink_packets == 2);
    // An interface made again: its counters start from 0.
    CHECK_FALSE(meter.read({100, 100, 1, 1}, 14));
    added = meter.read({200, 150, 2, 2}, 0);  // PPP, tun, WireGuard: no link-layer header
    REQUIRE(added);
    CHECK(added->downlink_bytes == 100);
    CHECK(added->uplink_bytes == 50);
    // Packets without bytes (a driver's oddity) give 0, not a wrapped number.
    added = meter.read({210, 150, 10, 2}, 14);
    REQUIRE(added);
    CHECK(added->downlink_bytes == 0);
    meter.forget();
    CHECK_FALSE(meter.read({300, 300, 20, 20}, 14));
}

TEST_CASE("a clean cycle has no cause, accounting off has one, and so do flows without counters after it") {
    CoverageCauses causes;
    CHECK_FALSE(causes.observe(clean(1000)));
    CHECK(causes.causes().empty());

    CycleObservation off = clean(2000);
    off.accounting = false;
    off.without_counters = 100;  // every flow, with accounting off: not a cause of its own
    CHECK(causes.observe(off));
    CHECK(has(causes.causes(), "accounting_off"));
    CHECK_FALSE(has(causes.causes(), "flows_without_counters"));
    CHECK(cause(causes.causes(), "accounting_off").fix.find("nf_conntrack_acct=1") != std::string::npos);

    CycleObservation on = clean(3000);
    on.without_counters = 7;
    CHECK(causes.observe(on));
    CHECK_FALSE(has(causes.causes(), "accounting_off"));
    CHECK(cause(causes.causes(), "flows_without_counters").text.find("7 flows began before accounting") == 0);

    CHECK(causes.observe(clean(4000)));  // they ended
    CHECK(causes.causes().empty());
}

TEST_CASE("many counters reset at once is another reader zeroing them, for a minute after") {
    CoverageCauses causes;
    CycleObservation one = clean(1000);
    one.resets = 2;  // a reused tuple or two: not a burst
    causes.observe(one);
    CHECK(causes.causes().empty());
    CycleObservation few = clean(2000);
    few.resets = 5;  // 5 of 100: below a tenth
    causes.observe(few);
    CHECK(causes.causes().empty());

    CycleObservation burst = clean(3000);
    burst.resets = 60;
    CHECK(causes.observe(burst));
    CHECK(cause(causes.causes(), "zero_on_read").text.find("60 flows' counters were reset") != std::string::npos);
    causes.observe(clean(3000 + CoverageCauses::window_ms - 1));
    CHECK(has(causes.causes(), "zero_on_read"));
    CHECK(causes.observe(clean(3000 + CoverageCauses::window_ms)));
    CHECK(causes.causes().empty());
}

TEST_CASE("events off, and events that do not arrive while reads keep finding flows") {
    CoverageCauses causes;
    CycleObservation off = clean(1000);
    off.events_on = false;
    causes.observe(off);
    CHECK(has(causes.causes(), "events_off"));
    CHECK(cause(causes.causes(), "events_off").fix.find("nf_conntrack_events=1") != std::string::npos);

    CoverageCauses quiet;
    for (int i = 0; i < 4; ++i) {
        CycleObservation o = clean(1000 + i * 1000);
        o.events = 0;
        o.found_by_read = 1;
        quiet.observe(o);
    }
    CHECK(quiet.causes().empty());  // 4 flows found: not yet
    CycleObservation fifth = clean(5000);
    fifth.events = 0;
    fifth.found_by_read = 1;
    quiet.observe(fifth);
    CHECK(has(quiet.causes(), "events_missing"));
    // An event after all: they do arrive.
    CycleObservation evented = clean(6000);
    evented.events = 1;
    quiet.observe(evented);
    CHECK(quiet.causes().empty());

    // An ingest that does not listen (netmon-ingest once) expects none.
    CoverageCauses deaf;
    for (int i = 0; i < 10; ++i) {
        CycleObservation o = clean(1000 + i * 1000);
        o.listens_to_events = false;
        o.events = 0;
        o.found_by_read = 3;
        deaf.observe(o);
    }
    CHECK(deaf.causes().empty());
}

TEST_CASE("overruns, the ruleset's findings and frozen offloaded flows are causes, each with its fix") {
    CoverageCauses causes;
    CycleObservation first = clean(1000);
    first.overruns_total = 4;  // before netmon looked: not new
    causes.observe(first);
    CHECK(causes.causes().empty());
    CycleObservation more = clean(2000);
    more.overruns_total = 6;
    more.offload_frozen = 3;
    more.ruleset = RulesetFindings{{"inet filter f"}, {"inet raw prerouting"}};
    causes.observe(more);
    CHECK(cause(causes.causes(), "event_overruns").text.find("2 event overruns") == 0);
    CHECK(cause(causes.causes(), "offload_frozen").text.find("3 offloaded flows") == 0);
    CHECK(cause(causes.causes(), "flowtable_without_counter").text.find("inet filter f") != std::string::npos);
    CHECK(cause(causes.causes(), "notrack").text.find("inet raw prerouting") != std::string::npos);
    // A cycle that did not read the ruleset keeps the last findings.
    CycleObservation unread = clean(3000);
    unread.overruns_total = 6;
    unread.ruleset.reset();
    causes.observe(unread);
    CHECK(has(causes.causes(), "notrack"));
    CHECK(has(causes.causes(), "event_overruns"));  // within the minute
    CycleObservation fixed = clean(2000 + CoverageCauses::window_ms);
    fixed.overruns_total = 6;
    causes.observe(fixed);
    CHECK(causes.causes().empty());

    const std::string json = causes_json({{"notrack", "a \"quoted\" <text>", "nft -a list ruleset"}});
    CHECK(json == R"([{"id":"notrack","text":"a \"quoted\" \u003ctext\u003e","fix":"nft -a list ruleset"}])");
    CHECK(causes_json({}) == "[]");
}

TEST_CASE("an offloaded flow whose counters stay while it stays offloaded is frozen after a minute") {
    OffloadWatch watch;
    const std::int64_t minute = OffloadWatch::frozen_after_ms;
    auto read = [&](std::int64_t now, std::vector<Entry> entries) {
        watch.begin(now);
        for (const Entry& e : entries) watch.see(e);
        watch.end();
        return watch.frozen();
    };
    CHECK(read(0, {offloaded(40000, 5000), offloaded(40001, 5000, flag::hw_offload), offloaded(40002, 1, 0)}) == 0);
    CHECK(read(minute - 1, {offloaded(40000, 5000), offloaded(40001, 9000, flag::hw_offload)}) == 0);
    // 40000 never moved; 40001 moved at minute - 1.
    CHECK(read(minute, {offloaded(40000, 5000), offloaded(40001, 9000, flag::hw_offload)}) == 1);
    CHECK(read(2 * minute, {offloaded(40000, 5000), offloaded(40001, 9000, flag::hw_offload)}) == 2);
    // Back to conntrack (no flag) or gone: forgotten; offloaded again, it starts over.
    CHECK(read(2 * minute + 1, {offloaded(40000, 5000, 0)}) == 0);
    CHECK(read(2 * minute + 2, {offloaded(40000, 5000)}) == 0);
}

namespace {

using Flowtable = CHandle<nftnl_flowtable*, &nftnl_flowtable_free>;
using Rule = CHandle<nftnl_rule*, &nftnl_rule_free>;

// A flowtable as the kernel lists it (NFT_MSG_NEWFLOWTABLE), built by libnftnl.
std::vector<char> flowtable_message(const char* name, std::uint32_t flags) {
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* message = nftnl_nlmsg_build_hdr(buffer.data(), NFT_MSG_NEWFLOWTABLE, NFPROTO_INET, 0, 1);
    Flowtable flowtable(nftnl_flowtable_alloc());
    nftnl_flowtable_set_str(flowtable.get(), NFTNL_FLOWTABLE_TABLE, "filter");
    nftnl_flowtable_set_str(flowtable.get(), NFTNL_FLOWTABLE_NAME, name);
    nftnl_flowtable_set_u32(flowtable.get(), NFTNL_FLOWTABLE_FAMILY, NFPROTO_INET);
    nftnl_flowtable_set_u32(flowtable.get(), NFTNL_FLOWTABLE_FLAGS, flags);
    nftnl_flowtable_nlmsg_build_payload(message, flowtable.get());
    buffer.resize(message->nlmsg_len);
    return buffer;
}

// A rule as the kernel lists it (NFT_MSG_NEWRULE), with the expressions add puts in it.
template <class F>
std::vector<char> rule_message(const char* chain, F&& add) {
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* message = nftnl_nlmsg_build_hdr(buffer.data(), NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, 1);
    Rule rule(nftnl_rule_alloc());
    nftnl_rule_set_str(rule.get(), NFTNL_RULE_TABLE, "raw");
    nftnl_rule_set_str(rule.get(), NFTNL_RULE_CHAIN, chain);
    nftnl_rule_set_u32(rule.get(), NFTNL_RULE_FAMILY, NFPROTO_IPV4);
    add(rule.get());
    nftnl_rule_nlmsg_build_payload(message, rule.get());
    buffer.resize(message->nlmsg_len);
    return buffer;
}

void add_expr(nftnl_rule* rule, const char* name) { nftnl_rule_add_expr(rule, nftnl_expr_alloc(name)); }

void add_target(nftnl_rule* rule, const char* target, std::uint16_t flags) {
    nftnl_expr* expr = nftnl_expr_alloc("target");
    nftnl_expr_set_str(expr, NFTNL_EXPR_TG_NAME, target);
    nftnl_expr_set_u32(expr, NFTNL_EXPR_TG_REV, 1);
    // xt_ct_target_info_v1 is larger; its flags come first, and only they are read.
    std::vector<char> info(64, 0);
    std::memcpy(info.data(), &flags, sizeof flags);
    void* copy = std::malloc(info.size());  // libnftnl takes the data and frees it
    std::memcpy(copy, info.data(), info.size());
    nftnl_expr_set(expr, NFTNL_EXPR_TG_INFO, copy, static_cast<std::uint32_t>(info.size()));
    nftnl_rule_add_expr(rule, expr);
}

const nlmsghdr* header(const std::vector<char>& message) { return reinterpret_cast<const nlmsghdr*>(message.data()); }

}  // namespace

TEST_CASE("a flowtable without the counter flag is found, one with it is not") {
    CHECK(flowtable_without_counter(header(flowtable_message("f", 0))) == std::optional<std::string>("inet filter f"));
    CHECK(flowtable_without_counter(header(flowtable_message("hw", NFT_FLOWTABLE_HW_OFFLOAD))) ==
          std::optional<std::string>("inet filter hw"));
    CHECK_FALSE(flowtable_without_counter(header(flowtable_message("c", NFT_FLOWTABLE_COUNTER))));
    CHECK_FALSE(
        flowtable_without_counter(header(flowtable_message("both", NFT_FLOWTABLE_COUNTER | NFT_FLOWTABLE_HW_OFFLOAD))));
}

TEST_CASE("notrack rules are found: nft's statement, iptables-nft's NOTRACK and CT --notrack") {
    CHECK(notrack_chain(header(rule_message("prerouting", [](nftnl_rule* r) {
              add_expr(r, "counter");
              add_expr(r, "notrack");
          }))) == std::optional<std::string>("ip raw prerouting"));
    CHECK(notrack_chain(header(rule_message("PREROUTING", [](nftnl_rule* r) { add_target(r, "NOTRACK", 0); }))) ==
          std::optional<std::string>("ip raw PREROUTING"));
    CHECK(notrack_chain(header(rule_message("OUTPUT", [](nftnl_rule* r) { add_target(r, "CT", XT_CT_NOTRACK); }))) ==
          std::optional<std::string>("ip raw OUTPUT"));
    // CT with a zone, not --notrack; a rule without either.
    CHECK_FALSE(notrack_chain(header(rule_message("OUTPUT", [](nftnl_rule* r) { add_target(r, "CT", 0); }))));
    CHECK_FALSE(notrack_chain(header(rule_message("forward", [](nftnl_rule* r) { add_expr(r, "counter"); }))));
}

TEST_CASE("a message that is not a flowtable or a rule finds nothing") {
    std::vector<char> short_message(sizeof(nlmsghdr) + 2, 0);
    auto* h = reinterpret_cast<nlmsghdr*>(short_message.data());
    h->nlmsg_len = static_cast<std::uint32_t>(short_message.size());
    h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
    CHECK_FALSE(notrack_chain(h));
    CHECK_FALSE(flowtable_without_counter(h));
}

TEST_CASE("the live ruleset of a namespace: a notrack rule is found, and gone once deleted") {
    if (::geteuid() != 0 || test::run_command("command -v nft").empty()) {
        WARN("skipped: needs root and nft");
        return;
    }
    test::TestNamespace ns("netmon-ruleset");
    RulesetFindings before, with_rule, after;
    ns.in([&] { before = read_ruleset_findings(); });
    CHECK(before == RulesetFindings{});
    ns.exec("nft add table ip raw");
    ns.exec("nft add chain ip raw prerouting '{ type filter hook prerouting priority -300; }'");
    ns.exec("nft add rule ip raw prerouting ip saddr 10.0.0.0/24 notrack");
    ns.exec("nft add table inet other");
    ns.exec("nft add chain inet other forward '{ type filter hook forward priority 0; }'");
    ns.exec("nft add rule inet other forward counter accept");
    ns.in([&] { with_rule = read_ruleset_findings(); });
    CHECK(with_rule.notrack_chains == std::vector<std::string>{"ip raw prerouting"});
    CHECK(with_rule.flowtables_without_counter.empty());  // this kernel has no nf_flow_table
    ns.exec("nft flush table ip raw");
    ns.in([&] { after = read_ruleset_findings(); });
    CHECK(after.notrack_chains.empty());
}
