#pragma once
// netmon's own nftables table (names.dns.ruleset managed): `table inet netmon`, whose two chains
// log the DNS answers the router hands to the LAN to an NFLOG group (read by NflogSource). The
// rules only log: they give no verdict that could change the admin's policy.
//
// The text is made by a pure function; ManagedDnsRuleset puts it in place with libnftables in one
// transaction at start (replacing the table a crashed ingest left) and removes it at stop.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "netmon/address.h"

struct nft_ctx;

namespace netmon {

// The NFLOG snaplen: an IPv6 header (40), a UDP header (8) and a DNS message of 4096 bytes (the
// usual EDNS limit), with room for one IPv6 extension header. Longer answers arrive cut short
// and count as malformed.
inline constexpr std::uint32_t dns_log_snaplen = 4160;

// The nft commands that (re)create table inet netmon, as one transaction: the table is added (a
// no-op when it exists), deleted and made anew, so that a restart after a crash replaces the old
// one instead of adding to it. Only answers towards lan (local_subnets) are logged; an empty lan
// logs every answer from port 53. Pure.
std::string dns_ruleset_text(std::uint16_t nflog_group, const std::vector<Cidr>& lan);
// The commands that remove the table, whether or not it exists. Pure.
std::string dns_ruleset_removal_text();

class NftablesError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One libnftables context.
class Nftables {
public:
    // Throws NftablesError when no context can be made.
    Nftables();
    ~Nftables();
    Nftables(const Nftables&) = delete;
    Nftables& operator=(const Nftables&) = delete;
    // Runs commands (nft's syntax) as one transaction. Throws NftablesError with nft's message
    // (no CAP_NET_ADMIN, no nf_tables in the kernel, a syntax error): nothing changed then.
    void run(const std::string& commands);

private:
    struct Free {
        void operator()(nft_ctx* context) const noexcept;
    };
    std::unique_ptr<nft_ctx, Free> context_;
};

// table inet netmon, there while this lives.
class ManagedDnsRuleset {
public:
    // Creates (or replaces) the table. Throws NftablesError, and then nothing was changed.
    ManagedDnsRuleset(std::uint16_t nflog_group, const std::vector<Cidr>& lan);
    // Removes the table; a failure is ignored (a destructor cannot act on it).
    ~ManagedDnsRuleset();
    ManagedDnsRuleset(const ManagedDnsRuleset&) = delete;
    ManagedDnsRuleset& operator=(const ManagedDnsRuleset&) = delete;

    // Replaces the table with one for this group and lan (a reload). Throws NftablesError, and
    // the old table stays then.
    void replace(std::uint16_t nflog_group, const std::vector<Cidr>& lan);

private:
    Nftables nft_;
};

}  // namespace netmon
