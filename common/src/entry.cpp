#include "netmon/entry.h"

#include <algorithm>

namespace netmon {

std::uint8_t flags_from_text(std::string_view text) {
    std::uint8_t flags = 0;
    for_each_flag_name(text, [&](std::string_view word) {
        unsigned bit = 1;  // for_each_flag names every flag of 0xff, lowest bit first
        for_each_flag(0xff, [&](std::string_view name) {
            if (name == word) flags = static_cast<std::uint8_t>(flags | bit);
            bit <<= 1;
        });
    });
    return flags;
}

std::string flags_text(std::uint8_t flags) {
    std::string out;
    for_each_flag(flags, [&](std::string_view name) {
        if (!out.empty()) out += ' ';
        out += name;
    });
    return out;
}

bool State::assign(std::string_view text) {
    if (text.size() > capacity) return false;
    std::copy(text.begin(), text.end(), text_);
    size_ = static_cast<std::uint8_t>(text.size());
    return true;
}

}  // namespace netmon
