#pragma once
// The names tables as netmon-web reads them (schema/006_names.sql): primary-key lookups of one
// device's MAC, addresses and name and of one pair's answers, for the rows a response shows,
// and the filter box's search of names. The names tables are small (device_names: a LAN's
// devices; remote_names and host_names: at most 200,000 rows each, the ingest's cap), so a
// search reads them whole; the flows it selects are then found through the existing indexes.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "names.h"
#include "netmon/database.h"

namespace netmon::web {

// A device as people read it: its MAC when the ingest learnt one, all of that MAC's addresses
// (or just its own address), and its name.
struct Device {
    std::optional<MacAddress> mac;
    std::vector<IpAddress> addresses;  // sorted; empty for a MAC nobody knows
    DeviceName name;

    // What device= takes back: the MAC's text, else the address's.
    std::string id() const;
};

// Reverse (PTR) names, from netmon-web's ReverseDns cache (reverse_dns.h), answered at once
// from memory. Empty (names.ptr off): none.
struct ReverseLookup {
    // The name of a host, or nothing (not known yet, or none).
    std::function<std::optional<std::string>(const IpAddress&)> name;
    // The hosts whose known name holds q (name_matches), for the filter box.
    std::function<std::vector<IpAddress>(std::string_view q)> matching;
    explicit operator bool() const { return static_cast<bool>(name); }
};

// What q matches among names: the devices whose name, vendor or MAC holds it (every address of
// each), the hosts whose latest name holds it, and the pairs whose answer does (each as
// "device host", for every address of the device). Text in the form of connections' columns.
struct NameMatches {
    std::vector<std::string> devices;
    std::vector<std::string> hosts;
    std::vector<std::string> pairs;
    bool empty() const { return devices.empty() && hosts.empty() && pairs.empty(); }
};

// A JSON array of strings (for json_each).
std::string json_strings(const std::vector<std::string>& values);

class NameQueries {
public:
    // Prepares the statements on db (schema version 6 or later). Throws DatabaseError.
    explicit NameQueries(const Database& db);

    std::optional<MacAddress> mac_of(const IpAddress& address);
    // Every address of mac, sorted.
    std::vector<IpAddress> addresses_of(const MacAddress& mac);
    // The device ref names: a MAC's (its addresses; none when nobody knows it), or an
    // address's, which is its MAC's device when the MAC is known.
    Device resolve(const DeviceRef& ref);
    // The device's row of device_names: by its MAC, else by its address.
    DeviceName device_name(const std::optional<MacAddress>& mac, const std::optional<IpAddress>& address);
    // The answers to any of devices for host.
    std::vector<AnswerRow> answers(const std::vector<IpAddress>& devices, const IpAddress& host);
    // The host's latest name from any device's answer.
    std::optional<std::string> host_name(const IpAddress& host);
    // What q matches. The remote names' part is kept for q: a later call reads only the answers
    // and host names written since (through their time indexes), and all of them again once
    // rescan_after_ms have passed, so that a pruned or renamed row stops matching by then.
    // Hosts no DNS answer named match by their reverse name too.
    NameMatches matching(std::string_view q, std::int64_t now_ms, const ReverseLookup& reverse = {});
    static constexpr std::int64_t rescan_after_ms = 60'000;

    // SQLite's plans of every statement, for the test that none reads a big table whole.
    static std::vector<std::vector<std::string>> plans(const Database& db);

private:
    Statement mac_of_;
    Statement addresses_of_;
    Statement device_name_;
    Statement answer_;
    Statement host_name_;
    Statement all_lan_addresses_;
    Statement matching_devices_;
    Statement matching_pairs_;
    Statement matching_hosts_;
    Statement newer_matching_pairs_;
    Statement newer_matching_hosts_;
    Statement newest_times_;
    // The remote names q matched, as stored (addresses' bytes).
    struct RemoteMatches {
        std::string q;
        std::int64_t scanned_at = 0;   // the last full read
        std::int64_t answered_from = 0;  // what a read since must include: the newest times seen
        std::int64_t resolved_from = 0;
        std::vector<std::pair<std::string, std::string>> pairs;  // (device, host)
        std::vector<std::string> hosts;
    };
    RemoteMatches& remote_matches(std::string_view q, std::int64_t now_ms);
    std::vector<RemoteMatches> remote_matches_;  // the last few q, at most max_kept_matches
    static constexpr std::size_t max_kept_matches = 4;
};

// The names of one response, each device and pair looked up once however many rows show it.
// Not thread-safe; lives as long as the response it makes.
class NameLookup {
public:
    explicit NameLookup(NameQueries& queries, ReverseLookup reverse = {});
    // The device address belongs to. The reference holds while this lookup lives.
    const Device& device_of(const IpAddress& address);
    // The remote name of a flow (or pair) of the device of device_address to host, whose
    // contact began at first_seen_at.
    RemoteName remote(const IpAddress& device_address, const IpAddress& host, std::int64_t first_seen_at);
    // The same for a device given whole (its addresses).
    RemoteName remote(const Device& device, const IpAddress& host, std::int64_t first_seen_at);
    // A host's name without a device (/hosts.json, the host page).
    RemoteName host(const IpAddress& host);

private:
    const std::optional<std::string>& host_name(const IpAddress& host);
    // The one place a name no DNS answer gave comes from the reverse lookups: source "ptr".
    void add_reverse_name(RemoteName& name, const IpAddress& host);

    NameQueries& queries_;
    ReverseLookup reverse_;
    std::unordered_map<IpAddress, Device, IpAddressHash> devices_;
    std::unordered_map<std::string, std::vector<AnswerRow>> answers_;  // by device id, ' ', host's bytes
    std::unordered_map<IpAddress, std::optional<std::string>, IpAddressHash> hosts_;
};

}  // namespace netmon::web
