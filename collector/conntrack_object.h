#pragma once
// Conntrack netlink messages to Entries. libnetfilter_conntrack parses the attributes into an
// nf_conntrack object; we read that object field by field, never through its text printer.
// Works on byte buffers only: no socket, so it is testable without a kernel.

#include <optional>

#include "netmon/c_handle.h"
#include "netmon/entry.h"
#include "netmon/parser.h"

struct nf_conntrack;
struct nlmsghdr;

namespace netmon {

// nfct_destroy, wrapped in the .cpp so that this header needs no C header.
void destroy_conntrack(nf_conntrack* ct) noexcept;
using ConntrackObject = CHandle<nf_conntrack*, &destroy_conntrack>;

// A new object with no attribute set. Throws std::bad_alloc when nfct_new fails.
ConntrackObject make_conntrack();

// The Entry that parse_line returns for the line `conntrack -L -o extended` prints for ct: the
// same family, protocol, tuples (ports, ICMP id and type << 8 | code, GRE keys; 0 where an
// attribute is missing, as conntrack-tools prints them), counters only when both packets and
// bytes of a direction are set, state name (TCP, else SCTP, else DCCP), flags (HW_OFFLOAD, else
// OFFLOAD, else ASSURED, the one conntrack-tools prints; UNREPLIED when the status lacks
// IPS_SEEN_REPLY), mark, zone and timeout. event stays EventType::snapshot.
// libnetfilter_conntrack has no getter for the reply tuple's ICMP id, type and code: they stay
// 0 here, and ConntrackParser::parse reads them from the message.
Entry entry_from_conntrack(const nf_conntrack* ct);

// ParseError::none when ct can be an entry; bad_header without a known family (IPv4, IPv6) or
// protocol, missing_original or missing_reply when a tuple lacks an address (the kernel always
// sends them; conntrack-tools would print 0.0.0.0).
ParseError check_conntrack(const nf_conntrack* ct);

// The event a ctnetlink message reports: IPCTNL_MSG_CT_DELETE is destroyed, IPCTNL_MSG_CT_NEW
// with NLM_F_CREATE or NLM_F_EXCL is created, any other IPCTNL_MSG_CT_NEW is updated. Dump
// replies are IPCTNL_MSG_CT_NEW messages too: the dump passes EventType::snapshot itself.
// Returns nothing for messages that are not conntrack entries.
std::optional<EventType> conntrack_event_type(const nlmsghdr* message);

// Whether message, remaining bytes before the end of its datagram, is a whole message: what
// mnl_nlmsg_ok is for, used in its place to walk a datagram with mnl_nlmsg_next. libmnl 1.0.4's
// mnl_nlmsg_ok compares nlmsg_len as an int, so it accepts a length of 2^31 or more, with which
// the parse and mnl_nlmsg_next read far outside the buffer.
bool netlink_message_ok(const nlmsghdr* message, int remaining);

// Turns conntrack messages into Entries, reusing one nf_conntrack object for all of them so
// that the hot path allocates nothing.
class ConntrackParser {
public:
    // Throws std::bad_alloc.
    ConntrackParser();

    // Parses one IPCTNL_MSG_CT_NEW or IPCTNL_MSG_CT_DELETE message whose length the caller
    // checked (netlink_message_ok) with nfct_nlmsg_parse, and gives the entry event. On failure the
    // entry is empty and error says why: bad_header when the message is too short for its
    // header or libnetfilter_conntrack rejects it, else as check_conntrack. Beware that
    // libnetfilter_conntrack 1.0.9 ends the process (exit(1), "ctnetlink kernel ABI is broken")
    // when an attribute has the wrong type or length; only the kernel writes these messages.
    ParseResult parse(const nlmsghdr* message, EventType event);

private:
    ConntrackObject ct_;
    ConntrackObject blank_;  // never parsed into: what ct_ is reset to before each message
};

}  // namespace netmon
