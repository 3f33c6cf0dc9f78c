#include "name_queries.h"

#include <algorithm>
#include <map>

namespace netmon::web {
namespace {

constexpr std::string_view mac_of_sql = "SELECT mac FROM lan_addresses WHERE address = ?1";
// lan_addresses_by_mac.
constexpr std::string_view addresses_of_sql = "SELECT address FROM lan_addresses WHERE mac = ?1";
constexpr std::string_view device_name_sql = "SELECT name, source, vendor FROM device_names WHERE device = ?1";
// The primary key, one lookup per address of the device.
constexpr std::string_view answer_sql =
    "SELECT name, answered_at, expires_at FROM remote_names WHERE device = ?1 AND host = ?2";
constexpr std::string_view host_name_sql = "SELECT name FROM host_names WHERE host = ?1";
// The search: the small tables whole (see name_queries.h). LIKE is case-insensitive for ASCII.
constexpr std::string_view all_lan_addresses_sql = "SELECT address, mac FROM lan_addresses";
constexpr std::string_view matching_devices_sql =
    "SELECT device FROM device_names WHERE name LIKE ?1 ESCAPE '\\' OR vendor LIKE ?1 ESCAPE '\\'";
constexpr std::string_view matching_pairs_sql = "SELECT device, host FROM remote_names WHERE name LIKE ?1 ESCAPE '\\'";
constexpr std::string_view matching_hosts_sql = "SELECT host FROM host_names WHERE name LIKE ?1 ESCAPE '\\'";
// What was written from ?2 on (remote_names_by_answered_at, host_names_by_resolved_at): a range
// of an index, a cycle's answers. From, not after: a row written later in the same ms is read.
constexpr std::string_view newer_matching_pairs_sql =
    "SELECT device, host FROM remote_names WHERE answered_at >= ?2 AND name LIKE ?1 ESCAPE '\\'";
constexpr std::string_view newer_matching_hosts_sql =
    "SELECT host FROM host_names WHERE resolved_at >= ?2 AND name LIKE ?1 ESCAPE '\\'";
// The newest of each, from the end of each index.
constexpr std::string_view newest_times_sql =
    "SELECT (SELECT max(answered_at) FROM remote_names), (SELECT max(resolved_at) FROM host_names)";

std::optional<std::string> text_or_none(const Statement& s, int index) {
    if (s.column_is_null(index)) return std::nullopt;
    return s.column_text(index);
}

}  // namespace

std::string Device::id() const {
    if (mac) return mac->to_string();
    return addresses.empty() ? std::string() : addresses.front().to_string();
}

std::string json_strings(const std::vector<std::string>& values) {
    std::string out = "[";
    for (const std::string& value : values) {
        if (out.size() > 1) out += ',';
        append_json_string(out, value);
    }
    return out + "]";
}

NameQueries::NameQueries(const Database& db)
    : mac_of_(db.prepare(mac_of_sql)),
      addresses_of_(db.prepare(addresses_of_sql)),
      device_name_(db.prepare(device_name_sql)),
      answer_(db.prepare(answer_sql)),
      host_name_(db.prepare(host_name_sql)),
      all_lan_addresses_(db.prepare(all_lan_addresses_sql)),
      matching_devices_(db.prepare(matching_devices_sql)),
      matching_pairs_(db.prepare(matching_pairs_sql)),
      matching_hosts_(db.prepare(matching_hosts_sql)),
      newer_matching_pairs_(db.prepare(newer_matching_pairs_sql)),
      newer_matching_hosts_(db.prepare(newer_matching_hosts_sql)),
      newest_times_(db.prepare(newest_times_sql)) {}

std::optional<MacAddress> NameQueries::mac_of(const IpAddress& address) {
    Statement& s = mac_of_;
    s.reset();
    s.bind_blob(1, address.blob());
    std::optional<MacAddress> mac;
    if (s.step()) mac = MacAddress::from_blob(s.column_blob(0));
    s.reset();
    return mac;
}

std::vector<IpAddress> NameQueries::addresses_of(const MacAddress& mac) {
    Statement& s = addresses_of_;
    s.reset();
    s.bind_blob(1, mac.blob());
    std::vector<IpAddress> addresses;
    while (s.step())
        if (auto address = IpAddress::from_blob(s.column_blob(0))) addresses.push_back(*address);
    s.reset();
    std::sort(addresses.begin(), addresses.end());
    return addresses;
}

Device NameQueries::resolve(const DeviceRef& ref) {
    Device device;
    device.mac = ref.mac ? ref.mac : mac_of(ref.address);
    if (device.mac) device.addresses = addresses_of(*device.mac);
    // An address whose row went between the two reads is still its own device.
    if (!ref.mac && std::find(device.addresses.begin(), device.addresses.end(), ref.address) == device.addresses.end())
        device.addresses.insert(std::lower_bound(device.addresses.begin(), device.addresses.end(), ref.address),
                                ref.address);
    device.name = device_name(device.mac, ref.mac ? std::nullopt : std::optional<IpAddress>(ref.address));
    return device;
}

DeviceName NameQueries::device_name(const std::optional<MacAddress>& mac, const std::optional<IpAddress>& address) {
    DeviceName name;
    name.mac = mac;
    Statement& s = device_name_;
    for (std::string_view key : {mac ? mac->blob() : std::string_view(), address ? address->blob() : std::string_view()}) {
        if (key.empty()) continue;
        s.reset();
        s.bind_blob(1, key);
        const bool found = s.step();
        if (found) {
            name.name = text_or_none(s, 0);
            name.source = name.name ? text_or_none(s, 1) : std::nullopt;
            name.vendor = text_or_none(s, 2);
        }
        s.reset();
        if (found) break;
    }
    return name;
}

std::vector<AnswerRow> NameQueries::answers(const std::vector<IpAddress>& devices, const IpAddress& host) {
    std::vector<AnswerRow> rows;
    Statement& s = answer_;
    for (const IpAddress& device : devices) {
        s.reset();
        s.bind_blob(1, device.blob()).bind_blob(2, host.blob());
        if (s.step()) rows.push_back({s.column_text(0), s.column_int(1), s.column_int(2)});
        s.reset();
    }
    return rows;
}

std::optional<std::string> NameQueries::host_name(const IpAddress& host) {
    Statement& s = host_name_;
    s.reset();
    s.bind_blob(1, host.blob());
    std::optional<std::string> name;
    if (s.step()) name = text_or_none(s, 0);
    s.reset();
    return name;
}

NameQueries::RemoteMatches& NameQueries::remote_matches(std::string_view q, std::int64_t now_ms) {
    const std::string pattern = like_pattern(q);
    // The newest times first: what a read after this one must include.
    Statement& t = newest_times_;
    t.reset();
    std::int64_t answered_newest = INT64_MIN, resolved_newest = INT64_MIN;
    if (t.step()) {
        if (!t.column_is_null(0)) answered_newest = t.column_int(0);
        if (!t.column_is_null(1)) resolved_newest = t.column_int(1);
    }
    t.reset();
    auto found = std::find_if(remote_matches_.begin(), remote_matches_.end(),
                              [&](const RemoteMatches& m) { return m.q == q; });
    const bool fresh = found != remote_matches_.end() && now_ms >= found->scanned_at &&
                       now_ms - found->scanned_at < rescan_after_ms;
    if (!fresh) {
        if (found != remote_matches_.end()) remote_matches_.erase(found);
        if (remote_matches_.size() >= max_kept_matches) remote_matches_.erase(remote_matches_.begin());
        found = remote_matches_.insert(remote_matches_.end(), RemoteMatches{std::string(q), now_ms, 0, 0, {}, {}});
    }
    RemoteMatches& m = *found;
    // All rows on a full read, else those written since the last read.
    Statement& p = fresh ? newer_matching_pairs_ : matching_pairs_;
    p.reset();
    p.bind(1, std::string_view(pattern));
    if (fresh) p.bind(2, m.answered_from);
    while (p.step()) m.pairs.emplace_back(p.column_blob(0), p.column_blob(1));
    p.reset();
    Statement& h = fresh ? newer_matching_hosts_ : matching_hosts_;
    h.reset();
    h.bind(1, std::string_view(pattern));
    if (fresh) h.bind(2, m.resolved_from);
    while (h.step()) m.hosts.emplace_back(h.column_blob(0));
    h.reset();
    std::sort(m.pairs.begin(), m.pairs.end());
    m.pairs.erase(std::unique(m.pairs.begin(), m.pairs.end()), m.pairs.end());
    std::sort(m.hosts.begin(), m.hosts.end());
    m.hosts.erase(std::unique(m.hosts.begin(), m.hosts.end()), m.hosts.end());
    m.answered_from = answered_newest;
    m.resolved_from = resolved_newest;
    return m;
}

NameMatches NameQueries::matching(std::string_view q, std::int64_t now_ms, const ReverseLookup& reverse) {
    NameMatches matches;
    if (q.empty()) return matches;
    const std::string pattern = like_pattern(q);
    // Every address's MAC, to give a device's addresses and to match MACs.
    std::map<std::string, std::vector<std::string>> by_mac;  // MAC bytes -> addresses
    std::unordered_map<std::string, std::string> mac_of_address;
    Statement& all = all_lan_addresses_;
    all.reset();
    while (all.step()) {
        auto address = IpAddress::from_blob(all.column_blob(0));
        if (!address || all.column_blob(1).size() != 6) continue;
        const std::string mac(all.column_blob(1));
        by_mac[mac].push_back(address->to_string());
        mac_of_address[std::string(address->blob())] = mac;
    }
    all.reset();
    // The addresses of a device key of device_names (a MAC or an address), or of an address.
    auto add_addresses = [&](std::vector<std::string>& out, std::string_view key) {
        if (key.size() == 6) {
            auto found = by_mac.find(std::string(key));
            if (found != by_mac.end()) out.insert(out.end(), found->second.begin(), found->second.end());
        } else if (auto address = IpAddress::from_blob(key)) {
            auto mac = mac_of_address.find(std::string(key));
            if (mac != mac_of_address.end()) out.insert(out.end(), by_mac[mac->second].begin(), by_mac[mac->second].end());
            else out.push_back(address->to_string());
        }
    };
    for (const auto& [mac, addresses] : by_mac) {
        if (auto parsed = MacAddress::from_blob(mac); parsed && mac_matches(*parsed, q))
            matches.devices.insert(matches.devices.end(), addresses.begin(), addresses.end());
    }
    Statement& d = matching_devices_;
    d.reset();
    d.bind(1, std::string_view(pattern));
    while (d.step()) add_addresses(matches.devices, d.column_blob(0));
    d.reset();
    const RemoteMatches& remote = remote_matches(q, now_ms);
    for (const std::string& blob : remote.hosts)
        if (auto host = IpAddress::from_blob(blob)) matches.hosts.push_back(host->to_string());
    // A reverse name is shown only where no DNS answer named the host: it matches only there.
    if (reverse.matching)
        for (const IpAddress& host : reverse.matching(q))
            if (!host_name(host)) matches.hosts.push_back(host.to_string());
    std::vector<std::string> devices;
    for (const auto& [device_blob, host_blob] : remote.pairs) {
        auto host = IpAddress::from_blob(host_blob);
        if (!host) continue;
        devices.clear();
        add_addresses(devices, device_blob);
        const std::string host_text = host->to_string();
        for (const std::string& device : devices) matches.pairs.push_back(device + " " + host_text);
    }
    for (auto* list : {&matches.devices, &matches.hosts, &matches.pairs}) {
        std::sort(list->begin(), list->end());
        list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    return matches;
}

std::vector<std::vector<std::string>> NameQueries::plans(const Database& db) {
    std::vector<std::vector<std::string>> plans;
    for (std::string_view sql : {mac_of_sql, addresses_of_sql, device_name_sql, answer_sql, host_name_sql,
                                 all_lan_addresses_sql, matching_devices_sql, matching_pairs_sql, matching_hosts_sql,
                                 newer_matching_pairs_sql, newer_matching_hosts_sql, newest_times_sql}) {
        Statement plan = db.prepare("EXPLAIN QUERY PLAN " + std::string(sql));
        std::vector<std::string> lines;
        while (plan.step()) lines.push_back(plan.column_text(3));
        plans.push_back(std::move(lines));
    }
    return plans;
}

NameLookup::NameLookup(NameQueries& queries, ReverseLookup reverse) : queries_(queries), reverse_(std::move(reverse)) {}

const Device& NameLookup::device_of(const IpAddress& address) {
    auto found = devices_.find(address);
    if (found != devices_.end()) return found->second;
    Device device = queries_.resolve(address);
    // Its other addresses are the same device: one lookup for all of them.
    for (const IpAddress& other : device.addresses)
        if (other != address) devices_.emplace(other, device);
    return devices_.emplace(address, std::move(device)).first->second;
}

RemoteName NameLookup::remote(const IpAddress& device_address, const IpAddress& host, std::int64_t first_seen_at) {
    return remote(device_of(device_address), host, first_seen_at);
}

RemoteName NameLookup::remote(const Device& device, const IpAddress& host, std::int64_t first_seen_at) {
    std::string key = device.id();
    key += ' ';
    key += host.blob();
    auto found = answers_.find(key);
    if (found == answers_.end()) found = answers_.emplace(std::move(key), queries_.answers(device.addresses, host)).first;
    RemoteName name = remote_name_of(found->second, first_seen_at, host_name(host));
    add_reverse_name(name, host);
    return name;
}

RemoteName NameLookup::host(const IpAddress& address) {
    RemoteName name = remote_name_of({}, 0, host_name(address));
    add_reverse_name(name, address);
    return name;
}

const std::optional<std::string>& NameLookup::host_name(const IpAddress& host) {
    auto found = hosts_.find(host);
    if (found == hosts_.end()) found = hosts_.emplace(host, queries_.host_name(host)).first;
    return found->second;
}

void NameLookup::add_reverse_name(RemoteName& name, const IpAddress& host) {
    if (name.name || !reverse_) return;
    if (auto reverse = reverse_.name(host)) name = {std::move(*reverse), "ptr"};
}

}  // namespace netmon::web
