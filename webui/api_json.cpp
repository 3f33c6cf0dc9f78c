#include "api_json.h"

#include <nlohmann/json.hpp>

#include "netmon/entry_json.h"
#include "netmon/json_writer.h"
#include "units.h"

namespace netmon::web {
namespace {

using json = nlohmann::ordered_json;

// Data that is not UTF-8 must not make dump() throw.
std::string dump(const json& document) { return document.dump(-1, ' ', false, json::error_handler_t::replace); }

json time_or_null(const std::optional<std::int64_t>& ms) {
    return ms ? json(format_time(*ms)) : json(nullptr);
}

// A member whose value is a time as an ISO 8601 UTC string with milliseconds.
void write_time(JsonWriter& w, std::string_view name, std::int64_t unix_ms) {
    w.key(name);
    std::string& out = w.raw_value();
    out += '"';
    append_time(out, unix_ms);
    out += '"';
}

// The database's counters are never negative (the ingest stores them saturated at 2^63 - 1);
// the flow's shape counts in unsigned numbers, which print-outbound needs up to 2^64 - 1.
std::uint64_t counter(std::int64_t stored) { return stored < 0 ? 0 : static_cast<std::uint64_t>(stored); }

json integer_or_null(const std::optional<std::int64_t>& value) { return value ? json(*value) : json(nullptr); }

json notices_json(const std::vector<Notice>& notices) {
    json list = json::array();
    for (const auto& notice : notices)
        list.push_back({{"level", notice.level == Notice::Level::error ? "error" : "warning"}, {"text", notice.text}});
    return list;
}

}  // namespace

ConnectionsJson::ConnectionsJson(std::int64_t now_ms, std::size_t expected_rows) : now_ms_(now_ms) {
    out_.reserve(64 + expected_rows * 560);
    writer_.begin_array();
}

void ConnectionsJson::add(const ConnectionRow& row) {
    FlowJson flow;
    flow.proto = row.proto;
    flow.src_ip = row.src_ip;
    flow.src_port = row.src_port;
    flow.dst_ip = row.dst_ip;
    flow.dst_port = row.dst_port;
    if (row.state) flow.state = *row.state;
    flow.flags = row.flags;
    flow.uplink_packets = counter(row.uplink_packets);
    flow.uplink_bytes = counter(row.uplink_bytes);
    flow.downlink_packets = counter(row.downlink_packets);
    flow.downlink_bytes = counter(row.downlink_bytes);
    flow.total_bytes = counter(row.total_bytes);
    writer_.begin_object();
    write_flow_members(writer_, flow);
    writer_.field("uplink_rate", row.uplink_rate);
    writer_.field("downlink_rate", row.downlink_rate);
    write_time(writer_, "first_seen_at", row.first_seen_at);
    write_time(writer_, "last_seen_at", row.last_seen_at);
    const bool seen = seen_before(row.host_first_seen_at, now_ms_);
    writer_.field("seen_before", seen);
    write_device_name_members(writer_, row.device_name);
    write_remote_name_members(writer_, row.remote_name);
    writer_.end_object();
    if (!seen && row.host_first_seen_at + new_host_window_ms < valid_until_)
        valid_until_ = row.host_first_seen_at + new_host_window_ms;
}

std::string ConnectionsJson::finish() {
    writer_.end_array();
    return std::move(out_);
}

std::string hosts_json(const std::vector<HostRow>& rows, std::int64_t now_ms) {
    std::string out;
    out.reserve(64 + rows.size() * 300);
    JsonWriter w(out);
    w.begin_array();
    for (const HostRow& h : rows) {
        w.begin_object();
        w.field("ip", h.ip);
        w.field("family", h.family);
        write_time(w, "first_seen_at", h.first_seen_at);
        write_time(w, "last_seen_at", h.last_seen_at);
        w.field("seen_before", seen_before(h.first_seen_at, now_ms));
        w.field("active_connections", h.active_connections);
        w.field("active_bytes", h.active_bytes);
        w.field("connections_seen", h.connections_seen);
        w.field("uplink_bytes", h.uplink_bytes);
        w.field("downlink_bytes", h.downlink_bytes);
        write_remote_name_members(w, h.remote_name);
        w.end_object();
    }
    w.end_array();
    return out;
}

namespace {

// The last hour's coverage and the causes the ingest named.
json coverage_json(const IngestView& ingest) {
    const Coverage& c = ingest.coverage;
    auto direction = [](const CoverageDirection& d) {
        auto ratio = d.ratio();
        return json{{"seen_bytes", d.seen_bytes}, {"wan_bytes", d.wan_bytes},
                    {"ratio", ratio ? json(*ratio) : json(nullptr)}};
    };
    auto total = c.total().ratio();
    json causes = json::array();
    for (const CoverageCause& cause : parse_causes(ingest.status.coverage_causes))
        causes.push_back({{"id", cause.id}, {"text", cause.text}, {"fix", cause.fix}});
    return {{"window_ms", Coverage::window_ms},
            {"wan_interface", ingest.status.wan_interface.empty() ? json(nullptr) : json(ingest.status.wan_interface)},
            {"wan_error", ingest.status.wan_error.empty() ? json(nullptr) : json(ingest.status.wan_error)},
            {"measured", c.measured},
            {"ratio", total ? json(*total) : json(nullptr)},
            {"uplink", direction(c.uplink)},
            {"downlink", direction(c.downlink)},
            {"causes", std::move(causes)}};
}

}  // namespace

std::string metrics_json(const SystemSample& system, const IngestView& ingest, std::int64_t now_ms) {
    json document;
    document["sampled_at"] = format_time(system.sampled_at);
    if (system.load) {
        document["loadavg"] = {system.load->one, system.load->five, system.load->fifteen};
    } else {
        document["loadavg"] = nullptr;
        document["loadavg_error"] = system.load_error;
    }
    if (system.memory) {
        document["memory"] = {{"used_bytes", system.memory->used_bytes},
                              {"total_bytes", system.memory->total_bytes},
                              {"available_bytes", system.memory->available_bytes}};
    } else {
        document["memory"] = nullptr;
        document["memory_error"] = system.memory_error;
    }
    json interfaces = json::array();
    for (const auto& sample : system.interfaces) {
        json entry = {{"name", sample.name}};
        if (sample.counters) {
            entry["rx_bytes"] = sample.counters->rx_bytes;
            entry["tx_bytes"] = sample.counters->tx_bytes;
            entry["rx_packets"] = sample.counters->rx_packets;
            entry["tx_packets"] = sample.counters->tx_packets;
            if (sample.rates) {
                entry["rates"] = {{"rx_bytes", sample.rates->rx_bytes},
                                  {"tx_bytes", sample.rates->tx_bytes},
                                  {"rx_packets", sample.rates->rx_packets},
                                  {"tx_packets", sample.rates->tx_packets}};
            } else {
                entry["rates"] = nullptr;  // until two samples a second apart
            }
        } else {
            entry["error"] = sample.error;
        }
        interfaces.push_back(std::move(entry));
    }
    document["interfaces"] = std::move(interfaces);

    json netmon;
    if (!ingest.database_error.empty()) {
        document["error"] = ingest.database_error;
        netmon["error"] = ingest.database_error;
        netmon["notices"] = notices_json({database_notice(ingest.database_error)});
    } else {
        const Summary& s = ingest.summary;
        netmon["active_connections"] = s.active_connections;
        netmon["active_remote_hosts"] = s.active_remote_hosts;
        netmon["known_remote_hosts"] = s.known_remote_hosts;
        netmon["new_remote_hosts"] = s.new_remote_hosts;
        netmon["fresh"] = ingest.health.fresh;
        netmon["interval_ms"] = ingest.health.interval_ms;
        netmon["last_cycle_at"] = time_or_null(ingest.status.last_cycle_at);
        netmon["last_cycle_age_ms"] = integer_or_null(ingest.health.last_cycle_age_ms);
        netmon["last_good_cycle_at"] = time_or_null(ingest.status.last_good_cycle_at);
        netmon["last_cycle_ms"] = integer_or_null(ingest.status.last_cycle_ms);
        netmon["accounting"] = ingest.status.accounting.empty() ? json(nullptr) : json(ingest.status.accounting);
        netmon["notices"] = notices_json(ingest.health.notices);
        // The names' counters (issue 13), those the ingest keeps.
        json names = json::object();
        const IngestStatus& st = ingest.status;
        for (const auto& [key, value] :
             {std::pair{"lease_lines_skipped_total", st.lease_lines_skipped_total},
              std::pair{"dns_packets_total", st.dns_packets_total}, std::pair{"dns_answers_total", st.dns_answers_total},
              std::pair{"dns_packets_malformed_total", st.dns_packets_malformed_total},
              std::pair{"dns_parser_restarts_total", st.dns_parser_restarts_total},
              std::pair{"dns_names_evicted_total", st.dns_names_evicted_total}})
            if (value) names[key] = *value;
        netmon["names"] = std::move(names);
        netmon["coverage"] = coverage_json(ingest);
    }
    netmon["now"] = format_time(now_ms);
    document["netmon"] = std::move(netmon);
    return dump(document);
}

std::string health_json(const IngestView& ingest, std::int64_t now_ms) {
    json document;
    if (!ingest.database_error.empty()) {
        document["error"] = ingest.database_error;
    } else if (!ingest.health.fresh) {
        document["error"] = ingest.health.notices.empty() ? std::string("stale") : ingest.health.notices.front().text;
    } else {
        document["status"] = "ok";
    }
    if (ingest.database_error.empty()) {
        document["last_good_cycle_at"] = time_or_null(ingest.status.last_good_cycle_at);
        document["last_good_cycle_age_ms"] = integer_or_null(ingest.health.last_good_age_ms);
        document["interval_ms"] = ingest.health.interval_ms;
        document["last_cycle_ok"] = integer_or_null(ingest.status.last_cycle_ok);
        // What hides traffic from netmon: said here, never a reason for the status.
        document["coverage"] = coverage_json(ingest);
    }
    document["now"] = format_time(now_ms);
    return dump(document);
}

std::string error_json(std::string_view message) {
    json document = {{"error", std::string(message)}};
    return dump(document);
}

}  // namespace netmon::web
