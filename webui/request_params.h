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

#include "names.h"
#include "netmon/address.h"

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
    // A substring of either address or of either port, or of a name (the device's name, vendor
    // or MAC, the remote host's name), lower case; "" for any.
    std::string q;
    std::string proto;  // conntrack's name ("tcp") or the number for unnamed ones; "" for any
    std::string src;    // one LAN device, canonical text of its MAC or of an address; "" for any

    // The parameters that reproduce this filter, defaults left out: "q=443&proto=tcp".
    std::string query_string() const;
    friend bool operator==(const ConnectionFilter&, const ConnectionFilter&) = default;
};

// /hosts.json
struct HostFilter {
    std::size_t limit = default_limit;
    std::optional<std::int64_t> since_seconds;  // first seen within this many seconds
};

// The history endpoints (docs/API.md, issue 12). Times are ms since the epoch, UTC.

// A window of /devices.json and /hosts.json?device=: "1h", "24h", "7d" or "30d".
struct HistoryWindow {
    std::string_view name = "24h";
    std::int64_t seconds = 24 * 3600;
    friend bool operator==(const HistoryWindow&, const HistoryWindow&) = default;
};

// /devices.json
struct DevicesRequest {
    HistoryWindow window;
};

// /hosts.json?device=ADDR: the remote hosts of one device.
struct DeviceHostsRequest {
    DeviceRef device;
    HistoryWindow window;
    std::size_t limit = default_limit;
};

inline constexpr std::size_t max_history_points = 10'000;

// /history.json, as given; resolve_history_range fills in the defaults.
struct HistoryRequest {
    std::optional<DeviceRef> device;
    std::optional<IpAddress> host;
    std::int64_t step = 3600;  // seconds: 60, 3600 or 86400
    std::optional<std::int64_t> from_ms;
    std::optional<std::int64_t> to_ms;
};

// The buckets of a /history.json: every one from first_bucket to last_bucket (their starts, ms).
struct HistoryRange {
    std::int64_t step = 3600;
    std::int64_t first_bucket = 0;
    std::int64_t last_bucket = 0;
    std::size_t points() const { return static_cast<std::size_t>((last_bucket - first_bucket) / (step * 1000) + 1); }
    friend bool operator==(const HistoryRange&, const HistoryRange&) = default;
};

inline constexpr std::size_t default_flow_limit = 100;
inline constexpr std::size_t max_flow_limit = 1000;

// /flows.json: ended flows, from and to bound ended_at (both included).
struct FlowLogRequest {
    std::optional<DeviceRef> device;
    std::optional<IpAddress> host;
    std::optional<std::int64_t> from_ms;
    std::optional<std::int64_t> to_ms;
    std::size_t limit = default_flow_limit;
};

// A time as /history.json and /flows.json take it: ISO 8601 with a zone, "2026-11-24T08:00:00Z",
// "2026-11-24T10:00:00.250+02:00" (a space for the '+', as an unencoded '+' arrives, is taken
// for it), or Unix seconds, "1795500000". Years 1970 to 9999. Returns ms, or nothing.
std::optional<std::int64_t> parse_time(std::string_view text);

// Parameter window.
std::optional<DevicesRequest> parse_devices_request(const QueryParams& params, std::string& error);
// A device= (and src=) is a MAC ("aa:bb:cc:dd:ee:ff", any case, '-' too) or an IP address.
// Parameters device (required), window and limit. Call it when device= is given: without it,
// /hosts.json is parse_host_filter's.
std::optional<DeviceHostsRequest> parse_device_hosts_request(const QueryParams& params, std::string& error);
// True when params have a device= for /hosts.json, so that parse_device_hosts_request applies
// (which refuses an empty one: the two lists have different shapes).
bool names_device(const QueryParams& params);
// Parameters device, host, from, to and step.
std::optional<HistoryRequest> parse_history_request(const QueryParams& params, std::string& error);
// The defaults filled in: to is now, from is to minus 1 h (step 60), 24 h (3600) or 30 d
// (86400); both rounded down to their bucket. Nothing, with error naming the parameter, when
// from is after to or the range holds more than max_history_points buckets.
std::optional<HistoryRange> resolve_history_range(const HistoryRequest& request, std::int64_t now_ms,
                                                  std::string& error);
// Parameters device, host, from, to and limit (1 to 1000).
std::optional<FlowLogRequest> parse_flow_log_request(const QueryParams& params, std::string& error);

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
