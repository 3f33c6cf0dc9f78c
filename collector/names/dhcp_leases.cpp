#include "dhcp_leases.h"

#include <charconv>
#include <unordered_map>

#include "netmon/utf8.h"

namespace netmon {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

// Calls f(line) for each line of text, without its '\n' (nor a '\r' before it).
template <class F>
void for_each_line(std::string_view text, F&& f) {
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        f(line);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

// The fields of line split at runs of spaces and tabs, at most max_fields (the rest is dropped).
std::size_t split_fields(std::string_view line, std::string_view* fields, std::size_t max_fields) {
    std::size_t count = 0;
    std::size_t at = 0;
    while (count < max_fields) {
        while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
        if (at >= line.size()) break;
        std::size_t end = at;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
        fields[count++] = line.substr(at, end - at);
        at = end;
    }
    return count;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Hex digits, with or without ':' between the bytes, as bytes; nothing when it is not that.
std::optional<std::vector<std::uint8_t>> hex_bytes(std::string_view hex) {
    std::vector<std::uint8_t> bytes;
    std::size_t at = 0;
    while (at < hex.size()) {
        if (hex[at] == ':') {
            ++at;
            continue;
        }
        if (at + 1 >= hex.size()) return std::nullopt;
        const int high = hex_value(hex[at]), low = hex_value(hex[at + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes.push_back(static_cast<std::uint8_t>(high << 4 | low));
        at += 2;
        if (bytes.size() > 130) return std::nullopt;  // a DUID is at most 130 bytes
    }
    return bytes;
}

// Keeps the last lease per address, in the order of their first appearance.
class LeaseList {
public:
    void add(Lease lease) {
        const IpAddress address = lease.address;
        gone_.erase(address);
        auto [it, inserted] = index_.try_emplace(address, leases_.size());
        if (inserted) leases_.push_back(std::move(lease));
        else leases_[it->second] = std::move(lease);
    }
    // A later record says the address's lease ended.
    void remove(const IpAddress& address) {
        if (index_.count(address)) gone_[address] = true;
    }
    std::vector<Lease> take() {
        std::vector<Lease> out;
        out.reserve(leases_.size());
        for (Lease& lease : leases_)
            if (!gone_.count(lease.address)) out.push_back(std::move(lease));
        return out;
    }

private:
    std::vector<Lease> leases_;
    std::unordered_map<IpAddress, std::size_t, IpAddressHash> index_;
    std::unordered_map<IpAddress, bool, IpAddressHash> gone_;
};

// dnsmasq: "expiry mac ip hostname clientid" (IPv4), a "duid SERVERDUID" line, then
// "expiry iaid ip6 hostname clientduid" (IPv6). hostname "*": none.
void parse_dnsmasq(std::string_view text, LeaseFileContents& out) {
    LeaseList list;
    for_each_line(text, [&](std::string_view line) {
        if (trim(line).empty()) return;
        std::string_view f[6];
        const std::size_t n = split_fields(line, f, 6);
        if (n >= 2 && f[0] == "duid") return;
        std::uint64_t expiry = 0;
        const auto [end, error] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), expiry);
        Lease lease;
        if (n < 4 || error != std::errc{} || end != f[0].data() + f[0].size() ||
            !IpAddress::parse_into(f[2], lease.address)) {
            ++out.skipped;
            return;
        }
        if (lease.address.family == Family::v4) {
            lease.mac = MacAddress::parse(f[1]);
            // Other link layers are "type-xx:xx:..": a lease by address only, still a name.
        } else if (n >= 5) {
            lease.mac = mac_from_duid(f[4]);
        }
        lease.hostname = clean_name(f[3]);
        list.add(std::move(lease));
    });
    out.leases = list.take();
}

// odhcpd's state file: "# iface duid iaid hostname valid_until assigned length addr/len..."
// (DHCPv6; "iaid" is "ipv4" and "duid" the MAC in hex for DHCPv4). valid_until 0: expired.
// A hostname odhcpd found invalid is written "broken\x20name": no name. Lines without the '#'
// are the hosts lines of older versions (address, names): not leases.
void parse_odhcpd(std::string_view text, LeaseFileContents& out) {
    LeaseList list;
    for_each_line(text, [&](std::string_view line) {
        line = trim(line);
        if (line.empty()) return;
        if (line.front() != '#') {
            std::string_view f[1];
            IpAddress address;
            if (split_fields(line, f, 1) == 1 && IpAddress::parse_into(f[0], address)) return;
            ++out.skipped;
            return;
        }
        std::string_view f[24];
        const std::size_t n = split_fields(line, f, 24);
        std::int64_t valid_until = 0;
        if (n < 9 || f[0] != "#" ||
            std::from_chars(f[5].data(), f[5].data() + f[5].size(), valid_until).ec != std::errc{}) {
            ++out.skipped;
            return;
        }
        if (valid_until == 0) return;
        const bool v4 = f[3] == "ipv4";
        std::optional<MacAddress> mac;
        if (v4) {
            auto bytes = hex_bytes(f[2]);
            if (bytes && bytes->size() >= 6) {
                MacAddress m;
                std::copy(bytes->begin(), bytes->begin() + 6, m.bytes.begin());
                if (!m.is_zero()) mac = m;
            }
        } else {
            mac = mac_from_duid(f[2]);
        }
        const std::string hostname = f[4].starts_with("broken\\x20") ? std::string() : clean_name(f[4]);
        bool any = false;
        for (std::size_t i = 8; i < n; ++i) {
            std::string_view address = f[i].substr(0, f[i].find('/'));
            Lease lease;
            if (!IpAddress::parse_into(address, lease.address)) continue;
            lease.mac = mac;
            lease.hostname = hostname;
            list.add(std::move(lease));
            any = true;
        }
        if (!any) ++out.skipped;
    });
    out.leases = list.take();
}

// Kea's memfile: a CSV whose header names the columns; commas inside a value are "&#x2c".
// A lease row is appended at each change; valid_lifetime 0 or a state other than 0 (default)
// ends it.
void parse_kea(std::string_view text, LeaseFileContents& out) {
    LeaseList list;
    int address_column = -1, hwaddr_column = -1, hostname_column = -1, state_column = -1, lifetime_column = -1,
        duid_column = -1;
    int columns = 0;
    bool header = true;
    std::vector<std::string_view> fields;
    for_each_line(text, [&](std::string_view line) {
        if (trim(line).empty()) return;
        fields.clear();
        std::size_t at = 0;
        for (;;) {
            const std::size_t comma = line.find(',', at);
            fields.push_back(line.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
            if (comma == std::string_view::npos) break;
            at = comma + 1;
        }
        if (header) {
            header = false;
            columns = static_cast<int>(fields.size());
            for (int i = 0; i < columns; ++i) {
                const std::string_view name = trim(fields[static_cast<std::size_t>(i)]);
                if (name == "address") address_column = i;
                else if (name == "hwaddr") hwaddr_column = i;
                else if (name == "hostname") hostname_column = i;
                else if (name == "state") state_column = i;
                else if (name == "valid_lifetime") lifetime_column = i;
                else if (name == "duid") duid_column = i;
            }
            if (address_column < 0) ++out.skipped;
            return;
        }
        auto field = [&](int column) -> std::string_view {
            return column >= 0 && static_cast<std::size_t>(column) < fields.size()
                       ? trim(fields[static_cast<std::size_t>(column)])
                       : std::string_view{};
        };
        Lease lease;
        if (address_column < 0 || static_cast<int>(fields.size()) < columns ||
            !IpAddress::parse_into(field(address_column), lease.address)) {
            ++out.skipped;
            return;
        }
        const std::string_view state = field(state_column);
        const std::string_view lifetime = field(lifetime_column);
        if ((!state.empty() && state != "0") || lifetime == "0") {
            list.remove(lease.address);
            return;
        }
        lease.mac = MacAddress::parse(field(hwaddr_column));
        if (!lease.mac && duid_column >= 0) lease.mac = mac_from_duid(field(duid_column));
        std::string hostname(field(hostname_column));
        for (std::size_t comma; (comma = hostname.find("&#x2c")) != std::string::npos;) hostname.replace(comma, 5, ",");
        lease.hostname = clean_name(hostname);
        list.add(std::move(lease));
    });
    out.leases = list.take();
}

// ISC dhcpd.leases: statements and blocks in a small language of words, "strings", '{', '}'
// and ';', with '#' comments. Only `lease ADDRESS { ... }` blocks are read; others are stepped
// over.
class IscTokens {
public:
    enum class Kind { word, string, open, close, semicolon, end };
    struct Token {
        Kind kind = Kind::end;
        std::string text;
    };
    explicit IscTokens(std::string_view text) : text_(text) {}

    Token next() {
        skip_space();
        Token token;
        if (at_ >= text_.size()) return token;
        const char c = text_[at_];
        if (c == '{' || c == '}' || c == ';') {
            ++at_;
            token.kind = c == '{' ? Kind::open : c == '}' ? Kind::close : Kind::semicolon;
            return token;
        }
        if (c == '"') {
            ++at_;
            token.kind = Kind::string;
            while (at_ < text_.size() && text_[at_] != '"') {
                char ch = text_[at_++];
                if (ch == '\\' && at_ < text_.size()) {
                    // dhcpd writes "\"", "\\" and octal "\ooo" for bytes it will not print.
                    if (at_ + 2 < text_.size() && is_octal(text_[at_]) && is_octal(text_[at_ + 1]) &&
                        is_octal(text_[at_ + 2])) {
                        ch = static_cast<char>((text_[at_] - '0') * 64 + (text_[at_ + 1] - '0') * 8 +
                                               (text_[at_ + 2] - '0'));
                        at_ += 3;
                    } else {
                        ch = text_[at_++];
                    }
                }
                if (token.text.size() < 1024) token.text += ch;
            }
            if (at_ < text_.size()) ++at_;
            return token;
        }
        token.kind = Kind::word;
        const std::size_t start = at_;
        while (at_ < text_.size() && !is_space(text_[at_]) && text_[at_] != '{' && text_[at_] != '}' &&
               text_[at_] != ';' && text_[at_] != '"' && text_[at_] != '#')
            ++at_;
        token.text = std::string(text_.substr(start, at_ - start));
        return token;
    }

private:
    static bool is_octal(char c) { return c >= '0' && c <= '7'; }
    void skip_space() {
        while (at_ < text_.size()) {
            if (is_space(text_[at_])) {
                ++at_;
            } else if (text_[at_] == '#') {
                while (at_ < text_.size() && text_[at_] != '\n') ++at_;
            } else {
                return;
            }
        }
    }
    std::string_view text_;
    std::size_t at_ = 0;
};

void parse_isc(std::string_view text, LeaseFileContents& out) {
    using Kind = IscTokens::Kind;
    LeaseList list;
    IscTokens tokens(text);
    // Steps over the rest of a block whose '{' was read, nested blocks included.
    auto skip_block = [&] {
        for (int depth = 1; depth > 0;) {
            const IscTokens::Token t = tokens.next();
            if (t.kind == Kind::end) return;
            if (t.kind == Kind::open) ++depth;
            if (t.kind == Kind::close) --depth;
        }
    };
    for (;;) {
        IscTokens::Token t = tokens.next();
        if (t.kind == Kind::end) break;
        if (t.kind != Kind::word) continue;
        if (t.text != "lease") {
            // Another statement (server-duid, authoring-byte-order) or block (ia-na, failover).
            for (;;) {
                const IscTokens::Token u = tokens.next();
                if (u.kind == Kind::end || u.kind == Kind::semicolon) break;
                if (u.kind == Kind::open) {
                    skip_block();
                    break;
                }
            }
            continue;
        }
        const IscTokens::Token address = tokens.next();
        const IscTokens::Token open = tokens.next();
        Lease lease;
        bool good = address.kind == Kind::word && open.kind == Kind::open &&
                    IpAddress::parse_into(address.text, lease.address) && lease.address.family == Family::v4;
        if (open.kind == Kind::open) {
            // The lease's statements, one at a time up to its ';'.
            std::string state = "active";
            std::vector<IscTokens::Token> statement;
            for (;;) {
                IscTokens::Token u = tokens.next();
                if (u.kind == Kind::end) {
                    good = false;
                    break;
                }
                if (u.kind == Kind::close) break;
                if (u.kind == Kind::open) {
                    skip_block();
                    statement.clear();
                    continue;
                }
                if (u.kind != Kind::semicolon) {
                    if (statement.size() < 8) statement.push_back(std::move(u));
                    continue;
                }
                auto is = [&](std::size_t i, std::string_view word) {
                    return statement.size() > i && statement[i].kind == Kind::word && statement[i].text == word;
                };
                if (is(0, "hardware") && is(1, "ethernet") && statement.size() == 3) {
                    lease.mac = MacAddress::parse(statement[2].text);
                    if (!lease.mac) good = false;
                } else if (is(0, "client-hostname") && statement.size() == 2 && statement[1].kind == Kind::string) {
                    lease.hostname = clean_name(statement[1].text);
                } else if (is(0, "binding") && is(1, "state") && statement.size() == 3) {
                    state = statement[2].text;
                }
                statement.clear();
            }
            if (good && state != "active" && state != "static") {
                list.remove(lease.address);
                continue;
            }
        }
        if (!good) {
            ++out.skipped;
            continue;
        }
        list.add(std::move(lease));
    }
    out.leases = list.take();
}

}  // namespace

std::string clean_name(std::string_view raw, std::size_t max_bytes) {
    std::string name;
    name.reserve(std::min(raw.size(), max_bytes));
    for (std::size_t at = 0; at < raw.size();) {
        const unsigned char c = static_cast<unsigned char>(raw[at]);
        std::size_t length = 1;
        bool keep = false;
        if (c >= 0x80) {
            length = utf8_sequence(raw, at);
            keep = length > 0;
            if (length == 0) length = 1;
        } else {
            keep = c >= 0x20 && c != 0x7f;
        }
        if (keep) {
            if (name.size() + length > max_bytes) break;
            name.append(raw.substr(at, length));
        }
        at += length;
    }
    std::string_view trimmed = trim(name);
    if (trimmed == "*" || trimmed == "-") return {};
    return std::string(trimmed);
}

std::optional<MacAddress> mac_from_duid(std::string_view hex) {
    auto bytes = hex_bytes(hex);
    if (!bytes || bytes->size() < 4) return std::nullopt;
    const auto& b = *bytes;
    const unsigned type = b[0] << 8 | b[1];
    const unsigned hardware = b[2] << 8 | b[3];
    std::size_t at = 0;
    if (type == 1 && hardware == 1 && b.size() == 14) at = 8;        // type, hardware, time, MAC
    else if (type == 3 && hardware == 1 && b.size() == 10) at = 4;   // type, hardware, MAC
    else return std::nullopt;
    MacAddress mac;
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at) + 6,
              mac.bytes.begin());
    if (mac.is_zero() || mac.is_multicast()) return std::nullopt;
    return mac;
}

LeaseFormat detect_lease_format(std::string_view text) {
    LeaseFormat found = LeaseFormat::detect;
    int looked = 0;
    for_each_line(text, [&](std::string_view line) {
        if (found != LeaseFormat::detect || looked >= 50) return;
        line = trim(line);
        if (line.empty()) return;
        ++looked;
        if (line.starts_with("address,")) {
            found = LeaseFormat::kea;
            return;
        }
        std::string_view f[9];
        const std::size_t n = split_fields(line, f, 9);
        if (line.front() == '#') {
            // dhcpd's own comments ("# The format of this file is documented in the
            // dhcpd.leases(5) manual page.") versus odhcpd's leases, which are '#' lines.
            if (line.find("dhcpd") != std::string_view::npos || line.find("isc-dhcp") != std::string_view::npos)
                found = LeaseFormat::isc;
            else if (n >= 8 && f[0] == "#") found = LeaseFormat::odhcpd;
            return;
        }
        if (f[0] == "lease" || f[0] == "authoring-byte-order" || f[0] == "server-duid" || f[0] == "ia-na" ||
            f[0] == "ia-ta" || f[0] == "ia-pd" || f[0] == "failover") {
            found = LeaseFormat::isc;
        } else if (f[0] == "duid" || (n >= 4 && !f[0].empty() && f[0].find_first_not_of("0123456789") ==
                                                                         std::string_view::npos)) {
            found = LeaseFormat::dnsmasq;
        }
    });
    return found;
}

LeaseFileContents parse_leases(std::string_view text, LeaseFormat format) {
    LeaseFileContents out;
    out.format = format == LeaseFormat::detect ? detect_lease_format(text) : format;
    switch (out.format) {
        case LeaseFormat::dnsmasq: parse_dnsmasq(text, out); break;
        case LeaseFormat::isc: parse_isc(text, out); break;
        case LeaseFormat::kea: parse_kea(text, out); break;
        case LeaseFormat::odhcpd: parse_odhcpd(text, out); break;
        case LeaseFormat::detect:
            // Not a lease file netmon knows: every line that is not blank is skipped.
            for_each_line(text, [&](std::string_view line) {
                if (!trim(line).empty()) ++out.skipped;
            });
            break;
    }
    return out;
}

}  // namespace netmon
