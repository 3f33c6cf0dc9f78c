#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "api_json.h"
#include "netmon/entry_json.h"
#include "netmon/json_writer.h"
#include "test_support.h"
#include "units.h"

using namespace netmon;
using namespace netmon::web;
using netmon::append_json_string;
using json = nlohmann::ordered_json;

namespace {

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

ConnectionRow sample_row() {
    ConnectionRow row;
    row.proto = "tcp";
    row.src_ip = "10.0.0.11";
    row.src_port = 35410;
    row.dst_ip = "192.0.2.10";
    row.dst_port = 443;
    row.state = "ESTABLISHED";
    row.flags = "ASSURED";
    row.uplink_packets = 10;
    row.uplink_bytes = 2540;
    row.downlink_packets = 12;
    row.downlink_bytes = 120528;
    row.total_bytes = 123068;
    row.uplink_rate = 12.5;
    row.downlink_rate = 0;
    row.first_seen_at = 1795500000123;
    row.last_seen_at = 1795500060000;
    row.host_first_seen_at = 1795500000123;
    return row;
}

}  // namespace

TEST_CASE("JSON strings escape what JSON and HTML need") {
    CHECK(json_string("10.0.0.1") == "\"10.0.0.1\"");
    CHECK(json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(json_string("\n\r\t\x01\x7f") == "\"\\n\\r\\t\\u0001\\u007f\"");
    CHECK(json_string("</script><b>&") == "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\"");
}

TEST_CASE("JSON strings keep valid UTF-8 and replace the rest") {
    CHECK(json_string("caf\xc3\xa9 \xe2\x86\x91 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xe2\x86\x91 \xf0\x9f\x98\x80\"");
    CHECK(json_string("a\xff" "b") == "\"a\\ufffdb\"");
    CHECK(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");        // overlong '/'
    CHECK(json_string("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\""); // a surrogate
    CHECK(json_string("\xe2\x86") == "\"\\ufffd\\ufffd\"");        // cut short
    // Whatever the bytes, the result parses.
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    CHECK_NOTHROW(json::parse(json_string(all)));
}

TEST_CASE("times are ISO 8601 UTC with milliseconds") {
    CHECK(format_time(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_time(1795500000123) == "2026-11-24T06:00:00.123Z");
    CHECK(format_time(951782400000) == "2000-02-29T00:00:00.000Z");
    CHECK(format_time(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("a connection's fields, names and types") {
    ConnectionsJson out(1795500000123 + 1000, 1);
    out.add(sample_row());
    json rows = json::parse(out.finish());
    REQUIRE(rows.is_array());
    REQUIRE(rows.size() == 1);
    const json& row = rows[0];
    std::vector<std::string> names;
    for (auto it = row.begin(); it != row.end(); ++it) names.push_back(it.key());
    CHECK(names == std::vector<std::string>{"proto", "src_ip", "src_port", "dst_ip", "dst_port", "state", "flags",
                                            "uplink_packets", "uplink_bytes", "downlink_packets", "downlink_bytes",
                                            "total_bytes", "uplink_rate", "downlink_rate", "first_seen_at",
                                            "last_seen_at", "seen_before", "mac", "device_name",
                                            "device_name_source", "vendor", "mac_random", "remote_name",
                                            "remote_name_source"});
    CHECK(row["proto"] == "tcp");
    CHECK(row["src_port"] == 35410);
    CHECK(row["state"] == "ESTABLISHED");
    CHECK(row["flags"] == json::array({"ASSURED"}));
    CHECK(row["total_bytes"] == 123068);
    CHECK(row["uplink_rate"] == 12.5);
    CHECK(row["first_seen_at"] == "2026-11-24T06:00:00.123Z");
    CHECK(row["last_seen_at"] == "2026-11-24T06:01:00.000Z");
    CHECK(row["seen_before"] == false);
}

TEST_CASE("no state is null, no flags an empty array, several flags several strings") {
    ConnectionRow row = sample_row();
    row.state.reset();
    row.flags = "";
    ConnectionRow other = sample_row();
    other.flags = "ASSURED UNREPLIED";
    ConnectionsJson out(0, 2);
    out.add(row);
    out.add(other);
    json rows = json::parse(out.finish());
    CHECK(rows[0]["state"].is_null());
    CHECK(rows[0]["flags"] == json::array());
    CHECK(rows[1]["flags"] == json::array({"ASSURED", "UNREPLIED"}));
}

TEST_CASE("seen_before flips when the host is more than 60 s old") {
    ConnectionRow row = sample_row();
    const std::int64_t first = row.host_first_seen_at;
    for (auto [now, expected] : {std::pair{first, false}, {first + 59'999, false}, {first + 60'000, false},
                                 {first + 60'001, true}, {first + 3'600'000, true}}) {
        ConnectionsJson out(now, 1);
        out.add(row);
        CHECK(json::parse(out.finish())[0]["seen_before"] == expected);
        CHECK(seen_before(first, now) == expected);
    }
}

TEST_CASE("a connections answer holds until its first NEW host turns SEEN") {
    ConnectionRow young = sample_row();
    ConnectionRow younger = sample_row();
    younger.host_first_seen_at += 5000;
    ConnectionRow old = sample_row();
    old.host_first_seen_at -= 3'600'000;
    ConnectionsJson out(young.host_first_seen_at + 10, 3);
    CHECK(out.valid_until() == INT64_MAX);
    out.add(old);
    CHECK(out.valid_until() == INT64_MAX);
    out.add(younger);
    out.add(young);
    CHECK(out.valid_until() == young.host_first_seen_at + 60'000);
}

TEST_CASE("an empty answer is an empty array") {
    ConnectionsJson out(0, 0);
    CHECK(out.finish() == "[]");
}

TEST_CASE("hosts") {
    HostRow host;
    host.ip = "2001:db8::1";
    host.family = 6;
    host.first_seen_at = 1000;
    host.last_seen_at = 2000;
    host.active_connections = 2;
    host.active_bytes = 300;
    json rows = json::parse(hosts_json({host}, 1000 + 61'000));
    CHECK(rows[0]["ip"] == "2001:db8::1");
    CHECK(rows[0]["seen_before"] == true);
    CHECK(rows[0]["active_connections"] == 2);
    CHECK(rows[0]["first_seen_at"] == "1970-01-01T00:00:01.000Z");
    CHECK(json::parse(hosts_json({}, 0)) == json::array());
}

TEST_CASE("metrics: system figures, a missing interface with an error, the ingest") {
    SystemSample system;
    system.sampled_at = 0;
    system.load = LoadAverage{0.5, 0.25, 1};
    system.memory = MemoryUsage{1000, 400, 600};
    InterfaceSample eth;
    eth.name = "eth0";
    eth.counters = InterfaceCounters{1, 2, 3, 4};
    eth.rates = InterfaceRates{10, 20, 1, 2};
    InterfaceSample missing;
    missing.name = "enp9s0";
    missing.error = "no interface enp9s0";
    system.interfaces = {eth, missing};
    IngestView ingest;
    ingest.summary.active_connections = 7;
    json document = json::parse(metrics_json(system, ingest, 5));
    CHECK(document["loadavg"] == json::array({0.5, 0.25, 1}));
    CHECK(document["memory"]["used_bytes"] == 600);
    CHECK(document["memory"]["total_bytes"] == 1000);
    CHECK(document["interfaces"][0]["rx_bytes"] == 1);
    CHECK(document["interfaces"][0]["tx_packets"] == 4);
    CHECK(document["interfaces"][0]["rates"]["rx_bytes"] == 10);
    CHECK(document["interfaces"][1]["error"] == "no interface enp9s0");
    CHECK_FALSE(document["interfaces"][1].contains("rx_bytes"));
    CHECK(document["netmon"]["active_connections"] == 7);
    CHECK_FALSE(document.contains("error"));

    ingest.database_error = "there is no database";
    document = json::parse(metrics_json(system, ingest, 5));
    CHECK(document["error"] == "there is no database");
    CHECK(document["netmon"]["notices"][0]["level"] == "error");
    CHECK(document["loadavg"].is_array());
}

TEST_CASE("errors and health") {
    CHECK(json::parse(error_json("bad \"x\"\n")) == json{{"error", "bad \"x\"\n"}});
    IngestView ingest;
    ingest.health.fresh = true;
    ingest.status.last_good_cycle_at = 1000;
    ingest.health.last_good_age_ms = 500;
    json healthy = json::parse(health_json(ingest, 1500));
    CHECK(healthy["status"] == "ok");
    CHECK(healthy["last_good_cycle_age_ms"] == 500);
    ingest.health.fresh = false;
    ingest.health.notices.push_back({Notice::Level::error, "stale"});
    CHECK(json::parse(health_json(ingest, 1500))["error"] == "stale");
}

TEST_CASE("human units") {
    CHECK(format_bytes(0) == "0 B");
    CHECK(format_bytes(1023) == "1023 B");
    CHECK(format_bytes(1024) == "1.00 KiB");
    CHECK(format_bytes(1536) == "1.50 KiB");
    CHECK(format_bytes(123068) == "120 KiB");
    CHECK(format_bytes(30 * 1024 * 1024 + 700 * 1024) == "30.7 MiB");
    CHECK(format_bytes(5ull << 40) == "5.00 TiB");
    CHECK(format_rate(0) == "0 B/s");
    CHECK(format_rate(-5) == "0 B/s");
    CHECK(format_rate(2048) == "2.00 KiB/s");
    CHECK(format_count(999) == "999");
    CHECK(format_count(4710) == "4.71 k");
    CHECK(format_count(12'300'000) == "12.3 M");
    CHECK(format_duration(-5) == "0 s");
    CHECK(format_duration(42'999) == "42 s");
    CHECK(format_duration(300'000) == "5 min");
    CHECK(format_duration(3 * 3'600'000 + 12 * 60'000) == "3 h 12 min");
    CHECK(format_duration(2 * 86'400'000LL + 4 * 3'600'000) == "2 d 4 h");
}

TEST_CASE("counters at 2^63 - 1 are written as they are") {
    ConnectionRow row = sample_row();
    row.uplink_packets = row.uplink_bytes = row.downlink_packets = row.downlink_bytes = row.total_bytes = INT64_MAX;
    ConnectionsJson writer(row.last_seen_at, 1);
    writer.add(row);
    json rows = json::parse(writer.finish());
    for (const char* name : {"uplink_packets", "uplink_bytes", "downlink_packets", "downlink_bytes", "total_bytes"}) {
        INFO(name);
        CHECK(rows[0][name].get<std::int64_t>() == INT64_MAX);
    }
    HostRow host;
    host.ip = "192.0.2.1";
    host.uplink_bytes = host.downlink_bytes = host.active_bytes = INT64_MAX;
    host.connections_seen = host.active_connections = INT64_MAX;
    json hosts = json::parse(hosts_json({host}, 0));
    CHECK(hosts[0]["active_bytes"].get<std::int64_t>() == INT64_MAX);
    CHECK(hosts[0]["uplink_bytes"].get<std::int64_t>() == INT64_MAX);
    CHECK(format_bytes(INT64_MAX) == "8.00 EiB");
    CHECK(format_bytes(UINT64_MAX) == "16.0 EiB");
}

TEST_CASE("a row of /connections.json starts with print-outbound's flow, member for member") {
    // The sample row's flow as the kernel shows it: print-outbound writes it from this Entry.
    const netmon::Entry entry = netmon::test::parse_ok(
        "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.11 dst=192.0.2.10 sport=35410 dport=443 packets=10"
        " bytes=2540 src=192.0.2.10 dst=198.51.100.2 sport=443 dport=35410 packets=12 bytes=120528 [ASSURED] mark=0"
        " use=1");
    const json flow = json::parse(netmon::entry_json(entry));
    ConnectionsJson out(1795500000123 + 1000, 1);
    out.add(sample_row());
    const json row = json::parse(out.finish())[0];
    REQUIRE(flow.size() == 12);
    auto member = row.begin();
    for (auto it = flow.begin(); it != flow.end(); ++it, ++member) {
        INFO(it.key());
        REQUIRE(member != row.end());
        CHECK(member.key() == it.key());
        CHECK(member.value() == it.value());
    }
    // What only the web knows follows: rates, times and seen_before.
    CHECK(row.size() == flow.size() + 5 + 7);  // and the names
}
