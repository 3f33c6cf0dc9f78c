#pragma once
// An Ethernet (EUI-48) address: how netmon tells a LAN device from its addresses.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netmon {

// The value of a hexadecimal digit, or -1 for any other character.
int hex_digit_value(char c);

struct MacAddress {
    std::array<std::uint8_t, 6> bytes{};

    // "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF" or "aabb.ccdd.eeff"; nothing else.
    static std::optional<MacAddress> parse(std::string_view text);
    // The 6 bytes of a database BLOB; nothing when it has another length.
    static std::optional<MacAddress> from_blob(std::string_view blob);

    std::string to_string() const;  // "aa:bb:cc:dd:ee:ff"
    std::string_view blob() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
    // The IEEE registry's key: the first three bytes, 0xAABBCC.
    std::uint32_t oui() const { return std::uint32_t{bytes[0]} << 16 | std::uint32_t{bytes[1]} << 8 | bytes[2]; }
    // The U/L bit: set in random (privacy) MACs, which no vendor registered.
    bool is_locally_administered() const { return (bytes[0] & 0x02) != 0; }
    bool is_multicast() const { return (bytes[0] & 0x01) != 0; }
    bool is_zero() const;

    friend bool operator==(const MacAddress&, const MacAddress&) = default;
    friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

struct MacAddressHash {
    std::size_t operator()(const MacAddress& mac) const noexcept;
};

}  // namespace netmon
