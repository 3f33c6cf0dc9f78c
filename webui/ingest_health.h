#pragma once
// What netmon-ingest says about itself in the meta table, and what the dashboard, /healthz and
// /metrics make of it: fresh or stale, and what the person looking should do. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netmon::web {

// The meta table's values (see netmon/meta_keys.h); absent keys stay empty.
struct IngestStatus {
    std::optional<std::int64_t> interval_ms;
    std::optional<std::int64_t> started_at;
    std::optional<std::int64_t> last_cycle_at;
    std::optional<std::int64_t> last_good_cycle_at;
    std::optional<std::int64_t> last_cycle_ms;
    std::optional<std::int64_t> last_cycle_ok;
    std::optional<std::int64_t> cycles_total;
    std::optional<std::int64_t> cycle_errors_total;
    std::optional<std::int64_t> lines_skipped;
    std::optional<std::int64_t> lines_skipped_total;
    std::optional<std::int64_t> event_overruns_total;
    std::optional<std::int64_t> resyncs_total;
    std::optional<std::int64_t> remote_hosts_pruned_total;
    // Names (issue 13): whichever the ingest writes.
    std::optional<std::int64_t> lease_lines_skipped_total;
    std::optional<std::int64_t> dns_packets_total;
    std::optional<std::int64_t> dns_answers_total;
    std::optional<std::int64_t> dns_packets_malformed_total;
    std::optional<std::int64_t> dns_parser_restarts_total;
    std::optional<std::int64_t> dns_names_evicted_total;
    std::optional<std::int64_t> last_error_at;
    std::string last_error;
    std::string accounting;  // "on", "off", "unknown" or ""
    // Coverage (issue 14): the causes' JSON array, the WAN interface and its reading's error.
    std::string coverage_causes;
    std::string wan_interface;
    std::string wan_error;
    std::string source;
    std::string ingest_version;

    // Takes one meta row; unknown keys are ignored, integers given as text are read.
    void set(std::string_view key, std::optional<std::int64_t> integer, std::string_view text);
};

struct Notice {
    enum class Level { warning, error };
    Level level = Level::warning;
    std::string text;
};

struct IngestHealth {
    // The last good cycle ended at most stale_intervals intervals ago, plus the duration of the
    // last cycle (a loaded ingest's cycles may take longer than the interval).
    bool fresh = false;
    std::int64_t interval_ms = 1000;
    std::optional<std::int64_t> last_good_age_ms;
    std::optional<std::int64_t> last_cycle_age_ms;
    std::vector<Notice> notices;  // what is wrong and what to do, worst first
};

inline constexpr std::int64_t stale_intervals = 3;

// default_interval_ms (the config's interval) stands in when meta has none.
IngestHealth evaluate_ingest(const IngestStatus& status, std::int64_t now_ms, std::int64_t default_interval_ms);

// For a database netmon-web cannot read: the reason, and what to do.
Notice database_notice(std::string_view reason);

}  // namespace netmon::web
