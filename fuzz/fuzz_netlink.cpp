// libFuzzer harness: conntrack netlink messages to Entries (collector/conntrack_object.h). The
// input is one datagram as the netlink sources receive it: messages walked with
// netlink_message_ok and mnl_nlmsg_next, the conntrack ones parsed by one reused ConntrackParser.
//
// One kind of message is not parsed: one with an attribute of a type libnetfilter_conntrack
// 1.0.9 knows but of the wrong length or kind, which the kernel never sends and on which the
// library ends the process (abi_breakage(): "ctnetlink kernel ABI is broken", exit(1); first found
// in nfct_parse_tuple_attr_cb, parse_mnl.c:259, for a CTA_TUPLE_ZONE that was not a u16, saved as
// fuzz/corpus/netlink/regress-libnfct-exit-tuple-zone). libnfct_would_exit() below checks each
// attribute as the library does (with libmnl's own mnl_attr_validate) and nothing more, so that
// every other malformed message still reaches the parser.
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>

#include "conntrack_object.h"
#include "fuzz_check.h"

using netmon::fuzz::check;

namespace {

// One nesting level of a ctnetlink message: what libnetfilter_conntrack 1.0.9 validates for each
// attribute type it knows (as the kernel's nla_policy would), and which nests it goes into.
struct Level;
struct Rule {
    std::uint16_t type;
    mnl_attr_data_type kind;
    std::size_t length = 0;  // for MNL_TYPE_UNSPEC: exactly this many bytes
    const Level* nested = nullptr;
};
struct Level {
    std::initializer_list<Rule> rules;
};

const Level ip_level{{{CTA_IP_V4_SRC, MNL_TYPE_U32}, {CTA_IP_V4_DST, MNL_TYPE_U32},
                      {CTA_IP_V6_SRC, MNL_TYPE_UNSPEC, sizeof(in6_addr)},
                      {CTA_IP_V6_DST, MNL_TYPE_UNSPEC, sizeof(in6_addr)}}};
const Level proto_level{{{CTA_PROTO_NUM, MNL_TYPE_U8},         {CTA_PROTO_SRC_PORT, MNL_TYPE_U16},
                         {CTA_PROTO_DST_PORT, MNL_TYPE_U16},   {CTA_PROTO_ICMP_ID, MNL_TYPE_U16},
                         {CTA_PROTO_ICMP_TYPE, MNL_TYPE_U8},   {CTA_PROTO_ICMP_CODE, MNL_TYPE_U8},
                         {CTA_PROTO_ICMPV6_ID, MNL_TYPE_U16},  {CTA_PROTO_ICMPV6_TYPE, MNL_TYPE_U8},
                         {CTA_PROTO_ICMPV6_CODE, MNL_TYPE_U8}}};
const Level tuple_level{{{CTA_TUPLE_IP, MNL_TYPE_NESTED, 0, &ip_level},
                         {CTA_TUPLE_PROTO, MNL_TYPE_NESTED, 0, &proto_level},
                         {CTA_TUPLE_ZONE, MNL_TYPE_U16}}};
const Level tcp_level{{{CTA_PROTOINFO_TCP_STATE, MNL_TYPE_U8},
                       {CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, MNL_TYPE_U8},
                       {CTA_PROTOINFO_TCP_WSCALE_REPLY, MNL_TYPE_U8},
                       {CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, MNL_TYPE_UNSPEC, sizeof(nf_ct_tcp_flags)},
                       {CTA_PROTOINFO_TCP_FLAGS_REPLY, MNL_TYPE_UNSPEC, sizeof(nf_ct_tcp_flags)}}};
const Level sctp_level{{{CTA_PROTOINFO_SCTP_STATE, MNL_TYPE_U8},
                        {CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, MNL_TYPE_U32},
                        {CTA_PROTOINFO_SCTP_VTAG_REPLY, MNL_TYPE_U32}}};
const Level dccp_level{{{CTA_PROTOINFO_DCCP_STATE, MNL_TYPE_U8}, {CTA_PROTOINFO_DCCP_ROLE, MNL_TYPE_U8},
                        {CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, MNL_TYPE_U64}}};
const Level protoinfo_level{{{CTA_PROTOINFO_TCP, MNL_TYPE_NESTED, 0, &tcp_level},
                             {CTA_PROTOINFO_DCCP, MNL_TYPE_NESTED, 0, &dccp_level},
                             {CTA_PROTOINFO_SCTP, MNL_TYPE_NESTED, 0, &sctp_level}}};
const Level counters_level{{{CTA_COUNTERS_PACKETS, MNL_TYPE_U64}, {CTA_COUNTERS_BYTES, MNL_TYPE_U64},
                            {CTA_COUNTERS32_PACKETS, MNL_TYPE_U32}, {CTA_COUNTERS32_BYTES, MNL_TYPE_U32}}};
const Level seqadj_level{{{CTA_SEQADJ_CORRECTION_POS, MNL_TYPE_U32}, {CTA_SEQADJ_OFFSET_BEFORE, MNL_TYPE_U32},
                          {CTA_SEQADJ_OFFSET_AFTER, MNL_TYPE_U32}}};
const Level help_level{{{CTA_HELP_NAME, MNL_TYPE_STRING}}};
const Level secctx_level{{{CTA_SECCTX_NAME, MNL_TYPE_STRING}}};
const Level timestamp_level{{{CTA_TIMESTAMP_START, MNL_TYPE_U64}, {CTA_TIMESTAMP_STOP, MNL_TYPE_U64}}};
const Level synproxy_level{{{CTA_SYNPROXY_ISN, MNL_TYPE_U32}, {CTA_SYNPROXY_ITS, MNL_TYPE_U32},
                            {CTA_SYNPROXY_TSOFF, MNL_TYPE_U32}}};
const Level top_level{{{CTA_TUPLE_ORIG, MNL_TYPE_NESTED, 0, &tuple_level},
                       {CTA_TUPLE_REPLY, MNL_TYPE_NESTED, 0, &tuple_level},
                       {CTA_TUPLE_MASTER, MNL_TYPE_NESTED, 0, &tuple_level},
                       {CTA_SEQ_ADJ_ORIG, MNL_TYPE_NESTED, 0, &seqadj_level},
                       {CTA_SEQ_ADJ_REPLY, MNL_TYPE_NESTED, 0, &seqadj_level},
                       {CTA_PROTOINFO, MNL_TYPE_NESTED, 0, &protoinfo_level},
                       {CTA_COUNTERS_ORIG, MNL_TYPE_NESTED, 0, &counters_level},
                       {CTA_COUNTERS_REPLY, MNL_TYPE_NESTED, 0, &counters_level},
                       {CTA_HELP, MNL_TYPE_NESTED, 0, &help_level},
                       {CTA_SECCTX, MNL_TYPE_NESTED, 0, &secctx_level},
                       {CTA_TIMESTAMP, MNL_TYPE_NESTED, 0, &timestamp_level},
                       {CTA_SYNPROXY, MNL_TYPE_NESTED, 0, &synproxy_level},
                       {CTA_STATUS, MNL_TYPE_U32}, {CTA_TIMEOUT, MNL_TYPE_U32}, {CTA_MARK, MNL_TYPE_U32},
                       {CTA_SECMARK, MNL_TYPE_U32}, {CTA_USE, MNL_TYPE_U32}, {CTA_ID, MNL_TYPE_U32},
                       {CTA_ZONE, MNL_TYPE_U16}}};

constexpr std::uint16_t max_type = 32;  // above every CTA_*_MAX

struct Walk {
    const Level* level;
    bool exits = false;
    const nlattr* last[max_type + 1] = {};  // the library reads the last attribute of a type
};

int check_attribute(const nlattr* attribute, void* data) {
    auto* walk = static_cast<Walk*>(data);
    const std::uint16_t type = mnl_attr_get_type(attribute);
    for (const Rule& rule : walk->level->rules) {
        if (rule.type != type) continue;
        const int valid = rule.kind == MNL_TYPE_UNSPEC ? mnl_attr_validate2(attribute, rule.kind, rule.length)
                                                       : mnl_attr_validate(attribute, rule.kind);
        if (valid < 0) walk->exits = true;
        if (type <= max_type) walk->last[type] = attribute;
    }
    return MNL_CB_OK;
}

bool level_would_exit(const Level& level, const nlattr* nest) {
    Walk walk{&level};
    if (nest == nullptr) return false;
    mnl_attr_parse_nested(nest, check_attribute, &walk);
    if (walk.exits) return true;
    for (const Rule& rule : level.rules)
        if (rule.nested != nullptr && level_would_exit(*rule.nested, walk.last[rule.type])) return true;
    return false;
}

// Whether nfct_nlmsg_parse would end the process on message.
bool libnfct_would_exit(const nlmsghdr* message) {
    if (mnl_nlmsg_get_payload_len(message) < sizeof(nfgenmsg)) return false;
    // The attributes up to nlmsg_len exactly, as nfct_nlmsg_parse reads them (mnl_attr_parse
    // would go on to the aligned end and might see one more).
    Walk walk{&top_level};
    const auto* payload = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(message)) + sizeof(nfgenmsg);
    mnl_attr_parse_payload(payload, mnl_nlmsg_get_payload_len(message) - sizeof(nfgenmsg), check_attribute, &walk);
    if (walk.exits) return true;
    for (const Rule& rule : top_level.rules)
        if (rule.nested != nullptr && level_would_exit(*rule.nested, walk.last[rule.type])) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > INT_MAX) return 0;
    // A buffer of exactly the datagram's size, as aligned as the sources' receive buffers.
    std::unique_ptr<std::uint64_t[]> buffer(new std::uint64_t[(size + 7) / 8]);
    auto* bytes = reinterpret_cast<std::uint8_t*>(buffer.get());
    std::memcpy(bytes, data, size);

    netmon::ConntrackParser parser;
    int remaining = static_cast<int>(size);
    for (auto* message = reinterpret_cast<const nlmsghdr*>(bytes); netmon::netlink_message_ok(message, remaining);
         message = mnl_nlmsg_next(message, &remaining)) {
        const std::optional<netmon::EventType> event = netmon::conntrack_event_type(message);
        if (!event || libnfct_would_exit(message)) continue;
        const netmon::ParseResult result = parser.parse(message, *event);
        check(result.entry.has_value() == (result.error == netmon::ParseError::none),
              "an entry exactly when no error");
        // The reused object must forget everything of the messages before this one.
        netmon::ConntrackParser fresh;
        const netmon::ParseResult again = fresh.parse(message, *event);
        check(again.error == result.error && again.entry == result.entry,
              "a reused parser gives what a fresh one gives");
    }
    return 0;
}
