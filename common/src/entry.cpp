#include "netmon/entry.h"

#include <algorithm>

namespace netmon {

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
