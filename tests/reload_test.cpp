// What a reload (SIGHUP) keeps of the configuration read again: plan_reload, on Config values.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli.h"
#include "netmon/config.h"
#include "reload.h"

using namespace netmon;

TEST_CASE("a reload takes the filter, the retention and the interval, and says nothing", "[reload]") {
    Config running;
    Config fresh = running;
    fresh.path = "/etc/netmon/netmon.yml";
    fresh.local_subnets = {*Cidr::parse("192.168.1.0/24")};
    fresh.interval = 5;
    fresh.retention.remote_hosts_days = 7;
    Reload reload = plan_reload(running, fresh, IngestCommand{});
    CHECK(reload.warnings.empty());
    CHECK(reload.config.local_subnets == fresh.local_subnets);
    CHECK(reload.config.interval == 5);
    CHECK(reload.config.retention.remote_hosts_days == 7);
    CHECK(reload.config.path == "/etc/netmon/netmon.yml");
}

TEST_CASE("the database, the source and the event buffer stay until a restart, each with a warning", "[reload]") {
    Config running;
    running.input_file = "/tmp/replay.txt";
    Config fresh;
    fresh.database = "/srv/netmon.db";
    fresh.source = SourceKind::proc;
    fresh.event_buffer = 1 << 20;
    fresh.interval = 2;
    Reload reload = plan_reload(running, fresh, IngestCommand{});
    CHECK(reload.warnings == std::vector<std::string>{
                                 "database changed to /srv/netmon.db: restart netmon-ingest to use it",
                                 "source changed: restart netmon-ingest to use it",
                                 "netlink.event_buffer changed: restart netmon-ingest to use it",
                             });
    CHECK(reload.config.database == running.database);
    CHECK(reload.config.source == running.source);
    CHECK(reload.config.input_file == "/tmp/replay.txt");
    CHECK(reload.config.event_buffer == running.event_buffer);
    CHECK(reload.config.interval == 2);  // what can change still does

    // CONNTRACK_INPUT_FILE alone is a change of source too.
    Config other_file = running;
    other_file.input_file = "/tmp/other.txt";
    CHECK(plan_reload(running, other_file, IngestCommand{}).warnings ==
          std::vector<std::string>{"source changed: restart netmon-ingest to use it"});
}

TEST_CASE("the command line's interval still wins after a reload, and says so first when the file asks for another", "[reload]") {
    IngestCommand command;
    command.interval = 0.5;
    Config running;
    running.interval = 0.5;
    Config fresh;
    fresh.path = "/etc/netmon/netmon.yml";
    fresh.interval = 3;
    fresh.database = "/srv/netmon.db";
    Reload reload = plan_reload(running, fresh, command);
    CHECK(reload.config.interval == 0.5);
    REQUIRE(reload.warnings.size() == 2);
    CHECK(reload.warnings[0].starts_with("interval: 3 in /etc/netmon/netmon.yml is overridden by --interval 0.5"));
    CHECK(reload.warnings[1] == "database changed to /srv/netmon.db: restart netmon-ingest to use it");
    // The file agreeing with the command line: nothing to say.
    fresh.interval = 0.5;
    fresh.database = running.database;
    CHECK(plan_reload(running, fresh, command).warnings.empty());
}

TEST_CASE("a reload takes new device names, lease files and OUI file, and says nothing", "[reload]") {
    Config running;
    Config fresh = running;
    fresh.names.device_by_mac = {{*MacAddress::parse("3c:22:fb:00:00:01"), "laptop"}};
    fresh.names.device_by_address = {{*IpAddress::parse("10.0.0.40"), "printer"}};
    fresh.names.dhcp_leases = {{"/srv/dnsmasq.leases", LeaseFormat::dnsmasq}};
    fresh.names.dhcp_leases_given = true;
    fresh.names.oui_file = "/srv/oui.txt";
    Reload reload = plan_reload(running, fresh, IngestCommand{});
    CHECK(reload.warnings.empty());
    CHECK(reload.config.names.device_by_mac == fresh.names.device_by_mac);
    CHECK(reload.config.names.device_by_address == fresh.names.device_by_address);
    CHECK(reload.config.names.dhcp_leases == fresh.names.dhcp_leases);
    CHECK(reload.config.names.dhcp_leases_given);
    CHECK(reload.config.names.oui_file == "/srv/oui.txt");
}

TEST_CASE("names.dns stays until a restart, with a warning", "[reload][names]") {
    Config running;
    Config fresh;
    fresh.names.dns_ruleset = DnsRuleset::external;
    fresh.names.dns_nflog_group = 9;
    fresh.names.dns_grace_seconds = 10;
    fresh.names.dns_max_names = 5;
    Reload reload = plan_reload(running, fresh, IngestCommand{});
    CHECK(reload.warnings == std::vector<std::string>{"names.dns changed: restart netmon-ingest to use it"});
    CHECK(reload.config.names.dns_ruleset == DnsRuleset::managed);
    CHECK(reload.config.names.dns_nflog_group == running.names.dns_nflog_group);
    CHECK(reload.config.names.dns_grace_seconds == running.names.dns_grace_seconds);
    CHECK(reload.config.names.dns_max_names == running.names.dns_max_names);
}
