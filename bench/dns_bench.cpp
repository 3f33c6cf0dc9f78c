// DNS answers per second: parse_dns_packet alone, and through DnsParserProcess (the child that
// holds no capability, the real netmon-ingest binary), on whatever CPUs taskset gives it.
//   taskset -c 0 build/bench/dns_bench [PACKETS] [BATCH]      (one core)
//   taskset -c 0,1 build/bench/dns_bench [PACKETS] [BATCH]    (two)
// The packets: answers as a resolver hands them out, a third with a CNAME, one or two addresses
// each, 16 distinct clients, IPv4 and IPv6.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "names/dns_answers.h"
#include "names/dns_parser_process.h"
#include "../tests/dns_packets.h"

using namespace netmon;
using namespace netmon::test;

namespace {

std::vector<std::vector<std::uint8_t>> make_packets(std::size_t count) {
    std::vector<std::vector<std::uint8_t>> packets;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string name = "host" + std::to_string(i) + ".example.test.";
        const std::string client = "10.0.0." + std::to_string(10 + i % 16);
        const std::string last = std::to_string(i % 250 + 1);
        DnsMessage message;
        if (i % 3 == 0) {
            const std::string edge = "edge" + std::to_string(i % 50) + ".cdn.example.net.";
            message = {{name + " IN A"}, {name + " 300 IN CNAME " + edge, edge + " 60 IN A 192.0.2." + last,
                                           edge + " 60 IN A 198.51.100." + last}};
        } else if (i % 3 == 1) {
            message = {{name + " IN AAAA"}, {name + " 300 IN AAAA 2001:db8::" + last}};
            packets.push_back(ipv6("2001:db8:1::1", "2001:db8:1::" + std::to_string(10 + i % 16),
                                   udp(53, 40000, dns_wire(message))));
            continue;
        } else {
            message = {{name + " IN A"}, {name + " 120 IN A 203.0.113." + last}};
        }
        packets.push_back(ipv4("10.0.0.1", client, udp(53, 40000, dns_wire(message))));
    }
    return packets;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
    const std::size_t batch = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
    const auto packets = make_packets(count);

    std::vector<DnsAnswer> out;
    out.reserve(count * 2);
    auto start = std::chrono::steady_clock::now();
    for (const auto& packet : packets) parse_dns_packet(packet, out);
    double took = seconds_since(start);
    std::printf("parse_dns_packet:  %zu packets, %zu answers in %.3f s: %.0f packets/s, %.0f answers/s\n", count,
                out.size(), took, count / took, out.size() / took);

    DnsParserProcess parser(NETMON_INGEST);
    std::vector<std::span<const std::uint8_t>> views(packets.begin(), packets.end());
    out.clear();
    parser.parse(std::span(views).first(1), out);  // the child is up before the clock starts
    out.clear();
    start = std::chrono::steady_clock::now();
    for (std::size_t first = 0; first < count; first += batch) {
        parser.parse(std::span(views).subspan(first, std::min(batch, count - first)), out);
    }
    took = seconds_since(start);
    std::printf("DnsParserProcess:  %zu packets, %zu answers in %.3f s: %.0f packets/s, %.0f answers/s "
                "(batches of %zu, %llu restarts, %llu malformed)\n",
                count, out.size(), took, count / took, out.size() / took, batch,
                static_cast<unsigned long long>(parser.stats().restarts),
                static_cast<unsigned long long>(parser.stats().malformed));
    return 0;
}
