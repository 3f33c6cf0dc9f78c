#include "netmon/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace netmon {
namespace {

// inet_pton wants a NUL-terminated string; conntrack addresses are at most 39 characters.
constexpr std::size_t max_address_text = 45;

bool parse_dotted_quad(std::string_view text, std::uint8_t* out) {
    int octet = 0;
    std::size_t pos = 0;
    for (; octet < 4; ++octet) {
        if (octet > 0) {
            if (pos >= text.size() || text[pos] != '.') return false;
            ++pos;
        }
        std::size_t start = pos;
        unsigned value = 0;
        while (pos < text.size() && pos - start < 3 && text[pos] >= '0' && text[pos] <= '9') {
            value = value * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
        }
        std::size_t digits = pos - start;
        // No empty octets, no leading zeros (inet_pton's rule too), nothing above 255.
        if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
        out[octet] = static_cast<std::uint8_t>(value);
    }
    return pos == text.size();
}

}  // namespace

bool IpAddress::parse_into(std::string_view text, IpAddress& out) {
    // An IPv4 address has its first '.' within four characters, IPv6 its first ':' within five.
    bool is_v6 = false;
    for (std::size_t i = 0; i < text.size() && i < 5; ++i) {
        if (text[i] == ':') is_v6 = true;
        if (text[i] == '.' || text[i] == ':') break;
    }
    out.bytes = {};
    if (!is_v6) {
        out.family = Family::v4;
        return parse_dotted_quad(text, out.bytes.data());
    }
    if (text.size() > max_address_text) return false;
    char buffer[max_address_text + 1];
    std::copy(text.begin(), text.end(), buffer);
    buffer[text.size()] = '\0';
    out.family = Family::v6;
    return inet_pton(AF_INET6, buffer, out.bytes.data()) == 1;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    IpAddress address;
    if (!parse_into(text, address)) return std::nullopt;
    return address;
}

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddress address;
    address.bytes[0] = a;
    address.bytes[1] = b;
    address.bytes[2] = c;
    address.bytes[3] = d;
    return address;
}

void IpAddress::append_to(std::string& out) const {
    char buffer[INET6_ADDRSTRLEN];
    const char* text = inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buffer,
                                 sizeof buffer);
    out += text != nullptr ? text : "?";
}

std::string IpAddress::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

bool IpAddress::is_v4_mapped() const {
    static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return family == Family::v6 && std::equal(prefix, prefix + 12, bytes.begin());
}

IpAddress IpAddress::unmapped() const {
    if (!is_v4_mapped()) return *this;
    return v4(bytes[12], bytes[13], bytes[14], bytes[15]);
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    unsigned max_prefix = address->family == Family::v4 ? 32 : 128;
    unsigned prefix = max_prefix;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) return std::nullopt;
        auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (error != std::errc{} || end != digits.data() + digits.size() || prefix > max_prefix)
            return std::nullopt;
    }
    Cidr cidr;
    cidr.prefix = static_cast<std::uint8_t>(prefix);
    cidr.network = *address;
    for (unsigned bit = prefix; bit < 128; ++bit)
        cidr.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    return cidr;
}

bool Cidr::contains(const IpAddress& address) const {
    if (address.family != network.family) return false;
    unsigned whole = prefix / 8;
    if (!std::equal(network.bytes.begin(), network.bytes.begin() + whole, address.bytes.begin()))
        return false;
    unsigned rest = prefix % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
    return (address.bytes[whole] & mask) == network.bytes[whole];
}

std::string Cidr::to_string() const {
    return network.to_string() + "/" + std::to_string(prefix);
}

std::size_t IpAddressHash::operator()(const IpAddress& address) const noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ull ^ static_cast<std::uint8_t>(address.family);
    for (std::uint8_t byte : address.bytes) {
        hash ^= byte;
        hash *= 0x100000001b3ull;
    }
    return static_cast<std::size_t>(hash);
}

bool is_public(const IpAddress& address) {
    static const Cidr not_public_v4[] = {
        *Cidr::parse("0.0.0.0/8"),     *Cidr::parse("10.0.0.0/8"),   *Cidr::parse("100.64.0.0/10"),
        *Cidr::parse("127.0.0.0/8"),   *Cidr::parse("169.254.0.0/16"),
        *Cidr::parse("172.16.0.0/12"), *Cidr::parse("192.168.0.0/16"),
        *Cidr::parse("224.0.0.0/4"),   *Cidr::parse("240.0.0.0/4"),
    };
    static const Cidr not_public_v6[] = {
        *Cidr::parse("::/128"),    *Cidr::parse("::1/128"),   *Cidr::parse("fc00::/7"),
        *Cidr::parse("fe80::/10"), *Cidr::parse("ff00::/8"),
    };
    const IpAddress plain = address.unmapped();
    if (plain.family == Family::v4) {
        return std::none_of(std::begin(not_public_v4), std::end(not_public_v4),
                            [&](const Cidr& cidr) { return cidr.contains(plain); });
    }
    return std::none_of(std::begin(not_public_v6), std::end(not_public_v6),
                        [&](const Cidr& cidr) { return cidr.contains(plain); });
}

}  // namespace netmon
