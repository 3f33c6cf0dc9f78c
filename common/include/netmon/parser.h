#pragma once
// The conntrack text parser: one line of `conntrack -L [-o extended]`, /proc/net/nf_conntrack
// or `conntrack -E [-o timestamp,extended]` output to an Entry. Pure: no I/O, no allocation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "netmon/entry.h"

namespace netmon {

enum class ParseError : std::uint8_t {
    none,
    blank,             // an empty line: ignored, not counted as skipped
    summary,           // "conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown."
    too_long,          // longer than max_line_length
    bad_bytes,         // NUL, control characters or bytes that are not UTF-8
    bad_header,        // no "[ipv4 2] <proto> <number>" where a line must start
    bad_state,         // the token after the timeout is not a state name
    bad_address,       // src= or dst= that is not an IPv4 or IPv6 address
    bad_number,        // a port, key, counter, mark or timeout out of range or not a number
    duplicate_field,   // the same field twice in one tuple
    extra_tuple,       // a third src=
    missing_original,  // the original tuple lacks src= or dst=
    missing_reply,     // the reply tuple lacks src= or dst=
    missing_ports,     // a tcp/udp/sctp/dccp/udplite tuple without ports, or icmp without type/code/id
    family_mismatch,   // IPv4 and IPv6 addresses mixed, or not the family the line names
};
inline constexpr std::size_t parse_error_count = 15;

// A short English description: "invalid address".
std::string_view describe(ParseError error);
// Blank and summary lines are not entries but not errors either.
inline bool is_ignorable(ParseError error) {
    return error == ParseError::blank || error == ParseError::summary;
}

inline constexpr std::size_t max_line_length = 64 * 1024;

struct ParseResult {
    std::optional<Entry> entry;
    ParseError error = ParseError::none;
};

// Parses one line, with or without its trailing newline. Unknown tokens (zone=, secctx=,
// labels=, [USERSPACE], anything newer) are skipped; malformed input returns no entry and the
// reason, never anything undefined.
ParseResult parse_line(std::string_view line);

// What a caller counts while it parses a text of many lines.
struct ParseStats {
    std::uint64_t lines = 0;    // every line, blank ones too
    std::uint64_t entries = 0;  // parsed
    std::uint64_t skipped = 0;  // malformed (not blank, not the summary line)
    std::array<std::uint64_t, parse_error_count> by_error{};
    std::uint64_t first_skipped_line = 0;  // 1-based; 0 when none
    ParseError first_error = ParseError::none;

    void count(const ParseResult& result);
};

// Calls on_entry(Entry&&) for every entry of text, a whole file of lines, and counts into stats.
template <class OnEntry>
void parse_text(std::string_view text, ParseStats& stats, OnEntry&& on_entry) {
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        ParseResult result = parse_line(text.substr(start, end - start));
        stats.count(result);
        if (result.entry) on_entry(std::move(*result.entry));
        start = end + 1;
    }
}

}  // namespace netmon
