#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "prometheus.h"

using namespace netmon;
using namespace netmon::web;

namespace {

MetricsInput sample_input() {
    MetricsInput input;
    input.database_up = true;
    input.summary = {12, 4, 6, 1};
    input.ingest.interval_ms = 1000;
    input.ingest.last_cycle_ms = 4;
    input.ingest.last_cycle_ok = 1;
    input.ingest.last_good_cycle_at = 1'000'000;
    input.ingest.lines_skipped_total = 12;
    input.ingest.event_overruns_total = 2;
    input.ingest.accounting = "on";
    input.health.fresh = true;
    input.health.last_cycle_age_ms = 250;
    input.health.last_good_age_ms = 250;
    InterfaceSample eth;
    eth.name = "eth0";
    eth.counters = InterfaceCounters{100, 200, 3, 4};
    InterfaceSample missing;
    missing.name = "enp9s0";
    missing.error = "missing";
    input.system.interfaces = {eth, missing};
    input.system.load = LoadAverage{0.5, 0.25, 0.125};
    input.devices = {{"10.0.0.11", 1000, 250000}, {"fd00:10::11", 7, 0}};
    return input;
}

// The samples: "name{labels}" -> value.
std::map<std::string, std::string> samples_of(const std::string& text) {
    std::map<std::string, std::string> samples;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto space = line.rfind(' ');
        samples[line.substr(0, space)] = line.substr(space + 1);
    }
    return samples;
}

}  // namespace

TEST_CASE("every line is a HELP, a TYPE or a sample of the family just announced") {
    std::string text = render_prometheus(sample_input());
    REQUIRE(text.ends_with("\n"));
    const std::regex help(R"(# HELP ([a-z_]+) .+)");
    const std::regex type(R"(# TYPE ([a-z_]+) (gauge|counter))");
    const std::regex sample(R"(([a-z_]+)(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[0-9.e+]+)");
    std::istringstream lines(text);
    std::string family;
    std::set<std::string> families;
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_match(line, m, help)) {
            family = m[1];
            CHECK(families.insert(family).second);  // each family once
            std::getline(lines, line);
            REQUIRE(std::regex_match(line, m, type));
            CHECK(m[1] == family);
        } else {
            INFO(line);
            REQUIRE(std::regex_match(line, m, sample));
            CHECK(m[1] == family);
        }
    }
    CHECK(families.count("netmon_active_connections") == 1);
}

TEST_CASE("the figures, with units in seconds and bytes, and labels") {
    auto samples = samples_of(render_prometheus(sample_input()));
    CHECK(samples["netmon_database_up"] == "1");
    CHECK(samples["netmon_active_connections"] == "12");
    CHECK(samples["netmon_remote_hosts{state=\"active\"}"] == "4");
    CHECK(samples["netmon_remote_hosts{state=\"known\"}"] == "6");
    CHECK(samples["netmon_remote_hosts{state=\"new\"}"] == "1");
    CHECK(samples["netmon_ingest_cycle_duration_seconds"] == "0.004");
    CHECK(samples["netmon_ingest_last_cycle_age_seconds"] == "0.25");
    CHECK(samples["netmon_ingest_lines_skipped_total"] == "12");
    CHECK(samples["netmon_ingest_event_overruns_total"] == "2");
    CHECK(samples["netmon_ingest_resyncs_total"] == "0");
    CHECK(samples["netmon_conntrack_accounting_enabled"] == "1");
    CHECK(samples["netmon_interface_receive_bytes_total{interface=\"eth0\"}"] == "100");
    CHECK(samples["netmon_interface_transmit_packets_total{interface=\"eth0\"}"] == "4");
    CHECK(samples["netmon_interface_up{interface=\"enp9s0\"}"] == "0");
    CHECK(samples.count("netmon_interface_receive_bytes_total{interface=\"enp9s0\"}") == 0);
    CHECK(samples["netmon_load_average{period=\"1m\"}"] == "0.5");
}

TEST_CASE("without the database: up 0, the system figures still there") {
    MetricsInput input = sample_input();
    input.database_up = false;
    auto samples = samples_of(render_prometheus(input));
    CHECK(samples["netmon_database_up"] == "0");
    CHECK(samples.count("netmon_active_connections") == 0);
    CHECK(samples["netmon_interface_up{interface=\"eth0\"}"] == "1");
}

TEST_CASE("label values and help texts are escaped") {
    CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
    CHECK(escape_help("a\\b\nc\"") == "a\\\\b\\nc\"");
    PrometheusText p;
    p.family("x", "gauge", "help");
    p.sample("x", {{"interface", "we\"ird"}}, 1.5);
    CHECK(p.text() == "# HELP x help\n# TYPE x gauge\nx{interface=\"we\\\"ird\"} 1.5\n");
}

TEST_CASE("figures at the counters' limits are rendered, not wrapped") {
    MetricsInput input = sample_input();
    input.summary = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    input.ingest.lines_skipped_total = INT64_MAX;
    input.system.interfaces[0].counters = InterfaceCounters{UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
    auto samples = samples_of(render_prometheus(input));
    // Samples are floats: 2^63 - 1 is 2^63 there, 2^64 - 1 is 2^64.
    CHECK(samples["netmon_active_connections"] == "9223372036854775808");
    CHECK(samples["netmon_remote_hosts{state=\"known\"}"] == "9223372036854775808");
    CHECK(samples["netmon_ingest_lines_skipped_total"] == "9223372036854775808");
    CHECK(samples["netmon_interface_receive_bytes_total{interface=\"eth0\"}"] == "18446744073709551616");
}

TEST_CASE("each LAN device's bytes: one counter per device and direction") {
    const std::string text = render_prometheus(sample_input());
    auto samples = samples_of(text);
    CHECK(samples["netmon_device_bytes_total{device=\"10.0.0.11\",direction=\"uplink\"}"] == "1000");
    CHECK(samples["netmon_device_bytes_total{device=\"10.0.0.11\",direction=\"downlink\"}"] == "250000");
    CHECK(samples["netmon_device_bytes_total{device=\"fd00:10::11\",direction=\"uplink\"}"] == "7");
    CHECK(samples["netmon_device_bytes_total{device=\"fd00:10::11\",direction=\"downlink\"}"] == "0");
    CHECK(text.find("# TYPE netmon_device_bytes_total counter\n") != std::string::npos);
    std::size_t series = 0;
    for (const auto& [name, value] : samples) series += name.starts_with("netmon_device_bytes_total{");
    CHECK(series == 4);
    // No devices yet: the family, without samples; without the database, not even that.
    MetricsInput input = sample_input();
    input.devices.clear();
    CHECK(render_prometheus(input).find("# HELP netmon_device_bytes_total ") != std::string::npos);
    input.database_up = false;
    CHECK(render_prometheus(input).find("netmon_device_bytes_total") == std::string::npos);
}
