#include "netmon/key.h"

#include <cstring>

#include "netmon/entry.h"

namespace netmon {

Key Key::from_entry(const Entry& entry) {
    return Key{entry.protocol, entry.original.sport, entry.original.dport, entry.original.src,
               entry.original.dst};
}

std::string Key::str() const {
    std::string out = protocol_label(protocol);
    out += '|';
    src.append_to(out);
    out += '|';
    out += std::to_string(sport);
    out += '|';
    dst.append_to(out);
    out += '|';
    out += std::to_string(dport);
    return out;
}

std::size_t KeyHash::operator()(const Key& key) const noexcept {
    // FNV-1a over the fields that matter; the addresses' unused bytes are always zero.
    std::uint64_t hash = 0xcbf29ce484222325ull;
    auto mix = [&hash](const std::uint8_t* data, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) {
            hash ^= data[i];
            hash *= 0x100000001b3ull;
        }
    };
    const std::uint8_t head[6] = {key.protocol, static_cast<std::uint8_t>(key.src.family),
                                  static_cast<std::uint8_t>(key.sport >> 8),
                                  static_cast<std::uint8_t>(key.sport),
                                  static_cast<std::uint8_t>(key.dport >> 8),
                                  static_cast<std::uint8_t>(key.dport)};
    mix(head, sizeof head);
    const std::size_t width = key.src.family == Family::v4 ? 4 : 16;
    mix(key.src.bytes.data(), width);
    mix(key.dst.bytes.data(), width);
    return static_cast<std::size_t>(hash);
}

}  // namespace netmon
