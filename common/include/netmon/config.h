#pragma once
// netmon.yml and the environment variables that override it.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/address.h"
#include "netmon/mac.h"

namespace netmon {

// A bad setting. what() is one line naming the file (or variable), the key and the bad value:
//   netmon.yml: local_subnets[1]: "10.0.0.0/33" is not a CIDR
class ConfigError : public std::runtime_error {
public:
    // Control characters in message (from a key, a value or YAML's own messages, which quote
    // the bad character) become '?', so that what() stays one line of the log.
    explicit ConfigError(std::string_view message);
};

// Where the collector reads conntrack from (see netmon.yml).
enum class SourceKind { automatic, netlink, proc, file };

// An address and port to listen on: "10.0.0.1:8080" or "[fd00::1]:8080". No host names: the
// web binds to one address of this host.
struct ListenAddress {
    IpAddress address;
    std::uint16_t port = 0;

    static std::optional<ListenAddress> parse(std::string_view text);
    std::string to_string() const;
    bool is_wildcard() const;  // 0.0.0.0 or ::
};

struct WebAuth {
    std::string user;
    std::string password_hash;  // crypt(3) form: "$6$salt$..." (mkpasswd, openssl passwd -6)
};

// How long netmon remembers remote hosts (retention.*): the ingest forgets, in small steps,
// hosts without contact for longer than remote_hosts_days, and past remote_hosts_max rows those
// longest without contact. A host with an active connection is never forgotten.
// How long the history is kept (schema/004_history.sql): traffic per minute, hour and day, and
// the log of ended flows, by age, and the log by row count too (the oldest go first). 0 keeps
// none of it: all five 0 turn history off. Pruned in small steps (collector/retention.h).
struct Retention {
    std::int64_t remote_hosts_days = 90;
    std::uint64_t remote_hosts_max = 200'000;
    std::int64_t traffic_per_minute_hours = 48;
    std::int64_t traffic_per_hour_days = 90;
    std::int64_t traffic_per_day_days = 730;
    // Each (device, remote host) pair's traffic (host_traffic): nearly all of the history's rows,
    // so kept shorter than the devices' and the LAN's, and capped.
    std::int64_t host_traffic_per_minute_hours = 24;
    std::int64_t host_traffic_per_hour_days = 7;
    std::int64_t host_traffic_per_day_days = 90;
    std::uint64_t host_traffic_max_rows = 12'000'000;
    std::uint64_t device_hosts_max = 2'000'000;  // pairs with their first and last contact
    std::int64_t flow_log_days = 7;
    std::uint64_t flow_log_max_rows = 2'000'000;

    bool keeps_history() const {
        return traffic_per_minute_hours > 0 || traffic_per_hour_days > 0 || traffic_per_day_days > 0 ||
               keeps_host_traffic() || keeps_flow_log();
    }
    bool keeps_host_traffic() const {
        return host_traffic_max_rows > 0 &&
               (host_traffic_per_minute_hours > 0 || host_traffic_per_hour_days > 0 || host_traffic_per_day_days > 0);
    }
    // The pairs' retentions in effect: none when the pairs keep no rows at all.
    std::int64_t host_minute_hours() const { return keeps_host_traffic() ? host_traffic_per_minute_hours : 0; }
    std::int64_t host_hour_days() const { return keeps_host_traffic() ? host_traffic_per_hour_days : 0; }
    std::int64_t host_day_days() const { return keeps_host_traffic() ? host_traffic_per_day_days : 0; }
    bool keeps_flow_log() const { return flow_log_days > 0 && flow_log_max_rows > 0; }
};

// Where device and remote names come from (names.* in netmon.yml; docs/ARCHITECTURE.md, "Names").
enum class LeaseFormat { detect, dnsmasq, isc, kea, odhcpd };
std::string_view lease_format_name(LeaseFormat format);  // "detect", "dnsmasq", "isc", "kea", "odhcpd"

struct LeaseFile {
    std::string path;
    LeaseFormat format = LeaseFormat::detect;
    friend bool operator==(const LeaseFile&, const LeaseFile&) = default;
};

// The lease files read when names.dhcp_leases is not set, those that exist: dnsmasq (Debian's
// and OpenWrt's paths), ISC dhcpd, Kea (IPv4 and IPv6) and odhcpd.
std::vector<LeaseFile> default_lease_files();

// How the DNS answers the LAN's devices get are observed (names.dns.ruleset):
//   managed   netmon-ingest adds `table inet netmon` (log group N) at start, removes it at stop;
//   external  the admin's ruleset has the rule (deploy/nftables/netmon-dns.nft); only NFLOG is read;
//   off       no DNS names.
enum class DnsRuleset { managed, external, off };

struct Names {
    // names.devices: the admin's names, by MAC or by address. First match wins over everything.
    std::vector<std::pair<MacAddress, std::string>> device_by_mac;
    std::vector<std::pair<IpAddress, std::string>> device_by_address;
    // names.dhcp_leases. When not set (dhcp_leases_given false): default_lease_files(), those
    // that exist, without a warning for the others.
    std::vector<LeaseFile> dhcp_leases = default_lease_files();
    bool dhcp_leases_given = false;
    std::string oui_file = "/usr/share/ieee-data/oui.txt";  // names.oui_file; "" turns vendors off
    DnsRuleset dns_ruleset = DnsRuleset::managed;          // names.dns.ruleset
    std::uint16_t dns_nflog_group = 5;                     // names.dns.nflog_group, 1 to 65535
    std::int64_t dns_grace_seconds = 300;                  // names.dns.grace: added to an answer's TTL
    std::uint64_t dns_max_names = 100'000;                 // names.dns.max_names: the in-memory LRU
    bool ptr = true;                                       // names.ptr: reverse DNS for unnamed hosts
};

// A device or remote name as netmon.yml may give it: 1 to 64 bytes of printable UTF-8.
inline constexpr std::size_t max_name_length = 64;

struct Config {
    std::vector<Cidr> local_subnets{*Cidr::parse("10.0.0.0/24")};
    std::vector<std::string> monitor_interfaces{"enp2s0", "enp3s0"};
    std::string lan_interface = "enp3s0";
    std::string wan_interface = "enp2s0";
    double interval = 1.0;  // seconds between ingest cycles
    std::string database = "/var/lib/netmon/netmon.db";
    SourceKind source = SourceKind::automatic;
    std::string input_file;        // CONNTRACK_INPUT_FILE: replay this text file
    std::uint64_t event_buffer = 8 << 20;  // netlink.event_buffer: bytes for queued events
    Retention retention;
    ListenAddress web_listen{IpAddress::v4(10, 0, 0, 1), 8080};
    std::vector<std::string> web_hostnames;  // the names that may reach the dashboard (Host:)
    std::optional<WebAuth> web_auth;
    Names names;
    std::string path;  // the file this came from; empty for built-in defaults
};

// Looks up an environment variable; returns nullptr when unset. Tests pass their own.
using Environment = std::function<const char*(const char*)>;
Environment process_environment();

// Parses YAML text; label names the file in errors. Keys absent from the text keep their
// defaults; unknown keys are errors (a typo must not silently fall back to a default).
// Throws ConfigError.
Config parse_config(std::string_view yaml_text, std::string_view label);

// Applies CONNTRACK_INPUT_FILE, NETMON_INTERFACES, NETMON_LOCAL_SUBNETS and NETMON_DB.
// Throws ConfigError naming the variable.
void apply_environment(Config& config, const Environment& environment);

// The file to read: the --config argument if given, else $NETMON_CONFIG, else
// /etc/netmon/netmon.yml or ./config/netmon.yml when one exists, else none (built-in defaults).
std::string config_path(std::string_view flag_value, const Environment& environment);

// config_path + reading + parse_config + apply_environment. An explicitly named file that
// cannot be read is an error. Throws ConfigError.
Config load_config(std::string_view flag_value, const Environment& environment);

// A network interface name the kernel would accept: 1 to 15 characters, no '/', no spaces.
// It becomes part of /sys/class/net/<name>/, so this check is what keeps that path safe.
bool valid_interface_name(std::string_view name);

// The ingest's cycle interval, in seconds, as netmon.yml (interval:) and --interval accept it.
inline constexpr double min_interval_seconds = 0.05;
inline constexpr double max_interval_seconds = 3600;
// What a bad interval is told, after its quoted text.
inline constexpr std::string_view interval_rule = "is not a number of seconds between 0.05 and 3600";
// text as a number of seconds from min_interval_seconds to max_interval_seconds, or nothing.
std::optional<double> parse_interval(std::string_view text);

}  // namespace netmon
