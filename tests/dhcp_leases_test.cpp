// Lease files of dnsmasq, ISC dhcpd, Kea and odhcpd (tests/fixtures/leases/): what each gives,
// what is skipped, and hostile hostnames made harmless.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "names/dhcp_leases.h"

using namespace netmon;

namespace {

std::string lease_fixture(const std::string& name) {
    std::ifstream file(std::string(NETMON_SOURCE_DIR) + "/tests/fixtures/leases/" + name, std::ios::binary);
    if (!file) throw std::runtime_error("missing fixture " + name);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
MacAddress mac(const char* text) { return *MacAddress::parse(text); }

const Lease* find(const LeaseFileContents& contents, const char* address) {
    for (const Lease& lease : contents.leases)
        if (lease.address == ip(address)) return &lease;
    return nullptr;
}

}  // namespace

TEST_CASE("dnsmasq leases: IPv4 and IPv6 lines, the duid line, bad lines skipped", "[leases]") {
    const std::string text = lease_fixture("dnsmasq.leases");
    CHECK(detect_lease_format(text) == LeaseFormat::dnsmasq);
    const LeaseFileContents contents = parse_leases(text, LeaseFormat::detect);
    CHECK(contents.format == LeaseFormat::dnsmasq);
    CHECK(contents.skipped == 2);  // "not a lease line", 10.0.0.300
    REQUIRE(contents.leases.size() == 7);
    CHECK(contents.leases[0] == Lease{ip("10.0.0.11"), mac("3c:22:fb:12:34:56"), "alice-laptop"});
    CHECK(contents.leases[1] == Lease{ip("10.0.0.12"), mac("b8:27:eb:aa:bb:cc"), ""});  // "*": none
    // The escape and the bell go; the markup stays text, for the outputs to escape.
    CHECK(contents.leases[2].hostname == "evil[31m<script>");
    // Another link layer ("06-..."): a lease by address only.
    CHECK(contents.leases[3] == Lease{ip("10.0.0.14"), std::nullopt, "infiniband"});
    // IPv6: the MAC from the client's DUID-LLT, none from a DUID-EN.
    CHECK(*find(contents, "fd00::11") == Lease{ip("fd00::11"), mac("3c:22:fb:12:34:56"), "alice-laptop"});
    CHECK(*find(contents, "fd00::12") == Lease{ip("fd00::12"), std::nullopt, "phone"});
    CHECK(find(contents, "10.0.0.15")->hostname == "caf\xc3\xa9--tab");  // invalid UTF-8 dropped
}

TEST_CASE("ISC dhcpd.leases: the last block of an address wins, free and backup leases dropped", "[leases]") {
    const std::string text = lease_fixture("dhcpd.leases");
    CHECK(detect_lease_format(text) == LeaseFormat::isc);
    const LeaseFileContents contents = parse_leases(text, LeaseFormat::detect);
    CHECK(contents.skipped == 2);  // a bad hardware address, "lease bogus"
    REQUIRE(contents.leases.size() == 2);
    CHECK(contents.leases[0] == Lease{ip("10.0.0.21"), mac("3c:22:fb:00:00:21"), "desk \"pc\"[0m"});
    CHECK(contents.leases[1] == Lease{ip("10.0.0.25"), mac("3c:22:fb:00:00:25"), ""});
    CHECK(find(contents, "10.0.0.22") == nullptr);  // its last block says free
    CHECK(find(contents, "10.0.0.24") == nullptr);
}

TEST_CASE("Kea memfile CSV: columns from the header, the last row wins, ended leases dropped", "[leases]") {
    const std::string v4 = lease_fixture("kea-leases4.csv");
    CHECK(detect_lease_format(v4) == LeaseFormat::kea);
    LeaseFileContents contents = parse_leases(v4, LeaseFormat::kea);
    CHECK(contents.skipped == 2);  // not-an-address, a cut row
    REQUIRE(contents.leases.size() == 2);
    CHECK(contents.leases[0] == Lease{ip("10.0.0.31"), mac("3c:22:fb:00:00:31"), "printer2"});
    CHECK(contents.leases[1] == Lease{ip("10.0.0.32"), mac("3c:22:fb:00:00:32"), "tv, living room"});
    contents = parse_leases(lease_fixture("kea-leases6.csv"), LeaseFormat::detect);
    CHECK(contents.skipped == 0);
    REQUIRE(contents.leases.size() == 2);
    CHECK(contents.leases[0] == Lease{ip("fd00::41"), mac("3c:22:fb:00:00:41"), "nas"});  // DUID-LL
    CHECK(contents.leases[1] == Lease{ip("fd00::42"), mac("3c:22:fb:00:00:42"), "tablet"});  // hwaddr
}

TEST_CASE("odhcpd state file: DHCPv6 and DHCPv4 lines, expired and broken names dropped", "[leases]") {
    const std::string text = lease_fixture("odhcpd");
    CHECK(detect_lease_format(text) == LeaseFormat::odhcpd);
    const LeaseFileContents contents = parse_leases(text, LeaseFormat::detect);
    CHECK(contents.skipped == 2);  // "# too short", "garbage here"
    REQUIRE(contents.leases.size() == 5);
    CHECK(*find(contents, "fd00::51") == Lease{ip("fd00::51"), mac("3c:22:fb:00:00:51"), "laptop"});
    CHECK(*find(contents, "fd00::5151") == Lease{ip("fd00::5151"), mac("3c:22:fb:00:00:51"), "laptop"});
    CHECK(*find(contents, "10.0.0.52") == Lease{ip("10.0.0.52"), mac("3c:22:fb:00:00:52"), "phone"});
    CHECK(find(contents, "10.0.0.53") == nullptr);  // valid until 0: expired
    CHECK(*find(contents, "fd00::54") == Lease{ip("fd00::54"), std::nullopt, ""});
    CHECK(*find(contents, "10.0.0.55") == Lease{ip("10.0.0.55"), mac("3c:22:fb:00:00:55"), ""});
}

TEST_CASE("a text in no known format: every line skipped, nothing thrown", "[leases]") {
    CHECK(detect_lease_format("") == LeaseFormat::detect);
    LeaseFileContents contents = parse_leases("hello\nworld\n\n", LeaseFormat::detect);
    CHECK(contents.leases.empty());
    CHECK(contents.skipped == 2);
    // Any bytes, in every format: no crash, no throw.
    std::string junk;
    for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 131 + 7) % 256);
    for (LeaseFormat format : {LeaseFormat::detect, LeaseFormat::dnsmasq, LeaseFormat::isc, LeaseFormat::kea,
                               LeaseFormat::odhcpd})
        CHECK_NOTHROW(parse_leases(junk, format));
    CHECK_NOTHROW(parse_leases("lease 10.0.0.1 { hardware ethernet", LeaseFormat::isc));
    CHECK(parse_leases("lease 10.0.0.1 { hardware ethernet", LeaseFormat::isc).skipped == 1);
}

TEST_CASE("clean_name: control characters and invalid UTF-8 dropped, 64 bytes at most", "[leases]") {
    CHECK(clean_name("  laptop \t") == "laptop");
    CHECK(clean_name("*") == "");
    CHECK(clean_name("-") == "");
    CHECK(clean_name("a\x1b[31mb\x7f\nc") == "a[31mbc");
    CHECK(clean_name("\xc3\x28ok") == "(ok");
    CHECK(clean_name("\xed\xa0\x80x") == "x");  // a surrogate
    const std::string long_name(100, 'x');
    CHECK(clean_name(long_name).size() == max_name_length);
    // Cut at a character's boundary: 63 bytes and a 2-byte character do not fit in 64.
    CHECK(clean_name(std::string(63, 'a') + "\xc3\xa9") == std::string(63, 'a'));
}

TEST_CASE("mac_from_duid: DUID-LLT and DUID-LL of Ethernet only", "[leases]") {
    CHECK(mac_from_duid("000100012cd1e2f33c22fb000051") == mac("3c:22:fb:00:00:51"));
    CHECK(mac_from_duid("00:03:00:01:3c:22:fb:00:00:41") == mac("3c:22:fb:00:00:41"));
    CHECK_FALSE(mac_from_duid("00:02:00:00:ab:11:01:02:03:04"));  // DUID-EN
    CHECK_FALSE(mac_from_duid("00:03:00:06:3c:22:fb:00:00:41"));  // not Ethernet
    CHECK_FALSE(mac_from_duid("0003000111223344"));               // too short
    CHECK_FALSE(mac_from_duid("zz"));
    CHECK_FALSE(mac_from_duid(""));
}
