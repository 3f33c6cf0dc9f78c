#include <catch2/catch.hpp>

#include "request_params.h"

using namespace netmon::web;

namespace {

std::string error_for(const QueryParams& params) {
    std::string error;
    auto filter = parse_connection_filter(params, error);
    return filter ? "ok" : error;
}

}  // namespace

TEST_CASE("no parameters: the defaults") {
    std::string error;
    auto filter = parse_connection_filter({}, error);
    REQUIRE(filter);
    CHECK(filter->limit == 500);
    CHECK(filter->q.empty());
    CHECK(filter->proto.empty());
    CHECK(filter->src.empty());
    CHECK(filter->query_string().empty());
}

TEST_CASE("every parameter, canonicalized") {
    std::string error;
    auto filter = parse_connection_filter(
        {{"limit", "10000"}, {"q", "2001:DB8"}, {"proto", "TCP"}, {"src", "fd00:10:0:0:0:0:0:11"}}, error);
    REQUIRE(filter);
    CHECK(filter->limit == 10000);
    CHECK(filter->q == "2001:db8");
    CHECK(filter->proto == "tcp");
    CHECK(filter->src == "fd00:10::11");
    CHECK(filter->query_string() == "q=2001%3Adb8&proto=tcp&src=fd00%3A10%3A%3A11&limit=10000");
}

TEST_CASE("protocol numbers become conntrack's names, unnamed ones stay numbers") {
    std::string error;
    CHECK(parse_connection_filter({{"proto", "6"}}, error)->proto == "tcp");
    CHECK(parse_connection_filter({{"proto", "58"}}, error)->proto == "icmpv6");
    CHECK(parse_connection_filter({{"proto", "253"}}, error)->proto == "253");
}

TEST_CASE("empty values mean any, as an empty form field sends them") {
    std::string error;
    auto filter = parse_connection_filter({{"q", ""}, {"proto", ""}, {"src", ""}, {"limit", ""}}, error);
    REQUIRE(filter);
    CHECK(*filter == ConnectionFilter{});
}

TEST_CASE("bad values name the parameter") {
    CHECK(error_for({{"limit", "0"}}) == "limit: \"0\" is not a whole number from 1 to 10000");
    CHECK(error_for({{"limit", "10001"}}).starts_with("limit:"));
    CHECK(error_for({{"limit", "-1"}}).starts_with("limit:"));
    CHECK(error_for({{"limit", "1e3"}}).starts_with("limit:"));
    CHECK(error_for({{"limit", " 5"}}).starts_with("limit:"));
    CHECK(error_for({{"limit", "99999999999999999999999"}}).starts_with("limit:"));
    CHECK(error_for({{"proto", "tcpx"}}).starts_with("proto: \"tcpx\" is not a protocol"));
    CHECK(error_for({{"proto", "256"}}).starts_with("proto:"));
    CHECK(error_for({{"proto", "0006"}}).starts_with("proto:"));
    CHECK(error_for({{"src", "10.0.0.256"}}) == "src: \"10.0.0.256\" is not an IP address");
    CHECK(error_for({{"src", "10.0.0.0/24"}}).starts_with("src:"));
    CHECK(error_for({{"q", "<script>"}}).starts_with("q: \"<script>\" is not part of an address or a port"));
    CHECK(error_for({{"q", "a b"}}).starts_with("q:"));
    CHECK(error_for({{"q", std::string(46, '1')}}).starts_with("q:"));
    CHECK(error_for({{"q", std::string(45, '1')}}) == "ok");
}

TEST_CASE("unknown and repeated parameters are errors") {
    CHECK(error_for({{"sort", "bytes"}}) == "unknown parameter \"sort\" (known: limit, q, proto, src)");
    CHECK(error_for({{"limit", "1"}, {"limit", "2"}}) == "parameter \"limit\" is given more than once");
    std::string error;
    CHECK_FALSE(check_no_params({{"x", "1"}}, error));
    CHECK(error == "unknown parameter \"x\": this endpoint takes none");
    CHECK(check_no_params({}, error));
}

TEST_CASE("control characters in a bad value do not reach the message") {
    std::string error = error_for({{"q", "\n\x1b[31m"}});
    CHECK(error.find('\n') == std::string::npos);
    CHECK(error.find('\x1b') == std::string::npos);
}

TEST_CASE("hosts: limit and since") {
    std::string error;
    auto filter = parse_host_filter({{"since", "60"}, {"limit", "3"}}, error);
    REQUIRE(filter);
    CHECK(filter->limit == 3);
    CHECK(filter->since_seconds == 60);
    CHECK_FALSE(parse_host_filter({}, error)->since_seconds);
    CHECK_FALSE(parse_host_filter({{"since", "0"}}, error));
    CHECK(error.starts_with("since: \"0\""));
    CHECK_FALSE(parse_host_filter({{"since", "1h"}}, error));
    CHECK_FALSE(parse_host_filter({{"q", "1"}}, error));
    CHECK(error == "unknown parameter \"q\" (known: limit, since)");
}

TEST_CASE("url_encode keeps unreserved characters only") {
    CHECK(url_encode("a-Z_0.~") == "a-Z_0.~");
    CHECK(url_encode("a b&c=d\"<") == "a%20b%26c%3Dd%22%3C");
}

namespace {

std::string decoded(std::string_view query) {
    std::string error;
    auto params = parse_query_string(query, error);
    if (!params) return "error: " + error;
    std::string out;
    for (const auto& [name, value] : *params) out += "[" + name + "=" + value + "]";
    return out;
}

}  // namespace

TEST_CASE("query strings: pairs by '&', percent-encoding and '+' decoded") {
    CHECK(decoded("") == "");
    CHECK(decoded("limit=5") == "[limit=5]");
    CHECK(decoded("q=&proto=tcp") == "[q=][proto=tcp]");
    CHECK(decoded("src=fd00%3A10%3A%3A11&q=a+b") == "[src=fd00:10::11][q=a b]");
    CHECK(decoded("q=%c3%a9") == "[q=\xc3\xa9]");
    CHECK(decoded("q=%3D%3B") == "[q==;]");  // encoded, they are data
}

TEST_CASE("query strings: a second raw '=' or a semicolon is refused, naming the parameter") {
    CHECK(decoded("limit=5=6") .find("error: parameter \"limit\": a raw '=' or ';'") == 0);
    CHECK(decoded("limit=5;limit=6").find("error: parameter \"limit\": a raw '=' or ';'") == 0);
    CHECK(decoded("q=1&limit=2;3").find("error: parameter \"limit\"") == 0);
}

TEST_CASE("query strings: empty and bare names are refused") {
    CHECK(decoded("=5").find("error: a parameter without a name") == 0);
    CHECK(decoded("limit=5&").find("error: a parameter without a name") == 0);
    CHECK(decoded("&limit=5").find("error: a parameter without a name") == 0);
    CHECK(decoded("a=1&&b=2").find("error: a parameter without a name") == 0);
    CHECK(decoded("limit") == "error: parameter \"limit\" has no value: give it as limit=...");
}

TEST_CASE("query strings: bad escapes, broken UTF-8 and control characters are refused") {
    for (const char* query : {"q=%", "q=%4", "q=%zz", "q=%c3", "q=%ff", "q=%00", "q=%0a", "q=%7f", "q=%ed%a0%80",
                              "q%=1", "%80=1"}) {
        INFO(query);
        CHECK(decoded(query).find("error: ") == 0);
    }
}
