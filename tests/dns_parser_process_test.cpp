// DnsParserProcess with the real child: the built netmon-ingest, exec'd as `netmon-ingest dns-parser`.
#include "names/dns_parser_process.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "dns_packets.h"

using namespace netmon;
using namespace netmon::test;

namespace {

const std::string ingest = NETMON_INGEST;

// Big batches get more than the default second: the suite runs on loaded machines, and what
// these tests look at is the pipelining and the restarts, not the speed (bench/dns_bench.cpp).
const DnsParserProcess::Options patient{std::chrono::milliseconds(10000), std::chrono::milliseconds(100),
                                        std::chrono::milliseconds(1000)};

std::vector<std::uint8_t> answer_for(int i) {
    const std::string name = "host" + std::to_string(i) + ".example.test.";
    return answer_v4({{name + " IN A"}, {name + " 300 IN A 192.0.2." + std::to_string(i % 250 + 1)}});
}

std::vector<std::vector<std::uint8_t>> batch(int count) {
    std::vector<std::vector<std::uint8_t>> packets;
    for (int i = 0; i < count; ++i) packets.push_back(answer_for(i));
    return packets;
}

// The "Name:\tvalue" lines of /proc/<pid>/status.
std::map<std::string, std::string> status_of(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    std::map<std::string, std::string> fields;
    for (std::string line; std::getline(file, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        fields[line.substr(0, colon)] = value;
    }
    return fields;
}

}  // namespace

TEST_CASE("the child's answers come back in the packets' order, with the counts") {
    DnsParserProcess parser(ingest);
    std::vector<DnsAnswer> out;
    const std::vector<std::vector<std::uint8_t>> packets = {
        answer_v4({{"www.example.test. IN A"},
                   {"www.example.test. 600 IN CNAME cdn.example.net.", "cdn.example.net. 60 IN A 192.0.2.20"}}),
        ipv4("10.0.0.1", "10.0.0.11", udp(5353, 40000, dns_wire({{"x.example.test. IN A"}, {}}))),
        {0x45, 0x00},
        answer_v6({{"v6.example.test. IN AAAA"}, {"v6.example.test. 30 IN AAAA 2001:db8::1"}}),
        std::vector<std::uint8_t>(max_dns_packet_bytes + 1, 0x45),
    };
    parser.parse(packets, out);
    REQUIRE(out.size() == 2);
    CHECK(out[0].client == IpAddress::parse("10.0.0.11").value());
    CHECK(out[0].address == IpAddress::parse("192.0.2.20").value());
    CHECK(out[0].name == "www.example.test");
    CHECK(out[0].ttl == 60);
    CHECK(out[1].client == IpAddress::parse("2001:db8:1::11").value());
    CHECK(out[1].address == IpAddress::parse("2001:db8::1").value());
    CHECK(out[1].name == "v6.example.test");
    CHECK(parser.stats().packets == 5);
    CHECK(parser.stats().answers == 2);
    CHECK(parser.stats().not_dns == 1);
    CHECK(parser.stats().malformed == 2);
    CHECK(parser.stats().restarts == 0);
}

TEST_CASE("the child holds no capability, sets no_new_privs and keeps only stderr and its socket") {
    if (geteuid() != 0) {
        WARN("not root: there are no capabilities to drop; run the suite as root to test the drop");
        return;
    }
    DnsParserProcess parser(ingest);
    std::vector<DnsAnswer> out;
    parser.parse(batch(1), out);  // the child has dropped everything once it answers
    REQUIRE(out.size() == 1);
    const pid_t pid = parser.child_pid();
    REQUIRE(pid > 0);
    auto status = status_of(pid);
    CHECK(status["CapEff"] == "0000000000000000");
    CHECK(status["CapPrm"] == "0000000000000000");
    CHECK(status["CapInh"] == "0000000000000000");
    CHECK(status["CapAmb"] == "0000000000000000");
    CHECK(status["CapBnd"] == "0000000000000000");
    CHECK(status["NoNewPrivs"] == "1");
    if (dns_parser_is_strict()) CHECK(status["Seccomp"] == "1");
    std::vector<std::string> descriptors;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        descriptors.push_back(entry.path().filename().string());
    std::sort(descriptors.begin(), descriptors.end());
    CHECK(descriptors == std::vector<std::string>{"2", "3"});
    // It is the binary given, running the dns-parser command.
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string arguments((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    CHECK(arguments == ingest + std::string("\0dns-parser\0", 12));
}

TEST_CASE("a child killed mid-batch is counted and restarted, and the next batch works") {
    DnsParserProcess parser(ingest, patient);
    const auto packets = batch(10000);
    std::vector<DnsAnswer> warm;
    parser.parse(batch(1), warm);  // the child is up before the clock starts
    const pid_t first = parser.child_pid();
    std::thread killer([first] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        kill(first, SIGKILL);
    });
    std::vector<DnsAnswer> out;
    parser.parse(packets, out);
    killer.join();
    if (parser.stats().restarts == 0) {
        // The batch beat the kill: the next batch finds the child dead and restarts it.
        WARN("the batch ended before the kill reached the child");
    }
    // Every packet is either answered or counted lost.
    CHECK(out.size() + parser.stats().malformed == 10000);

    std::vector<DnsAnswer> next;
    parser.parse(packets, next);
    CHECK(parser.stats().restarts == 1);
    CHECK(parser.child_pid() != first);
    CHECK(next.size() == 10000);
    CHECK(next.back().name == "host9999.example.test");
}

TEST_CASE("a hung child is killed at the timeout and restarted") {
    DnsParserProcess parser(ingest, {std::chrono::milliseconds(200), std::chrono::milliseconds(100),
                                     std::chrono::milliseconds(1000)});
    std::vector<DnsAnswer> out;
    parser.parse(batch(1), out);
    const pid_t first = parser.child_pid();
    kill(first, SIGSTOP);
    const auto start = std::chrono::steady_clock::now();
    parser.parse(batch(10), out);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= std::chrono::milliseconds(200));
    CHECK(took < std::chrono::milliseconds(900));
    CHECK(parser.stats().restarts == 1);
    CHECK(parser.stats().malformed == 10);
    CHECK(out.size() == 1);
    // The first restart comes at once.
    parser.parse(batch(10), out);
    CHECK(out.size() == 11);
    CHECK(parser.child_pid() != first);
}

TEST_CASE("a child that cannot start is retried after a backoff, its packets counted malformed") {
    DnsParserProcess parser("/nonexistent/netmon-ingest", {std::chrono::milliseconds(500), std::chrono::milliseconds(300),
                                                           std::chrono::milliseconds(1000)});
    std::vector<DnsAnswer> out;
    parser.parse(batch(3), out);
    CHECK(out.empty());
    CHECK(parser.stats().malformed == 3);
    // One restart, or two when the first child was seen dead before the batch went to it.
    CHECK(parser.stats().restarts >= 1);
    CHECK(parser.stats().restarts <= 2);
    // Started again at once, dies again: now the backoff holds it.
    parser.parse(batch(3), out);
    const auto restarts = parser.stats().restarts;
    CHECK(restarts >= 2);
    parser.parse(batch(3), out);
    CHECK(parser.stats().restarts == restarts);
    CHECK(parser.child_pid() == -1);
    CHECK(parser.stats().malformed == 9);
}

TEST_CASE("a child that lies is not believed") {
    // A stand-in child: a script that answers every packet with a reply claiming an answer that
    // is not there, then one with a name a DNS answer cannot have.
    const auto path = std::filesystem::temp_directory_path() / ("netmon-liar-" + std::to_string(getpid()));
    {
        std::ofstream script(path);
        script << "#!/usr/bin/python3\n"
                  "import socket\n"
                  "s = socket.socket(fileno=3)\n"
                  "s.recv(70000)\n"
                  "s.send(bytes([0, 1]))\n";
    }
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    DnsParserProcess parser(path.string());
    std::vector<DnsAnswer> out;
    parser.parse(batch(2), out);
    CHECK(out.empty());
    CHECK(parser.stats().malformed == 2);
    CHECK(parser.stats().restarts == 1);
    std::filesystem::remove(path);
}

TEST_CASE("a batch of 10,000 packets") {
    DnsParserProcess parser(ingest, patient);
    const auto packets = batch(10000);
    std::vector<DnsAnswer> out;
    const auto start = std::chrono::steady_clock::now();
    parser.parse(packets, out);
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(out.size() == 10000);
    for (int i : {0, 1, 4999, 9999}) CHECK(out[static_cast<std::size_t>(i)].name == "host" + std::to_string(i) + ".example.test");
    CHECK(parser.stats().restarts == 0);
    WARN("10,000 packets through the child in " << took << " s");
}

TEST_CASE("the child's heap holds the largest answers, packet after packet") {
    DnsMessage message{{"m.example.test. IN A"}, {}};
    for (int i = 0; i < 3500; ++i)
        message.answers.push_back("m.example.test. 300 IN A 192.0." + std::to_string(i / 250) + "." + std::to_string(i % 250));
    const auto packet = answer_v4(message);
    REQUIRE(packet.size() > 50000);
    DnsParserProcess parser(ingest, patient);
    const std::vector<std::vector<std::uint8_t>> packets(200, packet);
    std::vector<DnsAnswer> out;
    parser.parse(packets, out);
    CHECK(out.size() == 200 * max_answers_per_packet);
    CHECK(parser.stats().restarts == 0);
}
