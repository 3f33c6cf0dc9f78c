#include <catch2/catch.hpp>

#include "dashboard.h"

using namespace netmon;
using namespace netmon::web;

namespace {

ConnectionRow row(std::string dst, std::int64_t total) {
    ConnectionRow r;
    r.proto = "tcp";
    r.src_ip = "10.0.0.11";
    r.src_port = 40000;
    r.dst_ip = std::move(dst);
    r.dst_port = 443;
    r.state = "ESTABLISHED";
    r.flags = "ASSURED";
    r.total_bytes = total;
    r.first_seen_at = 1'000'000;
    r.last_seen_at = 1'000'000;
    r.host_first_seen_at = 1'000'000;
    return r;
}

DashboardView view_with(std::vector<ConnectionRow> rows, std::int64_t now) {
    DashboardView view;
    view.lan_interface = "enp3s0";
    view.wan_interface = "enp2s0";
    view.rows = std::move(rows);
    view.now_ms = now;
    view.ingest.health.fresh = true;
    view.ingest.health.last_cycle_age_ms = 300;
    view.ingest.summary = {2, 2, 5, 1};
    return view;
}

std::size_t count(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("escape_html escapes the five characters") {
    CHECK(escape_html("<a href=\"x\">Tom & 'Jerry'</a>") ==
          "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    CHECK(escape_html("10.0.0.1") == "10.0.0.1");
}

TEST_CASE("the page is complete without JavaScript: rows in order, badges, summary") {
    auto view = view_with({row("192.0.2.10", 5000), row("2001:db8::1", 100)}, 1'000'000 + 30'000);
    view.rows[1].host_first_seen_at = 1'000'000 - 120'000;  // older than 60 s
    std::string page = render_dashboard(view);
    CHECK(page.starts_with("<!DOCTYPE html>"));
    CHECK(page.find("<tbody id=\"connections\"") != std::string::npos);
    auto first = page.find("192.0.2.10");
    auto second = page.find("[2001:db8::1]");
    REQUIRE(first != std::string::npos);
    REQUIRE(second != std::string::npos);
    CHECK(first < second);
    CHECK(count(page, ">NEW</span>") == 1);
    CHECK(count(page, ">SEEN</span>") == 1);
    CHECK(page.find("<strong>2</strong> active connections to <strong>2</strong> remote hosts") != std::string::npos);
    CHECK(page.find("<strong>1</strong> hosts new in the last 60 s") != std::string::npos);
    CHECK(page.find("4.88 KiB") != std::string::npos);
    CHECK(page.find("<script src=\"/static/app.js\" defer></script>") != std::string::npos);
}

TEST_CASE("no inline script or style anywhere: the CSP allows neither") {
    std::string page = render_dashboard(view_with({row("192.0.2.10", 1)}, 1'000'000));
    CHECK(page.find("<script>") == std::string::npos);
    CHECK(page.find("style=") == std::string::npos);
    CHECK(page.find("<style") == std::string::npos);
    CHECK(page.find("onclick") == std::string::npos);
    CHECK(page.find("onload") == std::string::npos);
}

TEST_CASE("every value is escaped, wherever it lands") {
    const std::string evil = "<img src=x onerror=alert(1)>\"'&";
    ConnectionRow r = row(evil, 1);
    r.proto = evil;
    r.src_ip = evil;
    r.state = evil;
    r.flags = evil;
    auto view = view_with({r}, 1'000'000);
    view.lan_interface = evil;
    view.filter.q = evil;
    view.filter.src = evil;
    view.filter.proto = evil;
    view.ingest.health.notices.push_back({Notice::Level::error, evil});
    InterfaceSample interface;
    interface.name = evil;
    interface.error = evil;
    view.system.interfaces.push_back(interface);
    std::string page = render_dashboard(view);
    CHECK(page.find("<img src=x") == std::string::npos);
    CHECK(page.find("onerror=alert(1)>") == std::string::npos);
    CHECK(page.find("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;") != std::string::npos);
}

TEST_CASE("the filter form keeps the query, and the tbody carries it for the polling") {
    auto view = view_with({}, 1'000'000);
    view.filter.q = "443";
    view.filter.proto = "udp";
    view.filter.src = "10.0.0.12";
    std::string page = render_dashboard(view);
    CHECK(page.find("placeholder=\"e.g. 443 or 192.0.2\" value=\"443\"") != std::string::npos);
    CHECK(page.find("<option selected>udp</option>") != std::string::npos);
    CHECK(page.find("value=\"10.0.0.12\"") != std::string::npos);
    CHECK(page.find("data-query=\"q=443&amp;proto=udp&amp;src=10.0.0.12\"") != std::string::npos);
    CHECK(page.find("No active connections match.") != std::string::npos);
    CHECK(page.find("href=\"/\">Clear</a>") != std::string::npos);
}

TEST_CASE("a bad parameter and a missing database are said plainly") {
    auto view = view_with({}, 1'000'000);
    view.filter_error = "limit: \"0\" is not a whole number from 1 to 10000";
    std::string page = render_dashboard(view);
    CHECK(page.find("No connections: limit: &quot;0&quot; is not a whole number") != std::string::npos);

    view = view_with({}, 1'000'000);
    view.ingest.database_error = "there is no database at /var/lib/netmon/netmon.db yet. netmon-ingest creates it";
    page = render_dashboard(view);
    CHECK(page.find("class=\"notice error\">No data: there is no database at /var/lib/netmon/netmon.db yet") !=
          std::string::npos);
}

TEST_CASE("the ingest's notices reach the page") {
    auto view = view_with({}, 1'000'000);
    view.ingest.health.notices.push_back({Notice::Level::warning, "Connection accounting is off"});
    std::string page = render_dashboard(view);
    CHECK(page.find("<p class=\"notice warning\">Connection accounting is off</p>") != std::string::npos);
}

TEST_CASE("ICMP shows type and code, protocols without ports show the address alone") {
    ConnectionRow icmp = row("192.0.2.10", 1);
    icmp.proto = "icmp";
    icmp.src_port = 5904;
    icmp.dst_port = 8 << 8;
    ConnectionRow gre = row("192.0.2.11", 1);
    gre.proto = "gre";
    gre.dst_port = 0;
    std::string page = render_dashboard(view_with({icmp, gre}, 1'000'000));
    CHECK(page.find("192.0.2.10</span><span class=\"port\"> type 8 code 0</span>") != std::string::npos);
    CHECK(page.find("192.0.2.11</span> <span class=\"badge") != std::string::npos);
}

TEST_CASE("tiles: load, memory, interfaces with their role, a missing one with its error") {
    auto view = view_with({}, 1'000'000);
    view.system.load = LoadAverage{0.52, 0.58, 0.59};
    view.system.memory = MemoryUsage{2048ull << 20, 1024ull << 20, 1024ull << 20};
    InterfaceSample wan;
    wan.name = "enp2s0";
    wan.counters = InterfaceCounters{1ull << 30, 1ull << 20, 4710, 12};
    wan.rates = InterfaceRates{2048, 0, 1, 0};
    InterfaceSample missing;
    missing.name = "enp9s0";
    missing.error = "no interface enp9s0 on this host";
    view.system.interfaces = {wan, missing};
    std::string page = render_dashboard(view);
    CHECK(page.find("0.52 0.58 0.59") != std::string::npos);
    CHECK(page.find("1.00 GiB <span class=\"of\">of 2.00 GiB</span>") != std::string::npos);
    CHECK(page.find("enp2s0 <span class=\"role\">WAN</span>") != std::string::npos);
    CHECK(page.find("2.00 KiB/s") != std::string::npos);
    CHECK(page.find("1.00 GiB, 4.71 k packets") != std::string::npos);
    CHECK(page.find("no interface enp9s0 on this host") != std::string::npos);
}

TEST_CASE("counters at 2^63 - 1: the page shows saturated figures, no sum overflows") {
    auto view = view_with({row("192.0.2.10", INT64_MAX)}, 1'000'000 + 30'000);
    ConnectionRow& r = view.rows[0];
    r.uplink_packets = r.downlink_packets = INT64_MAX;  // their sum would overflow
    r.uplink_bytes = r.downlink_bytes = INT64_MAX;
    std::string page = render_dashboard(view);
    CHECK(count(page, "title=\"9223372036854775807 bytes, 9223372036854775807 packets\"") == 3);
    CHECK(count(page, ">8.00 EiB</td>") == 3);
    CHECK(page.find("-2 packets") == std::string::npos);
}
