#include "conntrack_object.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_dccp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_sctp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include <cstring>
#include <iterator>
#include <new>
#include <string_view>
#include <utility>

namespace netmon {
namespace {

// State names as libnetfilter_conntrack 1.0.9 prints them; values past the end print as NONE.
// tests/netlink_source_test.cpp checks every value 0..255 against nfct_snprintf.
constexpr std::string_view tcp_states[] = {"NONE",      "SYN_SENT",   "SYN_RECV", "ESTABLISHED",
                                           "FIN_WAIT",  "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
                                           "CLOSE",     "SYN_SENT2"};
constexpr std::string_view sctp_states[] = {"NONE",          "CLOSED",        "COOKIE_WAIT",
                                            "COOKIE_ECHOED", "ESTABLISHED",   "SHUTDOWN_SENT",
                                            "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT",
                                            "HEARTBEAT_ACKED"};
constexpr std::string_view dccp_states[] = {"NONE",     "REQUEST",  "RESPOND", "PARTOPEN", "OPEN",
                                            "CLOSEREQ", "CLOSING",  "TIMEWAIT", "IGNORE",  "INVALID"};
static_assert(std::size(tcp_states) == TCP_CONNTRACK_MAX);
static_assert(std::size(sctp_states) == SCTP_CONNTRACK_MAX);
static_assert(std::size(dccp_states) == DCCP_CONNTRACK_MAX);

template <std::size_t N>
std::string_view state_name(const std::string_view (&names)[N], std::uint8_t value) {
    return value < N ? names[value] : names[0];
}

// Attributes the library allocates memory for when it parses them, without freeing what an
// earlier parse allocated: an object that has one is replaced rather than reused.
constexpr nf_conntrack_attr allocated_attributes[] = {ATTR_SECCTX, ATTR_HELPER_INFO, ATTR_CONNLABELS,
                                                      ATTR_CONNLABELS_MASK};

bool is_set(const nf_conntrack* ct, nf_conntrack_attr attribute) {
    return nfct_attr_is_set(ct, attribute) > 0;
}

// Reads an attribute of type T; false when it is not set. One library call, where
// nfct_attr_is_set and nfct_get_attr_u32 would be two: this runs for every attribute of every
// entry of a dump.
template <class T>
bool get(const nf_conntrack* ct, nf_conntrack_attr attribute, T& out) {
    const void* value = nfct_get_attr(ct, attribute);
    if (value == nullptr) return false;
    std::memcpy(&out, value, sizeof out);
    return true;
}

bool get_address(const nf_conntrack* ct, nf_conntrack_attr attribute, Family family, IpAddress& out) {
    out.family = family;
    const void* value = nfct_get_attr(ct, attribute);
    if (value == nullptr) return false;
    std::memcpy(out.bytes.data(), value, family == Family::v6 ? 16 : 4);
    return true;
}

void get_port(const nf_conntrack* ct, nf_conntrack_attr attribute, std::uint16_t& out) {
    std::uint16_t network = 0;
    get(ct, attribute, network);
    out = ntohs(network);
}

// Both counters of a direction, or none, as conntrack-tools prints them.
bool get_counters(const nf_conntrack* ct, nf_conntrack_attr packets, nf_conntrack_attr bytes, Tuple& out) {
    std::uint64_t packet_count = 0, byte_count = 0;
    if (!get(ct, packets, packet_count) || !get(ct, bytes, byte_count)) return false;
    out.packets = packet_count;
    out.bytes = byte_count;
    return true;
}

// entry_from_conntrack and check_conntrack in one pass: fills entry with every attribute that
// is set and returns the first problem, in the order parse_line would meet it.
ParseError convert(const nf_conntrack* ct, Entry& entry) {
    ParseError error = ParseError::none;
    auto fail = [&error](ParseError problem) {
        if (error == ParseError::none) error = problem;
    };
    std::uint8_t family = 0;
    if (!get(ct, ATTR_ORIG_L3PROTO, family) || (family != AF_INET && family != AF_INET6))
        fail(ParseError::bad_header);
    if (!get(ct, ATTR_ORIG_L4PROTO, entry.protocol)) fail(ParseError::bad_header);
    entry.family = family == AF_INET6 ? Family::v6 : Family::v4;
    const bool v6 = entry.family == Family::v6;

    const bool original_src = get_address(ct, v6 ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV4_SRC, entry.family, entry.original.src);
    const bool original_dst = get_address(ct, v6 ? ATTR_ORIG_IPV6_DST : ATTR_ORIG_IPV4_DST, entry.family, entry.original.dst);
    if (!original_src || !original_dst) fail(ParseError::missing_original);
    const bool reply_src = get_address(ct, v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC, entry.family, entry.reply.src);
    const bool reply_dst = get_address(ct, v6 ? ATTR_REPL_IPV6_DST : ATTR_REPL_IPV4_DST, entry.family, entry.reply.dst);
    if (!reply_src || !reply_dst) fail(ParseError::missing_reply);

    // Ports, ICMP fields and GRE keys that are missing read as 0, as conntrack-tools prints them
    // (a kernel without DCCP tracking sends dccp entries without ports). GRE keys travel in the
    // port attributes, as the kernel keeps them in its tuple.
    if (has_ports(entry.protocol) || entry.protocol == protocol::gre) {
        get_port(ct, ATTR_ORIG_PORT_SRC, entry.original.sport);
        get_port(ct, ATTR_ORIG_PORT_DST, entry.original.dport);
        get_port(ct, ATTR_REPL_PORT_SRC, entry.reply.sport);
        get_port(ct, ATTR_REPL_PORT_DST, entry.reply.dport);
    } else if (is_icmp(entry.protocol)) {
        std::uint8_t type = 0, code = 0;
        get_port(ct, ATTR_ICMP_ID, entry.original.sport);
        get(ct, ATTR_ICMP_TYPE, type);
        get(ct, ATTR_ICMP_CODE, code);
        entry.original.dport = static_cast<std::uint16_t>(type << 8 | code);
    }

    const bool original_counters =
        get_counters(ct, ATTR_ORIG_COUNTER_PACKETS, ATTR_ORIG_COUNTER_BYTES, entry.original);
    const bool reply_counters = get_counters(ct, ATTR_REPL_COUNTER_PACKETS, ATTR_REPL_COUNTER_BYTES, entry.reply);
    entry.has_counters = original_counters || reply_counters;

    if (std::uint32_t timeout = 0; get(ct, ATTR_TIMEOUT, timeout)) entry.timeout = timeout;
    // conntrack-tools prints every state attribute that is set; the parser keeps the first.
    if (std::uint8_t state = 0; get(ct, ATTR_TCP_STATE, state))
        entry.state.assign(state_name(tcp_states, state));
    else if (get(ct, ATTR_SCTP_STATE, state))
        entry.state.assign(state_name(sctp_states, state));
    else if (get(ct, ATTR_DCCP_STATE, state))
        entry.state.assign(state_name(dccp_states, state));

    if (std::uint32_t status = 0; get(ct, ATTR_STATUS, status)) {
        if (!(status & IPS_SEEN_REPLY)) entry.flags |= flag::unreplied;
        if (status & IPS_HW_OFFLOAD) entry.flags |= flag::hw_offload;
        else if (status & IPS_OFFLOAD) entry.flags |= flag::offload;
        else if (status & IPS_ASSURED) entry.flags |= flag::assured;
    }
    get(ct, ATTR_MARK, entry.mark);
    get(ct, ATTR_ZONE, entry.zone);
    return error;
}

// Collects the attributes of one nest by type, up to max; unknown (newer) types are skipped.
struct AttributeTable {
    const nlattr** slots;
    unsigned max;
};

int collect_attribute(const nlattr* attribute, void* data) {
    auto* table = static_cast<AttributeTable*>(data);
    if (mnl_attr_type_valid(attribute, static_cast<std::uint16_t>(table->max)) > 0)
        table->slots[mnl_attr_get_type(attribute)] = attribute;
    return MNL_CB_OK;
}

// The reply tuple's ICMP id, type and code, read from the message itself because
// libnetfilter_conntrack keeps them without a getter. Each attribute is checked for type and
// length before it is read; missing ones read as 0, as conntrack-tools prints them. The caller
// checked that the payload holds an nfgenmsg.
void read_reply_icmp(const nlmsghdr* message, bool v6, Tuple& reply) {
    const nlattr* top[CTA_MAX + 1] = {};
    AttributeTable top_table{top, CTA_MAX};
    const nlattr* tuple[CTA_TUPLE_MAX + 1] = {};
    AttributeTable tuple_table{tuple, CTA_TUPLE_MAX};
    const nlattr* proto[CTA_PROTO_MAX + 1] = {};
    AttributeTable proto_table{proto, CTA_PROTO_MAX};
    // Up to nlmsg_len exactly, as nfct_nlmsg_parse reads: mnl_attr_parse would go on to the
    // aligned end and could find a later reply tuple there.
    const auto* payload = static_cast<const char*>(mnl_nlmsg_get_payload(message)) + sizeof(nfgenmsg);
    const std::size_t payload_length = mnl_nlmsg_get_payload_len(message) - sizeof(nfgenmsg);
    if (mnl_attr_parse_payload(payload, payload_length, collect_attribute, &top_table) < 0 ||
        top[CTA_TUPLE_REPLY] == nullptr || mnl_attr_validate(top[CTA_TUPLE_REPLY], MNL_TYPE_NESTED) < 0 ||
        mnl_attr_parse_nested(top[CTA_TUPLE_REPLY], collect_attribute, &tuple_table) < 0 ||
        tuple[CTA_TUPLE_PROTO] == nullptr || mnl_attr_validate(tuple[CTA_TUPLE_PROTO], MNL_TYPE_NESTED) < 0 ||
        mnl_attr_parse_nested(tuple[CTA_TUPLE_PROTO], collect_attribute, &proto_table) < 0)
        return;
    const nlattr* id = proto[v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID];
    const nlattr* type = proto[v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE];
    const nlattr* code = proto[v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE];
    if (id != nullptr && mnl_attr_validate(id, MNL_TYPE_U16) == 0) reply.sport = ntohs(mnl_attr_get_u16(id));
    std::uint8_t type_value = 0, code_value = 0;
    if (type != nullptr && mnl_attr_validate(type, MNL_TYPE_U8) == 0) type_value = mnl_attr_get_u8(type);
    if (code != nullptr && mnl_attr_validate(code, MNL_TYPE_U8) == 0) code_value = mnl_attr_get_u8(code);
    reply.dport = static_cast<std::uint16_t>(type_value << 8 | code_value);
}

}  // namespace

void destroy_conntrack(nf_conntrack* ct) noexcept { nfct_destroy(ct); }

ConntrackObject make_conntrack() {
    ConntrackObject ct(nfct_new());
    if (!ct) throw std::bad_alloc();
    return ct;
}

Entry entry_from_conntrack(const nf_conntrack* ct) {
    Entry entry;
    convert(ct, entry);
    return entry;
}

ParseError check_conntrack(const nf_conntrack* ct) {
    Entry scratch;
    return convert(ct, scratch);
}

std::optional<EventType> conntrack_event_type(const nlmsghdr* message) {
    if (NFNL_SUBSYS_ID(message->nlmsg_type) != NFNL_SUBSYS_CTNETLINK) return std::nullopt;
    switch (NFNL_MSG_TYPE(message->nlmsg_type)) {
        case IPCTNL_MSG_CT_NEW:
            return (message->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ? EventType::created : EventType::updated;
        case IPCTNL_MSG_CT_DELETE:
            return EventType::destroyed;
        default:
            return std::nullopt;
    }
}

bool netlink_message_ok(const nlmsghdr* message, int remaining) {
    return remaining >= static_cast<int>(sizeof(nlmsghdr)) && message->nlmsg_len >= sizeof(nlmsghdr) &&
           message->nlmsg_len <= static_cast<unsigned>(remaining);
}

ConntrackParser::ConntrackParser() : ct_(make_conntrack()), blank_(make_conntrack()) {}

ParseResult ConntrackParser::parse(const nlmsghdr* message, EventType event) {
    // nfct_nlmsg_parse only ever sets attributes, and unsetting one leaves its value behind, which
    // the library can show again: ICMP type, code and id share their memory with the ports, and a
    // message with a type but no code read the code from the ports of the message before (found by
    // fuzz/fuzz_netlink.cpp). So the object starts from a blank one, copied whole: ct_ never holds
    // memory of its own here (see allocated_attributes), and NFCT_CP_OVERRIDE is one memcpy.
    nfct_copy(ct_.get(), blank_.get(), NFCT_CP_OVERRIDE);
    ParseResult result;
    result.entry.emplace();
    Entry& entry = *result.entry;
    if (mnl_nlmsg_get_payload_len(message) < sizeof(nfgenmsg) || nfct_nlmsg_parse(message, ct_.get()) < 0)
        result.error = ParseError::bad_header;
    else
        result.error = convert(ct_.get(), entry);
    if (result.error == ParseError::none && is_icmp(entry.protocol))
        read_reply_icmp(message, entry.protocol == protocol::icmpv6, entry.reply);
    if (result.error == ParseError::none) entry.event = event;
    else result.entry.reset();

    for (nf_conntrack_attr attribute : allocated_attributes) {
        if (is_set(ct_.get(), attribute)) {
            ct_ = make_conntrack();
            break;
        }
    }
    return result;
}

}  // namespace netmon
