#pragma once
// Small helpers shared by the unit tests.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "netmon/outbound.h"
#include "netmon/parser.h"

namespace netmon::test {

inline std::string fixture_path(const std::string& name) {
    return std::string(NETMON_FIXTURES) + "/" + name;
}

inline std::string read_fixture(const std::string& name) {
    std::ifstream file(fixture_path(name), std::ios::binary);
    if (!file) throw std::runtime_error("missing fixture " + name);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

inline std::vector<std::string> fixture_lines(const std::string& name) {
    std::vector<std::string> lines;
    std::istringstream text(read_fixture(name));
    for (std::string line; std::getline(text, line);) lines.push_back(line);
    return lines;
}

// The first line of a fixture that contains needle.
inline std::string fixture_line(const std::string& name, const std::string& needle) {
    for (const auto& line : fixture_lines(name))
        if (line.find(needle) != std::string::npos) return line;
    throw std::runtime_error("no line with \"" + needle + "\" in " + name);
}

inline Entry parse_ok(const std::string& line) {
    ParseResult result = parse_line(line);
    if (!result.entry)
        throw std::runtime_error("did not parse (" + std::string(describe(result.error)) + "): " + line);
    return *result.entry;
}

inline IpAddress ip(const char* text) {
    auto address = IpAddress::parse(text);
    if (!address) throw std::runtime_error(std::string("bad test address ") + text);
    return *address;
}

// The lab's LAN (tests/lab/lab.sh), which the captures in tests/fixtures/conntrack come from.
inline OutboundFilter lab_filter() {
    return OutboundFilter({*Cidr::parse("10.0.0.0/24"), *Cidr::parse("fd00:10::/64")});
}

}  // namespace netmon::test
