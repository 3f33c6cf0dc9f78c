#include "dns_names.h"

#include "dns_parser_process.h"
#include "dns_ruleset.h"
#include "netmon/log.h"
#include "netmon/meta_keys.h"
#include "store.h"

namespace netmon {

DnsNames::DnsNames(const Names& names, std::vector<Cidr> lan, Logger& log, std::string parser_executable)
    : log_(log),
      lan_(lan),
      nflog_(names.dns_nflog_group, dns_log_snaplen),
      cache_(names.dns_max_names, names.dns_grace_seconds * 1000),
      lost_log_(std::chrono::seconds(60)) {
    // The group is bound first: a table that logs to a group nobody reads would only cost.
    if (names.dns_ruleset == DnsRuleset::managed) ruleset_ = std::make_unique<ManagedDnsRuleset>(names.dns_nflog_group, lan);
    parser_ = std::make_unique<DnsParserProcess>(std::move(parser_executable));
    if (!nflog_.receive_buffer_forced())
        log_.warning("the DNS answers' NFLOG buffer is " + std::to_string(nflog_.receive_buffer()) +
                     " bytes, capped by net.core.rmem_max (SO_RCVBUFFORCE needs CAP_NET_ADMIN)");
}

DnsNames::~DnsNames() = default;

int DnsNames::fd() const { return nflog_.fd(); }

void DnsNames::read(std::int64_t now_ms) {
    packets_.clear();
    nflog_.drain(packets_);
    if (nflog_.lost() != lost_logged_) {
        const std::uint64_t more = nflog_.lost() - lost_logged_;
        lost_logged_ = nflog_.lost();
        if (auto count = lost_log_.note(more, std::chrono::steady_clock::now()))
            log_.warning("the kernel dropped DNS answers of NFLOG group " + std::to_string(nflog_.group()) + " (" +
                         std::to_string(*count) + " overruns of a " + std::to_string(nflog_.receive_buffer()) +
                         "-byte buffer): the names they carried are not known");
    }
    if (packets_.empty()) return;
    answers_.clear();
    parser_->parse(packets_.spans(), answers_);
    for (const DnsAnswer& answer : answers_) {
        // A router's resolver answers itself and the WAN too: only the LAN's devices are named.
        if (!lan_.is_local(answer.client)) continue;
        cache_.note(answer.client, answer.address, answer.name, answer.ttl, now_ms);
    }
}

void DnsNames::write(Store& store) {
    const auto& rows = cache_.take_changes();
    if (!rows.empty()) store.write_remote_names(rows);
    const DnsParserProcess::Stats& stats = parser_->stats();
    auto count = [&](std::string_view key, std::uint64_t now, std::uint64_t& written) {
        if (now == written) return;
        store.add_meta(key, static_cast<std::int64_t>(now - written));
        written = now;
    };
    count(meta::dns_packets_total, stats.packets, packets_written_);
    count(meta::dns_answers_total, stats.answers, answers_written_);
    count(meta::dns_packets_malformed_total, stats.malformed, malformed_written_);
    count(meta::dns_parser_restarts_total, stats.restarts, restarts_written_);
    count(meta::dns_names_evicted_total, cache_.evictions(), evictions_written_);
}

void DnsNames::set_lan(const std::vector<Cidr>& lan) {
    if (ruleset_) ruleset_->replace(nflog_.group(), lan);
    lan_ = OutboundFilter(lan);
}

}  // namespace netmon
