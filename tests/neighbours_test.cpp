// The kernel's neighbour table over NETLINK_ROUTE: messages parsed on bytes, and real tables
// in network namespaces this test makes (root only; elsewhere it skips, saying why).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <thread>

#include "namespace_support.h"
#include "names/neighbours.h"

using namespace netmon;

using netmon::test::in_namespace;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
MacAddress mac(const char* text) { return *MacAddress::parse(text); }

// An RTM_NEWNEIGH message as the kernel writes it.
std::vector<std::uint8_t> message(std::uint8_t family, std::uint16_t state, const IpAddress& address,
                                  std::vector<std::uint8_t> lladdr, std::uint16_t type = RTM_NEWNEIGH) {
    std::vector<std::uint8_t> out(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ndmsg)));
    auto attribute = [&](std::uint16_t kind, const std::uint8_t* data, std::size_t length) {
        nlattr header{static_cast<std::uint16_t>(NLA_HDRLEN + length), kind};
        const std::size_t at = out.size();
        out.resize(at + NLA_ALIGN(NLA_HDRLEN + length));
        std::memcpy(out.data() + at, &header, sizeof header);
        std::memcpy(out.data() + at + NLA_HDRLEN, data, length);
    };
    attribute(NDA_DST, address.bytes.data(), address.family == Family::v4 ? 4 : 16);
    if (!lladdr.empty()) attribute(NDA_LLADDR, lladdr.data(), lladdr.size());
    nlmsghdr header{};
    header.nlmsg_len = static_cast<std::uint32_t>(out.size());
    header.nlmsg_type = type;
    std::memcpy(out.data(), &header, sizeof header);
    ndmsg info{};
    info.ndm_family = family;
    info.ndm_state = state;
    std::memcpy(out.data() + NLMSG_HDRLEN, &info, sizeof info);
    return out;
}

const std::vector<std::uint8_t> ethernet = {0x3c, 0x22, 0xfb, 0x00, 0x00, 0x01};

int shell(const std::string& command) { return std::system(command.c_str()); }

// Two namespaces joined by a veth pair: the "router" (10.9.0.1, fd09::1) and a "device"
// (10.9.0.2, fd09::2, MAC 3c:22:fb:00:09:02). Removed however the test ends.
class Namespaces {
public:
    Namespaces() : router_("nmnb" + std::to_string(::getpid()) + "r"), device_("nmnb" + std::to_string(::getpid()) + "d") {
        const std::string r = "ip -n " + router_ + " ", d = "ip -n " + device_ + " ";
        ok_ = shell("ip netns add " + router_ + " && ip netns add " + device_ + " && ip link add va netns " + router_ +
                    " type veth peer name vb netns " + device_ + " && " + d +
                    "link set vb address 3c:22:fb:00:09:02 && " + r + "addr add 10.9.0.1/24 dev va && " + r +
                    "addr add fd09::1/64 dev va nodad && " + d + "addr add 10.9.0.2/24 dev vb && " + d +
                    "addr add fd09::2/64 dev vb nodad && " + r + "link set va up && " + d + "link set vb up && " +
                    r + "link set lo up") == 0;
    }
    ~Namespaces() {
        shell("ip netns del " + router_ + " 2>/dev/null");
        shell("ip netns del " + device_ + " 2>/dev/null");
    }
    bool ok() const { return ok_; }
    const std::string& router() const { return router_; }

private:
    std::string router_, device_;
    bool ok_ = false;
};


bool has(const std::vector<Neighbour>& table, const char* address, const char* lladdr) {
    return std::find(table.begin(), table.end(), Neighbour{ip(address), mac(lladdr)}) != table.end();
}
bool lists(const std::vector<Neighbour>& table, const char* address) {
    return std::any_of(table.begin(), table.end(), [&](const Neighbour& n) { return n.address == ip(address); });
}

}  // namespace

TEST_CASE("neighbour messages: IPv4 and IPv6 with an Ethernet address, the rest refused", "[neighbours]") {
    auto parsed = parse_neighbour_message(message(AF_INET, NUD_REACHABLE, ip("10.0.0.11"), ethernet));
    REQUIRE(parsed);
    CHECK(*parsed == Neighbour{ip("10.0.0.11"), mac("3c:22:fb:00:00:01")});
    parsed = parse_neighbour_message(message(AF_INET6, NUD_STALE, ip("fd00::11"), ethernet));
    REQUIRE(parsed);
    CHECK(parsed->address == ip("fd00::11"));
    CHECK(parse_neighbour_message(message(AF_INET, NUD_PERMANENT, ip("10.0.0.11"), ethernet)));
    CHECK(parse_neighbour_message(message(AF_INET, NUD_DELAY | NUD_PROBE, ip("10.0.0.11"), ethernet)));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_FAILED, ip("10.0.0.11"), ethernet)));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_INCOMPLETE, ip("10.0.0.11"), {})));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_NOARP, ip("10.0.0.11"), {})));
    CHECK(parse_neighbour_message(message(AF_INET, NUD_NOARP, ip("10.0.0.11"), ethernet)));  // set by the admin
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_REACHABLE, ip("10.0.0.11"), {})));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_REACHABLE, ip("10.0.0.11"), {1, 2, 3, 4})));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_REACHABLE, ip("10.0.0.11"), {0, 0, 0, 0, 0, 0})));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET6, NUD_REACHABLE, ip("ff02::1"), {0x33, 0x33, 0, 0, 0, 1})));
    CHECK_FALSE(parse_neighbour_message(message(AF_BRIDGE, NUD_REACHABLE, ip("10.0.0.11"), ethernet)));
    // An IPv4 family with an IPv6-sized destination, another message type, a cut message.
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_REACHABLE, ip("fd00::11"), ethernet)));
    CHECK_FALSE(parse_neighbour_message(message(AF_INET, NUD_REACHABLE, ip("10.0.0.11"), ethernet, RTM_DELNEIGH)));
    auto cut = message(AF_INET, NUD_REACHABLE, ip("10.0.0.11"), ethernet);
    for (std::size_t length = 0; length < cut.size(); ++length)
        CHECK_FALSE(parse_neighbour_message(std::span(cut.data(), length)));
    CHECK(neighbour_state_usable(NUD_NONE));
}

TEST_CASE("the neighbour table of a real kernel: learnt and permanent entries, IPv4 and IPv6", "[neighbours]") {
    if (::geteuid() != 0) {
        WARN("skipped: needs root (network namespaces)");
        return;
    }
    Namespaces lab;
    REQUIRE(lab.ok());
    const std::string r = "ip -n " + lab.router() + " ";
    // Learnt by pinging the device; one permanent of each family; one address that answers
    // nothing (INCOMPLETE, then FAILED) and a NOARP one the admin set.
    REQUIRE(shell("ip netns exec " + lab.router() + " ping -c1 -W2 10.9.0.2 >/dev/null") == 0);
    REQUIRE(shell("ip netns exec " + lab.router() + " ping -6 -c1 -W2 fd09::2 >/dev/null") == 0);
    REQUIRE(shell(r + "neigh add 10.9.0.50 lladdr 3c:22:fb:00:09:50 nud permanent dev va") == 0);
    REQUIRE(shell(r + "neigh add fd09::50 lladdr 3c:22:fb:00:09:51 nud permanent dev va") == 0);
    REQUIRE(shell(r + "neigh add 10.9.0.60 lladdr 3c:22:fb:00:09:60 nud noarp dev va") == 0);
    shell("ip netns exec " + lab.router() + " ping -c1 -W1 10.9.0.99 >/dev/null 2>&1");

    std::vector<Neighbour> table;
    in_namespace(lab.router(), [&] {
        NeighbourTable neighbours;
        neighbours.dump(table);
        neighbours.dump(table);  // a second dump on the same socket replaces the first
    });
    CHECK(has(table, "10.9.0.2", "3c:22:fb:00:09:02"));
    CHECK(has(table, "fd09::2", "3c:22:fb:00:09:02"));
    CHECK(has(table, "10.9.0.50", "3c:22:fb:00:09:50"));
    CHECK(has(table, "fd09::50", "3c:22:fb:00:09:51"));
    CHECK(has(table, "10.9.0.60", "3c:22:fb:00:09:60"));
    CHECK_FALSE(lists(table, "10.9.0.99"));
    CHECK(std::count_if(table.begin(), table.end(), [](const Neighbour& n) { return n.address == ip("10.9.0.2"); }) == 1);
}

TEST_CASE("the neighbour table: a dump of thousands of entries is fast", "[neighbours]") {
    if (::geteuid() != 0) {
        WARN("skipped: needs root (network namespaces)");
        return;
    }
    Namespaces lab;
    REQUIRE(lab.ok());
    // 2,048 IPv4 and 2,048 IPv6 permanent entries, added in one batch.
    const std::string batch = "/tmp/netmon-neigh-batch-" + std::to_string(::getpid());
    {
        std::ofstream out(batch);
        for (int i = 0; i < 2048; ++i) {
            char line[160];
            std::snprintf(line, sizeof line,
                          "neigh add 10.9.%d.%d lladdr 3c:22:fb:01:%02x:%02x nud permanent dev va\n"
                          "neigh add fd09::1:%x lladdr 3c:22:fb:02:%02x:%02x nud permanent dev va\n",
                          8 + i / 256, i % 256, i / 256, i % 256, i, i / 256, i % 256);
            out << line;
        }
    }
    const int added = shell("ip -n " + lab.router() + " addr add 10.9.0.1/16 dev va && ip -n " + lab.router() +
                            " -batch " + batch);
    std::remove(batch.c_str());
    REQUIRE(added == 0);
    std::vector<Neighbour> table;
    double best_ms = 1e9;
    in_namespace(lab.router(), [&] {
        NeighbourTable neighbours;
        for (int round = 0; round < 5; ++round) {
            const auto started = std::chrono::steady_clock::now();
            neighbours.dump(table);
            best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                                  started).count());
        }
    });
    CHECK(table.size() >= 4096);
    WARN("neighbour dump: " << table.size() << " entries in " << best_ms << " ms (best of 5)");
    CHECK(best_ms < 100);
}
