#pragma once
// IP protocols as conntrack names them: the one table of names, numbers and which protocols
// have ports, for the parsers, the store and the web.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netmon {

// IP protocol numbers that conntrack tracks by name.
namespace protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t dccp = 33;
inline constexpr std::uint8_t gre = 47;
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t sctp = 132;
inline constexpr std::uint8_t udplite = 136;

// Every protocol above, in the order people are shown them (the dashboard's menu, messages).
inline constexpr std::array<std::uint8_t, 8> named = {tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite};
}  // namespace protocol

// conntrack's name for a protocol ("tcp", "icmpv6", ...), or "" for one it calls "unknown".
std::string_view protocol_name(std::uint8_t number);
// The number of a protocol by its conntrack name ("tcp" is 6); nothing for other text, "" and
// "unknown" included. Case matters: conntrack writes lower case.
std::optional<std::uint8_t> protocol_number(std::string_view name);
// The name, or the decimal number for protocols without one: "tcp", "253". What the database
// stores in connections.proto.
std::string protocol_label(std::uint8_t number);
// A label read back: a name, or one to three decimal digits up to 255 ("6" and "006" are 6,
// whose label is "tcp"); nothing for anything else.
std::optional<std::uint8_t> parse_protocol_label(std::string_view label);
// "tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite": the names, for messages.
std::string protocol_names_text();

// Protocols whose tuples carry source and destination ports.
bool has_ports(std::uint8_t number);
bool is_icmp(std::uint8_t number);

}  // namespace netmon
