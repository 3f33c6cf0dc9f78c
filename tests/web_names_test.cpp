// netmon-web's side of names (issue 13): the tables of schema/006_names.sql filled with plain
// SQL, as the ingest leaves them, and what every endpoint makes of them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "api_json.h"
#include "dashboard.h"
#include "db_support.h"
#include "history_json.h"
#include "host_page_queries.h"
#include "names.h"
#include "prometheus.h"
#include "netmon/database.h"
#include "netmon/schema.h"
#include "queries.h"
#include "request_params.h"
#include "units.h"

using namespace netmon;
using namespace netmon::web;
using netmon::test::TempDir;
using json = nlohmann::json;

namespace {

constexpr std::int64_t hour = 3'600'000;
constexpr std::int64_t now = 1'795'500'000'000;

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }
MacAddress mac(std::string_view text) { return *MacAddress::parse(text); }

// The hostile lease hostname of the issue, as the ingest stores it (control characters gone).
const std::string hostile = "<img src=x onerror=alert(1)>\"'&";

struct NamesDatabase {
    TempDir dir;
    std::string path = dir.file("netmon.db");
    Database db{path, Database::Mode::read_write_create};

    NamesDatabase() {
        db.execute("PRAGMA journal_mode = WAL");
        migrate(db);
    }

    void connection(const std::string& src, int sport, const std::string& dst, int dport, std::int64_t bytes,
                    std::int64_t first_seen_at = now - hour) {
        Statement s = db.prepare(
            "INSERT INTO connections (proto, family, src_ip, src_port, dst_ip, dst_port, state, flags,"
            " uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, first_seen_at, last_seen_at,"
            " sampled_at) VALUES ('tcp', ?6, ?1, ?2, ?3, ?4, 'ESTABLISHED', 'ASSURED', 1, ?5, 1, 0, ?7, ?7, ?7)");
        s.bind(1, std::string_view(src)).bind(2, sport).bind(3, std::string_view(dst)).bind(4, dport).bind(5, bytes);
        s.bind(6, src.find(':') == std::string::npos ? 4 : 6).bind(7, first_seen_at);
        s.run();
    }
    void lan_address(std::string_view address, std::string_view mac_text) {
        Statement s = db.prepare(
            "INSERT INTO lan_addresses (address, mac, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)");
        s.bind_blob(1, ip(address).blob()).bind_blob(2, mac(mac_text).blob()).bind(3, now - 2 * hour);
        s.run();
    }
    // key: a MAC's text or an address's.
    void device_name(std::string_view key, const char* name, const char* source, const char* vendor) {
        Statement s = db.prepare(
            "INSERT OR REPLACE INTO device_names (device, name, source, vendor, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)");
        auto m = MacAddress::parse(key);
        s.bind_blob(1, m ? std::string(m->blob()) : std::string(ip(key).blob()));
        if (name) s.bind(2, std::string_view(name));
        else s.bind_null(2);
        if (source) s.bind(3, std::string_view(source));
        else s.bind_null(3);
        if (vendor) s.bind(4, std::string_view(vendor));
        else s.bind_null(4);
        s.bind(5, now);
        s.run();
    }
    void answer(std::string_view device, std::string_view host, std::string_view name, std::int64_t answered_at,
                std::int64_t expires_at) {
        Statement s = db.prepare(
            "INSERT INTO remote_names (device, host, name, answered_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)");
        s.bind_blob(1, ip(device).blob()).bind_blob(2, ip(host).blob()).bind(3, name).bind(4, answered_at);
        s.bind(5, expires_at);
        s.run();
    }
    void host_name(std::string_view host, std::string_view name) {
        Statement s = db.prepare(
            "INSERT INTO host_names (host, name, resolved_at, expires_at) VALUES (?1, ?2, ?3, ?3 + 300000)");
        s.bind_blob(1, ip(host).blob()).bind(2, name).bind(3, now - hour);
        s.run();
    }
    void device_traffic(std::string_view device, std::string_view host, std::int64_t at, std::int64_t up) {
        for (int step : {60, 3600, 86400}) {
            const std::int64_t bucket = at / (step * 1000LL) * (step * 1000LL);
            Statement t = db.prepare(
                "INSERT INTO traffic (device, step, bucket, uplink_bytes, downlink_bytes, uplink_packets,"
                " downlink_packets, flows) VALUES (?1, ?2, ?3, ?4, 0, 1, 0, 1)");
            t.bind_blob(1, ip(device).blob()).bind(2, step).bind(3, bucket).bind(4, up);
            t.run();
            Statement h = db.prepare(
                "INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes, downlink_bytes, uplink_packets,"
                " downlink_packets, flows) VALUES (?1, ?2, ?3, ?4, ?5, 0, 1, 0, 1)");
            h.bind_blob(1, ip(device).blob()).bind(2, step).bind(3, bucket).bind_blob(4, ip(host).blob()).bind(5, up);
            h.run();
        }
        Statement d = db.prepare(
            "INSERT INTO devices (address, first_seen_at, last_seen_at, connections_seen, uplink_bytes)"
            " VALUES (?1, ?2, ?2, 1, ?3)");
        d.bind_blob(1, ip(device).blob()).bind(2, at).bind(3, up);
        d.run();
        Statement p = db.prepare(
            "INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at, connections_seen, uplink_bytes)"
            " VALUES (?1, ?2, ?3, ?3, 1, ?4)");
        p.bind_blob(1, ip(device).blob()).bind_blob(2, ip(host).blob()).bind(3, at).bind(4, up);
        p.run();
    }
    void ended_flow(std::int64_t ended_at, std::string_view device, std::string_view host) {
        Statement s = db.prepare(
            "INSERT INTO flow_log (ended_at, device, host, proto, src_port, dst_port, first_seen_at, last_seen_at,"
            " state, flags, uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, ended_by)"
            " VALUES (?1, ?2, ?3, 6, 40000, 443, ?1 - 5000, ?1 - 1000, 'TIME_WAIT', 1, 3, 300, 4, 4000, 1)");
        s.bind(1, ended_at).bind_blob(2, ip(device).blob()).bind_blob(3, ip(host).blob());
        s.run();
    }

    // The laptop: a MAC with an IPv4 address and an IPv6 privacy address, named by its lease; it
    // resolved video.example.net (192.0.2.10) over IPv6 and connects over IPv4. The phone: a
    // random MAC, no name. 10.0.0.13: no MAC at all, a config name by address.
    void fill() {
        lan_address("10.0.0.11", "00:1b:63:aa:bb:cc");
        lan_address("fd00:10::2:1", "00:1b:63:aa:bb:cc");
        lan_address("10.0.0.12", "da:a1:19:00:00:01");
        device_name("00:1b:63:aa:bb:cc", "alices-laptop", "dhcp", "Apple, Inc.");
        device_name("da:a1:19:00:00:01", nullptr, nullptr, nullptr);
        device_name("10.0.0.13", "printer", "config", nullptr);
        answer("fd00:10::2:1", "192.0.2.10", "video.example.net", now - hour - 1000, now + hour);
        host_name("192.0.2.10", "video.example.net");
        host_name("203.0.113.20", "cdn.example.org");
        connection("10.0.0.11", 35410, "192.0.2.10", 443, 5000);
        connection("10.0.0.11", 35411, "198.51.100.30", 443, 4000);
        connection("fd00:10::2:1", 50000, "2001:db8::1", 443, 3000);
        connection("10.0.0.12", 44300, "203.0.113.20", 80, 2000);
        connection("10.0.0.13", 60597, "192.0.2.10", 443, 1000);
    }

    Reader reader() { return Reader(Database(path, Database::Mode::read_only)); }
};

std::vector<ConnectionRow> rows_of(Reader& reader, const ConnectionFilter& filter) {
    std::vector<ConnectionRow> rows;
    reader.connections(filter, now, [&](const ConnectionRow& row) { rows.push_back(row); });
    return rows;
}

std::vector<std::string> keys(const std::vector<ConnectionRow>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row.src_ip + ">" + row.dst_ip);
    return out;
}

ConnectionFilter filter(std::string q, std::string src = "", std::size_t limit = 500) {
    std::string error;
    QueryParams params{{"q", q}, {"src", src}, {"limit", std::to_string(limit)}};
    auto parsed = parse_connection_filter(params, error);
    INFO(error);
    REQUIRE(parsed);
    return *parsed;
}

}  // namespace

TEST_CASE("names: a remote name is the device's unexpired answer, else the host's, else none") {
    const std::vector<AnswerRow> answers = {{"old.example", 100, 200}, {"new.example", 300, 400}};
    CHECK(remote_name_of(answers, 150, std::nullopt) == RemoteName{"new.example", "dns"});
    CHECK(remote_name_of(answers, 400, std::nullopt) == RemoteName{"new.example", "dns"});  // >=: still valid
    CHECK(remote_name_of({{"old.example", 100, 200}}, 150, "host.example") == RemoteName{"old.example", "dns"});
    // Expired before the contact began: the host's latest name, else none.
    CHECK(remote_name_of(answers, 401, "host.example") == RemoteName{"host.example", "dns"});
    CHECK(remote_name_of(answers, 401, std::nullopt) == RemoteName{});
    CHECK(remote_name_of({}, 0, std::nullopt) == RemoteName{});
}

TEST_CASE("names: device= and src= take a MAC in any case, with ':' or '-', or an address") {
    CHECK(DeviceRef::parse("AA-BB-CC-DD-EE-FF")->to_string() == "aa:bb:cc:dd:ee:ff");
    CHECK(DeviceRef::parse("aa:bb:cc:dd:ee:ff")->mac == mac("aa:bb:cc:dd:ee:ff"));
    CHECK(DeviceRef::parse("fd00:10:0:0::2")->to_string() == "fd00:10::2");
    CHECK_FALSE(DeviceRef::parse("aa:bb:cc:dd:ee"));
    CHECK_FALSE(DeviceRef::parse("laptop"));
    std::string error;
    CHECK(parse_history_request({{"device", "AA:BB:CC:DD:EE:FF"}}, error)->device == DeviceRef(mac("aa:bb:cc:dd:ee:ff")));
    CHECK(parse_flow_log_request({{"device", "aa-bb-cc-dd-ee-ff"}}, error)->device->mac);
    CHECK(parse_device_hosts_request({{"device", "aa:bb:cc:dd:ee:ff"}}, error)->device.mac);
    CHECK(parse_connection_filter({{"src", "AA:BB:CC:DD:EE:FF"}}, error)->src == "aa:bb:cc:dd:ee:ff");
    CHECK_FALSE(parse_history_request({{"device", "aa:bb:cc:dd:ee:fg"}}, error));
    CHECK(error == "device: \"aa:bb:cc:dd:ee:fg\" is not a MAC");
    CHECK_FALSE(parse_connection_filter({{"src", "laptop"}}, error));
    CHECK(error == "src: \"laptop\" is not an IP address");
    CHECK(parse_device_parameter({{"device", "aa-bb-cc-dd-ee-ff"}}, error)->mac);
    CHECK_FALSE(parse_device_parameter({{"device", "aa-bb-cc-dd-ee-ff"}, {"x", "1"}}, error));
    CHECK(error.starts_with("unknown parameter \"x\""));
}

TEST_CASE("names: q takes the characters of names, lower case, and still refuses markup and spaces") {
    std::string error;
    CHECK(parse_connection_filter({{"q", "Alices-Laptop"}}, error)->q == "alices-laptop");
    CHECK(parse_connection_filter({{"q", "video.example.NET"}}, error)->q == "video.example.net");
    CHECK(parse_connection_filter({{"q", "my_tv"}}, error)->q == "my_tv");
    CHECK(parse_connection_filter({{"q", "k\xc3\xbc" "che"}}, error)->q == "k\xc3\xbc" "che");
    for (const char* bad : {"<script>", "a b", "\"x\"", "o'neil", "50%", "a*"}) {
        INFO(bad);
        CHECK_FALSE(parse_connection_filter({{"q", bad}}, error));
        CHECK(error.starts_with("q: "));
    }
    CHECK(like_pattern("a_b%c\\") == "%a\\_b\\%c\\\\%");
    CHECK(mac_matches(mac("00:1b:63:aa:bb:cc"), "1B-63"));
    CHECK_FALSE(mac_matches(mac("00:1b:63:aa:bb:cc"), "dd"));
}

TEST_CASE("names: each connection carries its device's MAC, name, vendor and the name it asked for") {
    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    std::map<std::string, ConnectionRow> rows;
    for (const ConnectionRow& row : rows_of(reader, {})) rows[row.src_ip + ">" + row.dst_ip] = row;
    REQUIRE(rows.size() == 5);
    // The answer went to the laptop's IPv6 address; the flow is from its IPv4 one: one device.
    const ConnectionRow& laptop = rows["10.0.0.11>192.0.2.10"];
    CHECK(laptop.device_name == DeviceName{mac("00:1b:63:aa:bb:cc"), "alices-laptop", "dhcp", "Apple, Inc."});
    CHECK(laptop.remote_name == RemoteName{"video.example.net", "dns"});
    CHECK_FALSE(laptop.device_name.mac_random());
    CHECK(rows["10.0.0.11>198.51.100.30"].remote_name == RemoteName{});
    CHECK(rows["fd00:10::2:1>2001:db8::1"].device_name.name == "alices-laptop");
    // A random MAC: no vendor, no name; says so.
    const ConnectionRow& phone = rows["10.0.0.12>203.0.113.20"];
    CHECK(phone.device_name.mac == mac("da:a1:19:00:00:01"));
    CHECK(phone.device_name.mac_random());
    CHECK_FALSE(phone.device_name.name);
    CHECK_FALSE(phone.device_name.source);
    CHECK(phone.remote_name == RemoteName{"cdn.example.org", "dns"});  // the host's, from another's answer
    // No MAC: named by its address; a host whose pair never asked still has the host's name.
    const ConnectionRow& printer = rows["10.0.0.13>192.0.2.10"];
    CHECK(printer.device_name == DeviceName{std::nullopt, "printer", "config", std::nullopt});
    CHECK(printer.remote_name == RemoteName{"video.example.net", "dns"});
}

TEST_CASE("names: an answer that expired before the flow began does not name it") {
    NamesDatabase t;
    t.lan_address("10.0.0.11", "00:1b:63:aa:bb:cc");
    t.answer("10.0.0.11", "192.0.2.10", "stale.example", now - 3 * hour, now - 2 * hour);
    t.connection("10.0.0.11", 1, "192.0.2.10", 443, 10, now - hour);
    t.connection("10.0.0.11", 2, "192.0.2.10", 443, 5, now - 3 * hour);
    Reader reader = t.reader();
    auto rows = rows_of(reader, {});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].remote_name == RemoteName{});
    CHECK(rows[1].remote_name == RemoteName{"stale.example", "dns"});
    t.host_name("192.0.2.10", "latest.example");
    auto named = rows_of(reader, {});
    CHECK(named[0].remote_name == RemoteName{"latest.example", "dns"});
}

TEST_CASE("names: reverse names fill in what no answer named, from the one place that asks") {
    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    std::vector<IpAddress> asked;
    ReverseLookup reverse;
    reverse.name = [&](const IpAddress& host) -> std::optional<std::string> {
        asked.push_back(host);
        if (host == ip("198.51.100.30")) return "ptr.example";
        return std::nullopt;
    };
    std::map<std::string, RemoteName> names;
    reader.connections({}, now, [&](const ConnectionRow& row) { names[row.dst_ip] = row.remote_name; }, reverse);
    CHECK(names["198.51.100.30"] == RemoteName{"ptr.example", "ptr"});
    CHECK(names["2001:db8::1"] == RemoteName{});
    CHECK(names["192.0.2.10"] == RemoteName{"video.example.net", "dns"});
    CHECK(std::find(asked.begin(), asked.end(), ip("192.0.2.10")) == asked.end());  // named: not asked

    // The filter box matches the reverse names shown, not those a DNS answer hides.
    std::vector<std::string> asked_for;
    reverse.matching = [&](std::string_view q) {
        asked_for.emplace_back(q);
        return std::vector<IpAddress>{ip("198.51.100.30"), ip("192.0.2.10")};
    };
    std::vector<std::string> found;
    reader.connections(filter("PTR.exam"), now,
                       [&](const ConnectionRow& row) { found.push_back(row.src_ip + ">" + row.dst_ip); }, reverse);
    CHECK(asked_for.size() == 1);  // once for the request
    CHECK(found == std::vector<std::string>{"10.0.0.11>198.51.100.30"});
}

TEST_CASE("names: a name matches q as LIKE does, ASCII letters in any case") {
    CHECK(name_matches("video.Example.NET", "example.net"));
    CHECK(name_matches("abc", "abc"));
    CHECK(name_matches("abc", ""));
    CHECK_FALSE(name_matches("ab", "abc"));
    CHECK_FALSE(name_matches("exam-ple", "example"));
    CHECK(name_matches("\xc3\xa9" "cole.example", "\xc3\xa9" "cole"));
    CHECK_FALSE(name_matches("\xc3\xa9" "cole.example", "\xc3\x89" "cole"));  // not ASCII: as is, as LIKE
}

TEST_CASE("names: q matches device names, vendors, MACs and remote names, case-insensitively") {
    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    CHECK(keys(rows_of(reader, filter("laptop"))) ==
          std::vector<std::string>{"10.0.0.11>192.0.2.10", "10.0.0.11>198.51.100.30", "fd00:10::2:1>2001:db8::1"});
    CHECK(keys(rows_of(reader, filter("APPLE"))).size() == 3);
    CHECK(keys(rows_of(reader, filter("da:a1"))) == std::vector<std::string>{"10.0.0.12>203.0.113.20"});
    CHECK(keys(rows_of(reader, filter("printer"))) == std::vector<std::string>{"10.0.0.13>192.0.2.10"});
    CHECK(keys(rows_of(reader, filter("example.net"))) ==
          std::vector<std::string>{"10.0.0.11>192.0.2.10", "10.0.0.13>192.0.2.10"});
    CHECK(keys(rows_of(reader, filter("cdn"))) == std::vector<std::string>{"10.0.0.12>203.0.113.20"});
    CHECK(rows_of(reader, filter("nothing-like-it")).empty());
    // With a device, the names within it; addresses and ports as before.
    CHECK(keys(rows_of(reader, filter("example.net", "10.0.0.13"))) == std::vector<std::string>{"10.0.0.13>192.0.2.10"});
    CHECK(keys(rows_of(reader, filter("443"))).size() == 5);  // four ports 443, a port 44300
    // Every way of answering gives the same: the first rows (limit 2), or the ids (limit 500 > 2000/4).
    for (std::size_t limit : {1, 2, 600}) {
        INFO(limit);
        auto rows = rows_of(reader, filter("laptop", "", limit));
        CHECK(rows.size() == std::min<std::size_t>(limit, 3));
        CHECK(rows.front().src_ip == "10.0.0.11");
    }
    // Two characters: no trigrams, connections_by_key read whole.
    CHECK(keys(rows_of(reader, filter("pr"))) == std::vector<std::string>{"10.0.0.13>192.0.2.10"});
    // Beyond ASCII: only names can hold it (no FTS5 query of a piece of a character).
    t.device_name("10.0.0.13", "k\xc3\xbc" "che-drucker", "config", nullptr);
    for (std::size_t limit : {1, 600}) {
        CHECK(keys(rows_of(reader, filter("\xc3\xbc" "che", "", limit))) ==
              std::vector<std::string>{"10.0.0.13>192.0.2.10"});
        CHECK(rows_of(reader, filter("\xc3\xa9t\xc3\xa9", "", limit)).empty());
    }
}

TEST_CASE("names: src= a MAC, or any of its addresses, is the whole device, and a MAC nobody knows is nothing") {
    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    const auto laptop = std::vector<std::string>{"10.0.0.11>192.0.2.10", "10.0.0.11>198.51.100.30",
                                                 "fd00:10::2:1>2001:db8::1"};
    CHECK(keys(rows_of(reader, filter("", "00:1B:63:AA:BB:CC"))) == laptop);
    CHECK(keys(rows_of(reader, filter("", "10.0.0.11"))) == laptop);
    CHECK(keys(rows_of(reader, filter("", "fd00:10::2:1"))) == laptop);
    CHECK(rows_of(reader, filter("", "02:00:00:00:00:09")).empty());
    CHECK(keys(rows_of(reader, filter("", "10.0.0.13"))) == std::vector<std::string>{"10.0.0.13>192.0.2.10"});
}

TEST_CASE("names: the statements of names are lookups by key, or the small tables read once") {
    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    auto plans = reader.name_plans();
    REQUIRE(plans.size() == 14);
    auto text_of = [](const std::vector<std::string>& plan) {
        std::string text;
        for (const auto& line : plan) text += line + "\n";
        return text;
    };
    std::string all;
    for (const auto& plan : plans) all += text_of(plan) + "--\n";
    INFO(all);
    CHECK(text_of(plans[0]).find("SEARCH connections USING COVERING INDEX connections_by_key (dst_ip=?)") !=
          std::string::npos);
    CHECK(plans[1].at(0) == "SCAN connections USING COVERING INDEX connections_by_key");
    CHECK(plans[2].at(0).starts_with("SEARCH lan_addresses USING PRIMARY KEY (address=?)"));
    CHECK(plans[3].at(0).starts_with("SEARCH lan_addresses USING COVERING INDEX lan_addresses_by_mac (mac=?)"));
    CHECK(plans[4].at(0).starts_with("SEARCH device_names USING PRIMARY KEY (device=?)"));
    CHECK(plans[5].at(0).starts_with("SEARCH remote_names USING PRIMARY KEY (device=? AND host=?)"));
    CHECK(plans[6].at(0).starts_with("SEARCH host_names USING PRIMARY KEY (host=?)"));
    // A search read again reads only what was written since, from the time indexes.
    CHECK(plans[11].at(0).starts_with("SEARCH remote_names USING INDEX remote_names_by_answered_at (answered_at>?)"));
    CHECK(plans[12].at(0).starts_with("SEARCH host_names USING INDEX host_names_by_resolved_at (resolved_at>?)"));
    CHECK(all.find("SCAN remote_names\n--\nSCAN host_names\n--\nSEARCH") != std::string::npos);
    CHECK(text_of(plans[13]).find("SCAN remote_names") == std::string::npos);
    CHECK(text_of(plans[13]).find("SCAN host_names") == std::string::npos);
    // The filter's plans keep their shape with names in them (web_queries_test checks them all).
    for (const auto& f : {filter("laptop"), filter("la"), filter("", "00:1b:63:aa:bb:cc")}) {
        auto connections = reader.connections_plans(f);
        std::string text;
        for (const auto& plan : connections) text += text_of(plan);
        INFO(text);
        CHECK(connections.at(0).at(0) == "SEARCH c USING INDEX connections_by_total_bytes (total_bytes>?)");
        CHECK(text_of(connections[0]).find("TEMP B-TREE") == std::string::npos);
        CHECK(text.find("SCAN connections\n") == std::string::npos);
    }
}

TEST_CASE("names: /connections.json and /hosts.json write them, escaped") {
    ConnectionRow row;
    row.proto = "tcp";
    row.src_ip = "10.0.0.11";
    row.dst_ip = "192.0.2.10";
    row.device_name = {mac("02:00:00:00:00:01"), hostile, "dhcp", std::nullopt};
    row.remote_name = {"video.example.net", "dns"};
    ConnectionsJson out(now, 1);
    out.add(row);
    const std::string text = out.finish();
    CHECK(text.find('<') == std::string::npos);  // JSON escapes markup (web_json_test)
    const json c = json::parse(text)[0];
    CHECK(c["mac"] == "02:00:00:00:00:01");
    CHECK(c["device_name"] == hostile);
    CHECK(c["device_name_source"] == "dhcp");
    CHECK(c["vendor"] == nullptr);
    CHECK(c["mac_random"] == true);
    CHECK(c["remote_name"] == "video.example.net");
    CHECK(c["remote_name_source"] == "dns");
    HostRow host;
    host.ip = "192.0.2.10";
    host.remote_name = {hostile, "ptr"};
    const json h = json::parse(hosts_json({host}, now))[0];
    CHECK(h["remote_name"] == hostile);
    CHECK(h["remote_name_source"] == "ptr");

    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    auto hosts = reader.hosts({}, now);
    std::map<std::string, RemoteName> by_ip;
    for (const HostRow& r : hosts) by_ip[r.ip] = r.remote_name;
    CHECK(hosts.empty());  // no remote_hosts rows in this database
}

TEST_CASE("names: /devices.json is one entry per MAC, its addresses' traffic added up") {
    NamesDatabase t;
    t.fill();
    t.device_traffic("10.0.0.11", "192.0.2.10", now - 2 * hour, 100);
    t.device_traffic("fd00:10::2:1", "2001:db8::1", now - hour, 50);
    t.device_traffic("10.0.0.13", "192.0.2.10", now - hour, 10);
    Reader reader = t.reader();
    const WindowPlan plan = plan_window({"24h", 24 * 3600}, now, {});
    NameQueries& names = reader.names();
    std::vector<DeviceRow> rows =
        group_devices(reader.history().devices(plan), [&](const IpAddress& a) { return names.mac_of(a); });
    for (DeviceRow& row : rows)
        row.name = names.device_name(row.mac, row.mac ? std::nullopt : std::optional<IpAddress>(row.device));
    const json devices = json::parse(devices_json({"24h", 24 * 3600}, plan, rows))["devices"];
    REQUIRE(devices.size() == 2);
    CHECK(devices[0]["device"] == "10.0.0.11");  // the lowest address: device= takes it for all
    CHECK(devices[0]["addresses"] == json::array({"10.0.0.11", "fd00:10::2:1"}));
    CHECK(devices[0]["uplink_bytes"] == 150);
    CHECK(devices[0]["remote_hosts"] == 2);
    CHECK(devices[0]["device_name"] == "alices-laptop");
    CHECK(devices[0]["vendor"] == "Apple, Inc.");
    CHECK(devices[0]["mac"] == "00:1b:63:aa:bb:cc");
    CHECK(devices[0]["mac_random"] == false);
    CHECK(devices[1]["device"] == "10.0.0.13");
    CHECK(devices[1]["addresses"] == json::array({"10.0.0.13"}));
    CHECK(devices[1]["mac"] == nullptr);
    CHECK(devices[1]["device_name_source"] == "config");
}

TEST_CASE("names: history, hosts and flows of a MAC are its addresses' together") {
    NamesDatabase t;
    t.fill();
    t.device_traffic("10.0.0.11", "192.0.2.10", now - 2 * hour, 100);
    t.device_traffic("fd00:10::2:1", "192.0.2.10", now - hour, 50);
    t.ended_flow(now - 3000, "10.0.0.11", "192.0.2.10");
    t.ended_flow(now - 2000, "fd00:10::2:1", "2001:db8::1");
    t.ended_flow(now - 1000, "10.0.0.12", "203.0.113.20");
    Reader reader = t.reader();
    std::string error;
    auto sum_of = [&](const std::string& device) {
        auto request = parse_history_request({{"device", device}, {"step", "3600"}}, error);
        REQUIRE(request);
        auto range = resolve_history_range(*request, now, error);
        const Device d = reader.names().resolve(*request->device);
        std::int64_t sum = 0;
        for (const HistoryPoint& p : reader.history().history(*request, *range, d.addresses)) sum += p.traffic.uplink_bytes;
        return sum;
    };
    CHECK(sum_of("00:1b:63:aa:bb:cc") == 150);
    CHECK(sum_of("10.0.0.11") == 150);  // an address with a known MAC: the whole device
    CHECK(sum_of("02:00:00:00:00:09") == 0);
    // /history.json says which device it is.
    auto request = parse_history_request({{"device", "10.0.0.11"}, {"host", "192.0.2.10"}}, error);
    auto range = resolve_history_range(*request, now, error);
    const Device laptop = reader.names().resolve(*request->device);
    const json history = json::parse(history_json(*request, *range, {}, &laptop, {"video.example.net", "dns"}));
    CHECK(history["device"] == "10.0.0.11");
    CHECK(history["addresses"] == json::array({"10.0.0.11", "fd00:10::2:1"}));
    CHECK(history["device_name"] == "alices-laptop");
    CHECK(history["remote_name"] == "video.example.net");
    // The hosts of the device, one row per host over both addresses.
    const WindowPlan plan = plan_host_window({"24h", 24 * 3600}, now, {});
    auto hosts = reader.history().device_hosts(laptop.addresses, plan, 10);
    REQUIRE(hosts.size() == 1);
    CHECK(hosts[0].traffic.uplink_bytes == 150);
    CHECK(hosts[0].first_seen_at == now - 2 * hour);
    CHECK(hosts[0].last_seen_at == now - hour);
    // Flows of both addresses, newest first.
    FlowLogRequest flows;
    flows.device = DeviceRef(mac("00:1b:63:aa:bb:cc"));
    std::vector<std::string> seen;
    reader.history().flows(flows, [&](const FlowLogRow& r) { seen.push_back(r.device.to_string()); }, laptop.addresses);
    CHECK(seen == std::vector<std::string>{"fd00:10::2:1", "10.0.0.11"});
    flows.limit = 1;
    seen.clear();
    reader.history().flows(flows, [&](const FlowLogRow& r) { seen.push_back(r.device.to_string()); }, laptop.addresses);
    CHECK(seen == std::vector<std::string>{"fd00:10::2:1"});
    flows.device = DeviceRef(mac("02:00:00:00:00:09"));
    seen.clear();
    reader.history().flows(flows, [&](const FlowLogRow& r) { seen.push_back(r.device.to_string()); });
    CHECK(seen.empty());
}

TEST_CASE("names: the device and host records of the history pages") {
    NamesDatabase t;
    t.fill();
    t.device_traffic("10.0.0.11", "192.0.2.10", now - 2 * hour, 100);
    t.device_traffic("fd00:10::2:1", "192.0.2.10", now - hour, 50);
    t.device_traffic("10.0.0.13", "192.0.2.10", now - hour, 10);
    Reader reader = t.reader();
    const Device laptop = reader.names().resolve(DeviceRef(mac("00:1b:63:aa:bb:cc")));
    const json device = json::parse(device_record_json(DeviceRef(mac("00:1b:63:aa:bb:cc")), laptop,
                                                       read_device_record(reader.database(), laptop.addresses)));
    CHECK(device["device"] == "00:1b:63:aa:bb:cc");
    CHECK(device["uplink_bytes"] == 150);
    CHECK(device["connections_seen"] == 2);
    CHECK(device["first_seen_at"] == format_time(now - 2 * hour));
    CHECK(device["device_name"] == "alices-laptop");
    HostRecord record = read_host_record(reader.database(), ip("192.0.2.10"));
    NameLookup lookup(reader.names());
    group_host_devices(record, lookup);
    record.remote_name = lookup.host(ip("192.0.2.10"));
    const json host = json::parse(host_record_json(ip("192.0.2.10"), record));
    CHECK(host["remote_name"] == "video.example.net");
    REQUIRE(host["devices"].size() == 2);
    CHECK(host["devices"][0]["device"] == "10.0.0.11");
    CHECK(host["devices"][0]["mac"] == "00:1b:63:aa:bb:cc");
    CHECK(host["devices"][0]["uplink_bytes"] == 150);
    CHECK(host["devices"][0]["addresses"] == json::array({"10.0.0.11", "fd00:10::2:1"}));
    CHECK(host["devices"][1]["device_name"] == "printer");
}

TEST_CASE("names: the dashboard shows the names, the address muted below and in the title, all escaped") {
    ConnectionRow row;
    row.proto = "tcp";
    row.src_ip = "10.0.0.11";
    row.src_port = 40000;
    row.dst_ip = "192.0.2.10";
    row.dst_port = 443;
    row.first_seen_at = row.last_seen_at = row.host_first_seen_at = now - hour;
    row.device_name = {mac("00:1b:63:aa:bb:cc"), hostile, "dhcp", "Apple <Inc>"};
    row.remote_name = {"video.example.net", "dns"};
    ConnectionRow random = row;
    random.src_ip = "10.0.0.12";
    random.device_name = {mac("da:a1:19:00:00:01"), std::nullopt, std::nullopt, std::nullopt};
    random.remote_name = {};
    DashboardView view;
    view.now_ms = now;
    view.rows = {row, random};
    const std::string page = render_dashboard(view);
    CHECK(page.find("<img src=x") == std::string::npos);
    CHECK(page.find("<span class=\"name\">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;</span>"
                    "<span class=\"address\"><span class=\"addr\">10.0.0.11</span><span class=\"port\">:40000</span>"
                    "</span>") != std::string::npos);
    CHECK(page.find("<a class=\"history-link named\" title=\"10.0.0.11 port 40000 \u00b7 MAC 00:1b:63:aa:bb:cc"
                    " \u00b7 Apple &lt;Inc&gt;\" href=\"/device/10.0.0.11\">") != std::string::npos);
    CHECK(page.find("<span class=\"vendor\">Apple &lt;Inc&gt;</span>") != std::string::npos);
    CHECK(page.find("<span class=\"name\">video.example.net</span><span class=\"address\"><span class=\"addr\">"
                    "192.0.2.10</span>") != std::string::npos);
    CHECK(page.find("title=\"192.0.2.10 port 443 \u00b7 name from DNS\"") != std::string::npos);
    // Without a name, the address as before, with its MAC on hover; a random MAC says so.
    CHECK(page.find("title=\"10.0.0.12 port 40000 \u00b7 MAC da:a1:19:00:00:01 (random)\" href=\"/device/10.0.0.12\">"
                    "<span class=\"addr\">10.0.0.12</span>") != std::string::npos);
    CHECK(page.find(">random MAC</span>") != std::string::npos);
    CHECK(page.find("<a class=\"history-link\" href=\"/host/192.0.2.10\"><span class=\"addr\">192.0.2.10</span>") !=
          std::string::npos);
}

TEST_CASE("names: /metrics has each device's names as an info metric, escaped, and the names' counters kept") {
    MetricsInput input;
    input.database_up = true;
    input.devices = {{"10.0.0.11", 1, 2}, {"10.0.0.12", 3, 4}, {"10.0.0.13", 5, 6}};
    input.device_names["10.0.0.11"] = {mac("00:1b:63:aa:bb:cc"), "laptop \"x\"\\\n<b>", "dhcp", "Apple, Inc."};
    input.device_names["10.0.0.12"] = {};  // no MAC, no name: no info
    input.ingest.dns_answers_total = 42;
    input.ingest.lease_lines_skipped_total = 3;
    const std::string text = render_prometheus(input);
    CHECK(text.find("netmon_device_info{device=\"10.0.0.11\",mac=\"00:1b:63:aa:bb:cc\","
                    "name=\"laptop \\\"x\\\"\\\\\\n<b>\",source=\"dhcp\",vendor=\"Apple, Inc.\"} 1\n") != std::string::npos);
    CHECK(text.find("netmon_device_info{device=\"10.0.0.12\"") == std::string::npos);
    CHECK(text.find("netmon_device_info{device=\"10.0.0.13\"") == std::string::npos);
    CHECK(text.find("# TYPE netmon_device_info gauge\n") != std::string::npos);
    CHECK(text.find("netmon_dns_answers_total 42\n") != std::string::npos);
    CHECK(text.find("netmon_lease_lines_skipped_total 3\n") != std::string::npos);
    CHECK(text.find("netmon_dns_packets_total") == std::string::npos);  // not in meta: not shown
    // The device counters keep their labels: a name that changes does not reset them.
    CHECK(text.find("netmon_device_bytes_total{device=\"10.0.0.11\",direction=\"uplink\"} 1\n") != std::string::npos);

    IngestView view;
    view.status.dns_packets_malformed_total = 7;
    const json metrics = json::parse(metrics_json({}, view, now));
    CHECK(metrics["netmon"]["names"] == json{{"dns_packets_malformed_total", 7}});
}

TEST_CASE("names: a search of remote names reads only what was written since, and all again after a minute") {
    NamesDatabase t;
    t.fill();
    Reader reader = t.reader();
    NameQueries& names = reader.names();
    CHECK(names.matching("example.net", now).hosts == std::vector<std::string>{"192.0.2.10"});
    // A new answer and a new host name: found by the next search, from the indexes.
    t.answer("10.0.0.12", "198.51.100.30", "news.example.net", now + 1000, now + hour);
    t.host_name("2001:db8::1", "v6.example.net");
    NameMatches later = names.matching("example.net", now + 1000);
    CHECK(later.pairs == std::vector<std::string>{"10.0.0.11 192.0.2.10", "10.0.0.12 198.51.100.30",
                                                  "fd00:10::2:1 192.0.2.10"});
    CHECK(later.hosts == std::vector<std::string>{"192.0.2.10", "2001:db8::1"});
    // A row gone (pruned) still matches until the next full read, a minute on.
    t.db.execute("DELETE FROM host_names");
    CHECK(names.matching("example.net", now + 2000).hosts.size() == 2);
    CHECK(names.matching("example.net", now + NameQueries::rescan_after_ms).hosts.empty());
    // Each q its own.
    CHECK(names.matching("cdn", now + NameQueries::rescan_after_ms).hosts.empty());
    CHECK(names.matching("news", now + NameQueries::rescan_after_ms).pairs ==
          std::vector<std::string>{"10.0.0.12 198.51.100.30"});
}
