#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "netmon/key.h"
#include "netmon/parser.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::fixture_line;
using netmon::test::fixture_lines;
using netmon::test::ip;
using netmon::test::parse_ok;

namespace {

ParseError error_of(const std::string& line) {
    ParseResult result = parse_line(line);
    CHECK_FALSE(result.entry);
    return result.error;
}

// A valid line to break in the malformed-line tests.
const std::string good =
    "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.11 dst=192.0.2.10 sport=35410 dport=443 "
    "packets=10 bytes=2540 src=192.0.2.10 dst=198.51.100.2 sport=443 dport=35410 packets=10 "
    "bytes=120528 [ASSURED] mark=42 use=1";

std::string replaced(std::string line, const std::string& from, const std::string& to) {
    auto at = line.find(from);
    REQUIRE(at != std::string::npos);
    return line.replace(at, from.size(), to);
}

}  // namespace

// The seed's three cases, on lines captured from a real router (tests/lab/capture-fixtures.sh).

TEST_CASE("seed 1: tcp with a state and counters", "[parser][seed]") {
    Entry e = parse_ok(fixture_line("router_extended.txt", "ESTABLISHED src=10.0.0.11"));
    CHECK(e.family == Family::v4);
    CHECK(e.protocol == protocol::tcp);
    CHECK(e.event == EventType::snapshot);
    CHECK(e.state.view() == "ESTABLISHED");
    CHECK(e.timeout == 431994u);
    CHECK(e.original.src == ip("10.0.0.11"));
    CHECK(e.original.dst == ip("192.0.2.10"));
    CHECK(e.original.sport == 35410);
    CHECK(e.original.dport == 443);
    CHECK(e.original.packets == 10);
    CHECK(e.original.bytes == 2540);
    CHECK(e.reply.src == ip("192.0.2.10"));
    CHECK(e.reply.dst == ip("198.51.100.2"));  // after masquerade
    CHECK(e.reply.sport == 443);
    CHECK(e.reply.dport == 35410);
    CHECK(e.reply.packets == 10);
    CHECK(e.reply.bytes == 120528);
    CHECK(e.has_counters);
    CHECK(e.flags == flag::assured);
    CHECK(e.mark == 42);
    CHECK(e.total_bytes() == 123068);
}

TEST_CASE("seed 2: tcp with a state and no counters (nf_conntrack_acct=0)", "[parser][seed]") {
    Entry e = parse_ok(fixture_line("router_noacct_extended.txt", "tcp "));
    CHECK(e.state.view() == "ESTABLISHED");
    CHECK(e.original.sport == 40756);
    CHECK(e.original.dport == 8080);
    CHECK_FALSE(e.has_counters);
    CHECK(e.original.packets == 0);
    CHECK(e.original.bytes == 0);
    CHECK(e.reply.packets == 0);
    CHECK(e.reply.bytes == 0);
    CHECK(e.flags == flag::assured);
}

TEST_CASE("seed 3: udp without a state, with counters", "[parser][seed]") {
    Entry e = parse_ok(fixture_line("router_extended.txt", "dport=53 packets=2"));
    CHECK(e.protocol == protocol::udp);
    CHECK(e.state.empty());
    CHECK(e.timeout == 24u);
    CHECK(e.original.sport == 40217);
    CHECK(e.original.dport == 53);
    CHECK(e.original.packets == 2);
    CHECK(e.original.bytes == 176);
    CHECK(e.reply.packets == 2);
    CHECK(e.reply.bytes == 456);
    CHECK(e.flags == 0);
}

TEST_CASE("every line of every real capture parses", "[parser]") {
    for (const char* name : {"router_extended.txt", "router_extended_id.txt", "router_plain.txt",
                             "router_proc.txt", "router_events.txt", "router_events_plain.txt",
                             "router_noacct_extended.txt"}) {
        INFO(name);
        auto lines = fixture_lines(name);
        REQUIRE(lines.size() >= 2);
        for (const auto& line : lines) {
            INFO(line);
            ParseResult result = parse_line(line);
            CHECK(result.error == ParseError::none);
        }
    }
}

TEST_CASE("the four text formats describe the same flows identically", "[parser]") {
    auto entries_of = [](const char* name) {
        std::vector<std::pair<std::string, Entry>> out;
        for (const auto& line : fixture_lines(name)) {
            Entry e = parse_ok(line);
            out.emplace_back(Key::from_entry(e).str(), e);
        }
        std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
        return out;
    };
    auto extended = entries_of("router_extended.txt");
    auto plain = entries_of("router_plain.txt");
    auto proc = entries_of("router_proc.txt");
    REQUIRE(extended.size() == plain.size());
    REQUIRE(extended.size() == proc.size());
    for (std::size_t i = 0; i < extended.size(); ++i) {
        INFO(extended[i].first);
        CHECK(plain[i].first == extended[i].first);
        CHECK(proc[i].first == extended[i].first);
        // /proc prints "zone=0" and "use=2" where conntrack prints nothing and "use=1";
        // everything netmon keeps is equal.
        CHECK(plain[i].second.reply == extended[i].second.reply);
        CHECK(proc[i].second.original == extended[i].second.original);
        CHECK(proc[i].second.reply == extended[i].second.reply);
        CHECK(proc[i].second.state == extended[i].second.state);
        CHECK(proc[i].second.flags == extended[i].second.flags);
    }
}

TEST_CASE("/proc's uncompressed IPv6 addresses", "[parser]") {
    Entry e = parse_ok(fixture_line("router_proc.txt", "ipv6     10 tcp"));
    CHECK(e.family == Family::v6);
    CHECK(e.original.src == ip("fd00:10::11"));
    CHECK(e.original.dst == ip("2001:db8:2::10"));
    CHECK(e.reply.dst == ip("2001:db8:100::2"));
    CHECK(e.zone == 0);
}

TEST_CASE("event lines: timestamp, [NEW], [UPDATE], [DESTROY]", "[parser]") {
    Entry created = parse_ok(fixture_line("router_events.txt", "[NEW] ipv4     2 tcp"));
    CHECK(created.event == EventType::created);
    CHECK(created.state.view() == "SYN_SENT");
    CHECK(created.timeout == 120u);
    CHECK(created.flags == flag::unreplied);
    CHECK_FALSE(created.has_counters);  // the kernel sends no counters with NEW

    Entry updated = parse_ok(fixture_line("router_events.txt", "[UPDATE] ipv4     2 tcp      6 432000 ESTABLISHED"));
    CHECK(updated.event == EventType::updated);
    CHECK(updated.flags == flag::assured);

    Entry destroyed = parse_ok(fixture_line("router_events.txt", "[DESTROY] ipv4     2 gre"));
    CHECK(destroyed.event == EventType::destroyed);
    CHECK(destroyed.has_counters);  // DESTROY carries the final counters
    CHECK(destroyed.original.packets == 3);
    CHECK(destroyed.original.bytes == 360);
    CHECK(destroyed.flags == flag::unreplied);  // [USERSPACE] is not a flag netmon keeps

    Entry plain = parse_ok(fixture_line("router_events_plain.txt", "[DESTROY] tcp"));
    CHECK(plain.event == EventType::destroyed);
    CHECK(plain.family == Family::v4);

    // Without a timeout, as some kernels send DESTROY.
    Entry no_timeout = parse_ok(
        "[1795504840.681625]\t[DESTROY] tcp      6 src=10.0.0.2 dst=192.0.2.1 sport=1 dport=2 "
        "packets=1 bytes=60 src=192.0.2.1 dst=10.0.0.2 sport=2 dport=1 packets=0 bytes=0");
    CHECK_FALSE(no_timeout.timeout);
    CHECK(no_timeout.state.empty());
}

TEST_CASE("icmp and icmpv6 keep type, code and id", "[parser]") {
    Entry e = parse_ok(fixture_line("router_extended.txt", "icmp     1 24 src=10.0.0.11"));
    CHECK(e.protocol == protocol::icmp);
    CHECK(e.original.sport == 50353);         // the echo id
    CHECK(e.original.dport == (8 << 8 | 0));  // echo request
    CHECK(e.reply.dport == (0 << 8 | 0));     // echo reply
    CHECK(e.reply.sport == 50353);

    Entry v6 = parse_ok(fixture_line("router_extended.txt", "icmpv6   58 25 src=fd00:10::11 dst=2001"));
    CHECK(v6.family == Family::v6);
    CHECK(v6.original.dport == (128 << 8));
    CHECK(v6.reply.dport == (129 << 8));

    // -o id adds the conntrack id at the end: it is not the ICMP id.
    Entry with_id = parse_ok(fixture_line("router_extended_id.txt", "icmp     1 24 src=10.0.0.11"));
    CHECK(with_id.reply.sport == 50353);
}

TEST_CASE("gre keys, sctp states, udplite ports and unknown protocols", "[parser]") {
    Entry gre = parse_ok(fixture_line("router_extended.txt", "gre      47"));
    CHECK(gre.protocol == protocol::gre);
    CHECK(gre.original.sport == 0);
    Entry keyed = parse_ok(
        "ipv4 2 gre 47 179 src=10.0.0.2 dst=192.0.2.1 srckey=0x1a2b dstkey=0xffff packets=4 "
        "bytes=400 src=192.0.2.1 dst=198.51.100.2 srckey=0xffff dstkey=0x1a2b packets=1 bytes=100 "
        "[ASSURED] mark=0 use=1");
    CHECK(keyed.original.sport == 0x1a2b);
    CHECK(keyed.original.dport == 0xffff);
    // /proc writes GRE timeouts as "timeout=30, stream_timeout=180": ignored.
    Entry proc_gre = parse_ok(fixture_line("router_proc.txt", "gre      47"));
    CHECK(proc_gre.original.bytes == 360);

    Entry sctp = parse_ok(fixture_line("router_extended.txt", "sctp     132"));
    CHECK(sctp.state.view() == "CLOSED");
    CHECK(sctp.original.sport == 40000);
    CHECK(sctp.original.dport == 5000);

    Entry udplite = parse_ok(fixture_line("router_extended.txt", "udplite  136"));
    CHECK(udplite.protocol == protocol::udplite);
    CHECK(udplite.original.dport == 5000);

    Entry unknown = parse_ok(fixture_line("router_extended.txt", "unknown  253"));
    CHECK(unknown.protocol == 253);
    CHECK(unknown.timeout == 597u);
    CHECK(unknown.original.sport == 0);
    CHECK(unknown.original.bytes == 84);

    // This kernel has no DCCP tracker; the line is written in conntrack-tools' format.
    Entry dccp = parse_ok(
        "ipv4     2 dccp     33 43199 OPEN src=10.0.0.2 dst=192.0.2.1 sport=5001 dport=6001 "
        "packets=5 bytes=500 src=192.0.2.1 dst=198.51.100.2 sport=6001 dport=5001 packets=4 "
        "bytes=400 [ASSURED] mark=0 use=1");
    CHECK(dccp.protocol == protocol::dccp);
    CHECK(dccp.state.view() == "OPEN");
    CHECK(dccp.original.dport == 6001);

    Entry long_state = parse_ok(
        "sctp 132 3 SHUTDOWN_ACK_SENT src=10.0.0.2 dst=192.0.2.1 sport=1 dport=2 src=192.0.2.1 "
        "dst=10.0.0.2 sport=2 dport=1 mark=0 use=1");
    CHECK(long_state.state.view() == "SHUTDOWN_ACK_SENT");
}

TEST_CASE("flags, marks, zones and unknown tokens", "[parser]") {
    Entry zoned = parse_ok(fixture_line("router_extended.txt", "zone=7"));
    CHECK(zoned.zone == 7);
    Entry unreplied = parse_ok(fixture_line("router_extended.txt", "SYN_SENT"));
    CHECK(unreplied.flags == flag::unreplied);
    CHECK(unreplied.mark == 42);

    Entry offloaded = parse_ok(replaced(good, "[ASSURED]", "[OFFLOAD] [ASSURED] [HW_OFFLOAD]"));
    CHECK(offloaded.flags == (flag::assured | flag::offload | flag::hw_offload));

    // Tokens netmon does not know, anywhere after the header, change nothing it keeps.
    std::string noisy = replaced(good, "[ASSURED] mark=42 use=1",
                                 "[ASSURED] [SEEN_REPLY] mark=42 secctx=system_u:object_r:unlabeled_t:s0 "
                                 "zone=3 labels=0x1 delta-time=12 [start=Tue Nov 24 08:00:00 2026] "
                                 "use=1 id=1234567 futurekey=9 bare-word");
    noisy = replaced(noisy, "dport=443 packets=10", "dport=443 zone-orig=3 packets=10");
    Entry e = parse_ok(noisy);
    Entry base = parse_ok(good);
    CHECK(e.original == base.original);
    CHECK(e.reply == base.reply);
    CHECK(e.flags == base.flags);
    CHECK(e.mark == 42);
    CHECK(e.zone == 3);

    // Valid UTF-8 in a token netmon skips is fine.
    CHECK(parse_line(replaced(good, "use=1", "use=1 note=caf\xc3\xa9")).entry);
}

TEST_CASE("line endings, tabs and blank lines", "[parser]") {
    CHECK(parse_line(good + "\n").entry);
    CHECK(parse_line(good + "\r\n").entry);
    CHECK(parse_line("\t  " + good + "   ").entry);
    CHECK(error_of("") == ParseError::blank);
    CHECK(error_of("   \t ") == ParseError::blank);
    CHECK(error_of("conntrack v1.4.7 (conntrack-tools): 22 flow entries have been shown.") ==
          ParseError::summary);
    CHECK(is_ignorable(ParseError::blank));
    CHECK(is_ignorable(ParseError::summary));
    CHECK_FALSE(is_ignorable(ParseError::bad_address));
}

TEST_CASE("malformed lines give nothing, with the reason", "[parser][malformed]") {
    // The seed's cases: a tuple without src or dst.
    CHECK(error_of(replaced(good, "src=10.0.0.11 ", "")) == ParseError::missing_original);
    CHECK(error_of(replaced(good, "dst=192.0.2.10 ", "")) == ParseError::missing_original);
    // Without the reply's src= its fields land in the original tuple, twice.
    CHECK(error_of(replaced(good, "src=192.0.2.10 ", "")) == ParseError::duplicate_field);
    CHECK(error_of(replaced(good, "dst=198.51.100.2 ", "")) == ParseError::missing_reply);
    CHECK(error_of("ipv4 2 tcp 6 100 ESTABLISHED src=10.0.0.11 dst=192.0.2.10 sport=1 dport=2") ==
          ParseError::missing_reply);
    CHECK(error_of("ipv4 2 tcp 6 100 ESTABLISHED mark=0 use=1") == ParseError::missing_original);

    CHECK(error_of(replaced(good, "src=10.0.0.11", "src=10.0.0.256")) == ParseError::bad_address);
    CHECK(error_of(replaced(good, "dst=192.0.2.10", "dst=192.0.2")) == ParseError::bad_address);
    CHECK(error_of(replaced(good, "dst=198.51.100.2", "dst=2001:db8::zz")) == ParseError::bad_address);
    CHECK(error_of(replaced(good, "src=10.0.0.11", "src=")) == ParseError::bad_address);

    CHECK(error_of(replaced(good, "sport=35410", "sport=65536")) == ParseError::bad_number);
    CHECK(error_of(replaced(good, "dport=443", "dport=-1")) == ParseError::bad_number);
    CHECK(error_of(replaced(good, "dport=443", "dport=44x")) == ParseError::bad_number);
    CHECK(error_of(replaced(good, "bytes=2540", "bytes=18446744073709551616")) == ParseError::bad_number);
    CHECK(error_of(replaced(good, "packets=10", "packets=99999999999999999999999")) == ParseError::bad_number);
    CHECK(parse_ok(replaced(good, "bytes=2540", "bytes=18446744073709551615")).original.bytes ==
          18446744073709551615ull);
    CHECK(error_of(replaced(good, "431999", "4294967296")) == ParseError::bad_number);
    CHECK(error_of(replaced(good, "mark=42", "mark=0x2a")) == ParseError::bad_number);

    CHECK(error_of(replaced(good, "sport=35410 ", "")) == ParseError::missing_ports);
    CHECK(error_of(replaced(good, "dport=35410 ", "")) == ParseError::missing_ports);
    CHECK(error_of("icmp 1 29 src=10.0.0.2 dst=192.0.2.1 type=8 code=0 src=192.0.2.1 dst=10.0.0.2 "
                   "type=0 code=0 id=7") == ParseError::missing_ports);

    CHECK(error_of(replaced(good, "dst=192.0.2.10", "dst=192.0.2.10 dst=192.0.2.11")) ==
          ParseError::duplicate_field);
    CHECK(error_of(good + " src=192.0.2.9 dst=10.0.0.1") == ParseError::extra_tuple);

    CHECK(error_of(replaced(good, "dst=192.0.2.10", "dst=2001:db8::1")) == ParseError::family_mismatch);
    CHECK(error_of(replaced(good, "ipv4     2", "ipv6     10")) == ParseError::family_mismatch);

    CHECK(error_of(replaced(good, "ipv4     2", "ipv4     10")) == ParseError::bad_header);
    CHECK(error_of(replaced(good, "tcp      6", "tcp      17")) == ParseError::bad_header);
    CHECK(error_of(replaced(good, "tcp      6", "tcp      ")) == ParseError::bad_header);
    CHECK(error_of(replaced(good, "tcp      6", "unknown  256")) == ParseError::bad_header);
    CHECK(error_of(replaced(good, "tcp      6", "ipip     4")) == ParseError::bad_header);
    CHECK(error_of("hello world") == ParseError::bad_header);
    CHECK(error_of("<flow type=\"new\">") == ParseError::bad_header);
    CHECK(error_of(replaced(good, "ESTABLISHED", "ESTAB-LISHED")) == ParseError::bad_state);
    CHECK(error_of(replaced(good, "ESTABLISHED", "A_STATE_NAME_FAR_TOO_LONG_TO_BE_REAL")) ==
          ParseError::bad_state);
}

TEST_CASE("NUL, control and non-UTF-8 bytes, and huge lines", "[parser][malformed]") {
    std::string with_nul = good;
    with_nul[20] = '\0';
    CHECK(error_of(with_nul) == ParseError::bad_bytes);
    CHECK(error_of(replaced(good, "use=1", "use=1\x01")) == ParseError::bad_bytes);
    CHECK(error_of(replaced(good, "use=1", "use=1 \xff\xfe")) == ParseError::bad_bytes);
    CHECK(error_of(replaced(good, "use=1", "use=1 \xc3")) == ParseError::bad_bytes);         // cut short
    CHECK(error_of(replaced(good, "use=1", "use=1 \xc0\xaf")) == ParseError::bad_bytes);     // overlong
    CHECK(error_of(replaced(good, "use=1", "use=1 \xed\xa0\x80")) == ParseError::bad_bytes); // surrogate
    CHECK(error_of(replaced(good, "use=1", "use=1 \x7f")) == ParseError::bad_bytes);

    std::string huge = good + " " + std::string(3 * 1024 * 1024, 'x');
    CHECK(error_of(huge) == ParseError::too_long);
    std::string many_tokens = good;
    for (int i = 0; i < 5000; ++i) many_tokens += " k=v";
    CHECK(parse_line(many_tokens).entry);  // long but under the limit: still an entry
}

TEST_CASE("no input crashes the parser: every prefix and random damage of real lines",
          "[parser][malformed]") {
    std::mt19937 random(20261124);
    std::uniform_int_distribution<int> byte(0, 255);
    std::size_t parsed = 0;
    for (const char* name : {"router_extended.txt", "router_proc.txt", "router_events.txt"}) {
        for (const auto& line : fixture_lines(name)) {
            for (std::size_t n = 0; n <= line.size(); ++n) parsed += parse_line(line.substr(0, n)).entry ? 1 : 0;
            for (int round = 0; round < 200; ++round) {
                std::string damaged = line;
                std::uniform_int_distribution<std::size_t> where(0, damaged.size() - 1);
                for (int k = 0; k < 3; ++k) damaged[where(random)] = static_cast<char>(byte(random));
                parsed += parse_line(damaged).entry ? 1 : 0;
            }
        }
    }
    CHECK(parsed > 0);  // some damage leaves a valid line; the point is that nothing crashed
}

TEST_CASE("ParseStats counts entries and skipped lines, not blank ones", "[parser]") {
    std::string text = good + "\n\nnot a line\n" + good + "\nconntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n" +
                       replaced(good, "src=10.0.0.11", "src=x") + "\n";
    ParseStats stats;
    std::size_t seen = 0;
    parse_text(text, stats, [&](Entry&&) { ++seen; });
    CHECK(seen == 2);
    CHECK(stats.lines == 6);
    CHECK(stats.entries == 2);
    CHECK(stats.skipped == 2);
    CHECK(stats.first_skipped_line == 3);
    CHECK(stats.first_error == ParseError::bad_header);
    CHECK(stats.by_error[static_cast<std::size_t>(ParseError::bad_address)] == 1);
    CHECK(stats.by_error[static_cast<std::size_t>(ParseError::blank)] == 1);
}
