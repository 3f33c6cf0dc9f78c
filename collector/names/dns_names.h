#pragma once
// The remote names of issue 13's part 3, put together: the DNS answers the router hands to the
// LAN, logged by nftables (table inet netmon, or the admin's drop-in) to an NFLOG group, read
// here, parsed in the capability-less child (dns_parser_process.h), kept in the LRU
// (remote_name_cache.h) and written with the next cycle or event batch (Store::write_remote_names).

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "dns_answers.h"
#include "log_throttle.h"
#include "netmon/config.h"
#include "netmon/outbound.h"
#include "nflog_source.h"
#include "remote_name_cache.h"

namespace netmon {

class DnsParserProcess;
class Logger;
class ManagedDnsRuleset;
class Store;

class DnsNames {
public:
    // Binds names.dns.nflog_group and, when names.dns.ruleset is managed, puts table inet netmon
    // in place; starts the parser's child from parser_executable. Throws NflogError,
    // NftablesError or std::system_error, and then leaves nothing behind.
    DnsNames(const Names& names, std::vector<Cidr> lan, Logger& log,
             std::string parser_executable = "/proc/self/exe");
    // Removes table inet netmon (when it made it) and stops the child.
    ~DnsNames();
    DnsNames(const DnsNames&) = delete;
    DnsNames& operator=(const DnsNames&) = delete;

    // The NFLOG socket, for poll().
    int fd() const;
    // Reads the answers waiting and keeps their names: only those to a client in lan. Never
    // throws for what the packets hold; NflogError when the socket itself fails.
    void read(std::int64_t now_ms);
    // In the store's write: the pairs answered since the last call, and the counters.
    void write(Store& store);
    // Local subnets changed (a reload): answers to the new ones are kept, and the managed table
    // logs towards them. Throws NftablesError, and the old table stays then.
    void set_lan(const std::vector<Cidr>& lan);

    const RemoteNameCache& cache() const { return cache_; }
    bool manages_ruleset() const { return ruleset_ != nullptr; }

private:
    Logger& log_;
    OutboundFilter lan_;
    NflogSource nflog_;
    std::unique_ptr<ManagedDnsRuleset> ruleset_;  // after nflog_: removed before it is closed
    std::unique_ptr<DnsParserProcess> parser_;
    RemoteNameCache cache_;
    PacketBatch packets_;
    std::vector<DnsAnswer> answers_;
    LogThrottle lost_log_;
    std::uint64_t lost_logged_ = 0;
    // What meta already counts.
    std::uint64_t packets_written_ = 0, answers_written_ = 0, malformed_written_ = 0, restarts_written_ = 0,
                  evictions_written_ = 0;
};

}  // namespace netmon
