// parse_dns_packet on DNS responses made with libldns and wrapped in IPv4/IPv6 and UDP headers.
#include "names/dns_answers.h"

#include <catch2/catch.hpp>

#include <random>

#include "dns_packets.h"

using namespace netmon;
using namespace netmon::test;

namespace {

struct Parsed {
    DnsPacketResult result;
    std::vector<DnsAnswer> answers;
};

Parsed parse(const std::vector<std::uint8_t>& packet) {
    Parsed parsed;
    parsed.result = parse_dns_packet(packet, parsed.answers);
    return parsed;
}

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

DnsMessage www_a() {
    return {{"www.example.test. IN A"}, {"www.example.test. 300 IN A 192.0.2.10"}};
}

}  // namespace

TEST_CASE("an A answer names its address for the client it goes to") {
    auto parsed = parse(answer_v4(www_a()));
    REQUIRE(parsed.result == DnsPacketResult::answers);
    REQUIRE(parsed.answers.size() == 1);
    CHECK(parsed.answers[0].client == ip("10.0.0.11"));
    CHECK(parsed.answers[0].address == ip("192.0.2.10"));
    CHECK(parsed.answers[0].name == "www.example.test");
    CHECK(parsed.answers[0].ttl == 300);
}

TEST_CASE("the question's name is lower-cased, whatever case the answer uses") {
    auto parsed = parse(answer_v4({{"WWW.Example.TEST. IN A"}, {"www.EXAMPLE.test. 60 IN A 192.0.2.10"}}));
    REQUIRE(parsed.answers.size() == 1);
    CHECK(parsed.answers[0].name == "www.example.test");
}

TEST_CASE("AAAA answers over IPv6, several addresses") {
    auto parsed = parse(answer_v6({{"video.example.net. IN AAAA"},
                                   {"video.example.net. 120 IN AAAA 2001:db8:2::10",
                                    "video.example.net. 90 IN AAAA 2001:db8:2::11"}}));
    REQUIRE(parsed.result == DnsPacketResult::answers);
    REQUIRE(parsed.answers.size() == 2);
    CHECK(parsed.answers[0].client == ip("2001:db8:1::11"));
    CHECK(parsed.answers[0].address == ip("2001:db8:2::10"));
    CHECK(parsed.answers[0].ttl == 120);
    CHECK(parsed.answers[1].address == ip("2001:db8:2::11"));
    CHECK(parsed.answers[1].ttl == 90);
    CHECK(parsed.answers[1].name == "video.example.net");
}

TEST_CASE("an AAAA answer may reach an IPv4 client") {
    auto parsed = parse(answer_v4({{"v6.example.test. IN AAAA"}, {"v6.example.test. 30 IN AAAA 2001:db8::1"}}));
    REQUIRE(parsed.answers.size() == 1);
    CHECK(parsed.answers[0].client == ip("10.0.0.11"));
    CHECK(parsed.answers[0].address == ip("2001:db8::1"));
}

TEST_CASE("a CNAME chain gives the question's name and the smallest TTL along it") {
    const std::vector<std::string> records = {
        "www.example.test. 600 IN CNAME cdn.example.net.",
        "cdn.example.net. 120 IN CNAME edge.example.org.",
        "edge.example.org. 300 IN A 192.0.2.20",
        "edge.example.org. 60 IN A 192.0.2.21",
    };
    auto check = [](const Parsed& parsed) {
        REQUIRE(parsed.result == DnsPacketResult::answers);
        REQUIRE(parsed.answers.size() == 2);
        for (const auto& answer : parsed.answers) CHECK(answer.name == "www.example.test");
        CHECK(parsed.answers[0].address == ip("192.0.2.20"));
        CHECK(parsed.answers[0].ttl == 120);
        CHECK(parsed.answers[1].address == ip("192.0.2.21"));
        CHECK(parsed.answers[1].ttl == 60);
    };
    SECTION("in order") { check(parse(answer_v4({{"www.example.test. IN A"}, records}))); }
    SECTION("out of order") {
        auto reversed = std::vector<std::string>(records.rbegin(), records.rend());
        std::swap(reversed[0], reversed[1]);  // the addresses in their own order still
        check(parse(answer_v4({{"www.example.test. IN A"}, reversed})));
    }
}

TEST_CASE("records the chain does not reach are not answers") {
    auto parsed = parse(answer_v4({{"www.example.test. IN A"},
                                   {"www.example.test. 300 IN A 192.0.2.10", "other.example.test. 300 IN A 192.0.2.99",
                                    "x.example.test. 300 IN CNAME www.example.test."}}));
    REQUIRE(parsed.answers.size() == 1);
    CHECK(parsed.answers[0].address == ip("192.0.2.10"));
}

TEST_CASE("a CNAME loop gives no answers") {
    auto parsed = parse(answer_v4({{"a.example.test. IN A"},
                                   {"a.example.test. 300 IN CNAME b.example.test.",
                                    "b.example.test. 300 IN CNAME a.example.test.",
                                    "a.example.test. 300 IN A 192.0.2.1", "b.example.test. 300 IN A 192.0.2.2"}}));
    CHECK(parsed.result == DnsPacketResult::no_answers);
    CHECK(parsed.answers.empty());
}

TEST_CASE("a name with two CNAMEs gives no answers") {
    auto parsed = parse(answer_v4({{"a.example.test. IN A"},
                                   {"a.example.test. 300 IN CNAME b.example.test.",
                                    "a.example.test. 300 IN CNAME c.example.test.", "b.example.test. 300 IN A 192.0.2.2"}}));
    CHECK(parsed.result == DnsPacketResult::no_answers);
}

TEST_CASE("a CNAME chain is followed up to max_cname_chain links") {
    auto chain = [](std::size_t links) {
        DnsMessage message{{"n0.example.test. IN A"}, {}};
        for (std::size_t i = 0; i < links; ++i)
            message.answers.push_back("n" + std::to_string(i) + ".example.test. 300 IN CNAME n" + std::to_string(i + 1) +
                                      ".example.test.");
        message.answers.push_back("n" + std::to_string(links) + ".example.test. 300 IN A 192.0.2.3");
        return parse(answer_v4(message));
    };
    CHECK(chain(max_cname_chain).result == DnsPacketResult::answers);
    CHECK(chain(max_cname_chain + 1).result == DnsPacketResult::no_answers);
}

TEST_CASE("several questions are each answered under their own name") {
    auto parsed = parse(answer_v4({{"one.example.test. IN A", "two.example.test. IN AAAA", "one.example.test. IN A"},
                                   {"one.example.test. 300 IN A 192.0.2.1", "two.example.test. 200 IN AAAA 2001:db8::2"}}));
    REQUIRE(parsed.answers.size() == 2);
    CHECK(parsed.answers[0].name == "one.example.test");
    CHECK(parsed.answers[0].address == ip("192.0.2.1"));
    CHECK(parsed.answers[1].name == "two.example.test");
    CHECK(parsed.answers[1].address == ip("2001:db8::2"));
}

TEST_CASE("NXDOMAIN, SERVFAIL, a query and a response without a question give no answers") {
    DnsMessage nxdomain = www_a();
    nxdomain.rcode = LDNS_RCODE_NXDOMAIN;
    CHECK(parse(answer_v4(nxdomain)).result == DnsPacketResult::no_answers);
    DnsMessage servfail = www_a();
    servfail.rcode = LDNS_RCODE_SERVFAIL;
    CHECK(parse(answer_v4(servfail)).result == DnsPacketResult::no_answers);
    DnsMessage query = www_a();
    query.response = false;
    CHECK(parse(answer_v4(query)).result == DnsPacketResult::no_answers);
    CHECK(parse(answer_v4({{}, {"www.example.test. 300 IN A 192.0.2.10"}})).result == DnsPacketResult::no_answers);
    CHECK(parse(answer_v4({{"www.example.test. IN A"}, {}})).result == DnsPacketResult::no_answers);
}

TEST_CASE("a packet cut at any length is malformed, never a crash") {
    const auto whole = answer_v4({{"www.example.test. IN A"},
                                  {"www.example.test. 600 IN CNAME cdn.example.net.", "cdn.example.net. 60 IN A 192.0.2.20"}});
    REQUIRE(parse(whole).result == DnsPacketResult::answers);
    for (std::size_t size = 0; size < whole.size(); ++size) {
        std::vector<std::uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        INFO("cut to " << size << " bytes");
        CHECK(parse(cut).result == DnsPacketResult::malformed);
    }
    // The same with the IP and UDP lengths made to agree: ldns refuses each cut DNS message.
    const auto message = dns_wire({{"www.example.test. IN A"},
                                   {"www.example.test. 600 IN CNAME cdn.example.net.", "cdn.example.net. 60 IN A 192.0.2.20"}});
    for (std::size_t size = 0; size < message.size(); ++size) {
        std::vector<std::uint8_t> cut(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(size));
        INFO("DNS message cut to " << size << " bytes");
        CHECK(parse(ipv4("10.0.0.1", "10.0.0.11", udp(53, 40000, cut))).result == DnsPacketResult::malformed);
    }
}

TEST_CASE("lengths that do not add up are malformed") {
    auto packet = answer_v4(www_a());
    auto bad_udp = packet;
    put16(bad_udp, 24, 4);  // a UDP length shorter than its header
    CHECK(parse(bad_udp).result == DnsPacketResult::malformed);
    auto bad_header = packet;
    bad_header[0] = 0x44;  // an IPv4 header of 16 bytes
    CHECK(parse(bad_header).result == DnsPacketResult::malformed);
    CHECK(parse({0x50, 0, 0, 0}).result == DnsPacketResult::malformed);
    CHECK(parse(std::vector<std::uint8_t>(max_dns_packet_bytes + 1, 0x45)).result == DnsPacketResult::malformed);
    // Bytes beyond the IP length (padding) are not read.
    auto padded = packet;
    padded.insert(padded.end(), 6, 0xff);
    CHECK(parse(padded).result == DnsPacketResult::answers);
}

TEST_CASE("what is not UDP from port 53 is not DNS") {
    const auto message = dns_wire(www_a());
    CHECK(parse(ipv4("10.0.0.1", "10.0.0.11", udp(5353, 40000, message))).result == DnsPacketResult::not_dns);
    CHECK(parse(ipv4("10.0.0.11", "10.0.0.1", udp(40000, 53, message))).result == DnsPacketResult::not_dns);
    CHECK(parse(ipv4("10.0.0.1", "10.0.0.11", udp(53, 40000, message), 6)).result == DnsPacketResult::not_dns);
    auto fragment = answer_v4(www_a());
    fragment[6] = 0x20;  // more fragments
    CHECK(parse(fragment).result == DnsPacketResult::not_dns);
}

TEST_CASE("IPv4 options are skipped") {
    const std::vector<std::uint8_t> options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
    auto parsed = parse(ipv4("10.0.0.1", "10.0.0.12", udp(53, 40000, dns_wire(www_a())), 17, options));
    REQUIRE(parsed.result == DnsPacketResult::answers);
    CHECK(parsed.answers[0].client == ip("10.0.0.12"));
}

TEST_CASE("IPv6 extension headers are followed, a fragment header is not") {
    const auto datagram = udp(53, 40000, dns_wire(www_a()));
    std::vector<std::uint8_t> hop_by_hop = {0, 0, 1, 4, 0, 0, 0, 0};  // PadN
    std::vector<std::uint8_t> destination = {0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    auto parsed = parse(ipv6("2001:db8:1::1", "2001:db8:1::12", datagram, {{0, hop_by_hop}, {60, destination}}));
    REQUIRE(parsed.result == DnsPacketResult::answers);
    CHECK(parsed.answers[0].client == ip("2001:db8:1::12"));
    CHECK(parsed.answers[0].address == ip("192.0.2.10"));
    std::vector<std::uint8_t> fragment = {0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(parse(ipv6("2001:db8:1::1", "2001:db8:1::12", datagram, {{44, fragment}})).result == DnsPacketResult::not_dns);
    // An extension header longer than the packet.
    std::vector<std::uint8_t> long_header = {0, 200, 1, 4, 0, 0, 0, 0};
    CHECK(parse(ipv6("2001:db8:1::1", "2001:db8:1::12", datagram, {{60, long_header}})).result ==
          DnsPacketResult::malformed);
    CHECK(parse(ipv6("2001:db8:1::1", "2001:db8:1::12", datagram, {}, 6)).result == DnsPacketResult::not_dns);
}

TEST_CASE("at most max_answers_per_packet answers come from one packet") {
    DnsMessage message{{"many.example.test. IN A"}, {}};
    for (int i = 0; i < 100; ++i) message.answers.push_back("many.example.test. 300 IN A 192.0.2." + std::to_string(i));
    std::vector<DnsAnswer> out(3);  // answers are appended
    CHECK(parse_dns_packet(answer_v4(message), out) == DnsPacketResult::answers);
    CHECK(out.size() == 3 + max_answers_per_packet);
}

TEST_CASE("a name only an escape could show is skipped") {
    auto parsed = parse(answer_v4({{"a\\032b.example.test. IN A"}, {"a\\032b.example.test. 300 IN A 192.0.2.10"}}));
    CHECK(parsed.result == DnsPacketResult::no_answers);
    auto dotted = parse(answer_v4({{"a\\.b.example.test. IN A"}, {"a\\.b.example.test. 300 IN A 192.0.2.10"}}));
    CHECK(dotted.result == DnsPacketResult::no_answers);
}

TEST_CASE("a TTL with its top bit set counts as zero") {
    auto parsed = parse(answer_v4({{"www.example.test. IN A"}, {"www.example.test. 4294967295 IN A 192.0.2.10"}}));
    REQUIRE(parsed.answers.size() == 1);
    CHECK(parsed.answers[0].ttl == 0);
}

TEST_CASE("random bytes and flipped bytes never crash the parser") {
    std::mt19937 random(13);
    const auto whole = answer_v4({{"www.example.test. IN A"},
                                  {"www.example.test. 600 IN CNAME cdn.example.net.", "cdn.example.net. 60 IN A 192.0.2.20"}});
    for (int round = 0; round < 20000; ++round) {
        auto packet = whole;
        const int flips = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < flips; ++i) packet[28 + random() % (packet.size() - 28)] = static_cast<std::uint8_t>(random());
        std::vector<DnsAnswer> out;
        parse_dns_packet(packet, out);
        CHECK(out.size() <= max_answers_per_packet);
        for (const auto& answer : out) CHECK(is_valid_dns_answer_name(answer.name));
    }
}

TEST_CASE("is_valid_dns_answer_name") {
    CHECK(is_valid_dns_answer_name("www.example.test"));
    CHECK(is_valid_dns_answer_name("_sip._tcp.example.test"));
    CHECK_FALSE(is_valid_dns_answer_name(""));
    CHECK_FALSE(is_valid_dns_answer_name("."));
    CHECK_FALSE(is_valid_dns_answer_name("www.example.test."));
    CHECK_FALSE(is_valid_dns_answer_name("a..b"));
    CHECK_FALSE(is_valid_dns_answer_name("Www.example.test"));
    CHECK_FALSE(is_valid_dns_answer_name("a b"));
    CHECK_FALSE(is_valid_dns_answer_name("a\\032b"));
    CHECK_FALSE(is_valid_dns_answer_name("<script>\x1b"));
    CHECK_FALSE(is_valid_dns_answer_name(std::string(254, 'a')));
    CHECK(is_valid_dns_answer_name(std::string(253, 'a')));
}
