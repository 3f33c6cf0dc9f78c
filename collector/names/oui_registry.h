#pragma once
// The IEEE's registry of MAC prefixes (Debian's ieee-data: oui.txt, with mam.txt, oui36.txt
// and iab.txt beside it when present), read from its files into a compact sorted table: which
// vendor a MAC's prefix was assigned to. The longest prefix (36, 28, then 24 bits) wins.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "netmon/mac.h"

namespace netmon {

class OuiRegistry {
public:
    // An empty registry: no vendors.
    OuiRegistry() = default;

    // oui_path (names.oui_file), then the MA-M, MA-S and IAB files of its directory when
    // they are there. A missing or unreadable oui_path gives an empty registry and a warning
    // (one line) in warning; "" gives an empty registry and no warning.
    static OuiRegistry load(const std::string& oui_path, std::string& warning);

    // Adds the assignments of one file's text: each "XX-XX-XX   (hex)   Vendor" line, whose
    // following "(base 16)" line gives the range of a 28- or 36-bit block, when it is one.
    // Lines that are not assignments are ignored. Returns how many it added. Pure.
    std::size_t add_text(std::string_view text);
    // Sorts what was added, so that lookups work; later duplicates of a prefix are dropped.
    void finish();

    // The vendor of mac's longest registered prefix; nothing for an unknown or a locally
    // administered (random) MAC.
    std::optional<std::string_view> vendor(const MacAddress& mac) const;

    std::size_t size() const { return entries_.size(); }
    // The heap memory the table holds (entries and names), for the figures of PERFORMANCE.md.
    std::size_t memory_bytes() const;

private:
    struct Entry {
        std::uint64_t prefix = 0;     // the first bits of the MAC, right-aligned
        std::uint32_t name_at = 0;    // offset in names_
        std::uint16_t name_length = 0;
        std::uint8_t bits = 0;        // 24, 28 or 36
        friend bool operator<(const Entry& a, const Entry& b) {
            return a.bits != b.bits ? a.bits > b.bits : a.prefix < b.prefix;
        }
    };
    std::uint32_t intern(std::string_view name);

    std::vector<Entry> entries_;  // sorted: the longest prefixes first, then by prefix
    std::string names_;           // the vendors' names, each once, one after another
    std::unordered_map<std::string_view, std::uint32_t> interned_;  // while adding: each name's offset
};

}  // namespace netmon
