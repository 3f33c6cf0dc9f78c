#include "dns_ruleset.h"

#include <nftables/libnftables.h>

namespace netmon {

namespace {

// The chains run at priority 300, after the filter chains (0) and the security ones (50): a
// packet the admin's rules drop never reaches them, so only answers that really leave are
// logged. (An accept elsewhere ends only that chain: the packet still passes through ours.)
constexpr const char* chain_priority = "300";

// One log rule per family of lan, or one for every answer when lan is empty.
std::string log_rules(std::uint16_t group, const std::vector<Cidr>& lan) {
    const std::string log = "udp sport 53 log group " + std::to_string(group) + " snaplen " +
                            std::to_string(dns_log_snaplen) + "\n";
    if (lan.empty()) return "        meta l4proto udp " + log;
    std::string v4, v6;
    for (const Cidr& cidr : lan) {
        std::string& set = cidr.network.family == Family::v4 ? v4 : v6;
        if (!set.empty()) set += ", ";
        set += cidr.to_string();
    }
    std::string rules;
    if (!v4.empty()) rules += "        ip daddr { " + v4 + " } " + log;
    if (!v6.empty()) rules += "        ip6 daddr { " + v6 + " } " + log;
    return rules;
}

}  // namespace

std::string dns_ruleset_text(std::uint16_t nflog_group, const std::vector<Cidr>& lan) {
    const std::string rules = log_rules(nflog_group, lan);
    // The router's own resolver answers through output; an outside resolver's answers to a LAN
    // device are forwarded.
    return "add table inet netmon\n"
           "delete table inet netmon\n"
           "table inet netmon {\n"
           "    chain dns_output {\n"
           "        type filter hook output priority " +
           std::string(chain_priority) +
           "; policy accept;\n" + rules +
           "    }\n"
           "    chain dns_forward {\n"
           "        type filter hook forward priority " +
           std::string(chain_priority) + "; policy accept;\n" + rules +
           "    }\n"
           "}\n";
}

std::string dns_ruleset_removal_text() { return "add table inet netmon\ndelete table inet netmon\n"; }

void Nftables::Free::operator()(nft_ctx* context) const noexcept { nft_ctx_free(context); }

Nftables::Nftables() : context_(nft_ctx_new(NFT_CTX_DEFAULT)) {
    if (!context_) throw NftablesError("nftables: cannot make a libnftables context");
    // nft's messages are kept for the exception rather than printed on stderr.
    nft_ctx_buffer_error(context_.get());
    nft_ctx_buffer_output(context_.get());
}

Nftables::~Nftables() = default;

void Nftables::run(const std::string& commands) {
    if (nft_run_cmd_from_buffer(context_.get(), commands.c_str()) == 0) return;
    std::string message = nft_ctx_get_error_buffer(context_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw NftablesError("nftables: " + (message.empty() ? std::string("the commands failed") : message));
}

ManagedDnsRuleset::ManagedDnsRuleset(std::uint16_t nflog_group, const std::vector<Cidr>& lan) {
    replace(nflog_group, lan);
}

ManagedDnsRuleset::~ManagedDnsRuleset() {
    try {
        nft_.run(dns_ruleset_removal_text());
    } catch (const std::exception&) {
        // Left for the next start to replace.
    }
}

void ManagedDnsRuleset::replace(std::uint16_t nflog_group, const std::vector<Cidr>& lan) {
    nft_.run(dns_ruleset_text(nflog_group, lan));
}

}  // namespace netmon
