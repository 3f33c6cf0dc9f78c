#include "oui_registry.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "dhcp_leases.h"

namespace netmon {
namespace {

// digits hex digits of text at its start, as a number; nothing if they are not there.
std::optional<std::uint32_t> hex_number(std::string_view text, std::size_t digits) {
    if (text.size() < digits) return std::nullopt;
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        const int v = hex_digit_value(text[i]);
        if (v < 0) return std::nullopt;
        value = value << 4 | static_cast<std::uint32_t>(v);
    }
    return value;
}

std::string_view next_line(std::string_view& text) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return std::nullopt;
    const std::streamoff size = in.tellg();
    if (size < 0 || size > (64 << 20)) return std::nullopt;  // oui.txt is 6 MB
    std::string text(static_cast<std::size_t>(size), '\0');
    in.seekg(0);
    if (!in.read(text.data(), size)) return std::nullopt;
    return text;
}

}  // namespace

std::uint32_t OuiRegistry::intern(std::string_view name) {
    // Vendors with many blocks ("Apple, Inc.", "Private") are kept once. The map's keys are
    // views into names_, so that no name is allocated twice; they move with it when it grows.
    if (auto it = interned_.find(name); it != interned_.end()) return it->second;
    if (names_.size() + name.size() > names_.capacity()) {
        names_.reserve(2 * names_.capacity() + name.size() + 4096);
        std::unordered_map<std::string_view, std::uint32_t> moved;
        moved.reserve(interned_.size() * 2);
        for (const auto& [view, at] : interned_) moved.emplace(std::string_view(names_).substr(at, view.size()), at);
        interned_ = std::move(moved);
    }
    const auto at = static_cast<std::uint32_t>(names_.size());
    names_.append(name);
    interned_.emplace(std::string_view(names_).substr(at, name.size()), at);
    return at;
}

std::size_t OuiRegistry::add_text(std::string_view text) {
    std::size_t added = 0;
    while (!text.empty()) {
        const std::string_view line = next_line(text);
        // "00-22-72   (hex)		American Micro-Fuel Device Corp."
        const std::size_t hex = line.find("(hex)");
        if (hex == std::string_view::npos || line.size() < 8 || line[2] != '-' || line[5] != '-') continue;
        const auto a = hex_number(line.substr(0, 2), 2), b = hex_number(line.substr(3, 2), 2),
                   c = hex_number(line.substr(6, 2), 2);
        if (!a || !b || !c) continue;
        const std::uint32_t oui = *a << 16 | *b << 8 | *c;
        const std::string vendor = clean_name(line.substr(hex + 5));
        if (vendor.empty()) continue;
        // "900000-9FFFFF     (base 16)" below it: a block of the OUI, of 2^20 (MA-M) or
        // 2^12 (MA-S, IAB) addresses; "002272     (base 16)" or nothing: the whole OUI.
        Entry entry;
        entry.prefix = oui;
        entry.bits = 24;
        std::string_view rest = text;
        const std::string_view base = next_line(rest);
        if (base.find("(base 16)") != std::string_view::npos && base.size() > 13 && base[6] == '-') {
            const auto first = hex_number(base, 6), last = hex_number(base.substr(7), 6);
            if (!first || !last || *last < *first) continue;
            const std::uint32_t size = *last - *first + 1;
            if (size == 1u << 20 && (*first & 0xfffff) == 0) {
                entry.bits = 28;
                entry.prefix = std::uint64_t{oui} << 4 | *first >> 20;
            } else if (size == 1u << 12 && (*first & 0xfff) == 0) {
                entry.bits = 36;
                entry.prefix = std::uint64_t{oui} << 12 | *first >> 12;
            } else if (size != 1u << 24) {
                continue;
            }
        }
        entry.name_at = intern(vendor);
        entry.name_length = static_cast<std::uint16_t>(vendor.size());
        entries_.push_back(entry);
        ++added;
    }
    return added;
}

void OuiRegistry::finish() {
    std::stable_sort(entries_.begin(), entries_.end());
    entries_.erase(std::unique(entries_.begin(), entries_.end(),
                               [](const Entry& x, const Entry& y) { return x.bits == y.bits && x.prefix == y.prefix; }),
                   entries_.end());
    entries_.shrink_to_fit();
    names_.shrink_to_fit();
    interned_ = {};
}

std::optional<std::string_view> OuiRegistry::vendor(const MacAddress& mac) const {
    if (mac.is_locally_administered() || entries_.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (std::uint8_t byte : mac.bytes) value = value << 8 | byte;
    for (std::uint8_t bits : {std::uint8_t{36}, std::uint8_t{28}, std::uint8_t{24}}) {
        Entry key;
        key.bits = bits;
        key.prefix = value >> (48 - bits);
        auto it = std::lower_bound(entries_.begin(), entries_.end(), key);
        if (it != entries_.end() && it->bits == bits && it->prefix == key.prefix)
            return std::string_view(names_).substr(it->name_at, it->name_length);
    }
    return std::nullopt;
}

std::size_t OuiRegistry::memory_bytes() const {
    return entries_.capacity() * sizeof(Entry) + names_.capacity();
}

OuiRegistry OuiRegistry::load(const std::string& oui_path, std::string& warning) {
    OuiRegistry registry;
    warning.clear();
    if (oui_path.empty()) return registry;
    std::optional<std::string> text = read_file(oui_path);
    if (!text) {
        warning = oui_path + " cannot be read: devices get no vendor names (install ieee-data, or set names.oui_file)";
        return registry;
    }
    // About what Debian's files need: few reallocations of either.
    registry.entries_.reserve(64 * 1024);
    registry.names_.reserve(1 << 20);
    registry.interned_.reserve(64 * 1024);
    registry.add_text(*text);
    text.reset();
    const std::size_t slash = oui_path.rfind('/');
    const std::string directory = slash == std::string::npos ? std::string(".") : oui_path.substr(0, slash);
    for (const char* name : {"mam.txt", "oui36.txt", "iab.txt"}) {
        const std::string path = directory + "/" + name;
        if (path == oui_path) continue;
        if (std::optional<std::string> more = read_file(path)) registry.add_text(*more);
    }
    registry.finish();
    if (registry.size() == 0) warning = oui_path + " lists no MAC prefixes: devices get no vendor names";
    return registry;
}

}  // namespace netmon
