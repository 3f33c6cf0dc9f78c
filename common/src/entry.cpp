#include "netmon/entry.h"

#include <algorithm>

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

std::string protocol_label(std::uint8_t number) {
    auto name = protocol_name(number);
    return name.empty() ? std::to_string(number) : std::string(name);
}

bool has_ports(std::uint8_t number) {
    return number == protocol::tcp || number == protocol::udp || number == protocol::udplite ||
           number == protocol::sctp || number == protocol::dccp;
}

bool is_icmp(std::uint8_t number) {
    return number == protocol::icmp || number == protocol::icmpv6;
}

std::string flags_text(std::uint8_t flags) {
    std::string out;
    for_each_flag(flags, [&](std::string_view name) {
        if (!out.empty()) out += ' ';
        out += name;
    });
    return out;
}

bool State::assign(std::string_view text) {
    if (text.size() > capacity) return false;
    std::copy(text.begin(), text.end(), text_);
    size_ = static_cast<std::uint8_t>(text.size());
    return true;
}

}  // namespace netmon
