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

namespace {

std::uint64_t word_at(const std::uint8_t* bytes) {
    std::uint64_t word;
    std::memcpy(&word, bytes, sizeof word);
    return word;
}

// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
std::uint64_t finish(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

}  // namespace

std::uint64_t hash_key(const Key& key) noexcept {
    // Field by field (never the struct's padding); unused address bytes are always zero.
    std::uint64_t h = key.protocol | std::uint64_t{key.sport} << 8 | std::uint64_t{key.dport} << 24 |
                      std::uint64_t{static_cast<std::uint8_t>(key.src.family)} << 40;
    for (const std::uint8_t* part : {key.src.bytes.data(), key.src.bytes.data() + 8, key.dst.bytes.data(),
                                     key.dst.bytes.data() + 8}) {
        h = finish(h ^ word_at(part)) + 0x9e3779b97f4a7c15ull;
    }
    return finish(h);
}

}  // namespace netmon
