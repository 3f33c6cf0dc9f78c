#include "netmon/quote.h"

namespace netmon {

std::string quoted(std::string_view text, std::size_t max_length) {
    std::string out = "\"";
    for (char c : text.substr(0, max_length)) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            out += '?';
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    if (text.size() > max_length) out += "...";
    return out + "\"";
}

}  // namespace netmon
