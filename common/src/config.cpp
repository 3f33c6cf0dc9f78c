#include "netmon/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <unistd.h>

#include "netmon/quote.h"
#include "netmon/utf8.h"

namespace netmon {
namespace {

constexpr std::int64_t max_retention_days = 36'500;
constexpr std::uint64_t max_history_rows = 1'000'000'000;  // a row cap of retention.*
constexpr std::uint64_t min_remote_hosts = 100;
constexpr std::uint64_t max_remote_hosts = 100'000'000;

// Builds "label: key: message" errors.
class Reader {
public:
    explicit Reader(std::string_view label) : label_(label) {}

    [[noreturn]] void fail(std::string_view key, std::string_view message) const {
        std::string where = key.empty() ? "" : std::string(key) + ": ";
        throw ConfigError(label_ + ": " + where + std::string(message));
    }

    std::string scalar(const YAML::Node& node, std::string_view key) const {
        if (!node.IsScalar()) fail(key, "must be a single value");
        return node.Scalar();
    }

    std::vector<std::string> list(const YAML::Node& node, std::string_view key) const {
        if (node.IsScalar()) return {node.Scalar()};  // "local_subnets: 10.0.0.0/24" is one item
        if (!node.IsSequence()) fail(key, "must be a list");
        std::vector<std::string> items;
        for (std::size_t i = 0; i < node.size(); ++i)
            items.push_back(scalar(node[i], std::string(key) + "[" + std::to_string(i) + "]"));
        return items;
    }

    void only_keys(const YAML::Node& map, std::string_view where,
                   std::initializer_list<std::string_view> known) const {
        if (!map.IsMap()) fail(where, "must be a mapping of keys to values");
        for (const auto& item : map) {
            std::string name = item.first.Scalar();
            bool ok = false;
            for (auto k : known) ok = ok || k == name;
            if (!ok) {
                std::string full = where.empty() ? name : std::string(where) + "." + name;
                throw ConfigError(label_ + ": " + full + ": unknown setting");
            }
        }
    }

private:
    std::string label_;
};

// A DNS name as people type it: labels of letters, digits and '-', dots between, a dot at the
// end allowed; not an address.
bool is_host_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || ++label > 63) return false;
    }
    return label > 0 && !IpAddress::parse(name);
}

std::vector<Cidr> parse_subnets(const std::vector<std::string>& items, const Reader& reader,
                                std::string_view key, bool indexed) {
    if (items.empty()) reader.fail(key, "must list at least one subnet");
    std::vector<Cidr> subnets;
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto cidr = Cidr::parse(items[i]);
        std::string where = indexed ? std::string(key) + "[" + std::to_string(i) + "]" : std::string(key);
        if (!cidr) reader.fail(where, quoted(items[i]) + " is not a CIDR");
        subnets.push_back(*cidr);
    }
    return subnets;
}

std::vector<std::string> check_interfaces(std::vector<std::string> names, const Reader& reader,
                                          std::string_view key, bool indexed) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!valid_interface_name(names[i])) {
            std::string where = indexed ? std::string(key) + "[" + std::to_string(i) + "]" : std::string(key);
            reader.fail(where, quoted(names[i]) + " is not an interface name");
        }
    }
    return names;
}

// A whole decimal number from first to last, or nothing.
template <class T>
std::optional<T> whole_number(const std::string& text, T first, T last) {
    T value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < first || value > last)
        return std::nullopt;
    return value;
}

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        start = end + 1;
    }
    return items;
}

const char* nonempty(const Environment& environment, const char* name) {
    const char* value = environment(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

}  // namespace

ConfigError::ConfigError(std::string_view message) : std::runtime_error(one_line(message)) {}

std::optional<double> parse_interval(std::string_view text) {
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
        value < min_interval_seconds || value > max_interval_seconds)
        return std::nullopt;
    return value;
}

std::optional<ListenAddress> ListenAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
    }
    auto address = IpAddress::parse(host);
    unsigned number = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (!address || port.empty() || error != std::errc{} || end != port.data() + port.size() ||
        number == 0 || number > 65535)
        return std::nullopt;
    return ListenAddress{*address, static_cast<std::uint16_t>(number)};
}

std::string ListenAddress::to_string() const {
    if (address.family == Family::v6) return "[" + address.to_string() + "]:" + std::to_string(port);
    return address.to_string() + ":" + std::to_string(port);
}

bool ListenAddress::is_wildcard() const {
    return address == IpAddress{address.family, {}};
}

bool valid_interface_name(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
    for (char c : name) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == '/' || c == ':') return false;
    }
    return true;
}

namespace {

// The sections of netmon.yml, each given its node (present) and the config to fill.
void parse_interfaces(const YAML::Node& node, const Reader& reader, Config& config) {
    reader.only_keys(node, "interfaces", {"lan", "wan"});
    if (const YAML::Node lan = node["lan"])
        config.lan_interface = check_interfaces({reader.scalar(lan, "interfaces.lan")}, reader,
                                                "interfaces.lan", false)[0];
    if (const YAML::Node wan = node["wan"])
        config.wan_interface = check_interfaces({reader.scalar(wan, "interfaces.wan")}, reader,
                                                "interfaces.wan", false)[0];
}

void parse_retention(const YAML::Node& retention, const Reader& reader, Config& config) {
    reader.only_keys(retention, "retention",
                     {"remote_hosts_days", "remote_hosts_max", "traffic_per_minute_hours", "traffic_per_hour_days",
                      "traffic_per_day_days", "host_traffic_per_minute_hours", "host_traffic_per_hour_days",
                      "host_traffic_per_day_days", "host_traffic_max_rows", "device_hosts_max", "flow_log_days",
                      "flow_log_max_rows"});
    // A whole number from low to high, or a one-line error naming the key and what it counts.
    auto read = [&](std::string_view key, auto low, auto high, std::string_view rule, auto& out) {
        const YAML::Node node = retention[std::string(key)];
        if (!node) return;
        const std::string name = "retention." + std::string(key);
        std::string text = reader.scalar(node, name);
        auto value = whole_number<std::remove_reference_t<decltype(out)>>(text, low, high);
        if (!value)
            reader.fail(name, quoted(text) + " is not a " + std::string(rule) + " between " + std::to_string(low) +
                                  " and " + std::to_string(high));
        out = *value;
    };
    Retention& r = config.retention;
    read("remote_hosts_days", std::int64_t{1}, max_retention_days, "whole number of days", r.remote_hosts_days);
    read("remote_hosts_max", min_remote_hosts, max_remote_hosts, "number of hosts", r.remote_hosts_max);
    read("traffic_per_minute_hours", std::int64_t{0}, max_retention_days * 24, "whole number of hours",
         r.traffic_per_minute_hours);
    read("traffic_per_hour_days", std::int64_t{0}, max_retention_days, "whole number of days", r.traffic_per_hour_days);
    read("traffic_per_day_days", std::int64_t{0}, max_retention_days, "whole number of days", r.traffic_per_day_days);
    read("host_traffic_per_minute_hours", std::int64_t{0}, max_retention_days * 24, "whole number of hours",
         r.host_traffic_per_minute_hours);
    read("host_traffic_per_hour_days", std::int64_t{0}, max_retention_days, "whole number of days",
         r.host_traffic_per_hour_days);
    read("host_traffic_per_day_days", std::int64_t{0}, max_retention_days, "whole number of days",
         r.host_traffic_per_day_days);
    read("host_traffic_max_rows", std::uint64_t{0}, max_history_rows, "number of rows", r.host_traffic_max_rows);
    read("device_hosts_max", std::uint64_t{0}, max_history_rows, "number of rows", r.device_hosts_max);
    read("flow_log_days", std::int64_t{0}, max_retention_days, "whole number of days", r.flow_log_days);
    read("flow_log_max_rows", std::uint64_t{0}, max_history_rows, "number of rows", r.flow_log_max_rows);
}

void parse_web(const YAML::Node& web, const Reader& reader, Config& config) {
    reader.only_keys(web, "web", {"listen", "hostnames", "auth"});
    if (const YAML::Node node = web["hostnames"]; node && !node.IsNull()) {
        for (const std::string& name : reader.list(node, "web.hostnames")) {
            if (!is_host_name(name))
                reader.fail("web.hostnames", quoted(name) + " is not a host name (letters, digits, '-' and '.')");
            config.web_hostnames.push_back(name);
        }
    }
    if (const YAML::Node node = web["listen"]) {
        std::string text = reader.scalar(node, "web.listen");
        auto listen = ListenAddress::parse(text);
        if (!listen) reader.fail("web.listen", quoted(text) + " is not an address:port");
        config.web_listen = *listen;
    }
    if (const YAML::Node auth = web["auth"]; auth && !auth.IsNull()) {
        reader.only_keys(auth, "web.auth", {"user", "password_hash"});
        WebAuth value;
        if (auth["user"]) value.user = reader.scalar(auth["user"], "web.auth.user");
        if (auth["password_hash"])
            value.password_hash = reader.scalar(auth["password_hash"], "web.auth.password_hash");
        if (value.user.empty() || value.user.find(':') != std::string::npos)
            reader.fail("web.auth.user", quoted(value.user) + " is not a user name");
        if (value.password_hash.size() < 4 || value.password_hash.front() != '$')
            reader.fail("web.auth.password_hash",
                        "is not a crypt(3) hash; make one with: mkpasswd -m yescrypt");
        config.web_auth = value;
    }
}

// names: where device and remote names come from.
LeaseFile parse_lease_file(const YAML::Node& node, const Reader& reader, const std::string& where) {
    LeaseFile file;
    if (node.IsScalar()) {
        file.path = node.Scalar();
    } else {
        reader.only_keys(node, where, {"path", "format"});
        if (!node["path"]) reader.fail(where, "needs a path");
        file.path = reader.scalar(node["path"], where + ".path");
        if (const YAML::Node format = node["format"]) {
            std::string text = reader.scalar(format, where + ".format");
            bool known = false;
            for (LeaseFormat f : {LeaseFormat::detect, LeaseFormat::dnsmasq, LeaseFormat::isc, LeaseFormat::kea,
                                  LeaseFormat::odhcpd}) {
                if (text == lease_format_name(f)) {
                    file.format = f;
                    known = true;
                }
            }
            if (!known) reader.fail(where + ".format", quoted(text) + " is not one of detect, dnsmasq, isc, kea, odhcpd");
        }
    }
    if (file.path.empty() || file.path.front() != '/') reader.fail(where, quoted(file.path) + " is not an absolute path");
    return file;
}

std::string checked_name(const YAML::Node& node, const Reader& reader, const std::string& where) {
    std::string name = reader.scalar(node, where);
    if (name.empty() || name.size() > max_name_length || !is_printable_utf8(name, false))
        reader.fail(where, quoted(name) + " is not a name (1 to " + std::to_string(max_name_length) +
                               " bytes of printable UTF-8)");
    return name;
}

void parse_names(const YAML::Node& names, const Reader& reader, Config& config) {
    reader.only_keys(names, "names", {"devices", "dhcp_leases", "oui_file", "dns", "ptr"});
    Names& n = config.names;
    if (const YAML::Node devices = names["devices"]; devices && !devices.IsNull()) {
        if (!devices.IsMap()) reader.fail("names.devices", "must be a mapping of MAC or address to name");
        for (const auto& item : devices) {
            const std::string key = item.first.Scalar();
            const std::string where = "names.devices." + key;
            std::string name = checked_name(item.second, reader, where);
            if (auto mac = MacAddress::parse(key)) n.device_by_mac.emplace_back(*mac, std::move(name));
            else if (auto address = IpAddress::parse(key)) n.device_by_address.emplace_back(*address, std::move(name));
            else reader.fail("names.devices", quoted(key) + " is not a MAC (aa:bb:cc:dd:ee:ff) or an address");
        }
    }
    if (const YAML::Node leases = names["dhcp_leases"]) {
        n.dhcp_leases.clear();
        n.dhcp_leases_given = true;
        if (leases.IsNull()) {
            // an empty list: no lease files
        } else if (leases.IsScalar()) {
            n.dhcp_leases.push_back(parse_lease_file(leases, reader, "names.dhcp_leases"));
        } else {
            if (!leases.IsSequence()) reader.fail("names.dhcp_leases", "must be a list of paths or {path, format}");
            for (std::size_t i = 0; i < leases.size(); ++i)
                n.dhcp_leases.push_back(
                    parse_lease_file(leases[i], reader, "names.dhcp_leases[" + std::to_string(i) + "]"));
        }
    }
    if (const YAML::Node node = names["oui_file"]) {
        n.oui_file = node.IsNull() ? std::string() : reader.scalar(node, "names.oui_file");
        if (!n.oui_file.empty() && n.oui_file.front() != '/')
            reader.fail("names.oui_file", quoted(n.oui_file) + " is not an absolute path");
    }
    if (const YAML::Node dns = names["dns"]) {
        reader.only_keys(dns, "names.dns", {"ruleset", "nflog_group", "grace", "max_names"});
        if (const YAML::Node node = dns["ruleset"]) {
            std::string text = reader.scalar(node, "names.dns.ruleset");
            if (text == "managed") n.dns_ruleset = DnsRuleset::managed;
            else if (text == "external") n.dns_ruleset = DnsRuleset::external;
            else if (text == "off") n.dns_ruleset = DnsRuleset::off;
            else reader.fail("names.dns.ruleset", quoted(text) + " is not one of managed, external, off");
        }
        if (const YAML::Node node = dns["nflog_group"]) {
            std::string text = reader.scalar(node, "names.dns.nflog_group");
            auto value = whole_number<std::uint32_t>(text, 1, 65535);
            if (!value) reader.fail("names.dns.nflog_group", quoted(text) + " is not a group from 1 to 65535");
            n.dns_nflog_group = static_cast<std::uint16_t>(*value);
        }
        if (const YAML::Node node = dns["grace"]) {
            std::string text = reader.scalar(node, "names.dns.grace");
            auto value = whole_number<std::int64_t>(text, 0, 86'400);
            if (!value) reader.fail("names.dns.grace", quoted(text) + " is not a whole number of seconds from 0 to 86400");
            n.dns_grace_seconds = *value;
        }
        if (const YAML::Node node = dns["max_names"]) {
            std::string text = reader.scalar(node, "names.dns.max_names");
            auto value = whole_number<std::uint64_t>(text, 100, 10'000'000);
            if (!value) reader.fail("names.dns.max_names", quoted(text) + " is not a number from 100 to 10000000");
            n.dns_max_names = *value;
        }
    }
    if (const YAML::Node node = names["ptr"]) {
        std::string text = reader.scalar(node, "names.ptr");
        if (text == "true" || text == "yes" || text == "on") n.ptr = true;
        else if (text == "false" || text == "no" || text == "off") n.ptr = false;
        else reader.fail("names.ptr", quoted(text) + " is not true or false");
    }
}

// interval, database, source and netlink: how the ingest reads and where it writes.
void parse_ingest_keys(const YAML::Node& root, const Reader& reader, Config& config) {
    if (const YAML::Node node = root["interval"]) {
        std::string text = reader.scalar(node, "interval");
        auto value = parse_interval(text);
        if (!value) reader.fail("interval", quoted(text) + " " + std::string(interval_rule));
        config.interval = *value;
    }
    if (const YAML::Node node = root["database"]) {
        config.database = reader.scalar(node, "database");
        if (config.database.empty()) reader.fail("database", "must be a file path");
    }
    if (const YAML::Node node = root["source"]) {
        std::string text = reader.scalar(node, "source");
        if (text == "auto") config.source = SourceKind::automatic;
        else if (text == "netlink") config.source = SourceKind::netlink;
        else if (text == "proc") config.source = SourceKind::proc;
        else if (text == "file") config.source = SourceKind::file;
        else reader.fail("source", quoted(text) + " is not one of auto, netlink, proc, file");
    }
    if (const YAML::Node netlink = root["netlink"]) {
        reader.only_keys(netlink, "netlink", {"event_buffer"});
        if (const YAML::Node node = netlink["event_buffer"]) {
            std::string text = reader.scalar(node, "netlink.event_buffer");
            std::uint64_t value = 0;
            auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc{} || end != text.data() + text.size() || value < (64u << 10) ||
                value > (1u << 30))
                reader.fail("netlink.event_buffer", quoted(text) + " is not a number of bytes between 65536 and 1073741824");
            config.event_buffer = value;
        }
    }
}

}  // namespace

Config parse_config(std::string_view yaml_text, std::string_view label) {
    Reader reader(label);
    YAML::Node loaded;
    try {
        loaded = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
        throw ConfigError(std::string(label) + ": line " + std::to_string(e.mark.line + 1) + ": " +
                          e.msg);
    }
    // Only const nodes: operator[] on a mutable one would insert what it looks up.
    const YAML::Node root = loaded;
    Config config;
    config.path = label;
    if (root.IsNull()) return config;  // an empty file: all defaults
    reader.only_keys(root, "", {"local_subnets", "monitor_interfaces", "interfaces", "interval",
                                "database", "source", "netlink", "retention", "web", "names"});
    try {
        if (const YAML::Node node = root["local_subnets"])
            config.local_subnets = parse_subnets(reader.list(node, "local_subnets"), reader, "local_subnets", true);
        if (const YAML::Node node = root["monitor_interfaces"])
            config.monitor_interfaces = check_interfaces(reader.list(node, "monitor_interfaces"), reader,
                                                         "monitor_interfaces", true);
        if (const YAML::Node node = root["interfaces"]) parse_interfaces(node, reader, config);
        parse_ingest_keys(root, reader, config);
        if (const YAML::Node node = root["retention"]) parse_retention(node, reader, config);
        if (const YAML::Node node = root["web"]) parse_web(node, reader, config);
        if (const YAML::Node node = root["names"]) parse_names(node, reader, config);
    } catch (const YAML::Exception& e) {
        throw ConfigError(std::string(label) + ": line " + std::to_string(e.mark.line + 1) + ": " +
                          e.msg);
    }
    return config;
}

void apply_environment(Config& config, const Environment& environment) {
    if (const char* value = nonempty(environment, "CONNTRACK_INPUT_FILE")) config.input_file = value;
    if (const char* value = nonempty(environment, "NETMON_INTERFACES")) {
        Reader reader("environment");
        auto names = split_commas(value);
        if (names.empty()) reader.fail("NETMON_INTERFACES", quoted(value) + " lists no interface");
        config.monitor_interfaces = check_interfaces(names, reader, "NETMON_INTERFACES", false);
    }
    if (const char* value = nonempty(environment, "NETMON_LOCAL_SUBNETS")) {
        Reader reader("environment");
        config.local_subnets = parse_subnets(split_commas(value), reader, "NETMON_LOCAL_SUBNETS", false);
    }
    if (const char* value = nonempty(environment, "NETMON_DB")) config.database = value;
}

Environment process_environment() {
    return [](const char* name) { return std::getenv(name); };
}

std::string config_path(std::string_view flag_value, const Environment& environment) {
    if (!flag_value.empty()) return std::string(flag_value);
    if (const char* value = nonempty(environment, "NETMON_CONFIG")) return value;
    for (const char* candidate : {"/etc/netmon/netmon.yml", "config/netmon.yml"})
        if (access(candidate, F_OK) == 0) return candidate;
    return {};
}

Config load_config(std::string_view flag_value, const Environment& environment) {
    std::string path = config_path(flag_value, environment);
    Config config;
    if (!path.empty()) {
        std::ifstream file(path);
        if (!file) throw ConfigError(path + ": cannot read the configuration file: " + std::strerror(errno));
        std::ostringstream text;
        text << file.rdbuf();
        if (file.bad()) throw ConfigError(path + ": cannot read the configuration file: " + std::strerror(errno));
        config = parse_config(text.str(), path);
    }
    apply_environment(config, environment);
    return config;
}

std::string_view lease_format_name(LeaseFormat format) {
    switch (format) {
    case LeaseFormat::detect: return "detect";
    case LeaseFormat::dnsmasq: return "dnsmasq";
    case LeaseFormat::isc: return "isc";
    case LeaseFormat::kea: return "kea";
    case LeaseFormat::odhcpd: return "odhcpd";
    }
    return "detect";
}

std::vector<LeaseFile> default_lease_files() {
    return {
        {"/var/lib/misc/dnsmasq.leases", LeaseFormat::dnsmasq},  // Debian's dnsmasq
        {"/tmp/dhcp.leases", LeaseFormat::dnsmasq},              // OpenWrt's dnsmasq
        {"/var/lib/dhcp/dhcpd.leases", LeaseFormat::isc},        // Debian's isc-dhcp-server
        {"/var/lib/dhcp/dhcpd6.leases", LeaseFormat::isc},
        {"/var/lib/kea/kea-leases4.csv", LeaseFormat::kea},      // Debian's kea-dhcp4-server
        {"/var/lib/kea/kea-leases6.csv", LeaseFormat::kea},
        {"/tmp/hosts/odhcpd", LeaseFormat::odhcpd},              // OpenWrt's odhcpd
    };
}

}  // namespace netmon
