#include "history_json.h"

#include "netmon/entry.h"
#include "netmon/protocol.h"
#include "units.h"

namespace netmon::web {
namespace {

// A member whose value is a time as an ISO 8601 UTC string with milliseconds.
void write_time(JsonWriter& w, std::string_view name, std::int64_t unix_ms) {
    w.key(name);
    std::string& out = w.raw_value();
    out += '"';
    append_time(out, unix_ms);
    out += '"';
}

void write_time_or_null(JsonWriter& w, std::string_view name, const std::optional<std::int64_t>& unix_ms) {
    if (unix_ms) {
        write_time(w, name, *unix_ms);
    } else {
        w.key(name);
        w.null();
    }
}

void write_address_or_null(JsonWriter& w, std::string_view name, const std::optional<IpAddress>& address) {
    w.key(name);
    if (address) w.value(address->to_string());
    else w.null();
}

void write_addresses(JsonWriter& w, const std::vector<IpAddress>& addresses) {
    w.key("addresses");
    w.begin_array();
    for (const IpAddress& address : addresses) w.value(std::string_view(address.to_string()));
    w.end_array();
}

void write_bytes(JsonWriter& w, const TrafficSums& t) {
    w.field("uplink_bytes", t.uplink_bytes);
    w.field("downlink_bytes", t.downlink_bytes);
    w.field("total_bytes", t.total_bytes());
    w.field("flows", t.flows);
}

}  // namespace

std::string ended_by_text(int ended_by) {
    if (ended_by == 1) return "destroyed";
    if (ended_by == 2) return "gone";
    return std::to_string(ended_by);
}

std::string devices_json(const HistoryWindow& window, const WindowPlan& plan, const std::vector<DeviceRow>& rows) {
    std::string out;
    out.reserve(128 + rows.size() * 260);
    JsonWriter w(out);
    w.begin_object();
    w.field("window", window.name);
    write_time(w, "from", plan.from_ms);
    write_time(w, "to", plan.to_ms);
    w.key("devices");
    w.begin_array();
    for (const DeviceRow& row : rows) {
        w.begin_object();
        w.field("device", row.device.to_string());
        write_bytes(w, row.traffic);
        w.field("remote_hosts", row.remote_hosts);
        w.field("active_connections", row.active_connections);
        write_time(w, "first_seen_at", row.first_seen_at);
        write_time(w, "last_seen_at", row.last_seen_at);
        write_addresses(w, row.addresses.empty() ? std::vector<IpAddress>{row.device} : row.addresses);
        DeviceName name = row.name;
        if (!name.mac) name.mac = row.mac;
        write_device_name_members(w, name);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
}

std::string history_json(const HistoryRequest& request, const HistoryRange& range,
                         const std::vector<HistoryPoint>& points, const Device* device, const RemoteName& host_name) {
    std::string out;
    out.reserve(160 + points.size() * 150);
    JsonWriter w(out);
    w.begin_object();
    w.field("step", range.step);
    w.key("device");
    if (request.device) w.value(std::string_view(request.device->to_string()));
    else w.null();
    write_address_or_null(w, "host", request.host);
    if (request.device && device != nullptr) {
        write_addresses(w, device->addresses);
        write_device_name_members(w, device->name);
    }
    if (request.host) write_remote_name_members(w, host_name);
    write_time(w, "from", range.first_bucket);
    write_time(w, "to", range.last_bucket);
    w.key("points");
    w.begin_array();
    for (const HistoryPoint& point : points) {
        w.begin_object();
        write_time(w, "t", point.bucket);
        w.field("uplink_bytes", point.traffic.uplink_bytes);
        w.field("downlink_bytes", point.traffic.downlink_bytes);
        w.field("uplink_packets", point.traffic.uplink_packets);
        w.field("downlink_packets", point.traffic.downlink_packets);
        w.field("flows", point.traffic.flows);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
}

std::string device_hosts_json(const DeviceHostsRequest& request, const WindowPlan& plan,
                              const std::vector<DeviceHostRow>& rows, const Device* device) {
    std::string out;
    out.reserve(160 + rows.size() * 260);
    JsonWriter w(out);
    w.begin_object();
    w.field("device", request.device.to_string());
    if (device != nullptr) {
        write_addresses(w, device->addresses);
        write_device_name_members(w, device->name);
    }
    w.field("window", request.window.name);
    write_time(w, "from", plan.from_ms);
    write_time(w, "to", plan.to_ms);
    w.key("hosts");
    w.begin_array();
    for (const DeviceHostRow& row : rows) {
        w.begin_object();
        w.field("host", row.host.to_string());
        write_bytes(w, row.traffic);
        write_time_or_null(w, "first_seen_at", row.first_seen_at);
        write_time_or_null(w, "last_seen_at", row.last_seen_at);
        write_remote_name_members(w, row.remote_name);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
}

FlowLogJson::FlowLogJson() {
    out_.reserve(4096);
    writer_.begin_object();
    writer_.key("flows");
    writer_.begin_array();
}

void FlowLogJson::add(const FlowLogRow& row, const DeviceName& device, const RemoteName& host) {
    JsonWriter& w = writer_;
    w.begin_object();
    w.field("proto", protocol_label(static_cast<std::uint8_t>(row.proto)));
    w.field("device", row.device.to_string());
    w.field("src_port", row.src_port);
    w.field("host", row.host.to_string());
    w.field("dst_port", row.dst_port);
    w.key("state");
    if (row.state) w.value(*row.state);
    else w.null();
    w.key("flags");
    w.words(flags_text(static_cast<std::uint8_t>(row.flags)));
    write_time(w, "first_seen_at", row.first_seen_at);
    write_time(w, "last_seen_at", row.last_seen_at);
    write_time(w, "ended_at", row.ended_at);
    w.field("uplink_bytes", row.uplink_bytes);
    w.field("downlink_bytes", row.downlink_bytes);
    w.field("uplink_packets", row.uplink_packets);
    w.field("downlink_packets", row.downlink_packets);
    w.field("ended_by", ended_by_text(row.ended_by));
    write_device_name_members(w, device);
    write_remote_name_members(w, host);
    w.end_object();
}

std::string FlowLogJson::finish() {
    writer_.end_array();
    writer_.end_object();
    return std::move(out_);
}

}  // namespace netmon::web
