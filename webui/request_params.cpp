#include "request_params.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <initializer_list>

#include "netmon/address.h"
#include "netmon/protocol.h"
#include "netmon/quote.h"
#include "netmon/utf8.h"
#include "units.h"

namespace netmon::web {
namespace {

// Longest text of an IPv6 address with an embedded IPv4 one.
constexpr std::size_t max_q_length = 45;
constexpr std::int64_t max_since_seconds = 10LL * 366 * 24 * 3600;

// At most 64 bytes of what a client sent: enough to recognise it.
std::string quoted(std::string_view text) { return netmon::quoted(text, 64); }

// Rejects names outside allowed and names given twice.
bool check_names(const QueryParams& params, std::initializer_list<std::string_view> allowed, std::string& error) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string& name = params[i].first;
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            std::string known;
            for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
            error = "unknown parameter " + quoted(name) +
                    (known.empty() ? ": this endpoint takes none" : " (known: " + known + ")");
            return false;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (params[j].first == name) {
                error = "parameter " + quoted(name) + " is given more than once";
                return false;
            }
        }
    }
    return true;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    if (text.empty() || text.size() > 18) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

bool parse_limit(std::string_view text, std::size_t& limit, std::string& error, std::size_t most = max_limit) {
    auto value = parse_integer(text);
    if (!value || *value < 1 || *value > static_cast<std::int64_t>(most)) {
        error = "limit: " + quoted(text) + " is not a whole number from 1 to " + std::to_string(most);
        return false;
    }
    limit = static_cast<std::size_t>(*value);
    return true;
}

bool parse_proto(std::string_view text, std::string& proto, std::string& error) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (auto number = parse_protocol_label(lower)) {
        // Stored as conntrack names them: "6" is "tcp".
        proto = protocol_label(*number);
        return true;
    }
    error = "proto: " + quoted(text) + " is not a protocol (" + protocol_names_text() + " or a number to 255)";
    return false;
}

// What q may hold: an address's or a port's characters, and a name's (a host name's letters,
// digits, '-' and '_', and any letter beyond ASCII, which a device's name may have). Never a
// quote, a space or markup: q goes into FTS5 queries (trigram_query) and LIKE patterns, bound.
bool q_character(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == ':' || c == '-' || c == '_' ||
           c >= 0x80;
}

bool parse_q(std::string_view text, std::string& q, std::string& error) {
    std::string lower;
    for (char c : text) {
        char l = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        if (!q_character(static_cast<unsigned char>(l)) || text.size() > max_q_length) {
            error = "q: " + quoted(text) +
                    " is not part of an address or a port, or of a name (letters, digits, '.', ':', '-' and '_',"
                    " at most 45)";
            return false;
        }
        lower += l;
    }
    q = lower;
    return true;
}

// What a device= or src= that is neither says: a MAC's shape (17 characters, ':' or '-' after
// the first two) was meant as one.
std::string not_a_device(std::string_view name, std::string_view text) {
    const bool mac_like = text.size() == 17 && (text[2] == '-' || (text[2] == ':' && text[5] == text[2]));
    return std::string(name) + ": " + quoted(text) + (mac_like ? " is not a MAC" : " is not an IP address");
}

bool parse_src(std::string_view text, std::string& src, std::string& error) {
    auto device = DeviceRef::parse(text);
    if (!device) {
        error = not_a_device("src", text);
        return false;
    }
    src = device->to_string();  // the stored form: "fd00:10::2", not "fd00:10:0:0::2"
    return true;
}

constexpr std::array<HistoryWindow, 4> history_windows = {{
    {"1h", 3600},
    {"24h", 24 * 3600},
    {"7d", 7 * 24 * 3600},
    {"30d", 30 * 24 * 3600},
}};

bool parse_window(std::string_view text, HistoryWindow& window, std::string& error) {
    for (const HistoryWindow& known : history_windows) {
        if (known.name == text) {
            window = known;
            return true;
        }
    }
    error = "window: " + quoted(text) + " is not a window (1h, 24h, 7d or 30d)";
    return false;
}

bool parse_address(std::string_view name, std::string_view text, std::optional<IpAddress>& address,
                   std::string& error) {
    address = IpAddress::parse(text);
    if (!address) {
        error = std::string(name) + ": " + quoted(text) + " is not an IP address";
        return false;
    }
    return true;
}

bool parse_device(std::string_view name, std::string_view text, std::optional<DeviceRef>& device, std::string& error) {
    device = DeviceRef::parse(text);
    if (!device) {
        error = not_a_device(name, text);
        return false;
    }
    return true;
}

bool parse_time_param(std::string_view name, std::string_view text, std::optional<std::int64_t>& ms,
                      std::string& error) {
    ms = parse_time(text);
    if (!ms) {
        error = std::string(name) + ": " + quoted(text) +
                " is not a time (ISO 8601 with Z or an offset, \"2026-11-24T08:00:00Z\", or Unix seconds)";
        return false;
    }
    return true;
}

// Exactly digits characters of text from position at, as a number; nothing otherwise.
std::optional<int> fixed_digits(std::string_view text, std::size_t at, std::size_t digits) {
    if (at + digits > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

// YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z, +HH:MM, +HHMM or +HH (or '-'); a space stands for '+'.
std::optional<std::int64_t> parse_iso_time(std::string_view text) {
    using namespace std::chrono;
    auto year_value = fixed_digits(text, 0, 4), month_value = fixed_digits(text, 5, 2),
         day_value = fixed_digits(text, 8, 2), hour = fixed_digits(text, 11, 2), minute = fixed_digits(text, 14, 2);
    if (!year_value || !month_value || !day_value || !hour || !minute || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':')
        return std::nullopt;
    const year_month_day date{year{*year_value}, month{static_cast<unsigned>(*month_value)},
                              day{static_cast<unsigned>(*day_value)}};
    if (!date.ok() || *year_value < 1970 || *hour > 23 || *minute > 59) return std::nullopt;
    std::size_t at = 16;
    int second = 0, millisecond = 0;
    if (at < text.size() && text[at] == ':') {
        auto value = fixed_digits(text, at + 1, 2);
        if (!value || *value > 59) return std::nullopt;  // no leap seconds: Unix time has none
        second = *value;
        at += 3;
        if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
            std::size_t digits = 0;
            for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
                if (digits < 3) millisecond = millisecond * 10 + (text[at] - '0');
            }
            if (digits == 0 || digits > 9) return std::nullopt;
            for (; digits < 3; ++digits) millisecond *= 10;
        }
    }
    if (at >= text.size()) return std::nullopt;  // a time without a zone means nothing here
    int offset_minutes = 0;
    const char sign = text[at];
    if (sign == 'Z' || sign == 'z') {
        if (at + 1 != text.size()) return std::nullopt;
    } else if (sign == '+' || sign == '-' || sign == ' ') {
        // +HH, +HHMM or +HH:MM
        const std::size_t after_sign = text.size() - at - 1;
        auto offset_hours = fixed_digits(text, at + 1, 2);
        std::optional<int> offset_rest;
        if (after_sign == 2) offset_rest = 0;
        else if (after_sign == 4) offset_rest = fixed_digits(text, at + 3, 2);
        else if (after_sign == 5 && text[at + 3] == ':') offset_rest = fixed_digits(text, at + 4, 2);
        if (!offset_hours || !offset_rest || *offset_hours > 23 || *offset_rest > 59) return std::nullopt;
        offset_minutes = (*offset_hours * 60 + *offset_rest) * (sign == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    const std::int64_t days = sys_days(date).time_since_epoch().count();
    const std::int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + second - offset_minutes * 60;
    if (seconds < 0) return std::nullopt;
    return seconds * 1000 + millisecond;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding with '+' for a space; nothing for a broken escape.
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c != '%') {
            out += c;
        } else {
            if (i + 2 >= text.size()) return std::nullopt;
            int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high << 4 | low);
            i += 2;
        }
    }
    return out;
}

}  // namespace

std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 15];
        }
    }
    return out;
}

std::optional<QueryParams> parse_query_string(std::string_view query, std::string& error) {
    QueryParams params;
    if (query.empty()) return params;
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        std::string_view pair = query.substr(start, end - start);
        std::size_t equals = pair.find('=');
        std::string_view raw_name = pair.substr(0, equals);
        auto name = percent_decode(raw_name);
        if (!name || !is_printable_utf8(*name, false)) {
            error = "parameter name " + quoted(raw_name) + " is not percent-encoded UTF-8 text";
            return std::nullopt;
        }
        if (name->empty()) {
            error = "a parameter without a name: each one is name=value, separated by '&'";
            return std::nullopt;
        }
        if (equals == std::string_view::npos) {
            error = "parameter " + quoted(*name) + " has no value: give it as " + *name + "=...";
            return std::nullopt;
        }
        std::string_view raw_value = pair.substr(equals + 1);
        if (raw_value.find_first_of("=;") != std::string_view::npos || raw_name.find(';') != std::string_view::npos) {
            error = "parameter " + quoted(*name) +
                    ": a raw '=' or ';' in its value (one parameter per name=value, separated by '&'; "
                    "percent-encode them as %3D and %3B)";
            return std::nullopt;
        }
        auto value = percent_decode(raw_value);
        if (!value || !is_printable_utf8(*value, false)) {
            error = "parameter " + quoted(*name) + ": its value is not percent-encoded UTF-8 text";
            return std::nullopt;
        }
        params.emplace_back(std::move(*name), std::move(*value));
        start = end + 1;
    }
    return params;
}

std::string ConnectionFilter::query_string() const {
    std::string out;
    auto add = [&](std::string_view name, std::string_view value) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += url_encode(value);
    };
    if (!q.empty()) add("q", q);
    if (!proto.empty()) add("proto", proto);
    if (!src.empty()) add("src", src);
    if (limit != default_limit) add("limit", std::to_string(limit));
    return out;
}

std::optional<ConnectionFilter> parse_connection_filter(const QueryParams& params, std::string& error) {
    if (!check_names(params, {"limit", "q", "proto", "src"}, error)) return std::nullopt;
    ConnectionFilter filter;
    for (const auto& [name, value] : params) {
        if (value.empty()) continue;
        bool ok = name == "limit" ? parse_limit(value, filter.limit, error)
                  : name == "q"   ? parse_q(value, filter.q, error)
                  : name == "proto" ? parse_proto(value, filter.proto, error)
                                    : parse_src(value, filter.src, error);
        if (!ok) return std::nullopt;
    }
    return filter;
}

std::optional<HostFilter> parse_host_filter(const QueryParams& params, std::string& error) {
    if (!check_names(params, {"limit", "since"}, error)) return std::nullopt;
    HostFilter filter;
    for (const auto& [name, value] : params) {
        if (value.empty()) continue;
        if (name == "limit") {
            if (!parse_limit(value, filter.limit, error)) return std::nullopt;
        } else {
            auto seconds = parse_integer(value);
            if (!seconds || *seconds < 1 || *seconds > max_since_seconds) {
                error = "since: " + quoted(value) + " is not a whole number of seconds from 1 to " +
                        std::to_string(max_since_seconds);
                return std::nullopt;
            }
            filter.since_seconds = *seconds;
        }
    }
    return filter;
}

bool check_no_params(const QueryParams& params, std::string& error) { return check_names(params, {}, error); }

std::optional<std::int64_t> parse_time(std::string_view text) {
    // Unix seconds up to 9999-12-31T23:59:59Z, as ISO 8601 goes.
    constexpr std::int64_t latest_seconds = 253'402'300'799;
    if (!text.empty() && text.size() <= 12 && std::all_of(text.begin(), text.end(), [](char c) {
            return c >= '0' && c <= '9';
        })) {
        auto seconds = parse_integer(text);
        if (!seconds || *seconds > latest_seconds) return std::nullopt;
        return *seconds * 1000;
    }
    return parse_iso_time(text);
}

std::optional<DevicesRequest> parse_devices_request(const QueryParams& params, std::string& error) {
    if (!check_names(params, {"window"}, error)) return std::nullopt;
    DevicesRequest request;
    for (const auto& [name, value] : params)
        if (!value.empty() && !parse_window(value, request.window, error)) return std::nullopt;
    return request;
}

bool names_device(const QueryParams& params) {
    return std::any_of(params.begin(), params.end(),
                       [](const auto& param) { return param.first == "device"; });
}

std::optional<DeviceHostsRequest> parse_device_hosts_request(const QueryParams& params, std::string& error) {
    if (!check_names(params, {"device", "window", "limit"}, error)) return std::nullopt;
    DeviceHostsRequest request;
    std::optional<DeviceRef> device;
    for (const auto& [name, value] : params) {
        if (value.empty()) continue;
        bool ok = name == "device"   ? parse_device(name, value, device, error)
                  : name == "window" ? parse_window(value, request.window, error)
                                     : parse_limit(value, request.limit, error);
        if (!ok) return std::nullopt;
    }
    if (!device) {
        error = "device: empty: the remote hosts of which device? (device=ADDR)";
        return std::nullopt;
    }
    request.device = *device;
    return request;
}

std::optional<HistoryRequest> parse_history_request(const QueryParams& params, std::string& error) {
    if (!check_names(params, {"device", "host", "from", "to", "step"}, error)) return std::nullopt;
    HistoryRequest request;
    for (const auto& [name, value] : params) {
        if (value.empty()) continue;
        bool ok = true;
        if (name == "device") {
            ok = parse_device(name, value, request.device, error);
        } else if (name == "host") {
            ok = parse_address(name, value, request.host, error);
        } else if (name == "from") {
            ok = parse_time_param(name, value, request.from_ms, error);
        } else if (name == "to") {
            ok = parse_time_param(name, value, request.to_ms, error);
        } else {
            auto step = parse_integer(value);
            ok = step && (*step == 60 || *step == 3600 || *step == 86400);
            if (ok) request.step = *step;
            else error = "step: " + quoted(value) + " is not a step (60, 3600 or 86400 seconds)";
        }
        if (!ok) return std::nullopt;
    }
    return request;
}

namespace {

std::int64_t floor_to(std::int64_t ms, std::int64_t step_ms) {
    std::int64_t floored = ms / step_ms * step_ms;
    return floored > ms ? floored - step_ms : floored;
}

}  // namespace

std::optional<HistoryRange> resolve_history_range(const HistoryRequest& request, std::int64_t now_ms,
                                                  std::string& error) {
    const std::int64_t step_ms = request.step * 1000;
    const std::int64_t default_span_ms = request.step == 60 ? 3'600'000 : request.step == 3600 ? 86'400'000
                                                                                               : 30 * 86'400'000LL;
    const std::int64_t to = request.to_ms.value_or(now_ms);
    const std::int64_t from = request.from_ms.value_or(to - default_span_ms);
    if (from > to) {
        error = "from: " + format_time(from) + " is after to (" + format_time(to) + ")";
        return std::nullopt;
    }
    HistoryRange range{request.step, floor_to(from, step_ms), floor_to(to, step_ms)};
    if (range.points() > max_history_points) {
        error = "from: from and to span " + std::to_string(range.points()) + " buckets of " +
                std::to_string(request.step) + " s, more than " + std::to_string(max_history_points) +
                ": ask for a shorter range or a longer step";
        return std::nullopt;
    }
    return range;
}

std::optional<FlowLogRequest> parse_flow_log_request(const QueryParams& params, std::string& error) {
    if (!check_names(params, {"device", "host", "from", "to", "limit"}, error)) return std::nullopt;
    FlowLogRequest request;
    for (const auto& [name, value] : params) {
        if (value.empty()) continue;
        bool ok = name == "device" ? parse_device(name, value, request.device, error)
                  : name == "host" ? parse_address(name, value, request.host, error)
                  : name == "from" ? parse_time_param(name, value, request.from_ms, error)
                  : name == "to"   ? parse_time_param(name, value, request.to_ms, error)
                                   : parse_limit(value, request.limit, error, max_flow_limit);
        if (!ok) return std::nullopt;
    }
    if (request.from_ms && request.to_ms && *request.from_ms > *request.to_ms) {
        error = "from: " + format_time(*request.from_ms) + " is after to (" +
                format_time(*request.to_ms) + ")";
        return std::nullopt;
    }
    return request;
}

}  // namespace netmon::web
