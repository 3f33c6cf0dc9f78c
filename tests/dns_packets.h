#pragma once
// DNS responses made with libldns, wrapped in IPv4 or IPv6 and UDP headers as NFLOG hands them
// over: for the tests, the fuzz corpus's generator and the bench.

#include <ldns/ldns.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "netmon/address.h"

namespace netmon::test {

struct DnsMessage {
    std::vector<std::string> questions;  // "www.example.test. IN A"
    std::vector<std::string> answers;    // "www.example.test. 300 IN A 192.0.2.10"
    bool response = true;
    ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
    std::uint16_t id = 0x1234;
};

// The message in wire form. Throws std::runtime_error for a record ldns cannot read.
inline std::vector<std::uint8_t> dns_wire(const DnsMessage& message) {
    ldns_pkt* packet = ldns_pkt_new();
    if (!packet) throw std::runtime_error("ldns_pkt_new");
    ldns_pkt_set_id(packet, message.id);
    ldns_pkt_set_qr(packet, message.response);
    ldns_pkt_set_rd(packet, true);
    ldns_pkt_set_ra(packet, message.response);
    ldns_pkt_set_rcode(packet, static_cast<std::uint8_t>(message.rcode));
    auto push = [&](const std::string& text, ldns_pkt_section section) {
        ldns_rr* rr = nullptr;
        const ldns_status status = section == LDNS_SECTION_QUESTION
                                       ? ldns_rr_new_question_frm_str(&rr, text.c_str(), nullptr, nullptr)
                                       : ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr);
        if (status != LDNS_STATUS_OK) {
            ldns_pkt_free(packet);
            throw std::runtime_error("ldns cannot read \"" + text + "\": " + ldns_get_errorstr_by_id(status));
        }
        ldns_pkt_push_rr(packet, section, rr);
    };
    for (const auto& question : message.questions) push(question, LDNS_SECTION_QUESTION);
    for (const auto& answer : message.answers) push(answer, LDNS_SECTION_ANSWER);
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    const ldns_status status = ldns_pkt2wire(&wire, packet, &size);
    ldns_pkt_free(packet);
    if (status != LDNS_STATUS_OK) throw std::runtime_error("ldns_pkt2wire failed");
    std::vector<std::uint8_t> bytes(wire, wire + size);
    std::free(wire);
    return bytes;
}

inline void put16(std::vector<std::uint8_t>& bytes, std::size_t at, std::size_t value) {
    bytes[at] = static_cast<std::uint8_t>(value >> 8);
    bytes[at + 1] = static_cast<std::uint8_t>(value);
}

inline std::vector<std::uint8_t> udp(std::uint16_t source_port, std::uint16_t destination_port,
                                     const std::vector<std::uint8_t>& payload) {
    // Sized once and copied into: GCC 12 warns falsely about insert() into a small vector.
    std::vector<std::uint8_t> bytes(8 + payload.size());
    put16(bytes, 0, source_port);
    put16(bytes, 2, destination_port);
    put16(bytes, 4, 8 + payload.size());
    std::copy(payload.begin(), payload.end(), bytes.begin() + 8);
    return bytes;
}

// An IPv4 packet from source to destination; options (a multiple of 4 bytes) after the header.
inline std::vector<std::uint8_t> ipv4(const std::string& source, const std::string& destination,
                                      const std::vector<std::uint8_t>& transport, std::uint8_t protocol = 17,
                                      const std::vector<std::uint8_t>& options = {}) {
    const std::size_t header = 20 + options.size();
    std::vector<std::uint8_t> bytes(header + transport.size());
    bytes[0] = static_cast<std::uint8_t>(0x40 | header / 4);
    put16(bytes, 2, header + transport.size());
    bytes[6] = 0x40;  // don't fragment
    bytes[8] = 64;
    bytes[9] = protocol;
    const auto from = IpAddress::parse(source).value();
    const auto to = IpAddress::parse(destination).value();
    std::copy_n(from.bytes.begin(), 4, bytes.begin() + 12);
    std::copy_n(to.bytes.begin(), 4, bytes.begin() + 16);
    std::copy(options.begin(), options.end(), bytes.begin() + 20);
    std::copy(transport.begin(), transport.end(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
    return bytes;
}

// An IPv6 packet; extensions are (next header of what follows, whole extension header bytes)
// pairs, in order: each extension's first byte is set to the type of what follows it.
inline std::vector<std::uint8_t> ipv6(const std::string& source, const std::string& destination,
                                      const std::vector<std::uint8_t>& transport,
                                      std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> extensions = {},
                                      std::uint8_t protocol = 17) {
    std::size_t payload = transport.size();
    for (const auto& extension : extensions) payload += extension.second.size();
    std::vector<std::uint8_t> bytes(40 + payload);
    bytes[0] = 0x60;
    bytes[7] = 64;
    const auto from = IpAddress::parse(source).value();
    const auto to = IpAddress::parse(destination).value();
    std::copy(from.bytes.begin(), from.bytes.end(), bytes.begin() + 8);
    std::copy(to.bytes.begin(), to.bytes.end(), bytes.begin() + 24);
    put16(bytes, 4, payload);
    std::size_t at = 6;  // where the next header's type goes
    auto out = bytes.begin() + 40;
    for (auto& [type, header] : extensions) {
        bytes[at] = type;
        at = static_cast<std::size_t>(out - bytes.begin());
        out = std::copy(header.begin(), header.end(), out);
    }
    bytes[at] = protocol;
    std::copy(transport.begin(), transport.end(), out);
    return bytes;
}

// A resolver at 10.0.0.1 answering the LAN device 10.0.0.11.
inline std::vector<std::uint8_t> answer_v4(const DnsMessage& message, const std::string& client = "10.0.0.11") {
    return ipv4("10.0.0.1", client, udp(53, 40000, dns_wire(message)));
}

inline std::vector<std::uint8_t> answer_v6(const DnsMessage& message, const std::string& client = "2001:db8:1::11") {
    return ipv6("2001:db8:1::1", client, udp(53, 40000, dns_wire(message)));
}

}  // namespace netmon::test
