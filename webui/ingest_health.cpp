#include "ingest_health.h"

#include <algorithm>
#include <charconv>

#include "coverage.h"
#include "netmon/meta_keys.h"
#include "units.h"

namespace netmon::web {
namespace {

std::optional<std::int64_t> integer_of(std::optional<std::int64_t> integer, std::string_view text) {
    if (integer) return integer;
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string interval_text(std::int64_t ms) {
    return ms < 1000 ? std::to_string(ms) + " ms" : format_duration(ms);
}

}  // namespace

void IngestStatus::set(std::string_view key, std::optional<std::int64_t> integer, std::string_view text) {
    struct IntegerKey {
        std::string_view key;
        std::optional<std::int64_t> IngestStatus::*field;
    };
    static constexpr IntegerKey integers[] = {
        {meta::interval_ms, &IngestStatus::interval_ms},
        {meta::started_at, &IngestStatus::started_at},
        {meta::last_cycle_at, &IngestStatus::last_cycle_at},
        {meta::last_good_cycle_at, &IngestStatus::last_good_cycle_at},
        {meta::last_cycle_ms, &IngestStatus::last_cycle_ms},
        {meta::last_cycle_ok, &IngestStatus::last_cycle_ok},
        {meta::cycles_total, &IngestStatus::cycles_total},
        {meta::cycle_errors_total, &IngestStatus::cycle_errors_total},
        {meta::lines_skipped, &IngestStatus::lines_skipped},
        {meta::lines_skipped_total, &IngestStatus::lines_skipped_total},
        {meta::event_overruns_total, &IngestStatus::event_overruns_total},
        {meta::resyncs_total, &IngestStatus::resyncs_total},
        {meta::remote_hosts_pruned_total, &IngestStatus::remote_hosts_pruned_total},
        {meta::lease_lines_skipped_total, &IngestStatus::lease_lines_skipped_total},
        {meta::dns_packets_total, &IngestStatus::dns_packets_total},
        {meta::dns_answers_total, &IngestStatus::dns_answers_total},
        {meta::dns_packets_malformed_total, &IngestStatus::dns_packets_malformed_total},
        {meta::dns_parser_restarts_total, &IngestStatus::dns_parser_restarts_total},
        {meta::dns_names_evicted_total, &IngestStatus::dns_names_evicted_total},
        {meta::last_error_at, &IngestStatus::last_error_at},
    };
    for (const auto& entry : integers) {
        if (entry.key == key) {
            this->*entry.field = integer_of(integer, text);
            return;
        }
    }
    if (key == meta::last_error) last_error = text;
    else if (key == meta::accounting) accounting = text;
    else if (key == meta::coverage_causes) coverage_causes = text;
    else if (key == meta::wan_interface) wan_interface = text;
    else if (key == meta::wan_error) wan_error = text;
    else if (key == meta::source) source = text;
    else if (key == meta::ingest_version) ingest_version = text;
}

IngestHealth evaluate_ingest(const IngestStatus& status, std::int64_t now_ms, std::int64_t default_interval_ms) {
    IngestHealth health;
    health.interval_ms = status.interval_ms.value_or(default_interval_ms);
    if (health.interval_ms <= 0) health.interval_ms = default_interval_ms > 0 ? default_interval_ms : 1000;
    // last_good_cycle_at is when a cycle committed, and the next commit comes at most an
    // interval plus that cycle's duration later (ingest_loop.h): a loaded ingest whose cycles
    // take longer than the interval is late by its cycle's duration, not stale.
    const std::int64_t stale_after =
        stale_intervals * health.interval_ms + std::max<std::int64_t>(status.last_cycle_ms.value_or(0), 0);
    if (status.last_good_cycle_at) health.last_good_age_ms = now_ms - *status.last_good_cycle_at;
    if (status.last_cycle_at) health.last_cycle_age_ms = now_ms - *status.last_cycle_at;
    health.fresh = health.last_good_age_ms && *health.last_good_age_ms <= stale_after;

    const std::string check = " Is it running? Check: systemctl status netmon-ingest; journalctl -u netmon-ingest";
    if (!status.last_cycle_at && !status.last_good_cycle_at) {
        health.notices.push_back({Notice::Level::error,
                                  "netmon-ingest has not finished a cycle yet, so there is nothing to show." + check});
    } else if (!health.fresh) {
        std::string age =
            health.last_good_age_ms ? format_duration(*health.last_good_age_ms) + " old" : "from no good cycle";
        health.notices.push_back({Notice::Level::error,
                                  "The data is stale: netmon-ingest's last good cycle is " + age +
                                      ", and it should run every " + interval_text(health.interval_ms) + "." +
                                      check});
    }
    if (status.last_cycle_ok && *status.last_cycle_ok == 0) {
        std::string error = status.last_error.empty() ? "no reason recorded" : status.last_error;
        health.notices.push_back({Notice::Level::error,
                                  "netmon-ingest's last cycle failed (" + error +
                                      "); the table shows the last good state. See: journalctl -u netmon-ingest"});
    }
    // What the ingest found that hides traffic from it; accounting off is the ingest's cause
    // too, said once below.
    for (const CoverageCause& cause : parse_causes(status.coverage_causes))
        if (cause.id != "accounting_off")
            health.notices.push_back({Notice::Level::warning, cause.text + " Fix: " + cause.fix + "."});
    if (status.accounting == "off") {
        health.notices.push_back(
            {Notice::Level::warning,
             "Connection accounting is off in the kernel, so byte and packet counters stay at 0. Turn it on with: "
             "sysctl -w net.netfilter.nf_conntrack_acct=1 (and keep it with a line "
             "net.netfilter.nf_conntrack_acct=1 in /etc/sysctl.d/netmon.conf); connections opened after that "
             "are counted."});
    }
    return health;
}

Notice database_notice(std::string_view reason) {
    return {Notice::Level::error, "No data: " + std::string(reason)};
}

}  // namespace netmon::web
