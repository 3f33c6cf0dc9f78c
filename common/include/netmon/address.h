#pragma once
// IP addresses and CIDR prefixes in binary form, IPv4 and IPv6.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace netmon {

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

struct IpAddress {
    Family family = Family::v4;
    // Network byte order. An IPv4 address uses bytes[0..3]; the rest stay zero, so that
    // comparison and hashing can look at all 16 bytes.
    std::array<std::uint8_t, 16> bytes{};

    // Parses a dotted quad ("192.0.2.1", no leading zeros) or any IPv6 form, including the
    // uncompressed one of /proc/net/nf_conntrack. Returns nothing for anything else.
    static std::optional<IpAddress> parse(std::string_view text);
    // The same, writing into out; false (out unspecified) when text is not an address.
    static bool parse_into(std::string_view text, IpAddress& out);
    static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);

    // The canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6.
    std::string to_string() const;
    // Appends to_string() to out without a temporary.
    void append_to(std::string& out) const;

    // The address as the history tables store it (schema/004_history.sql): its 4 or 16 bytes.
    std::string_view blob() const {
        return {reinterpret_cast<const char*>(bytes.data()), family == Family::v4 ? 4u : 16u};
    }
    // An address from those bytes; nothing unless there are 4 or 16 of them.
    static std::optional<IpAddress> from_blob(std::string_view blob);

    // ::ffff:a.b.c.d
    bool is_v4_mapped() const;
    // The IPv4 address inside an IPv4-mapped IPv6 address; any other address unchanged.
    IpAddress unmapped() const;

    friend bool operator==(const IpAddress& a, const IpAddress& b) {
        // Two 8-byte compares rather than a call to memcmp: this runs on every flow lookup.
        std::uint64_t a0, a1, b0, b1;
        std::memcpy(&a0, a.bytes.data(), 8);
        std::memcpy(&a1, a.bytes.data() + 8, 8);
        std::memcpy(&b0, b.bytes.data(), 8);
        std::memcpy(&b1, b.bytes.data() + 8, 8);
        return a.family == b.family && a0 == b0 && a1 == b1;
    }
    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

struct Cidr {
    IpAddress network;  // host bits cleared
    std::uint8_t prefix = 0;

    // "10.0.0.0/24", "2001:db8::/32"; a bare address is a /32 or /128. Host bits are cleared,
    // so "10.0.0.1/24" means 10.0.0.0/24. Returns nothing for anything else.
    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const IpAddress& address) const;
    std::string to_string() const;

    friend bool operator==(const Cidr&, const Cidr&) = default;
};

struct IpAddressHash {
    std::size_t operator()(const IpAddress& address) const noexcept;
};

// False for addresses that are not globally reachable: the blocks the IANA IPv4 and IPv6
// special-purpose registries mark so (private, shared, loopback, link-local, benchmarking,
// unique-local, discard, NAT64 local use, ...), multicast, reserved space (240.0.0.0/4, IPv6
// outside 2000::/3, site-local), and the IPv4-mapped forms of the IPv4 ones. In NAT64's
// 64:ff9b::/96 and 6to4's 2002::/16 the embedded IPv4 address decides. The documentation ranges
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20) count as public, so
// that labs can use them. The table is in address.cpp.
bool is_public(const IpAddress& address);

}  // namespace netmon
