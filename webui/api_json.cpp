#include "api_json.h"

#include <nlohmann/json.hpp>

#include "json_writer.h"
#include "units.h"

namespace netmon::web {
namespace {

using json = nlohmann::ordered_json;

// Data that is not UTF-8 must not make dump() throw.
std::string dump(const json& document) { return document.dump(-1, ' ', false, json::error_handler_t::replace); }

json time_or_null(const std::optional<std::int64_t>& ms) {
    return ms ? json(format_time(*ms)) : json(nullptr);
}

json integer_or_null(const std::optional<std::int64_t>& value) { return value ? json(*value) : json(nullptr); }

json notices_json(const std::vector<Notice>& notices) {
    json list = json::array();
    for (const auto& notice : notices)
        list.push_back({{"level", notice.level == Notice::Level::error ? "error" : "warning"}, {"text", notice.text}});
    return list;
}

}  // namespace

ConnectionsJson::ConnectionsJson(std::int64_t now_ms, std::size_t expected_rows) : now_ms_(now_ms) {
    out_.reserve(64 + expected_rows * 420);
    out_ += '[';
}

void ConnectionsJson::add(const ConnectionRow& row) {
    // The hot path of the API: the names are written as literals, the values appended in place.
    std::string& o = out_;
    o += first_ ? "{\"proto\":" : ",{\"proto\":";
    first_ = false;
    append_json_string(o, row.proto);
    o += ",\"src_ip\":";
    append_json_string(o, row.src_ip);
    o += ",\"src_port\":";
    append_json_integer(o, row.src_port);
    o += ",\"dst_ip\":";
    append_json_string(o, row.dst_ip);
    o += ",\"dst_port\":";
    append_json_integer(o, row.dst_port);
    o += ",\"state\":";
    if (row.state) append_json_string(o, *row.state);
    else o += "null";
    o += ",\"flags\":";
    JsonWriter(o).words(row.flags);
    o += ",\"uplink_packets\":";
    append_json_integer(o, row.uplink_packets);
    o += ",\"uplink_bytes\":";
    append_json_integer(o, row.uplink_bytes);
    o += ",\"downlink_packets\":";
    append_json_integer(o, row.downlink_packets);
    o += ",\"downlink_bytes\":";
    append_json_integer(o, row.downlink_bytes);
    o += ",\"total_bytes\":";
    append_json_integer(o, row.total_bytes);
    o += ",\"uplink_rate\":";
    JsonWriter(o).value(row.uplink_rate);
    o += ",\"downlink_rate\":";
    JsonWriter(o).value(row.downlink_rate);
    o += ",\"first_seen_at\":\"";
    append_time(o, row.first_seen_at);
    o += "\",\"last_seen_at\":\"";
    append_time(o, row.last_seen_at);
    const bool seen = seen_before(row.host_first_seen_at, now_ms_);
    o += seen ? "\",\"seen_before\":true}" : "\",\"seen_before\":false}";
    if (!seen && row.host_first_seen_at + new_host_window_ms < valid_until_)
        valid_until_ = row.host_first_seen_at + new_host_window_ms;
}

std::string ConnectionsJson::finish() {
    out_ += ']';
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
        w.key("first_seen_at");
        w.time(h.first_seen_at);
        w.key("last_seen_at");
        w.time(h.last_seen_at);
        w.field("seen_before", seen_before(h.first_seen_at, now_ms));
        w.field("active_connections", h.active_connections);
        w.field("active_bytes", h.active_bytes);
        w.field("connections_seen", h.connections_seen);
        w.field("uplink_bytes", h.uplink_bytes);
        w.field("downlink_bytes", h.downlink_bytes);
        w.end_object();
    }
    w.end_array();
    return out;
}

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
    }
    document["now"] = format_time(now_ms);
    return dump(document);
}

std::string error_json(std::string_view message) {
    json document = {{"error", std::string(message)}};
    return dump(document);
}

}  // namespace netmon::web
