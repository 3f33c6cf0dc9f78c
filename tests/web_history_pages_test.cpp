// The history pages (webui/history_pages.h): which paths are pages, which addresses they take,
// what they render; and what only they read (webui/host_page_queries.h) over a real database.
#include <catch2/catch.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "db_support.h"
#include "history_page_routes.h"
#include "history_pages.h"
#include "host_page_queries.h"
#include "netmon/database.h"
#include "netmon/schema.h"

using namespace netmon;
using namespace netmon::web;
using netmon::test::TempDir;

namespace {

IpAddress address(std::string_view text) { return *IpAddress::parse(text); }

struct HistoryDatabase {
    TempDir dir;
    Database db{dir.file("netmon.db"), Database::Mode::read_write_create};
    HistoryDatabase() { migrate(db); }

    void device(std::string_view device, std::int64_t first, std::int64_t last, std::int64_t up, std::int64_t down) {
        Statement s = db.prepare(
            "INSERT INTO devices (address, first_seen_at, last_seen_at, connections_seen, uplink_bytes, downlink_bytes,"
            " active_connections) VALUES (?1, ?2, ?3, 3, ?4, ?5, 2)");
        s.bind_blob(1, address(device).blob()).bind(2, first).bind(3, last).bind(4, up).bind(5, down);
        s.run();
    }
    void pair(std::string_view device, std::string_view host, std::int64_t first, std::int64_t last, std::int64_t up,
              std::int64_t down) {
        Statement s = db.prepare(
            "INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
            " downlink_bytes) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)");
        s.bind_blob(1, address(device).blob()).bind_blob(2, address(host).blob()).bind(3, first).bind(4, last);
        s.bind(5, up).bind(6, down);
        s.run();
    }
};

}  // namespace

TEST_CASE("page paths: /device/ and /host/, the rest is not a page") {
    auto device = match_history_page("/device/10.0.0.11");
    REQUIRE(device);
    CHECK(device->page == HistoryPage::device);
    CHECK(device->address_text == "10.0.0.11");
    auto host = match_history_page("/host/2001:db8::1");
    REQUIRE(host);
    CHECK(host->page == HistoryPage::host);
    CHECK(host->address_text == "2001:db8::1");
    CHECK_FALSE(match_history_page("/devices.json"));
    CHECK_FALSE(match_history_page("/device"));
    CHECK_FALSE(match_history_page("/hosts.json"));
    CHECK(match_history_page("/device/")->address_text.empty());
}

TEST_CASE("page addresses: IPv4, IPv6 plain or percent-encoded, and nothing for anything else") {
    CHECK(parse_page_address("10.0.0.11") == address("10.0.0.11"));
    CHECK(parse_page_address("fd00:10::2") == address("fd00:10::2"));
    CHECK(parse_page_address("fd00%3A10%3a%3A2") == address("fd00:10::2"));
    for (std::string_view bad : {"", "10.0.0.256", "10.0.0.011", "10.0.0.1/24", "10.0.0.1%", "10.0.0.1%2",
                                 "10.0.0.1%zz", "%00", "example.com", "10.0.0.1%2F", "<script>"})
        CHECK_FALSE(parse_page_address(bad));
    CHECK_FALSE(parse_page_address(std::string(200, '1')));
}

TEST_CASE("a page names its address in canonical form and loads Chart.js before its script") {
    const std::string page = render_history_page(HistoryPage::device, address("FD00:10:0::2"));
    CHECK(page.find("data-page=\"device\" data-address=\"fd00:10::2\"") != std::string::npos);
    CHECK(page.find("<strong class=\"subject\">fd00:10::2</strong>") != std::string::npos);
    const auto chart = page.find("<script src=\"/static/chart.js\" defer>");
    const auto own = page.find("<script src=\"/static/device.js\" defer>");
    REQUIRE(chart != std::string::npos);
    REQUIRE(own != std::string::npos);
    CHECK(chart < own);
    for (std::string_view id : {"id=\"total-today\"", "id=\"total-7d\"", "id=\"total-30d\"", "id=\"chart\"",
                                "data-window=\"1h\"", "data-window=\"30d\"", "id=\"hosts\"", "id=\"connections\""})
        CHECK(page.find(id) != std::string::npos);
    // No inline script or style: the CSP forbids both.
    CHECK(page.find("<script>") == std::string::npos);
    CHECK(page.find("style=") == std::string::npos);

    const std::string host = render_history_page(HistoryPage::host, address("203.0.113.7"));
    CHECK(host.find("data-page=\"host\" data-address=\"203.0.113.7\"") != std::string::npos);
    CHECK(host.find("/static/host.js") != std::string::npos);
    CHECK(host.find("id=\"devices\"") != std::string::npos);
}

TEST_CASE("the 400 page escapes what the path said") {
    const std::string page = render_bad_address_page(HistoryPage::host, "<img src=x>");
    CHECK(page.find("&ldquo;&lt;img src=x&gt;&rdquo; is not an IP address") != std::string::npos);
    CHECK(page.find("<img src=x>") == std::string::npos);
}

TEST_CASE("the address parameter of /device.json and /host.json") {
    std::string error;
    CHECK(parse_address_parameter({{"device", "10.0.0.11"}}, "device", error) == address("10.0.0.11"));
    CHECK_FALSE(parse_address_parameter({}, "device", error));
    CHECK(error == "device: required, an IP address");
    CHECK_FALSE(parse_address_parameter({{"device", "10.0.0.x"}}, "device", error));
    CHECK(error == "device: \"10.0.0.x\" is not an IP address");
    CHECK_FALSE(parse_address_parameter({{"host", "10.0.0.1"}}, "device", error));
    CHECK(error.starts_with("unknown parameter \"host\""));
    CHECK_FALSE(parse_address_parameter({{"host", "192.0.2.1"}, {"host", "192.0.2.2"}}, "host", error));
    CHECK(error == "parameter \"host\" is given more than once");
}

TEST_CASE("a device's record, and none for an unknown one") {
    HistoryDatabase h;
    h.device("10.0.0.11", 1'000, 5'000, 100, 2'000);
    auto record = read_device_record(h.db, address("10.0.0.11"));
    REQUIRE(record);
    auto json = nlohmann::json::parse(device_record_json(address("10.0.0.11"), record));
    CHECK(json["device"] == "10.0.0.11");
    CHECK(json["first_seen_at"] == "1970-01-01T00:00:01.000Z");
    CHECK(json["last_seen_at"] == "1970-01-01T00:00:05.000Z");
    CHECK(json["uplink_bytes"] == 100);
    CHECK(json["downlink_bytes"] == 2'000);
    CHECK(json["total_bytes"] == 2'100);
    CHECK(json["connections_seen"] == 3);
    CHECK(json["active_connections"] == 2);

    auto unknown = read_device_record(h.db, address("10.0.0.99"));
    CHECK_FALSE(unknown);
    json = nlohmann::json::parse(device_record_json(address("10.0.0.99"), unknown));
    CHECK(json["first_seen_at"].is_null());
    CHECK(json["total_bytes"] == 0);
}

TEST_CASE("a host's devices by total bytes, and its first contact from them without a remote_hosts row") {
    HistoryDatabase h;
    h.pair("10.0.0.11", "203.0.113.7", 2'000, 9'000, 10, 20);
    h.pair("fd00:10::2", "203.0.113.7", 1'000, 3'000, 500, 500);
    h.pair("10.0.0.12", "198.51.100.1", 1'000, 3'000, 1, 1);
    const HostRecord record = read_host_record(h.db, address("203.0.113.7"));
    CHECK_FALSE(record.host);
    REQUIRE(record.devices.size() == 2);
    auto json = nlohmann::json::parse(host_record_json(address("203.0.113.7"), record));
    CHECK(json["host"] == "203.0.113.7");
    CHECK(json["first_seen_at"] == "1970-01-01T00:00:01.000Z");
    CHECK(json["last_seen_at"] == "1970-01-01T00:00:09.000Z");
    CHECK(json["total_bytes"] == 1'030);
    CHECK(json["connections_seen"] == 2);
    REQUIRE(json["devices"].size() == 2);
    CHECK(json["devices"][0]["device"] == "fd00:10::2");
    CHECK(json["devices"][0]["total_bytes"] == 1'000);
    CHECK(json["devices"][1]["device"] == "10.0.0.11");
    CHECK(json["devices"][1]["first_seen_at"] == "1970-01-01T00:00:02.000Z");

    // With its remote_hosts row: its totals, and the earliest first contact of all.
    h.db.execute("INSERT INTO remote_hosts (ip, family, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
                 " downlink_bytes) VALUES ('203.0.113.7', 4, 1500, 4000, 7, 70, 700)");
    json = nlohmann::json::parse(host_record_json(address("203.0.113.7"), read_host_record(h.db, address("203.0.113.7"))));
    CHECK(json["first_seen_at"] == "1970-01-01T00:00:01.000Z");
    CHECK(json["last_seen_at"] == "1970-01-01T00:00:09.000Z");
    CHECK(json["connections_seen"] == 7);
    CHECK(json["total_bytes"] == 770);

    json = nlohmann::json::parse(host_record_json(address("192.0.2.99"), read_host_record(h.db, address("192.0.2.99"))));
    CHECK(json["first_seen_at"].is_null());
    CHECK(json["devices"].empty());
}

TEST_CASE("the chart library: served from its file with an ETag, 304 when it matches, 404 without it") {
    TempDir dir;
    const std::string path = dir.file("chart.min.js");
    FILE* file = std::fopen(path.c_str(), "w");
    REQUIRE(file != nullptr);
    std::fputs("window.Chart = function () {};\n", file);
    std::fclose(file);

    Request request;
    request.method = "GET";
    request.target = "/static/chart.js";
    Response response = chart_library(request, path);
    CHECK(response.status == 200);
    CHECK(response.body == "window.Chart = function () {};\n");
    REQUIRE(response.header("ETag") != nullptr);
    CHECK(*response.header("Content-Type") == "text/javascript; charset=utf-8");

    request.headers.emplace_back("If-None-Match", *response.header("ETag"));
    Response again = chart_library(request, path);
    CHECK(again.status == 304);
    CHECK(again.body.empty());

    Response missing = chart_library(request, dir.file("nothing.js"));
    CHECK(missing.status == 404);
    CHECK(missing.body.find("libjs-chart.js") != std::string::npos);
}
