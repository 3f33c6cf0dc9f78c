#include "host_page_queries.h"

#include <algorithm>

#include "netmon/counters.h"
#include "netmon/database.h"
#include "netmon/json_writer.h"
#include "netmon/quote.h"
#include "units.h"

namespace netmon::web {
namespace {

constexpr std::string_view device_sql =
    "SELECT first_seen_at, last_seen_at, connections_seen, uplink_bytes, downlink_bytes, active_connections"
    " FROM devices WHERE address = ?1";

// device_hosts_by_host finds the pairs; a LAN has few devices, so the sort is small.
constexpr std::string_view host_devices_sql =
    "SELECT device, first_seen_at, last_seen_at, connections_seen, uplink_bytes, downlink_bytes"
    " FROM device_hosts WHERE host = ?1"
    " ORDER BY uplink_bytes + downlink_bytes DESC, device LIMIT ?2";

// remote_hosts keeps the canonical text (schema/001_initial.sql).
constexpr std::string_view remote_host_sql =
    "SELECT first_seen_at, last_seen_at, connections_seen, uplink_bytes, downlink_bytes"
    " FROM remote_hosts WHERE ip = ?1";

ContactTotals read_totals(const Statement& s, int first) {
    ContactTotals totals;
    totals.first_seen_at = s.column_int(first);
    totals.last_seen_at = s.column_int(first + 1);
    totals.connections_seen = s.column_int(first + 2);
    totals.uplink_bytes = s.column_int(first + 3);
    totals.downlink_bytes = s.column_int(first + 4);
    return totals;
}

void write_time(JsonWriter& w, std::string_view name, std::int64_t unix_ms) {
    w.key(name);
    std::string& out = w.raw_value();
    out += '"';
    append_time(out, unix_ms);
    out += '"';
}

std::int64_t counter(std::int64_t stored) { return stored < 0 ? 0 : stored; }

// The members of a totals row; a missing one reads as never seen, nothing counted.
void write_totals(JsonWriter& w, const ContactTotals* totals) {
    if (totals != nullptr) {
        write_time(w, "first_seen_at", totals->first_seen_at);
        write_time(w, "last_seen_at", totals->last_seen_at);
    } else {
        w.key("first_seen_at");
        w.null();
        w.key("last_seen_at");
        w.null();
    }
    const ContactTotals none;
    const ContactTotals& t = totals != nullptr ? *totals : none;
    w.field("connections_seen", counter(t.connections_seen));
    w.field("uplink_bytes", counter(t.uplink_bytes));
    w.field("downlink_bytes", counter(t.downlink_bytes));
    w.field("total_bytes", saturating_add(counter(t.uplink_bytes), counter(t.downlink_bytes)));
}

}  // namespace

std::optional<IpAddress> parse_address_parameter(const QueryParams& params, std::string_view name, std::string& error) {
    const std::string* value = nullptr;
    for (const auto& [key, text] : params) {
        if (key != name) {
            error = "unknown parameter " + quoted(key, 64) + " (known: " + std::string(name) + ")";
            return std::nullopt;
        }
        if (value != nullptr) {
            error = "parameter " + quoted(key, 64) + " is given more than once";
            return std::nullopt;
        }
        value = &text;
    }
    if (value == nullptr || value->empty()) {
        error = std::string(name) + ": required, an IP address";
        return std::nullopt;
    }
    auto address = IpAddress::parse(*value);
    if (!address) error = std::string(name) + ": " + quoted(*value, 64) + " is not an IP address";
    return address;
}

std::optional<DeviceRef> parse_device_parameter(const QueryParams& params, std::string& error) {
    // A MAC alone is one; anything else is parse_address_parameter's to check, and to refuse.
    if (params.size() == 1 && params[0].first == "device") {
        if (auto mac = MacAddress::parse(params[0].second)) return DeviceRef(*mac);
    }
    auto address = parse_address_parameter(params, "device", error);
    if (!address) return std::nullopt;
    return DeviceRef(*address);
}

namespace {

void add_totals(ContactTotals& sum, const ContactTotals& more) {
    sum.first_seen_at = std::min(sum.first_seen_at, more.first_seen_at);
    sum.last_seen_at = std::max(sum.last_seen_at, more.last_seen_at);
    sum.connections_seen = saturating_add(sum.connections_seen, more.connections_seen);
    sum.uplink_bytes = saturating_add(sum.uplink_bytes, more.uplink_bytes);
    sum.downlink_bytes = saturating_add(sum.downlink_bytes, more.downlink_bytes);
}

void write_addresses(JsonWriter& w, const std::vector<IpAddress>& addresses) {
    w.key("addresses");
    w.begin_array();
    for (const IpAddress& address : addresses) w.value(std::string_view(address.to_string()));
    w.end_array();
}

}  // namespace

std::optional<DeviceRecord> read_device_record(Database& db, const std::vector<IpAddress>& addresses) {
    std::optional<DeviceRecord> sum;
    for (const IpAddress& address : addresses) {
        auto record = read_device_record(db, address);
        if (!record) continue;
        if (!sum) {
            sum = record;
            continue;
        }
        add_totals(sum->totals, record->totals);
        sum->active_connections = saturating_add(sum->active_connections, record->active_connections);
    }
    return sum;
}

void group_host_devices(HostRecord& record, NameLookup& lookup) {
    std::vector<HostDevice> grouped;
    for (HostDevice& d : record.devices) {
        const Device& device = lookup.device_of(d.device);
        auto same = std::find_if(grouped.begin(), grouped.end(),
                                 [&](const HostDevice& g) { return g.names.id() == device.id(); });
        if (same == grouped.end()) {
            d.names = device;
            grouped.push_back(std::move(d));
        } else {
            add_totals(same->totals, d.totals);
            same->device = std::min(same->device, d.device);
        }
    }
    std::stable_sort(grouped.begin(), grouped.end(), [](const HostDevice& a, const HostDevice& b) {
        return saturating_add(a.totals.uplink_bytes, a.totals.downlink_bytes) >
               saturating_add(b.totals.uplink_bytes, b.totals.downlink_bytes);
    });
    record.devices = std::move(grouped);
}

std::optional<DeviceRecord> read_device_record(Database& db, const IpAddress& device) {
    Statement s = db.prepare(device_sql);
    s.bind_blob(1, device.blob());
    if (!s.step()) return std::nullopt;
    DeviceRecord record;
    record.totals = read_totals(s, 0);
    record.active_connections = s.column_int(5);
    return record;
}

HostRecord read_host_record(Database& db, const IpAddress& host) {
    HostRecord record;
    Statement remote = db.prepare(remote_host_sql);
    remote.bind(1, std::string_view(host.to_string()));
    if (remote.step()) record.host = read_totals(remote, 0);
    Statement devices = db.prepare(host_devices_sql);
    devices.bind_blob(1, host.blob());
    devices.bind(2, static_cast<std::int64_t>(max_host_devices));
    while (devices.step()) {
        // A blob that is no address (not 4 or 16 bytes) is not the ingest's: left out.
        auto device = IpAddress::from_blob(devices.column_blob(0));
        if (device) record.devices.push_back({*device, read_totals(devices, 1), {}});
    }
    return record;
}

std::string device_record_json(const IpAddress& device, const std::optional<DeviceRecord>& record) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.field("device", std::string_view(device.to_string()));
    write_totals(w, record ? &record->totals : nullptr);
    w.field("active_connections", record ? counter(record->active_connections) : 0);
    w.end_object();
    return out;
}

std::string device_record_json(const DeviceRef& asked, const Device& device, const std::optional<DeviceRecord>& record) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.field("device", std::string_view(asked.to_string()));
    write_addresses(w, device.addresses);
    write_device_name_members(w, device.name);
    write_totals(w, record ? &record->totals : nullptr);
    w.field("active_connections", record ? counter(record->active_connections) : 0);
    w.end_object();
    return out;
}

std::string host_record_json(const IpAddress& host, const HostRecord& record) {
    // The host's own row (its totals since the first release, ended flows included) when it
    // has one; first and last contact also from its devices' rows, so that a host whose
    // remote_hosts row is gone (or never written) still has them.
    std::optional<ContactTotals> totals = record.host;
    for (const HostDevice& d : record.devices) {
        const ContactTotals& t = d.totals;
        if (!totals) {
            totals = t;
            continue;
        }
        if (!record.host) {
            totals->connections_seen = saturating_add(totals->connections_seen, t.connections_seen);
            totals->uplink_bytes = saturating_add(totals->uplink_bytes, t.uplink_bytes);
            totals->downlink_bytes = saturating_add(totals->downlink_bytes, t.downlink_bytes);
        }
        totals->first_seen_at = std::min(totals->first_seen_at, t.first_seen_at);
        totals->last_seen_at = std::max(totals->last_seen_at, t.last_seen_at);
    }
    std::string out;
    out.reserve(256 + record.devices.size() * 220);
    JsonWriter w(out);
    w.begin_object();
    w.field("host", std::string_view(host.to_string()));
    write_remote_name_members(w, record.remote_name);
    write_totals(w, totals ? &*totals : nullptr);
    w.key("devices");
    w.begin_array();
    for (const HostDevice& d : record.devices) {
        w.begin_object();
        // Grouped (group_host_devices): the lowest of its addresses that talked to the host.
        const bool named = !d.names.addresses.empty();
        w.field("device", std::string_view(d.device.to_string()));
        write_totals(w, &d.totals);
        write_addresses(w, named ? d.names.addresses : std::vector<IpAddress>{d.device});
        write_device_name_members(w, d.names.name);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
}

}  // namespace netmon::web
