#include "netmon/protocol.h"

namespace netmon {

std::string_view protocol_name(std::uint8_t number) {
    switch (number) {
        case protocol::icmp: return "icmp";
        case protocol::tcp: return "tcp";
        case protocol::udp: return "udp";
        case protocol::dccp: return "dccp";
        case protocol::gre: return "gre";
        case protocol::icmpv6: return "icmpv6";
        case protocol::sctp: return "sctp";
        case protocol::udplite: return "udplite";
        default: return {};
    }
}

std::optional<std::uint8_t> protocol_number(std::string_view name) {
    if (name.empty()) return std::nullopt;
    for (std::uint8_t number : protocol::named)
        if (protocol_name(number) == name) return number;
    return std::nullopt;
}

std::string protocol_label(std::uint8_t number) {
    auto name = protocol_name(number);
    return name.empty() ? std::to_string(number) : std::string(name);
}

std::optional<std::uint8_t> parse_protocol_label(std::string_view label) {
    if (auto number = protocol_number(label)) return number;
    if (label.empty() || label.size() > 3) return std::nullopt;
    unsigned value = 0;
    for (char c : label) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) return std::nullopt;
    return static_cast<std::uint8_t>(value);
}

std::string protocol_names_text() {
    std::string text;
    for (std::uint8_t number : protocol::named) {
        if (!text.empty()) text += ", ";
        text += protocol_name(number);
    }
    return text;
}

bool has_ports(std::uint8_t number) {
    return number == protocol::tcp || number == protocol::udp || number == protocol::udplite ||
           number == protocol::sctp || number == protocol::dccp;
}

bool is_icmp(std::uint8_t number) {
    return number == protocol::icmp || number == protocol::icmpv6;
}

}  // namespace netmon
