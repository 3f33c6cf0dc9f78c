#pragma once
// What the nftables ruleset holds that hides forwarded traffic from conntrack's counters: a
// flowtable without `counter` (its offloaded flows stop counting) and notrack rules (conntrack
// never sees their packets). Read with libnftnl over NETLINK_NETFILTER, not from nft's text, and
// not from its JSON either: `nft -j` leaves a flowtable's flags out.

#include <linux/netlink.h>

#include <optional>
#include <string>

#include "coverage_causes.h"

namespace netmon {

// One NFT_MSG_NEWFLOWTABLE message of a dump: "family table name" when the flowtable has no
// NFT_FLOWTABLE_COUNTER flag, else nothing (nothing too for a message libnftnl cannot parse).
std::optional<std::string> flowtable_without_counter(const nlmsghdr* message);
// One NFT_MSG_NEWRULE message: "family table chain" when the rule has nft's notrack statement,
// or iptables-nft's NOTRACK target or CT --notrack.
std::optional<std::string> notrack_chain(const nlmsghdr* message);

// Dumps the flowtables and the rules of every family. Throws std::runtime_error naming the
// step that failed (no CAP_NET_ADMIN, no nf_tables).
RulesetFindings read_ruleset_findings();

}  // namespace netmon
