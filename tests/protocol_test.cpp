// The one table of protocol names and numbers: what the parsers, the store and the web share.
#include <catch2/catch.hpp>

#include "netmon/protocol.h"

using namespace netmon;

TEST_CASE("every named protocol reads back from its name and its label", "[protocol]") {
    for (std::uint8_t number : protocol::named) {
        CAPTURE(number);
        CHECK_FALSE(protocol_name(number).empty());
        CHECK(protocol_number(protocol_name(number)) == number);
        CHECK(protocol_label(number) == protocol_name(number));
        CHECK(parse_protocol_label(protocol_label(number)) == number);
    }
    for (unsigned number = 0; number < 256; ++number) {
        const auto byte = static_cast<std::uint8_t>(number);
        CAPTURE(number);
        CHECK(parse_protocol_label(protocol_label(byte)) == byte);
        bool named = false;
        for (std::uint8_t n : protocol::named) named = named || n == byte;
        CHECK(protocol_name(byte).empty() == !named);
    }
}

TEST_CASE("protocol numbers and labels", "[protocol]") {
    CHECK(protocol_name(protocol::tcp) == "tcp");
    CHECK(protocol_name(253).empty());
    CHECK(protocol_label(253) == "253");
    CHECK(protocol_number("icmpv6") == protocol::icmpv6);
    CHECK_FALSE(protocol_number("unknown"));
    CHECK_FALSE(protocol_number(""));
    CHECK_FALSE(protocol_number("TCP"));
    CHECK_FALSE(protocol_number("6"));
    CHECK(parse_protocol_label("6") == protocol::tcp);
    CHECK(parse_protocol_label("006") == protocol::tcp);
    CHECK(parse_protocol_label("0") == 0);
    CHECK(parse_protocol_label("255") == 255);
    CHECK_FALSE(parse_protocol_label("256"));
    CHECK_FALSE(parse_protocol_label("0006"));
    CHECK_FALSE(parse_protocol_label("-1"));
    CHECK_FALSE(parse_protocol_label("6 "));
    CHECK_FALSE(parse_protocol_label(""));
    CHECK(protocol_names_text() == "tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite");
}

TEST_CASE("which protocols have ports and which are icmp", "[protocol]") {
    for (std::uint8_t number : {protocol::tcp, protocol::udp, protocol::udplite, protocol::sctp, protocol::dccp}) {
        CHECK(has_ports(number));
        CHECK_FALSE(is_icmp(number));
    }
    for (std::uint8_t number : {protocol::icmp, protocol::icmpv6}) {
        CHECK(is_icmp(number));
        CHECK_FALSE(has_ports(number));
    }
    CHECK_FALSE(has_ports(protocol::gre));
    CHECK_FALSE(is_icmp(protocol::gre));
    CHECK_FALSE(has_ports(253));
}
