#include "dns_answers.h"

#include <ldns/ldns.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace netmon {
namespace {

// The packet's own bytes are read only here, each read checked against its end first.
std::uint16_t read16(std::span<const std::uint8_t> bytes, std::size_t at) {
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

constexpr std::uint8_t ip_udp = 17;
constexpr std::uint8_t ip6_hop_by_hop = 0;
constexpr std::uint8_t ip6_routing = 43;
constexpr std::uint8_t ip6_fragment = 44;
constexpr std::uint8_t ip6_destination = 60;
// Extension headers followed before the packet is given up as not ours.
constexpr int max_ip6_extensions = 8;
// Questions looked at in one response: each costs a pass over the answer section per CNAME, and
// a response with thousands of questions must not cost the parser quadratic time.
constexpr std::size_t max_questions = 8;

struct Datagram {
    IpAddress client;
    std::span<const std::uint8_t> payload;  // the UDP payload: the DNS message
};

// The UDP datagram that starts at offset and ends at end (the IP layer's own length).
DnsPacketResult read_udp(std::span<const std::uint8_t> packet, std::size_t offset, std::size_t end,
                         Datagram& datagram) {
    if (end - offset < 8) return DnsPacketResult::malformed;
    if (read16(packet, offset) != 53) return DnsPacketResult::not_dns;
    const std::size_t udp_length = read16(packet, offset + 4);
    // The checksum is not checked: on the output path the kernel may not have filled it in yet.
    if (udp_length < 8 || udp_length > end - offset) return DnsPacketResult::malformed;
    datagram.payload = packet.subspan(offset + 8, udp_length - 8);
    return DnsPacketResult::answers;
}

DnsPacketResult read_ipv4(std::span<const std::uint8_t> packet, Datagram& datagram) {
    if (packet.size() < 20) return DnsPacketResult::malformed;
    const std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    const std::size_t total = read16(packet, 2);
    // Options are skipped by the header length; a cut packet is malformed, a longer one padded.
    if (header < 20 || total < header || total > packet.size()) return DnsPacketResult::malformed;
    // A fragment cannot be parsed alone. netfilter sees datagrams whole (conntrack reassembles
    // forwarded ones, local output is logged before it is fragmented), so this is rare.
    if ((read16(packet, 6) & 0x3fff) != 0) return DnsPacketResult::not_dns;
    if (packet[9] != ip_udp) return DnsPacketResult::not_dns;
    datagram.client.family = Family::v4;
    std::copy_n(packet.begin() + 16, 4, datagram.client.bytes.begin());
    return read_udp(packet, header, total, datagram);
}

DnsPacketResult read_ipv6(std::span<const std::uint8_t> packet, Datagram& datagram) {
    if (packet.size() < 40) return DnsPacketResult::malformed;
    const std::size_t payload = read16(packet, 4);
    // A zero payload length is a jumbogram's: not a DNS answer.
    if (payload == 0) return DnsPacketResult::not_dns;
    const std::size_t end = 40 + payload;
    if (end > packet.size()) return DnsPacketResult::malformed;
    datagram.client.family = Family::v6;
    std::copy_n(packet.begin() + 24, 16, datagram.client.bytes.begin());
    std::uint8_t next = packet[6];
    std::size_t offset = 40;
    for (int extensions = 0; next != ip_udp; ++extensions) {
        if (next == ip6_fragment || extensions == max_ip6_extensions) return DnsPacketResult::not_dns;
        if (next != ip6_hop_by_hop && next != ip6_routing && next != ip6_destination) return DnsPacketResult::not_dns;
        // These three share one layout: next header, length in 8-byte units beyond the first 8.
        if (end - offset < 8) return DnsPacketResult::malformed;
        const std::size_t length = (static_cast<std::size_t>(packet[offset + 1]) + 1) * 8;
        if (length > end - offset) return DnsPacketResult::malformed;
        next = packet[offset];
        offset += length;
    }
    return read_udp(packet, offset, end, datagram);
}

using Packet = std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)>;

// RFC 2181 section 8: a TTL with the top bit set counts as zero.
std::uint32_t sane_ttl(std::uint32_t ttl) { return ttl > 0x7fffffffu ? 0 : ttl; }

bool same_name(const ldns_rdf* a, const ldns_rdf* b) { return ldns_dname_compare(a, b) == 0; }

// The question's name as text, through ldns's own presentation form: lower case, no trailing
// dot. Empty when the name is the root or holds anything ldns had to escape (a byte outside
// printable ASCII, a '.' or a '\' inside a label), which is no name a person asked for.
std::string name_text(const ldns_rdf* name) {
    std::unique_ptr<char, decltype(&std::free)> text(ldns_rdf2str(name), &std::free);
    if (!text) return {};
    std::string result(text.get());
    if (!result.empty() && result.back() == '.') result.pop_back();
    for (char& c : result) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return is_valid_dns_answer_name(result) ? result : std::string();
}

// The end of the CNAME chain from name in answers, and the smallest TTL along it; nullptr for
// a loop, a chain longer than max_cname_chain or a name with two CNAMEs.
const ldns_rdf* follow_cnames(const ldns_rr_list* answers, const ldns_rdf* name, std::uint32_t& ttl) {
    const ldns_rdf* chain[max_cname_chain + 1] = {name};
    std::size_t length = 1;
    const std::size_t count = ldns_rr_list_rr_count(answers);
    for (;;) {
        const ldns_rr* cname = nullptr;
        for (std::size_t i = 0; i < count; ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(answers, i);
            if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) continue;
            if (!same_name(ldns_rr_owner(rr), chain[length - 1])) continue;
            if (cname) return nullptr;
            cname = rr;
        }
        if (!cname) return chain[length - 1];
        const ldns_rdf* target = ldns_rr_rd_count(cname) == 1 ? ldns_rr_rdf(cname, 0) : nullptr;
        if (!target || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME) return nullptr;
        if (length == max_cname_chain + 1) return nullptr;
        for (std::size_t i = 0; i < length; ++i) {
            if (same_name(chain[i], target)) return nullptr;
        }
        ttl = std::min(ttl, sane_ttl(ldns_rr_ttl(cname)));
        chain[length++] = target;
    }
}

// The address of an A or AAAA record of class IN, if rr is one.
bool record_address(const ldns_rr* rr, IpAddress& address) {
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) != 1) return false;
    const ldns_rdf* data = ldns_rr_rdf(rr, 0);
    const ldns_rr_type type = ldns_rr_get_type(rr);
    std::size_t size = 0;
    if (type == LDNS_RR_TYPE_A && ldns_rdf_get_type(data) == LDNS_RDF_TYPE_A) {
        address.family = Family::v4;
        size = 4;
    } else if (type == LDNS_RR_TYPE_AAAA && ldns_rdf_get_type(data) == LDNS_RDF_TYPE_AAAA) {
        address.family = Family::v6;
        size = 16;
    } else {
        return false;
    }
    if (ldns_rdf_size(data) != size) return false;
    address.bytes = {};
    std::copy_n(ldns_rdf_data(data), size, address.bytes.begin());
    return true;
}

}  // namespace

bool is_valid_dns_answer_name(std::string_view text) {
    if (text.empty() || text.size() > max_dns_name_bytes) return false;
    char previous = '.';
    for (char c : text) {
        if (c < 0x21 || c > 0x7e || c == '\\' || (c >= 'A' && c <= 'Z')) return false;
        if (c == '.' && previous == '.') return false;
        previous = c;
    }
    return previous != '.';
}

DnsPacketResult parse_dns_packet(std::span<const std::uint8_t> ip_packet, std::vector<DnsAnswer>& out) {
    if (ip_packet.empty() || ip_packet.size() > max_dns_packet_bytes) return DnsPacketResult::malformed;
    Datagram datagram;
    const int version = ip_packet[0] >> 4;
    DnsPacketResult result = version == 4   ? read_ipv4(ip_packet, datagram)
                             : version == 6 ? read_ipv6(ip_packet, datagram)
                                            : DnsPacketResult::malformed;
    if (result != DnsPacketResult::answers) return result;

    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_wire2pkt(&raw, datagram.payload.data(), datagram.payload.size());
    Packet packet(raw, &ldns_pkt_free);
    if (status != LDNS_STATUS_OK || !packet) return DnsPacketResult::malformed;
    if (!ldns_pkt_qr(packet.get()) || ldns_pkt_get_rcode(packet.get()) != LDNS_RCODE_NOERROR)
        return DnsPacketResult::no_answers;
    const ldns_rr_list* questions = ldns_pkt_question(packet.get());
    const ldns_rr_list* answers = ldns_pkt_answer(packet.get());
    if (!questions || !answers) return DnsPacketResult::no_answers;

    const std::size_t first = out.size();
    const std::size_t question_count = std::min(ldns_rr_list_rr_count(questions), max_questions);
    for (std::size_t q = 0; q < question_count && out.size() - first < max_answers_per_packet; ++q) {
        const ldns_rr* question = ldns_rr_list_rr(questions, q);
        const ldns_rdf* qname = ldns_rr_owner(question);
        if (!qname || ldns_rr_get_class(question) != LDNS_RR_CLASS_IN) continue;
        // The same name asked twice is answered once.
        bool asked_before = false;
        for (std::size_t p = 0; p < q && !asked_before; ++p) {
            const ldns_rr* earlier = ldns_rr_list_rr(questions, p);
            asked_before = ldns_rr_get_class(earlier) == LDNS_RR_CLASS_IN && same_name(ldns_rr_owner(earlier), qname);
        }
        if (asked_before) continue;
        std::uint32_t chain_ttl = 0xffffffffu;
        const ldns_rdf* target = follow_cnames(answers, qname, chain_ttl);
        if (!target) continue;
        std::string name;
        const std::size_t count = ldns_rr_list_rr_count(answers);
        for (std::size_t i = 0; i < count && out.size() - first < max_answers_per_packet; ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(answers, i);
            IpAddress address;
            if (!record_address(rr, address) || !same_name(ldns_rr_owner(rr), target)) continue;
            if (name.empty()) {
                name = name_text(qname);
                if (name.empty()) break;
            }
            out.push_back({datagram.client, address, name, std::min(chain_ttl, sane_ttl(ldns_rr_ttl(rr)))});
        }
    }
    return out.size() > first ? DnsPacketResult::answers : DnsPacketResult::no_answers;
}

}  // namespace netmon
