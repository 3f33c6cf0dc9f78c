#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "netmon/log.h"
#include "netmon/outbound.h"
#include "netmon/snapshot.h"
#include "print_outbound.h"
#include "snapshot_source.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::fixture_path;
using netmon::test::parse_ok;

namespace {

// Keeps what it is told, for assertions.
class RecordingLogger final : public Logger {
public:
    void write(Priority priority, std::string_view message) override {
        lines.emplace_back(priority, std::string(message));
    }
    std::vector<std::pair<Priority, std::string>> lines;
};

Entry flow(const char* src, unsigned sport, std::uint64_t up, std::uint64_t down) {
    std::string line = std::string("udp 17 9 src=") + src + " dst=192.0.2.1 sport=" + std::to_string(sport) +
                       " dport=53 packets=1 bytes=" + std::to_string(up) + " src=192.0.2.1 dst=198.51.100.2 sport=53 dport=" +
                       std::to_string(sport) + " packets=1 bytes=" + std::to_string(down);
    return parse_ok(line);
}

}  // namespace

TEST_CASE("top flows: by total bytes, descending, ties by key, at most the limit", "[print]") {
    std::vector<Entry> entries = {flow("10.0.0.1", 1, 10, 10), flow("10.0.0.2", 2, 500, 0),
                                  flow("10.0.0.3", 3, 0, 20), flow("10.0.0.4", 4, 1, 19),
                                  flow("10.0.0.5", 5, 100, 300)};
    auto top = top_by_total_bytes(entries, 3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].original.sport == 2);
    CHECK(top[1].original.sport == 5);
    CHECK(top[2].original.sport == 1);  // 20 bytes, like 3 and 4: the smallest key first
    CHECK(top_by_total_bytes(entries, 100).size() == 5);
    CHECK(top_by_total_bytes({}, 20).empty());
}

TEST_CASE("the JSON array has the documented fields", "[print]") {
    std::ostringstream out;
    print_json(out, {flow("10.0.0.9", 4000, 100, 300)});
    auto json = nlohmann::json::parse(out.str());
    REQUIRE(json.is_array());
    REQUIRE(json.size() == 1);
    const auto& row = json[0];
    std::vector<std::string> names;
    for (const auto& item : row.items()) names.push_back(item.key());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"downlink_bytes", "downlink_packets", "dst_ip", "dst_port",
                                            "flags", "proto", "src_ip", "src_port", "state",
                                            "total_bytes", "uplink_bytes", "uplink_packets"});
    CHECK(row["proto"] == "udp");
    CHECK(row["src_ip"] == "10.0.0.9");
    CHECK(row["src_port"] == 4000);
    CHECK(row["dst_ip"] == "192.0.2.1");
    CHECK(row["dst_port"] == 53);
    CHECK(row["state"].is_null());
    CHECK(row["flags"] == nlohmann::json::array());
    CHECK(row["uplink_bytes"] == 100);
    CHECK(row["downlink_bytes"] == 300);
    CHECK(row["total_bytes"] == 400);

    std::ostringstream empty;
    print_json(empty, {});
    CHECK(nlohmann::json::parse(empty.str()) == nlohmann::json::array());
}

TEST_CASE("the table is aligned", "[print]") {
    std::ostringstream out;
    print_table(out, {flow("10.0.0.9", 4000, 100, 300), flow("10.0.0.10", 5, 1234567, 0)});
    std::istringstream lines(out.str());
    std::vector<std::string> rows;
    for (std::string line; std::getline(lines, line);) rows.push_back(line);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].starts_with("PROTO  SRC"));
    // Right-aligned numbers end in the same column.
    CHECK(rows[1].size() == rows[0].size());
    CHECK(rows[2].size() == rows[0].size());
    CHECK(rows[1].find("10.0.0.9 ") != std::string::npos);
}

TEST_CASE("print_outbound reads the source and reports skipped lines", "[print]") {
    TextFileSource source(fixture_path("router_mixed.txt"));
    OutboundFilter filter({*Cidr::parse("10.0.0.0/24"), *Cidr::parse("fd00:10::/64")});
    std::ostringstream out;
    RecordingLogger log;
    print_outbound(source, filter, 5, true, out, log);
    auto json = nlohmann::json::parse(out.str());
    REQUIRE(json.size() == 5);
    CHECK(json[0]["total_bytes"] == 123068);
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].first == Priority::warning);
    CHECK(log.lines[0].second.find("12 lines skipped") != std::string::npos);

    TextFileSource missing("/nonexistent/capture.txt");
    CHECK_THROWS_WITH(print_outbound(missing, filter, 5, true, out, log),
                      "cannot open /nonexistent/capture.txt: No such file or directory");
}

TEST_CASE("counters at 2^63 - 1 and 2^64 - 1: totals saturate, in JSON and in the table", "[print]") {
    constexpr std::uint64_t i64_max = INT64_MAX;
    constexpr std::uint64_t u64_max = UINT64_MAX;
    std::vector<Entry> entries = {flow("10.0.0.1", 1, u64_max, 1), flow("10.0.0.2", 2, i64_max, i64_max),
                                  flow("10.0.0.3", 3, i64_max, 1), flow("10.0.0.4", 4, 10, 10)};
    auto top = top_by_total_bytes(entries, 10);
    REQUIRE(top.size() == 4);
    CHECK(top[0].original.sport == 1);  // 2^64 - 1, saturated: not 0
    CHECK(top[1].original.sport == 2);  // 2^64 - 2
    CHECK(top[2].original.sport == 3);  // 2^63
    std::ostringstream out;
    print_json(out, top);
    auto json = nlohmann::json::parse(out.str());
    CHECK(json[0]["uplink_bytes"].get<std::uint64_t>() == u64_max);
    CHECK(json[0]["total_bytes"].get<std::uint64_t>() == u64_max);
    CHECK(json[1]["total_bytes"].get<std::uint64_t>() == u64_max - 1);
    CHECK(json[2]["total_bytes"].get<std::uint64_t>() == i64_max + 1);
    CHECK(json[3]["total_bytes"].get<std::uint64_t>() == 20);
    std::ostringstream table;
    print_table(table, top);
    std::istringstream lines(table.str());
    std::string header, first;
    std::getline(lines, header);
    std::getline(lines, first);
    CHECK(first.substr(first.size() - 21) == " 18446744073709551615");  // TOTAL_BYTES
}
