// libFuzzer harness: DNS answers as NFLOG hands them to the DNS parser (collector/names/dns_answers.h).
// The first byte picks the input's form: even, the rest is a whole IP packet; odd, the rest is a
// DNS message, wrapped here in an IPv4 and UDP header whose lengths agree with it, so that the
// fuzzer spends its time in the DNS message rather than in finding consistent lengths.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "names/dns_answers.h"
#include "fuzz_check.h"

using netmon::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::vector<std::uint8_t> packet;
    if (data[0] % 2 == 0) {
        packet.assign(data + 1, data + size);
    } else {
        const std::size_t message = std::min<std::size_t>(size - 1, 65535 - 28);
        packet.assign(28 + message, 0);
        packet[0] = 0x45;
        packet[2] = static_cast<std::uint8_t>((28 + message) >> 8);
        packet[3] = static_cast<std::uint8_t>(28 + message);
        packet[9] = 17;
        const std::uint8_t addresses[8] = {10, 0, 0, 1, 10, 0, 0, 11};
        std::copy(addresses, addresses + 8, packet.begin() + 12);
        packet[21] = 53;
        packet[24] = static_cast<std::uint8_t>((8 + message) >> 8);
        packet[25] = static_cast<std::uint8_t>(8 + message);
        std::copy(data + 1, data + 1 + message, packet.begin() + 28);
    }
    std::vector<netmon::DnsAnswer> out;
    const auto result = netmon::parse_dns_packet(packet, out);
    check(out.size() <= netmon::max_answers_per_packet, "at most max_answers_per_packet answers");
    check((result == netmon::DnsPacketResult::answers) == !out.empty(), "answers exactly when some were appended");
    for (const auto& answer : out) {
        check(netmon::is_valid_dns_answer_name(answer.name), "every name is a valid answer name");
        check(answer.client.family == netmon::Family::v4 || answer.client.family == netmon::Family::v6, "a client family");
        check(answer.ttl <= 0x7fffffffu, "TTLs are sane");
    }
    return 0;
}
