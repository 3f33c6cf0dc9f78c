#include "prometheus.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace netmon::web {
namespace {

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
        out += std::to_string(static_cast<std::int64_t>(value));
    } else {
        char digits[32];
        auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
        out.append(digits, end);
    }
}

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// '\\' and line feeds escaped, and '"' too when quotes is set.
std::string escape(std::string_view text, bool quotes) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '"' && quotes) out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string escape_help(std::string_view help) { return escape(help, false); }

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += escape_help(help);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        bool first = true;
        for (const auto& [label, label_value] : labels) {
            if (!first) text_ += ',';
            first = false;
            text_ += label;
            text_ += "=\"";
            text_ += escape_label_value(label_value);
            text_ += '"';
        }
        text_ += '}';
    }
    text_ += ' ';
    append_number(text_, value);
    text_ += '\n';
}

namespace {

// What the database holds: the summary line and whether the ingest keeps up.
void append_summary(PrometheusText& p, const Summary& s, const IngestHealth& health) {
    p.family("netmon_active_connections", "gauge",
             "Outbound connections alive in the conntrack table at the last ingest cycle.");
    p.sample("netmon_active_connections", static_cast<double>(s.active_connections));
    p.family("netmon_remote_hosts", "gauge",
             "Remote hosts: with an active connection (state=\"active\"), ever seen (state=\"known\"), "
             "first seen in the last 60 s (state=\"new\").");
    p.sample("netmon_remote_hosts", {{"state", "active"}}, static_cast<double>(s.active_remote_hosts));
    p.sample("netmon_remote_hosts", {{"state", "known"}}, static_cast<double>(s.known_remote_hosts));
    p.sample("netmon_remote_hosts", {{"state", "new"}}, static_cast<double>(s.new_remote_hosts));
    p.family("netmon_ingest_up", "gauge",
             "1 when the ingest's last good cycle is at most three intervals old, else 0.");
    p.sample("netmon_ingest_up", health.fresh ? 1 : 0);
}

// A gauge the ingest may not have written yet: left out until it has.
void append_gauge(PrometheusText& p, std::string_view name, std::string_view help, std::optional<double> value) {
    if (!value) return;
    p.family(name, "gauge", help);
    p.sample(name, *value);
}

// A counter, 0 until the ingest has written it.
void append_counter(PrometheusText& p, std::string_view name, std::string_view help,
                    std::optional<std::int64_t> value) {
    p.family(name, "counter", help);
    p.sample(name, static_cast<double>(value.value_or(0)));
}

// A counter of the ingest's that only some ingests keep: nothing when meta has none.
void append_counter_if_kept(PrometheusText& p, std::string_view name, std::string_view help,
                            std::optional<std::int64_t> value) {
    if (value) append_counter(p, name, help, value);
}

std::optional<double> in_seconds(std::optional<std::int64_t> ms) {
    if (!ms) return std::nullopt;
    return seconds(*ms);
}

// The ingest's state from meta: its cycles' times and outcome, and its counters.
void append_ingest(PrometheusText& p, const IngestStatus& ingest, const IngestHealth& health) {
    append_gauge(p, "netmon_ingest_interval_seconds", "Seconds between two ingest cycles.",
                 in_seconds(ingest.interval_ms));
    append_gauge(p, "netmon_ingest_cycle_duration_seconds", "How long the last ingest cycle took.",
                 in_seconds(ingest.last_cycle_ms));
    append_gauge(p, "netmon_ingest_last_cycle_age_seconds", "Seconds since the last ingest cycle, good or failed.",
                 in_seconds(health.last_cycle_age_ms));
    append_gauge(p, "netmon_ingest_last_good_cycle_age_seconds", "Seconds since the last good ingest cycle.",
                 in_seconds(health.last_good_age_ms));
    append_gauge(p, "netmon_ingest_last_good_cycle_timestamp_seconds",
                 "When the last good ingest cycle ran (Unix time).", in_seconds(ingest.last_good_cycle_at));
    std::optional<double> ok;
    if (ingest.last_cycle_ok) ok = *ingest.last_cycle_ok != 0 ? 1 : 0;
    append_gauge(p, "netmon_ingest_last_cycle_ok", "1 when the last ingest cycle succeeded, 0 when it failed.", ok);
    std::optional<double> accounting;
    if (ingest.accounting == "on") accounting = 1;
    if (ingest.accounting == "off") accounting = 0;
    append_gauge(p, "netmon_conntrack_accounting_enabled",
                 "1 when the kernel counts bytes and packets per connection (net.netfilter.nf_conntrack_acct).",
                 accounting);
    append_counter(p, "netmon_ingest_cycles_total", "Ingest cycles run.", ingest.cycles_total);
    append_counter(p, "netmon_ingest_cycle_errors_total", "Ingest cycles that failed.", ingest.cycle_errors_total);
    append_counter(p, "netmon_ingest_lines_skipped_total", "conntrack lines the ingest could not read.",
                   ingest.lines_skipped_total);
    append_counter(p, "netmon_ingest_event_overruns_total", "Times the kernel dropped conntrack events (ENOBUFS).",
                   ingest.event_overruns_total);
    append_counter(p, "netmon_ingest_resyncs_total", "Full table reads made to recover from lost events.",
                   ingest.resyncs_total);
    append_counter(p, "netmon_remote_hosts_pruned_total",
                   "Remote hosts forgotten by the retention (retention.remote_hosts_days, remote_hosts_max).",
                   ingest.remote_hosts_pruned_total);
    // Names (issue 13), when the ingest keeps them.
    append_counter_if_kept(p, "netmon_lease_lines_skipped_total", "DHCP lease file lines the ingest could not read.",
                   ingest.lease_lines_skipped_total);
    append_counter_if_kept(p, "netmon_dns_packets_total", "DNS response packets observed (NFLOG).", ingest.dns_packets_total);
    append_counter_if_kept(p, "netmon_dns_answers_total", "Addresses in the DNS answers observed, each with its name.",
                   ingest.dns_answers_total);
    append_counter_if_kept(p, "netmon_dns_packets_malformed_total", "DNS packets skipped as malformed.",
                   ingest.dns_packets_malformed_total);
    append_counter_if_kept(p, "netmon_dns_parser_restarts_total", "Times the DNS parser's child process was restarted.",
                   ingest.dns_parser_restarts_total);
    append_counter_if_kept(p, "netmon_dns_names_evicted_total",
                   "Names the ingest's memory of DNS answers forgot to stay within names.dns.max_names.",
                   ingest.dns_names_evicted_total);
}

// Each LAN device's bytes since its first contact (the devices table): one pair of series per
// device the ingest keeps, so the LAN's size bounds them.
// Each LAN device's names, as an info metric (value 1) to join on device: a name that changes
// starts a new info series, not a new counter. Only devices with a MAC or a name have one.
void append_device_info(PrometheusText& p, const std::vector<DeviceTotalsRow>& devices,
                        const std::map<std::string, DeviceName, std::less<>>& names) {
    p.family("netmon_device_info", "gauge",
             "A LAN device's MAC, name (netmon.yml, DHCP lease or vendor) and vendor, by its address; always 1.");
    for (const DeviceTotalsRow& device : devices) {
        auto found = names.find(device.device);
        if (found == names.end()) continue;
        const DeviceName& name = found->second;
        if (!name.mac && !name.name) continue;
        const std::string mac = name.mac ? name.mac->to_string() : std::string();
        p.sample("netmon_device_info",
                 {{"device", device.device}, {"mac", mac}, {"name", name.name.value_or("")},
                  {"source", name.source.value_or("")}, {"vendor", name.vendor.value_or("")}},
                 1);
    }
}

void append_devices(PrometheusText& p, const std::vector<DeviceTotalsRow>& devices) {
    p.family("netmon_device_bytes_total", "counter",
             "Bytes of a LAN device's outbound flows since netmon first saw it: sent (direction=\"uplink\") "
             "and received (direction=\"downlink\").");
    for (const DeviceTotalsRow& device : devices) {
        p.sample("netmon_device_bytes_total", {{"device", device.device}, {"direction", "uplink"}},
                 static_cast<double>(device.uplink_bytes));
        p.sample("netmon_device_bytes_total", {{"device", device.device}, {"direction", "downlink"}},
                 static_cast<double>(device.downlink_bytes));
    }
}

// The router's load and memory, when they could be read.
void append_load_and_memory(PrometheusText& p, const SystemSample& system) {
    if (system.load) {
        p.family("netmon_load_average", "gauge", "The load average from /proc/loadavg.");
        p.sample("netmon_load_average", {{"period", "1m"}}, system.load->one);
        p.sample("netmon_load_average", {{"period", "5m"}}, system.load->five);
        p.sample("netmon_load_average", {{"period", "15m"}}, system.load->fifteen);
    }
    if (system.memory) {
        p.family("netmon_memory_total_bytes", "gauge", "MemTotal from /proc/meminfo.");
        p.sample("netmon_memory_total_bytes", static_cast<double>(system.memory->total_bytes));
        p.family("netmon_memory_used_bytes", "gauge", "MemTotal - MemAvailable from /proc/meminfo.");
        p.sample("netmon_memory_used_bytes", static_cast<double>(system.memory->used_bytes));
    }
}

// Each monitored interface: whether it is there, and its counters when they could be read.
void append_interfaces(PrometheusText& p, const std::vector<InterfaceSample>& interfaces) {
    p.family("netmon_interface_up", "gauge",
             "1 when the monitored interface's counters could be read, 0 when it is missing.");
    for (const auto& interface : interfaces)
        p.sample("netmon_interface_up", {{"interface", interface.name}}, interface.counters ? 1 : 0);
    struct CounterFamily {
        std::string_view name;
        std::string_view help;
        std::uint64_t InterfaceCounters::*value;
    };
    static constexpr CounterFamily families[] = {
        {"netmon_interface_receive_bytes_total", "Bytes received (statistics/rx_bytes).", &InterfaceCounters::rx_bytes},
        {"netmon_interface_transmit_bytes_total", "Bytes sent (statistics/tx_bytes).", &InterfaceCounters::tx_bytes},
        {"netmon_interface_receive_packets_total", "Packets received (statistics/rx_packets).",
         &InterfaceCounters::rx_packets},
        {"netmon_interface_transmit_packets_total", "Packets sent (statistics/tx_packets).",
         &InterfaceCounters::tx_packets},
    };
    for (const auto& family : families) {
        p.family(family.name, "counter", family.help);
        for (const auto& interface : interfaces)
            if (interface.counters)
                p.sample(family.name, {{"interface", interface.name}},
                         static_cast<double>((*interface.counters).*family.value));
    }
}

}  // namespace

// The last hour's coverage each way (no sample without WAN bytes), and one series per cause the
// ingest names (value 1), to alert on.
void append_coverage(PrometheusText& p, const Coverage& coverage, const IngestStatus& ingest) {
    p.family("netmon_coverage_ratio", "gauge",
             "The outbound flows' bytes over the WAN interface's IP bytes in the last hour (interfaces.wan).");
    for (const auto& [direction, sums] : {std::pair{"uplink", &coverage.uplink}, std::pair{"downlink", &coverage.downlink}})
        if (auto ratio = sums->ratio()) p.sample("netmon_coverage_ratio", {{"direction", direction}}, *ratio);
    p.family("netmon_coverage_cause", "gauge",
             "A reason netmon sees less than the WAN carries, by its id (/healthz says it and its fix); always 1.");
    for (const CoverageCause& cause : parse_causes(ingest.coverage_causes))
        p.sample("netmon_coverage_cause", {{"cause", cause.id}}, 1);
}

std::string render_prometheus(const MetricsInput& input) {
    PrometheusText p;
    p.family("netmon_database_up", "gauge", "1 when netmon-web can read netmon-ingest's database, else 0.");
    p.sample("netmon_database_up", input.database_up ? 1 : 0);
    if (input.database_up) {
        append_summary(p, input.summary, input.health);
        append_ingest(p, input.ingest, input.health);
        append_devices(p, input.devices);
        append_device_info(p, input.devices, input.device_names);
        append_coverage(p, input.coverage, input.ingest);
    }
    append_load_and_memory(p, input.system);
    append_interfaces(p, input.system.interfaces);
    return p.text();
}

}  // namespace netmon::web
