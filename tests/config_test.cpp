#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include "netmon/config.h"

using namespace netmon;

namespace {

Environment env(std::map<std::string, std::string> values) {
    auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
    return [shared](const char* name) -> const char* {
        auto found = shared->find(name);
        return found == shared->end() ? nullptr : found->second.c_str();
    };
}

std::string error_of(const std::string& yaml) {
    try {
        parse_config(yaml, "netmon.yml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

std::string env_error_of(std::map<std::string, std::string> values) {
    Config config;
    try {
        apply_environment(config, env(std::move(values)));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

// A directory of its own for each test that writes files.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "netmon-config-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("defaults follow the router of the architecture", "[config]") {
    Config config;
    REQUIRE(config.local_subnets.size() == 1);
    CHECK(config.local_subnets[0].to_string() == "10.0.0.0/24");
    CHECK(config.monitor_interfaces == std::vector<std::string>{"enp2s0", "enp3s0"});
    CHECK(config.lan_interface == "enp3s0");
    CHECK(config.wan_interface == "enp2s0");
    CHECK(config.interval == 1.0);
    CHECK(config.web_listen.to_string() == "10.0.0.1:8080");
    CHECK_FALSE(config.web_auth);
    CHECK(config.source == SourceKind::automatic);
    CHECK(config.database == "/var/lib/netmon/netmon.db");
    CHECK(config.retention.remote_hosts_days == 90);
    CHECK(config.retention.remote_hosts_max == 200'000);
    CHECK(config.retention.traffic_per_minute_hours == 48);
    CHECK(config.retention.traffic_per_hour_days == 90);
    CHECK(config.retention.traffic_per_day_days == 730);
    CHECK(config.retention.host_traffic_per_minute_hours == 24);
    CHECK(config.retention.host_traffic_per_hour_days == 7);
    CHECK(config.retention.host_traffic_per_day_days == 90);
    CHECK(config.retention.host_traffic_max_rows == 12'000'000);
    CHECK(config.retention.device_hosts_max == 2'000'000);
    CHECK(config.retention.keeps_host_traffic());
    CHECK(config.retention.flow_log_days == 7);
    CHECK(config.retention.flow_log_max_rows == 2'000'000);
    CHECK(config.retention.keeps_history());
    CHECK(config.retention.keeps_flow_log());
}

TEST_CASE("the shipped config/netmon.yml parses to the defaults", "[config]") {
    Config shipped = load_config(NETMON_SOURCE_DIR "/config/netmon.yml", env({}));
    Config defaults;
    CHECK(shipped.local_subnets == defaults.local_subnets);
    CHECK(shipped.monitor_interfaces == defaults.monitor_interfaces);
    CHECK(shipped.interval == defaults.interval);
    CHECK(shipped.web_listen.to_string() == defaults.web_listen.to_string());
    CHECK(shipped.database == defaults.database);
    CHECK(shipped.event_buffer == defaults.event_buffer);
    CHECK(shipped.source == defaults.source);
    CHECK(shipped.retention.remote_hosts_days == defaults.retention.remote_hosts_days);
    CHECK(shipped.retention.remote_hosts_max == defaults.retention.remote_hosts_max);
    CHECK(shipped.retention.traffic_per_minute_hours == defaults.retention.traffic_per_minute_hours);
    CHECK(shipped.retention.traffic_per_hour_days == defaults.retention.traffic_per_hour_days);
    CHECK(shipped.retention.traffic_per_day_days == defaults.retention.traffic_per_day_days);
    CHECK(shipped.retention.host_traffic_per_minute_hours == defaults.retention.host_traffic_per_minute_hours);
    CHECK(shipped.retention.host_traffic_per_hour_days == defaults.retention.host_traffic_per_hour_days);
    CHECK(shipped.retention.host_traffic_per_day_days == defaults.retention.host_traffic_per_day_days);
    CHECK(shipped.retention.host_traffic_max_rows == defaults.retention.host_traffic_max_rows);
    CHECK(shipped.retention.device_hosts_max == defaults.retention.device_hosts_max);
    CHECK(shipped.retention.flow_log_days == defaults.retention.flow_log_days);
    CHECK(shipped.retention.flow_log_max_rows == defaults.retention.flow_log_max_rows);
    CHECK_FALSE(shipped.web_auth);
    CHECK(shipped.names.device_by_mac.empty());
    CHECK(shipped.names.device_by_address.empty());
    CHECK(shipped.names.dhcp_leases == defaults.names.dhcp_leases);
    CHECK(shipped.names.dhcp_leases_given == defaults.names.dhcp_leases_given);
    CHECK(shipped.names.oui_file == defaults.names.oui_file);
    CHECK(shipped.names.dns_ruleset == defaults.names.dns_ruleset);
    CHECK(shipped.names.dns_nflog_group == defaults.names.dns_nflog_group);
    CHECK(shipped.names.dns_grace_seconds == defaults.names.dns_grace_seconds);
    CHECK(shipped.names.dns_max_names == defaults.names.dns_max_names);
    CHECK(shipped.names.ptr == defaults.names.ptr);
}

TEST_CASE("every setting is read", "[config]") {
    Config config = parse_config(R"(
local_subnets:
  - 10.0.0.0/24
  - 2001:db8:10::/64
monitor_interfaces: [wan0, lan0, wg0]
interfaces:
  lan: lan0
  wan: wan0
interval: 2.5
database: /tmp/netmon-test.db
source: proc
netlink:
  event_buffer: 1048576
retention:
  remote_hosts_days: 30
  remote_hosts_max: 5000
  traffic_per_minute_hours: 6
  traffic_per_hour_days: 14
  traffic_per_day_days: 365
  host_traffic_per_minute_hours: 3
  host_traffic_per_hour_days: 2
  host_traffic_per_day_days: 30
  host_traffic_max_rows: 500000
  device_hosts_max: 70000
  flow_log_days: 2
  flow_log_max_rows: 100000
web:
  listen: "[fd00::1]:9090"
  auth:
    user: admin
    password_hash: "$6$salt$abcdefghijklmnop"
)", "netmon.yml");
    REQUIRE(config.local_subnets.size() == 2);
    CHECK(config.local_subnets[1].to_string() == "2001:db8:10::/64");
    CHECK(config.monitor_interfaces == std::vector<std::string>{"wan0", "lan0", "wg0"});
    CHECK(config.lan_interface == "lan0");
    CHECK(config.wan_interface == "wan0");
    CHECK(config.interval == 2.5);
    CHECK(config.database == "/tmp/netmon-test.db");
    CHECK(config.source == SourceKind::proc);
    CHECK(config.event_buffer == 1048576);
    CHECK(config.retention.remote_hosts_days == 30);
    CHECK(config.retention.remote_hosts_max == 5000);
    CHECK(config.retention.traffic_per_minute_hours == 6);
    CHECK(config.retention.traffic_per_hour_days == 14);
    CHECK(config.retention.traffic_per_day_days == 365);
    CHECK(config.retention.host_traffic_per_minute_hours == 3);
    CHECK(config.retention.host_traffic_per_hour_days == 2);
    CHECK(config.retention.host_traffic_per_day_days == 30);
    CHECK(config.retention.host_traffic_max_rows == 500000);
    CHECK(config.retention.device_hosts_max == 70000);
    CHECK(config.retention.flow_log_days == 2);
    CHECK(config.retention.flow_log_max_rows == 100000);
    CHECK(config.web_listen.to_string() == "[fd00::1]:9090");
    REQUIRE(config.web_auth);
    CHECK(config.web_auth->user == "admin");
    CHECK(config.web_auth->password_hash == "$6$salt$abcdefghijklmnop");
}

TEST_CASE("an empty file and a lone subnet", "[config]") {
    CHECK(parse_config("", "netmon.yml").local_subnets[0].to_string() == "10.0.0.0/24");
    CHECK(parse_config("# nothing\n", "netmon.yml").interval == 1.0);
    CHECK(parse_config("local_subnets: 192.168.7.0/24\n", "netmon.yml").local_subnets[0].to_string() ==
          "192.168.7.0/24");
    CHECK_FALSE(parse_config("web:\n  auth:\n", "netmon.yml").web_auth);
}

TEST_CASE("bad values name the file, the key and the value", "[config]") {
    CHECK(error_of("local_subnets: [10.0.0.0/24, 10.0.0.0/33]") ==
          "netmon.yml: local_subnets[1]: \"10.0.0.0/33\" is not a CIDR");
    CHECK(error_of("local_subnets: []") == "netmon.yml: local_subnets: must list at least one subnet");
    CHECK(error_of("local_subnets: {a: b}") == "netmon.yml: local_subnets: must be a list");
    CHECK(error_of("monitor_interfaces: [eth0, \"../../etc\"]") ==
          "netmon.yml: monitor_interfaces[1]: \"../../etc\" is not an interface name");
    CHECK(error_of("monitor_interfaces: [averyveryverylongname]") ==
          "netmon.yml: monitor_interfaces[0]: \"averyveryverylongname\" is not an interface name");
    CHECK(error_of("interfaces: {lan: \"a b\"}") ==
          "netmon.yml: interfaces.lan: \"a b\" is not an interface name");
    CHECK(error_of("interval: fast") ==
          "netmon.yml: interval: \"fast\" is not a number of seconds between 0.05 and 3600");
    CHECK(error_of("interval: 0") ==
          "netmon.yml: interval: \"0\" is not a number of seconds between 0.05 and 3600");
    CHECK(error_of("interval: -1") ==
          "netmon.yml: interval: \"-1\" is not a number of seconds between 0.05 and 3600");
    CHECK(error_of("interval: .nan") ==
          "netmon.yml: interval: \".nan\" is not a number of seconds between 0.05 and 3600");
    CHECK(error_of("source: kernel") ==
          "netmon.yml: source: \"kernel\" is not one of auto, netlink, proc, file");
    CHECK(error_of("netlink: {event_buffer: 1k}") ==
          "netmon.yml: netlink.event_buffer: \"1k\" is not a number of bytes between 65536 and 1073741824");
    CHECK(error_of("netlink: {event_buffer: 1000}") ==
          "netmon.yml: netlink.event_buffer: \"1000\" is not a number of bytes between 65536 and 1073741824");
    CHECK(error_of("retention: {remote_hosts_days: 0}") ==
          "netmon.yml: retention.remote_hosts_days: \"0\" is not a whole number of days between 1 and 36500");
    CHECK(error_of("retention: {remote_hosts_days: 1.5}") ==
          "netmon.yml: retention.remote_hosts_days: \"1.5\" is not a whole number of days between 1 and 36500");
    CHECK(error_of("retention: {remote_hosts_days: -3}") ==
          "netmon.yml: retention.remote_hosts_days: \"-3\" is not a whole number of days between 1 and 36500");
    CHECK(error_of("retention: {remote_hosts_max: 99}") ==
          "netmon.yml: retention.remote_hosts_max: \"99\" is not a number of hosts between 100 and 100000000");
    CHECK(error_of("retention: {remote_hosts_max: lots}") ==
          "netmon.yml: retention.remote_hosts_max: \"lots\" is not a number of hosts between 100 and 100000000");
    CHECK(error_of("retention: {remote_hosts_max: [1]}") == "netmon.yml: retention.remote_hosts_max: must be a single value");
    CHECK(error_of("retention: {traffic_per_minute_hours: -1}") ==
          "netmon.yml: retention.traffic_per_minute_hours: \"-1\" is not a whole number of hours between 0 and 876000");
    CHECK(error_of("retention: {traffic_per_day_days: 2y}") ==
          "netmon.yml: retention.traffic_per_day_days: \"2y\" is not a whole number of days between 0 and 36500");
    CHECK(error_of("retention: {host_traffic_per_minute_hours: -1}") ==
          "netmon.yml: retention.host_traffic_per_minute_hours: \"-1\" is not a whole number of hours between 0 and 876000");
    CHECK(error_of("retention: {host_traffic_max_rows: lots}") ==
          "netmon.yml: retention.host_traffic_max_rows: \"lots\" is not a number of rows between 0 and 1000000000");
    CHECK(error_of("retention: {device_hosts_max: 1e9x}") ==
          "netmon.yml: retention.device_hosts_max: \"1e9x\" is not a number of rows between 0 and 1000000000");
    CHECK(error_of("retention: {flow_log_max_rows: 1e6}") ==
          "netmon.yml: retention.flow_log_max_rows: \"1e6\" is not a number of rows between 0 and 1000000000");
    CHECK(error_of("retention: {hosts: 1}") == "netmon.yml: retention.hosts: unknown setting");
    CHECK(error_of("retention: 90") == "netmon.yml: retention: must be a mapping of keys to values");
    CHECK(error_of("web: {listen: 10.0.0.1}") == "netmon.yml: web.listen: \"10.0.0.1\" is not an address:port");
    CHECK(error_of("web: {listen: \"router.lan:8080\"}") ==
          "netmon.yml: web.listen: \"router.lan:8080\" is not an address:port");
    CHECK(error_of("web: {listen: \"10.0.0.1:70000\"}") ==
          "netmon.yml: web.listen: \"10.0.0.1:70000\" is not an address:port");
    CHECK(error_of("web: {listen: \"::1:8080\"}") ==
          "netmon.yml: web.listen: \"::1:8080\" is not an address:port");
    CHECK(error_of("web: {auth: {user: admin}}") ==
          "netmon.yml: web.auth.password_hash: is not a crypt(3) hash; make one with: mkpasswd -m yescrypt");
    CHECK(error_of("web: {auth: {password_hash: \"$6$x$y\"}}") == "netmon.yml: web.auth.user: \"\" is not a user name");
    CHECK(error_of("database: \"\"") == "netmon.yml: database: must be a file path");
    CHECK(error_of("local_subnet: [10.0.0.0/24]") == "netmon.yml: local_subnet: unknown setting");
    CHECK(error_of("web: {port: 80}") == "netmon.yml: web.port: unknown setting");
    CHECK(error_of("- a\n- b\n") == "netmon.yml: must be a mapping of keys to values");
    CHECK(error_of("local_subnets: [10.0.0.0/24\n") .starts_with("netmon.yml: line "));
    CHECK(error_of("interval: [1]") == "netmon.yml: interval: must be a single value");
}

TEST_CASE("an error is one line whatever the bytes of the file", "[config]") {
    // Found by fuzz/fuzz_config.cpp: yaml-cpp's message names the bad escape character itself,
    // and a key is named as it is written.
    const std::string found("netlink:\n  event_b\x91\x99" "fer: \0\n65536\n", 33);  // fuzz/corpus/config/regress-*
    CHECK(error_of(found) == "netmon.yml: line 3: unknown escape character: ?");
    CHECK(error_of("\"web\\nlisten\\t\": 1\n") == "netmon.yml: web?listen?: unknown setting");
    CHECK(std::string(ConfigError("a\r\nb\x7f").what()) == "a??b?");
}

TEST_CASE("environment variables override the file", "[config]") {
    Config config = parse_config("local_subnets: [10.0.0.0/24]\n", "netmon.yml");
    apply_environment(config, env({{"CONNTRACK_INPUT_FILE", "/tmp/capture.txt"},
                                   {"NETMON_INTERFACES", "eth0, eth1,,"},
                                   {"NETMON_LOCAL_SUBNETS", "192.168.1.0/24,fd00::/8"},
                                   {"NETMON_DB", "/tmp/x.db"}}));
    CHECK(config.input_file == "/tmp/capture.txt");
    CHECK(config.monitor_interfaces == std::vector<std::string>{"eth0", "eth1"});
    REQUIRE(config.local_subnets.size() == 2);
    CHECK(config.local_subnets[0].to_string() == "192.168.1.0/24");
    CHECK(config.local_subnets[1].to_string() == "fd00::/8");
    CHECK(config.database == "/tmp/x.db");

    Config unchanged;
    apply_environment(unchanged, env({{"CONNTRACK_INPUT_FILE", ""}, {"NETMON_DB", ""}}));
    CHECK(unchanged.input_file.empty());
    CHECK(unchanged.database == "/var/lib/netmon/netmon.db");

    CHECK(env_error_of({{"NETMON_LOCAL_SUBNETS", "10.0.0.0/33"}}) ==
          "environment: NETMON_LOCAL_SUBNETS: \"10.0.0.0/33\" is not a CIDR");
    CHECK(env_error_of({{"NETMON_LOCAL_SUBNETS", ","}}) ==
          "environment: NETMON_LOCAL_SUBNETS: must list at least one subnet");
    CHECK(env_error_of({{"NETMON_INTERFACES", "eth0,a/b"}}) ==
          "environment: NETMON_INTERFACES: \"a/b\" is not an interface name");
}

TEST_CASE("which file is read", "[config]") {
    TempDir dir;
    auto file = dir.path / "custom.yml";
    std::ofstream(file) << "interval: 3\n";
    CHECK(config_path("/x/flag.yml", env({{"NETMON_CONFIG", "/y/env.yml"}})) == "/x/flag.yml");
    CHECK(config_path("", env({{"NETMON_CONFIG", "/y/env.yml"}})) == "/y/env.yml");
    CHECK(load_config(file.string(), env({})).interval == 3.0);
    CHECK(load_config("", env({{"NETMON_CONFIG", file.string()}})).interval == 3.0);
    CHECK(load_config(file.string(), env({})).path == file.string());

    try {
        load_config((dir.path / "missing.yml").string(), env({}));
        FAIL("a missing file named on the command line must be an error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) ==
              (dir.path / "missing.yml").string() + ": cannot read the configuration file: No such file or directory");
    }
    auto bad = dir.path / "bad.yml";
    std::ofstream(bad) << "local_subnets:\n  - 10.0.0.0/24\n  - 10.0.0.0/33\n";
    try {
        load_config(bad.string(), env({}));
        FAIL("expected an error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == bad.string() + ": local_subnets[1]: \"10.0.0.0/33\" is not a CIDR");
    }
}

TEST_CASE("listen addresses", "[config]") {
    CHECK(ListenAddress::parse("127.0.0.1:8080")->to_string() == "127.0.0.1:8080");
    CHECK(ListenAddress::parse("[::1]:80")->to_string() == "[::1]:80");
    CHECK(ListenAddress::parse("0.0.0.0:80")->is_wildcard());
    CHECK(ListenAddress::parse("[::]:80")->is_wildcard());
    CHECK_FALSE(ListenAddress::parse("10.0.0.1:80")->is_wildcard());
    for (const char* text : {"", ":80", "10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
                             "[::1]", "[::1]80", "::1:80", "localhost:80", "10.0.0.1:8o"}) {
        INFO(text);
        CHECK_FALSE(ListenAddress::parse(text));
    }
}

TEST_CASE("one interval rule for netmon.yml and --interval", "[config]") {
    CHECK(parse_interval("0.05") == min_interval_seconds);
    CHECK(parse_interval("3600") == max_interval_seconds);
    CHECK(parse_interval("1") == 1.0);
    CHECK(parse_interval("2.5") == 2.5);
    for (std::string_view bad : {"", "0.049", "3600.1", "0", "-1", "inf", "nan", "1s", " 1", "1e9"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_interval(bad));
    }
    CHECK(std::string(interval_rule) == "is not a number of seconds between 0.05 and 3600");
}

TEST_CASE("history is off when every history retention is 0, and the flow log needs both of its bounds", "[config]") {
    Config off = parse_config("retention: {traffic_per_minute_hours: 0, traffic_per_hour_days: 0,"
                              " traffic_per_day_days: 0, host_traffic_per_minute_hours: 0,"
                              " host_traffic_per_hour_days: 0, host_traffic_per_day_days: 0,"
                              " flow_log_days: 0, flow_log_max_rows: 0}",
                              "netmon.yml");
    CHECK_FALSE(off.retention.keeps_history());
    CHECK_FALSE(off.retention.keeps_flow_log());
    CHECK_FALSE(off.retention.keeps_host_traffic());
    // The pairs' traffic alone keeps history on; its row cap at 0 turns it off too.
    Config pairs_only = parse_config("retention: {traffic_per_minute_hours: 0, traffic_per_hour_days: 0,"
                                     " traffic_per_day_days: 0, flow_log_days: 0}",
                                     "netmon.yml");
    CHECK(pairs_only.retention.keeps_history());
    CHECK(pairs_only.retention.keeps_host_traffic());
    Config no_pairs = parse_config("retention: {host_traffic_max_rows: 0}", "netmon.yml");
    CHECK_FALSE(no_pairs.retention.keeps_host_traffic());
    CHECK(no_pairs.retention.keeps_history());
    Config log_only = parse_config("retention: {traffic_per_minute_hours: 0, traffic_per_hour_days: 0,"
                                   " traffic_per_day_days: 0, host_traffic_max_rows: 0}",
                                   "netmon.yml");
    CHECK(log_only.retention.keeps_history());
    CHECK(log_only.retention.keeps_flow_log());
    CHECK_FALSE(parse_config("retention: {flow_log_max_rows: 0}", "netmon.yml").retention.keeps_flow_log());
    CHECK_FALSE(parse_config("retention: {flow_log_days: 0}", "netmon.yml").retention.keeps_flow_log());
}

// -------------------------------------------------------------------------------------------------
// names.*: where device and remote names come from.

TEST_CASE("names: the defaults", "[config][names]") {
    const Config config = parse_config("", "netmon.yml");
    const Names& n = config.names;
    CHECK(n.device_by_mac.empty());
    CHECK(n.device_by_address.empty());
    CHECK(n.dhcp_leases == default_lease_files());
    CHECK_FALSE(n.dhcp_leases_given);
    CHECK(n.oui_file == "/usr/share/ieee-data/oui.txt");
    CHECK(n.dns_ruleset == DnsRuleset::managed);
    CHECK(n.dns_nflog_group == 5);
    CHECK(n.dns_grace_seconds == 300);
    CHECK(n.dns_max_names == 100'000);
    CHECK(n.ptr);
    const std::vector<std::string> paths = [] {
        std::vector<std::string> out;
        for (const LeaseFile& file : default_lease_files()) out.push_back(file.path);
        return out;
    }();
    CHECK(paths == std::vector<std::string>{"/var/lib/misc/dnsmasq.leases", "/tmp/dhcp.leases",
                                            "/var/lib/dhcp/dhcpd.leases", "/var/lib/dhcp/dhcpd6.leases",
                                            "/var/lib/kea/kea-leases4.csv", "/var/lib/kea/kea-leases6.csv",
                                            "/tmp/hosts/odhcpd"});
}

TEST_CASE("names.devices: by MAC in any of its forms, or by address", "[config][names]") {
    const Config config = parse_config(
        "names:\n"
        "  devices:\n"
        "    \"3c:22:fb:12:34:56\": Alice's laptop\n"
        "    B8-27-EB-AA-BB-CC: Kitchen Pi\n"
        "    10.0.0.40: Printer\n"
        "    \"fd00::40\": \"Caf\xc3\xa9 printer\"\n",
        "netmon.yml");
    const Names& n = config.names;
    REQUIRE(n.device_by_mac.size() == 2);
    CHECK(n.device_by_mac[0] == std::pair{*MacAddress::parse("3c:22:fb:12:34:56"), std::string("Alice's laptop")});
    CHECK(n.device_by_mac[1] == std::pair{*MacAddress::parse("b8:27:eb:aa:bb:cc"), std::string("Kitchen Pi")});
    REQUIRE(n.device_by_address.size() == 2);
    CHECK(n.device_by_address[0] == std::pair{*IpAddress::parse("10.0.0.40"), std::string("Printer")});
    CHECK(n.device_by_address[1] == std::pair{*IpAddress::parse("fd00::40"), std::string("Caf\xc3\xa9 printer")});
    CHECK(parse_config("names:\n  devices:\n", "netmon.yml").names.device_by_mac.empty());
}

TEST_CASE("names.devices: bad keys and names are one-line errors", "[config][names]") {
    CHECK(error_of("names:\n  devices: [a, b]\n") ==
          "netmon.yml: names.devices: must be a mapping of MAC or address to name");
    CHECK(error_of("names:\n  devices:\n    laptop: Alice\n") ==
          "netmon.yml: names.devices: \"laptop\" is not a MAC (aa:bb:cc:dd:ee:ff) or an address");
    CHECK(error_of("names:\n  devices:\n    \"3c:22:fb:12:34\": Alice\n") ==
          "netmon.yml: names.devices: \"3c:22:fb:12:34\" is not a MAC (aa:bb:cc:dd:ee:ff) or an address");
    CHECK(error_of("names:\n  devices:\n    10.0.0.40: \"\"\n") ==
          "netmon.yml: names.devices.10.0.0.40: \"\" is not a name (1 to 64 bytes of printable UTF-8)");
    CHECK(error_of("names:\n  devices:\n    10.0.0.40: \"" + std::string(65, 'x') + "\"\n") ==
          "netmon.yml: names.devices.10.0.0.40: \"" + std::string(65, 'x') +
              "\" is not a name (1 to 64 bytes of printable UTF-8)");
    CHECK(error_of("names:\n  devices:\n    10.0.0.40: \"a\\x1bb\"\n").find("is not a name") != std::string::npos);
    // Invalid UTF-8 (a raw byte; YAML's "\xff" is U+00FF, which is a printable name).
    CHECK(error_of("names:\n  devices:\n    10.0.0.40: \"a\xff\"\n").find("is not a name") != std::string::npos);
    CHECK(parse_config("names:\n  devices:\n    10.0.0.40: \"\\xff\"\n", "netmon.yml").names.device_by_address[0].second ==
          "\xc3\xbf");
    CHECK(error_of("names:\n  devices:\n    10.0.0.40: [a]\n").find("names.devices.10.0.0.40") != std::string::npos);
    const std::string control = error_of("names:\n  devices:\n    10.0.0.40: \"a\\x1bb\"\n");
    CHECK(control.find('\x1b') == std::string::npos);  // one line, no control character
}

TEST_CASE("names.dhcp_leases: paths, {path, format}, none, and bad values", "[config][names]") {
    Config config = parse_config("names:\n  dhcp_leases:\n    - /var/lib/misc/dnsmasq.leases\n"
                                 "    - {path: /srv/kea.csv, format: kea}\n"
                                 "    - {path: /srv/odhcpd, format: odhcpd}\n"
                                 "    - {path: /srv/dhcpd.leases, format: isc}\n"
                                 "    - {path: /srv/leases, format: dnsmasq}\n"
                                 "    - {path: /srv/any}\n",
                                 "netmon.yml");
    CHECK(config.names.dhcp_leases_given);
    CHECK(config.names.dhcp_leases == std::vector<LeaseFile>{{"/var/lib/misc/dnsmasq.leases", LeaseFormat::detect},
                                                             {"/srv/kea.csv", LeaseFormat::kea},
                                                             {"/srv/odhcpd", LeaseFormat::odhcpd},
                                                             {"/srv/dhcpd.leases", LeaseFormat::isc},
                                                             {"/srv/leases", LeaseFormat::dnsmasq},
                                                             {"/srv/any", LeaseFormat::detect}});
    config = parse_config("names:\n  dhcp_leases: /tmp/dhcp.leases\n", "netmon.yml");
    CHECK(config.names.dhcp_leases == std::vector<LeaseFile>{{"/tmp/dhcp.leases", LeaseFormat::detect}});
    config = parse_config("names:\n  dhcp_leases: []\n", "netmon.yml");
    CHECK(config.names.dhcp_leases.empty());
    CHECK(config.names.dhcp_leases_given);
    config = parse_config("names:\n  dhcp_leases:\n", "netmon.yml");
    CHECK(config.names.dhcp_leases.empty());

    CHECK(error_of("names:\n  dhcp_leases: [leases.txt]\n") ==
          "netmon.yml: names.dhcp_leases[0]: \"leases.txt\" is not an absolute path");
    CHECK(error_of("names:\n  dhcp_leases: [{format: kea}]\n") == "netmon.yml: names.dhcp_leases[0]: needs a path");
    CHECK(error_of("names:\n  dhcp_leases: [{path: /a, format: csv}]\n") ==
          "netmon.yml: names.dhcp_leases[0].format: \"csv\" is not one of detect, dnsmasq, isc, kea, odhcpd");
    CHECK(error_of("names:\n  dhcp_leases: [{path: /a, fromat: kea}]\n").find("fromat") != std::string::npos);
    CHECK(error_of("names:\n  dhcp_leases: {path: /a}\n") ==
          "netmon.yml: names.dhcp_leases: must be a list of paths or {path, format}");
    CHECK(lease_format_name(LeaseFormat::odhcpd) == "odhcpd");
}

TEST_CASE("names.oui_file: an absolute path, or empty for no vendors", "[config][names]") {
    CHECK(parse_config("names:\n  oui_file: /srv/oui.txt\n", "netmon.yml").names.oui_file == "/srv/oui.txt");
    CHECK(parse_config("names:\n  oui_file: \"\"\n", "netmon.yml").names.oui_file.empty());
    CHECK(parse_config("names:\n  oui_file:\n", "netmon.yml").names.oui_file.empty());
    CHECK(error_of("names:\n  oui_file: oui.txt\n") == "netmon.yml: names.oui_file: \"oui.txt\" is not an absolute path");
}

TEST_CASE("names.dns and names.ptr: good values and one-line errors", "[config][names]") {
    Config config = parse_config("names:\n  dns:\n    ruleset: external\n    nflog_group: 65535\n    grace: 0\n"
                                 "    max_names: 100\n  ptr: false\n",
                                 "netmon.yml");
    CHECK(config.names.dns_ruleset == DnsRuleset::external);
    CHECK(config.names.dns_nflog_group == 65535);
    CHECK(config.names.dns_grace_seconds == 0);
    CHECK(config.names.dns_max_names == 100);
    CHECK_FALSE(config.names.ptr);
    config = parse_config("names:\n  dns:\n    ruleset: off\n    nflog_group: 1\n    grace: 86400\n"
                          "    max_names: 10000000\n  ptr: yes\n",
                          "netmon.yml");
    CHECK(config.names.dns_ruleset == DnsRuleset::off);
    CHECK(config.names.dns_nflog_group == 1);
    CHECK(config.names.dns_grace_seconds == 86400);
    CHECK(config.names.dns_max_names == 10'000'000);
    CHECK(config.names.ptr);
    CHECK(parse_config("names:\n  dns:\n    ruleset: managed\n", "netmon.yml").names.dns_ruleset == DnsRuleset::managed);

    CHECK(error_of("names:\n  dns:\n    ruleset: auto\n") ==
          "netmon.yml: names.dns.ruleset: \"auto\" is not one of managed, external, off");
    CHECK(error_of("names:\n  dns:\n    nflog_group: 0\n") ==
          "netmon.yml: names.dns.nflog_group: \"0\" is not a group from 1 to 65535");
    CHECK(error_of("names:\n  dns:\n    nflog_group: 65536\n") ==
          "netmon.yml: names.dns.nflog_group: \"65536\" is not a group from 1 to 65535");
    CHECK(error_of("names:\n  dns:\n    grace: -1\n") ==
          "netmon.yml: names.dns.grace: \"-1\" is not a whole number of seconds from 0 to 86400");
    CHECK(error_of("names:\n  dns:\n    grace: 1.5\n") ==
          "netmon.yml: names.dns.grace: \"1.5\" is not a whole number of seconds from 0 to 86400");
    CHECK(error_of("names:\n  dns:\n    max_names: 99\n") ==
          "netmon.yml: names.dns.max_names: \"99\" is not a number from 100 to 10000000");
    CHECK(error_of("names:\n  dns:\n    rules: off\n").find("rules") != std::string::npos);
    CHECK(error_of("names:\n  ptr: maybe\n") == "netmon.yml: names.ptr: \"maybe\" is not true or false");
    CHECK(error_of("names:\n  vendors: off\n").find("vendors") != std::string::npos);
}
