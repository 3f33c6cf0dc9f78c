// table inet netmon and its NFLOG group, against the real kernel and nft in a network namespace
// of the test's own (root only; skipped elsewhere with the reason).
#include "namespace_support.h"
#include "names/dns_ruleset.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

#include "names/nflog_source.h"

using namespace netmon;

namespace {

std::string run(const std::string& command) { return test::run_command(command); }

// A namespace of this process's own, deleted at the end.
struct Namespace : test::TestNamespace {
    Namespace() : TestNamespace("netmon-dnsrs") {}
};

const char* why_no_kernel() {
    if (::geteuid() != 0) return "needs root (network namespaces, nftables)";
    if (run("command -v nft").empty()) return "needs nft";
    return nullptr;
}

#define SKIP_WITHOUT_KERNEL()                                                \
    do {                                                                     \
        if (const char* why = why_no_kernel()) {                            \
            WARN(std::string("skipped: ") + why);                           \
            return;                                                          \
        }                                                                    \
    } while (false)

std::vector<Cidr> lab_lan() { return {*Cidr::parse("10.0.0.0/24"), *Cidr::parse("fd00:10::/64")}; }

}  // namespace

TEST_CASE("the ruleset's text logs answers towards the LAN from both hooks, and only logs") {
    const std::string text = dns_ruleset_text(7, lab_lan());
    CHECK(text.rfind("add table inet netmon\ndelete table inet netmon\n", 0) == 0);
    CHECK(text.find("hook output priority 300") != std::string::npos);
    CHECK(text.find("hook forward priority 300") != std::string::npos);
    CHECK(text.find("ip daddr { 10.0.0.0/24 } udp sport 53 log group 7 snaplen 4160") != std::string::npos);
    CHECK(text.find("ip6 daddr { fd00:10::/64 } udp sport 53 log group 7 snaplen 4160") != std::string::npos);
    CHECK(text.find("accept;") != std::string::npos);  // the chains' policy only
    CHECK(text.find("drop") == std::string::npos);
    CHECK(dns_ruleset_text(5, {}).find("meta l4proto udp udp sport 53 log group 5") != std::string::npos);
}

TEST_CASE("table inet netmon is added, replaced rather than duplicated, and removed") {
    SKIP_WITHOUT_KERNEL();
    Namespace ns;
    ns.in([&] {
        auto ruleset = std::make_unique<ManagedDnsRuleset>(5, lab_lan());
        std::string listed = ns.exec("nft list table inet netmon");
        CHECK(listed.find("log group 5 snaplen 4160") != std::string::npos);
        // A second start (after a crash, with the first table left) replaces it.
        ManagedDnsRuleset again(6, lab_lan());
        listed = ns.exec("nft list table inet netmon");
        CHECK(listed.find("log group 5") == std::string::npos);
        CHECK(listed.find("chain dns_output") == listed.rfind("chain dns_output"));
        CHECK(listed.find("ip daddr 10.0.0.0/24 udp sport 53 log group 6") != std::string::npos);
        ruleset.reset();
        CHECK(ns.exec("nft list tables").find("netmon") == std::string::npos);
    });
    CHECK(ns.exec("nft list tables").find("netmon") == std::string::npos);
}

TEST_CASE("a UDP answer from port 53 over a veth reaches the NFLOG group") {
    SKIP_WITHOUT_KERNEL();
    Namespace ns;
    const std::string peer = ns.name + "-d";
    ns.exec("ip link set lo up");
    // A device namespace on the other end of a veth; the answer leaves through output.
    run("ip netns add " + peer);
    struct Peer {
        std::string name;
        ~Peer() { run("ip netns del " + name); }
    } cleanup{peer};
    ns.exec("ip link add lan0 type veth peer name eth0 netns " + peer);
    ns.exec("ip addr add 10.0.0.1/24 dev lan0");
    ns.exec("ip link set lan0 up");
    run("ip netns exec " + peer + " ip addr add 10.0.0.11/24 dev eth0");
    run("ip netns exec " + peer + " ip link set eth0 up");
    ns.in([&] {
        NflogSource source(9, dns_log_snaplen);
        ManagedDnsRuleset ruleset(9, lab_lan());
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_port = htons(53);
        from.sin_addr.s_addr = htonl(INADDR_ANY);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(40000);
        ::inet_pton(AF_INET, "10.0.0.11", &to.sin_addr);
        const std::string payload(3000, 'x');  // larger than a small snaplen would keep
        // The neighbour is resolved first; sendto may report nothing until then.
        ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        ::close(fd);
        PacketBatch batch;
        for (int i = 0; i < 50 && batch.empty(); ++i) {
            source.drain(batch);
            if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        REQUIRE(batch.size() == 1);
        const auto packet = batch[0];
        REQUIRE(packet.size() == 20 + 8 + payload.size());
        CHECK((packet[0] >> 4) == 4);
        CHECK(packet[9] == IPPROTO_UDP);
        CHECK(((packet[20] << 8) | packet[21]) == 53);
        CHECK(source.lost() == 0);
    });
}

TEST_CASE("a group another socket has bound cannot be bound again") {
    SKIP_WITHOUT_KERNEL();
    Namespace ns;
    ns.in([&] {
        NflogSource first(11, 128);
        CHECK_THROWS_AS(NflogSource(11, 128), NflogError);
    });
}
