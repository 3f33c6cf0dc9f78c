#include "netmon/mac.h"

#include <cstring>

namespace netmon {
int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

namespace {

// Six pairs of hex digits, with separator between each pair (or, for '.', each two pairs).
std::optional<MacAddress> parse_pairs(std::string_view text, char separator, std::size_t pairs_per_group) {
    MacAddress mac;
    std::size_t at = 0;
    for (std::size_t i = 0; i < 6; ++i) {
        if (i > 0 && i % pairs_per_group == 0) {
            if (at >= text.size() || text[at] != separator) return std::nullopt;
            ++at;
        }
        if (at + 2 > text.size()) return std::nullopt;
        int high = hex_digit_value(text[at]), low = hex_digit_value(text[at + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        mac.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
        at += 2;
    }
    if (at != text.size()) return std::nullopt;
    return mac;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    if (text.size() == 17 && (text[2] == ':' || text[2] == '-')) return parse_pairs(text, text[2], 1);
    if (text.size() == 14 && text[4] == '.') return parse_pairs(text, '.', 2);
    return std::nullopt;
}

std::optional<MacAddress> MacAddress::from_blob(std::string_view blob) {
    if (blob.size() != 6) return std::nullopt;
    MacAddress mac;
    std::memcpy(mac.bytes.data(), blob.data(), 6);
    return mac;
}

std::string MacAddress::to_string() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text(17, ':');
    for (std::size_t i = 0; i < 6; ++i) {
        text[i * 3] = digits[bytes[i] >> 4];
        text[i * 3 + 1] = digits[bytes[i] & 0x0f];
    }
    return text;
}

bool MacAddress::is_zero() const {
    for (std::uint8_t b : bytes)
        if (b != 0) return false;
    return true;
}

std::size_t MacAddressHash::operator()(const MacAddress& mac) const noexcept {
    std::uint64_t value = 0;
    for (std::uint8_t b : mac.bytes) value = value << 8 | b;
    return static_cast<std::size_t>(value * 0x9e3779b97f4a7c15ULL);
}

}  // namespace netmon
