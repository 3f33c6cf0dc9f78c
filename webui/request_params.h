#pragma once
// The query parameters of the dashboard and the JSON endpoints, validated. A bad value, an
// unknown name or a name given twice is an error whose message names the parameter.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netmon::web {

// Decoded name=value pairs, in the order of the query string.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The part of a request target after '?', decoded: pairs separated by '&', each "name=value",
// percent-encoding and '+' for a space. Returns nothing, and sets error naming the parameter,
// for an empty or bare name ("?&x", "?limit"), a second raw '=' or a ';' in a pair
// ("limit=5=6", "limit=5;limit=6": percent-encode them), a bad escape, or text that is not
// UTF-8 or holds a control character once decoded.
std::optional<QueryParams> parse_query_string(std::string_view query, std::string& error);

inline constexpr std::size_t default_limit = 500;
inline constexpr std::size_t max_limit = 10'000;

// Which connections to list: /connections.json and the dashboard's table.
struct ConnectionFilter {
    std::size_t limit = default_limit;
    std::string q;      // a substring of either address or of either port, lower case; "" for any
    std::string proto;  // conntrack's name ("tcp") or the number for unnamed ones; "" for any
    std::string src;    // one LAN device, canonical text; "" for any

    // The parameters that reproduce this filter, defaults left out: "q=443&proto=tcp".
    std::string query_string() const;
    friend bool operator==(const ConnectionFilter&, const ConnectionFilter&) = default;
};

// /hosts.json
struct HostFilter {
    std::size_t limit = default_limit;
    std::optional<std::int64_t> since_seconds;  // first seen within this many seconds
};

// Parameters limit, q, proto and src; empty values mean "any" (what an empty form field sends).
// Returns nothing and sets error for anything else.
std::optional<ConnectionFilter> parse_connection_filter(const QueryParams& params, std::string& error);
// Parameters limit and since.
std::optional<HostFilter> parse_host_filter(const QueryParams& params, std::string& error);
// For endpoints that take no parameters: false, with error naming the first one.
bool check_no_params(const QueryParams& params, std::string& error);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
std::string url_encode(std::string_view text);

}  // namespace netmon::web
