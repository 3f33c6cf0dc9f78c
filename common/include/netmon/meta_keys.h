#pragma once
// The keys of the meta table, where netmon-ingest says how it is doing and netmon-web reads it
// (values are integers unless noted). Times in ms since the epoch (UTC).

#include <string_view>

namespace netmon::meta {

inline constexpr std::string_view schema_version = "schema_version";
inline constexpr std::string_view ingest_version = "ingest_version";  // text
inline constexpr std::string_view ingest_pid = "ingest_pid";
inline constexpr std::string_view started_at = "started_at";
inline constexpr std::string_view source = "source";  // text: "netlink", "file PATH", ...
inline constexpr std::string_view interval_ms = "interval_ms";
// When the last cycle ended (a good one: when it committed), not when it began.
inline constexpr std::string_view last_cycle_at = "last_cycle_at";
inline constexpr std::string_view last_good_cycle_at = "last_good_cycle_at";
inline constexpr std::string_view last_cycle_ms = "last_cycle_ms";  // duration
inline constexpr std::string_view last_cycle_ok = "last_cycle_ok";  // 1 or 0
inline constexpr std::string_view entries_seen = "entries_seen";
inline constexpr std::string_view outbound_kept = "outbound_kept";
inline constexpr std::string_view lines_skipped = "lines_skipped";
inline constexpr std::string_view lines_skipped_total = "lines_skipped_total";
inline constexpr std::string_view cycles_total = "cycles_total";
inline constexpr std::string_view cycle_errors_total = "cycle_errors_total";
// The last failed cycle's error (text), removed by the next good cycle, and when it failed (kept).
inline constexpr std::string_view last_error = "last_error";
inline constexpr std::string_view last_error_at = "last_error_at";
inline constexpr std::string_view accounting = "accounting";  // text: "on", "off", "unknown"
inline constexpr std::string_view event_overruns_total = "event_overruns_total";
// Conntrack event messages that did not parse and were skipped (the log says why, once a minute).
inline constexpr std::string_view event_messages_skipped_total = "event_messages_skipped_total";
inline constexpr std::string_view resyncs_total = "resyncs_total";
inline constexpr std::string_view remote_hosts_pruned_total = "remote_hosts_pruned_total";  // retention
// History (schema/004_history.sql): when the ingest last wrote its sums (the newest traffic is
// in memory until then, at most collector/traffic_ledger.h's flush period), and the rows its
// retention deleted.
inline constexpr std::string_view history_flushed_at = "history_flushed_at";
inline constexpr std::string_view history_rows_pruned_total = "history_rows_pruned_total";
// The rows in connections and the distinct remote hosts they go to, written with every batch
// that changes them: netmon-web's summary reads these instead of counting.
inline constexpr std::string_view active_connections = "active_connections";
inline constexpr std::string_view active_remote_hosts = "active_remote_hosts";

// Names (schema/006_names.sql): lease file lines that did not parse; DNS answers observed
// (NFLOG packets, the answers mapped, packets that were not DNS responses or did not parse, the
// parser child's restarts, names the in-memory LRU forgot to stay within names.dns.max_names).
inline constexpr std::string_view lease_lines_skipped_total = "lease_lines_skipped_total";
inline constexpr std::string_view dns_packets_total = "dns_packets_total";
inline constexpr std::string_view dns_answers_total = "dns_answers_total";
inline constexpr std::string_view dns_packets_malformed_total = "dns_packets_malformed_total";
inline constexpr std::string_view dns_parser_restarts_total = "dns_parser_restarts_total";
inline constexpr std::string_view dns_names_evicted_total = "dns_names_evicted_total";

// Coverage (schema/007_coverage.sql): why netmon may see less than the WAN carries, as the
// ingest last decided it (collector/coverage/coverage_causes.h): text, a JSON array of
// {"id", "text", "fix"}, "[]" when nothing is wrong; absent for a replay. And the WAN
// interface the ingest reads (interfaces.wan), or its reading's error.
inline constexpr std::string_view coverage_causes = "coverage_causes";
inline constexpr std::string_view wan_interface = "wan_interface";
inline constexpr std::string_view wan_error = "wan_error";

}  // namespace netmon::meta
