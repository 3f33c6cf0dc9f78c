#include "ruleset_scan.h"

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_CT.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "netmon/c_handle.h"

namespace netmon {
namespace {

using Flowtable = CHandle<nftnl_flowtable*, &nftnl_flowtable_free>;
using Rule = CHandle<nftnl_rule*, &nftnl_rule_free>;
using ExprIter = CHandle<nftnl_expr_iter*, &nftnl_expr_iter_destroy>;
using Socket = CHandle<mnl_socket*, &mnl_socket_close>;

std::string family_name(std::uint32_t family) {
    switch (family) {
        case NFPROTO_INET: return "inet";
        case NFPROTO_IPV4: return "ip";
        case NFPROTO_IPV6: return "ip6";
        case NFPROTO_ARP: return "arp";
        case NFPROTO_BRIDGE: return "bridge";
        case NFPROTO_NETDEV: return "netdev";
        default: return std::to_string(family);
    }
}

std::string text_or_empty(const char* text) { return text ? text : ""; }

// Whether a rule's expression keeps packets out of conntrack.
bool is_notrack(const nftnl_expr* expr) {
    const std::string name = text_or_empty(nftnl_expr_get_str(expr, NFTNL_EXPR_NAME));
    if (name == "notrack") return true;
    if (name != "target") return false;
    const std::string target = text_or_empty(nftnl_expr_get_str(expr, NFTNL_EXPR_TG_NAME));
    if (target == "NOTRACK") return true;
    if (target != "CT") return false;
    // xt_ct_target_info and its v1 begin with their flags (a __u16).
    std::uint32_t length = 0;
    const void* info = nftnl_expr_get(expr, NFTNL_EXPR_TG_INFO, &length);
    if (!info || length < sizeof(std::uint16_t)) return false;
    std::uint16_t flags = 0;
    std::memcpy(&flags, info, sizeof flags);
    return flags & XT_CT_NOTRACK;
}

void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// One dump of message type over socket, each reply message to each.
template <class F>
void dump(mnl_socket* socket, std::uint16_t type, std::uint32_t seq, F&& each) {
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* request = nftnl_nlmsg_build_hdr(buffer.data(), type, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
    if (mnl_socket_sendto(socket, request, request->nlmsg_len) < 0) fail("cannot ask nf_tables for the ruleset");
    const unsigned port = mnl_socket_get_portid(socket);
    struct Context {
        F* each;
    } context{&each};
    auto callback = [](const nlmsghdr* message, void* data) -> int {
        (*static_cast<Context*>(data)->each)(message);
        return MNL_CB_OK;
    };
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
        if (n < 0) fail("cannot read the ruleset from nf_tables");
        const int result = mnl_cb_run(buffer.data(), static_cast<std::size_t>(n), seq, port, callback, &context);
        if (result == MNL_CB_STOP) return;
        if (result < 0) fail("nf_tables refused to list the ruleset");
    }
}

}  // namespace

std::optional<std::string> flowtable_without_counter(const nlmsghdr* message) {
    Flowtable flowtable(nftnl_flowtable_alloc());
    if (!flowtable || nftnl_flowtable_nlmsg_parse(message, flowtable.get()) < 0) return std::nullopt;
    if (!nftnl_flowtable_is_set(flowtable.get(), NFTNL_FLOWTABLE_NAME) ||
        !nftnl_flowtable_is_set(flowtable.get(), NFTNL_FLOWTABLE_TABLE))
        return std::nullopt;
    const std::uint32_t flags = nftnl_flowtable_is_set(flowtable.get(), NFTNL_FLOWTABLE_FLAGS)
                                    ? nftnl_flowtable_get_u32(flowtable.get(), NFTNL_FLOWTABLE_FLAGS)
                                    : 0;
    if (flags & NFT_FLOWTABLE_COUNTER) return std::nullopt;
    return family_name(nftnl_flowtable_get_u32(flowtable.get(), NFTNL_FLOWTABLE_FAMILY)) + " " +
           text_or_empty(nftnl_flowtable_get_str(flowtable.get(), NFTNL_FLOWTABLE_TABLE)) + " " +
           text_or_empty(nftnl_flowtable_get_str(flowtable.get(), NFTNL_FLOWTABLE_NAME));
}

std::optional<std::string> notrack_chain(const nlmsghdr* message) {
    Rule rule(nftnl_rule_alloc());
    if (!rule || nftnl_rule_nlmsg_parse(message, rule.get()) < 0) return std::nullopt;
    if (!nftnl_rule_is_set(rule.get(), NFTNL_RULE_TABLE) || !nftnl_rule_is_set(rule.get(), NFTNL_RULE_CHAIN))
        return std::nullopt;
    ExprIter iter(nftnl_expr_iter_create(rule.get()));
    if (!iter) return std::nullopt;
    bool found = false;
    for (nftnl_expr* expr = nftnl_expr_iter_next(iter.get()); expr && !found; expr = nftnl_expr_iter_next(iter.get()))
        found = is_notrack(expr);
    if (!found) return std::nullopt;
    return family_name(nftnl_rule_get_u32(rule.get(), NFTNL_RULE_FAMILY)) + " " +
           text_or_empty(nftnl_rule_get_str(rule.get(), NFTNL_RULE_TABLE)) + " " +
           text_or_empty(nftnl_rule_get_str(rule.get(), NFTNL_RULE_CHAIN));
}

RulesetFindings read_ruleset_findings() {
    Socket socket(mnl_socket_open(NETLINK_NETFILTER));
    if (!socket) fail("cannot open a netfilter netlink socket");
    if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) fail("cannot bind a netfilter netlink socket");
    RulesetFindings findings;
    const auto seq = static_cast<std::uint32_t>(::getpid());
    dump(socket.get(), NFT_MSG_GETFLOWTABLE, seq, [&](const nlmsghdr* message) {
        if (auto name = flowtable_without_counter(message)) findings.flowtables_without_counter.push_back(*name);
    });
    dump(socket.get(), NFT_MSG_GETRULE, seq + 1, [&](const nlmsghdr* message) {
        if (auto chain = notrack_chain(message)) findings.notrack_chains.push_back(*chain);
    });
    for (auto* list : {&findings.flowtables_without_counter, &findings.notrack_chains}) {
        std::sort(list->begin(), list->end());
        list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    return findings;
}

}  // namespace netmon
