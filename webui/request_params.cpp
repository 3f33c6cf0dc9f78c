#include "request_params.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>

#include "netmon/address.h"
#include "netmon/protocol.h"
#include "netmon/quote.h"
#include "netmon/utf8.h"

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

bool parse_limit(std::string_view text, std::size_t& limit, std::string& error) {
    auto value = parse_integer(text);
    if (!value || *value < 1 || *value > static_cast<std::int64_t>(max_limit)) {
        error = "limit: " + quoted(text) + " is not a whole number from 1 to " + std::to_string(max_limit);
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

bool parse_q(std::string_view text, std::string& q, std::string& error) {
    std::string lower;
    for (char c : text) {
        char l = c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
        bool ok = (l >= '0' && l <= '9') || (l >= 'a' && l <= 'f') || l == '.' || l == ':';
        if (!ok || text.size() > max_q_length) {
            error = "q: " + quoted(text) +
                    " is not part of an address or a port (digits, a-f, '.' and ':', at most 45)";
            return false;
        }
        lower += l;
    }
    q = lower;
    return true;
}

bool parse_src(std::string_view text, std::string& src, std::string& error) {
    auto address = IpAddress::parse(text);
    if (!address) {
        error = "src: " + quoted(text) + " is not an IP address";
        return false;
    }
    src = address->to_string();  // the stored form: "fd00:10::2", not "fd00:10:0:0::2"
    return true;
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

}  // namespace netmon::web
