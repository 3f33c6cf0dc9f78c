#include "netmon/address.h"

#include <arpa/inet.h>
#include <endian.h>

#include <algorithm>
#include <charconv>
#include <vector>

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

std::optional<IpAddress> IpAddress::from_blob(std::string_view blob) {
    if (blob.size() != 4 && blob.size() != 16) return std::nullopt;
    IpAddress address;
    address.family = blob.size() == 4 ? Family::v4 : Family::v6;
    std::memcpy(address.bytes.data(), blob.data(), blob.size());
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

namespace {

// What a block of the special-purpose registries means for netmon.
enum class Reach : std::uint8_t {
    not_public,    // the registry's "Globally Reachable" is False (or the block is not unicast)
    public_,       // True: a more specific block inside a not_public one
    documentation, // False in the registry, public here: the labs and tests use these ranges
    embedded_v4,   // the IPv4 address inside it decides (at byte v4_at)
};

struct Block {
    const char* prefix;
    Reach reach;
    std::uint8_t v4_at = 0;
};

// The IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2025: RFC 6890 and its
// updates), multicast, and the IPv6 address space outside 2000::/3, which IANA has not
// allocated. The longest prefix that contains an address decides; an address in none is public.
constexpr Block blocks_v4[] = {
    {"0.0.0.0/8", Reach::not_public},        // "this network"
    {"10.0.0.0/8", Reach::not_public},       // private
    {"100.64.0.0/10", Reach::not_public},    // shared address space (CGNAT)
    {"127.0.0.0/8", Reach::not_public},      // loopback
    {"169.254.0.0/16", Reach::not_public},   // link-local
    {"172.16.0.0/12", Reach::not_public},    // private
    {"192.0.0.0/24", Reach::not_public},     // IETF protocol assignments (DS-Lite, NAT64 discovery, ...)
    {"192.0.0.9/32", Reach::public_},        // Port Control Protocol anycast
    {"192.0.0.10/32", Reach::public_},       // TURN anycast
    {"192.0.2.0/24", Reach::documentation},  // TEST-NET-1
    {"192.168.0.0/16", Reach::not_public},   // private
    {"198.18.0.0/15", Reach::not_public},    // benchmarking
    {"198.51.100.0/24", Reach::documentation},  // TEST-NET-2
    {"203.0.113.0/24", Reach::documentation},   // TEST-NET-3
    {"224.0.0.0/4", Reach::not_public},      // multicast
    {"240.0.0.0/4", Reach::not_public},      // reserved, and the limited broadcast 255.255.255.255
};

constexpr Block blocks_v6[] = {
    // Outside 2000::/3: reserved by the IETF, or one of the blocks below.
    {"::/0", Reach::not_public},
    {"2000::/3", Reach::public_},  // global unicast
    {"::/96", Reach::not_public},  // IPv4-compatible (deprecated), with :: and ::1
    {"64:ff9b::/96", Reach::embedded_v4, 12},  // NAT64 well-known prefix: never a non-global IPv4 (RFC 6052)
    {"64:ff9b:1::/48", Reach::not_public},     // NAT64 local use
    {"100::/64", Reach::not_public},           // discard-only
    {"100:0:0:1::/64", Reach::not_public},     // dummy prefix
    {"2001::/23", Reach::not_public},          // IETF protocol assignments, except:
    {"2001::/32", Reach::public_},             // Teredo ("N/A" in the registry: it reaches the internet)
    {"2001:1::1/128", Reach::public_},         // Port Control Protocol anycast
    {"2001:1::2/128", Reach::public_},         // TURN anycast
    {"2001:1::3/128", Reach::public_},         // DNS-SD service registration anycast
    {"2001:2::/48", Reach::not_public},        // benchmarking
    {"2001:3::/32", Reach::public_},           // AMT
    {"2001:4:112::/48", Reach::public_},       // AS112-v6
    {"2001:10::/28", Reach::not_public},       // ORCHID, deprecated ("N/A")
    {"2001:20::/28", Reach::public_},          // ORCHIDv2
    {"2001:30::/28", Reach::public_},          // drone remote ID (DETs)
    {"2001:db8::/32", Reach::documentation},
    {"2002::/16", Reach::embedded_v4, 2},      // 6to4: the relay reaches the IPv4 address inside
    {"3fff::/20", Reach::documentation},
    {"5f00::/16", Reach::not_public},          // SRv6 SIDs
    {"fc00::/7", Reach::not_public},           // unique-local
    {"fe80::/10", Reach::not_public},          // link-local
    {"fec0::/10", Reach::not_public},          // site-local (deprecated)
    {"ff00::/8", Reach::not_public},           // multicast
};

// A block as two 64-bit halves and masks, so that a match is four instructions.
struct Matcher {
    std::uint64_t high, low, high_mask, low_mask;
    std::uint8_t prefix;
    Reach reach;
    std::uint8_t v4_at;
};

std::uint64_t half(const IpAddress& address, int which) {
    std::uint64_t value;
    std::memcpy(&value, address.bytes.data() + which * 8, 8);
    return be64toh(value);
}

std::uint64_t mask_of(unsigned bits) { return bits == 0 ? 0 : ~std::uint64_t{0} << (64 - bits); }

// Longest prefix first: the first match is the one that decides.
template <std::size_t N>
std::vector<Matcher> matchers(const Block (&table)[N]) {
    std::vector<Matcher> out;
    for (const Block& block : table) {
        const Cidr cidr = *Cidr::parse(block.prefix);
        // An IPv4 address is in bytes 0-3, so its prefix counts from the first bit as an IPv6 one does.
        const unsigned prefix = cidr.prefix;
        out.push_back({half(cidr.network, 0), half(cidr.network, 1), mask_of(std::min(prefix, 64u)),
                       mask_of(prefix > 64 ? prefix - 64 : 0), static_cast<std::uint8_t>(prefix), block.reach,
                       block.v4_at});
    }
    std::stable_sort(out.begin(), out.end(), [](const Matcher& a, const Matcher& b) { return a.prefix > b.prefix; });
    return out;
}

bool decide(const Matcher* match, const IpAddress& address) {
    if (match == nullptr) return true;
    switch (match->reach) {
        case Reach::not_public: return false;
        case Reach::public_:
        case Reach::documentation: return true;
        case Reach::embedded_v4: {
            const auto* v4 = &address.bytes[match->v4_at];
            return is_public(IpAddress::v4(v4[0], v4[1], v4[2], v4[3]));
        }
    }
    return false;
}

const Matcher* find(const std::vector<Matcher>& table, std::uint64_t high, std::uint64_t low) {
    for (const Matcher& m : table)
        if ((high & m.high_mask) == m.high && (low & m.low_mask) == m.low) return &m;
    return nullptr;
}

}  // namespace

bool is_public(const IpAddress& address) {
    static const std::vector<Matcher> v4 = matchers(blocks_v4);
    static const std::vector<Matcher> v6 = matchers(blocks_v6);
    const IpAddress plain = address.unmapped();
    return decide(find(plain.family == Family::v4 ? v4 : v6, half(plain, 0), half(plain, 1)), plain);
}

}  // namespace netmon
