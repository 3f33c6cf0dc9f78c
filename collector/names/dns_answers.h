#pragma once
// The DNS answers the router hands to the LAN, read from the IP packets that carry them (as NFLOG
// logs them): which client asked for which name, and the addresses and TTL it was given. Pure: it
// reads bytes and knows no socket and no clock. DNS itself is parsed by libldns; only the IP and
// UDP headers are read here. The packets are untrusted: this runs in the capability-less child of
// dns_parser_process.h, never in the process that holds CAP_NET_ADMIN.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/address.h"

namespace netmon {

struct DnsAnswer {
    IpAddress client;        // the packet's destination: the LAN device the answer goes to
    IpAddress address;       // an A/AAAA address in the answer
    std::string name;        // the question's name, lower case, no trailing dot ("www.example.test")
    std::uint32_t ttl = 0;   // the smallest TTL along the CNAME chain to that address
};

enum class DnsPacketResult {
    answers,     // at least one answer appended
    no_answers,  // a well-formed DNS response that names no address (NXDOMAIN, a query, no question, ...)
    not_dns,     // not a UDP datagram from port 53 (or a fragment, or an IP extension we do not follow)
    malformed,   // lengths that do not add up, a truncated datagram, a DNS message ldns refuses
};

inline constexpr std::size_t max_answers_per_packet = 64;
// No IP packet is longer: an IPv6 header and a full 16-bit payload length. Longer is malformed.
inline constexpr std::size_t max_dns_packet_bytes = 40 + 65535;
// A name in an answer: at most 253 bytes of text (RFC 1035's 255 wire bytes).
inline constexpr std::size_t max_dns_name_bytes = 253;
// CNAMEs followed from a question's name before the chain is given up as too long.
inline constexpr std::size_t max_cname_chain = 8;

// One IPv4 or IPv6 packet from its IP header: a UDP datagram from port 53 carrying a DNS
// response. Appends to out at most max_answers_per_packet answers: for each question of class IN,
// the A and AAAA records reachable from its name through the answer section's CNAME chain (a loop
// or a chain longer than max_cname_chain gives none). Only responses (QR) with rcode NOERROR give
// answers. A name with a byte outside printable ASCII (or a '.' or '\' inside a label) is skipped.
DnsPacketResult parse_dns_packet(std::span<const std::uint8_t> ip_packet, std::vector<DnsAnswer>& out);

// Whether text is a name parse_dns_packet could have made: 1..253 bytes of printable ASCII other
// than upper-case letters and '\', no empty label. The parent checks what the child sends with it.
bool is_valid_dns_answer_name(std::string_view text);

}  // namespace netmon
