#pragma once
// UTF-8, as netmon accepts it from outside: text from the kernel, the network or a file.

#include <cstddef>
#include <string_view>

namespace netmon {

// The length (2 to 4) of the valid multi-byte UTF-8 sequence at text[at], or 0 when there is
// none: ASCII bytes, broken sequences, overlong forms, surrogates and code points beyond
// U+10FFFF all give 0. at < text.size().
std::size_t utf8_sequence(std::string_view text, std::size_t at);

// Whether text is valid UTF-8 without control characters (bytes below 0x20, and 0x7f); tabs
// are allowed when allow_tabs is true.
bool is_printable_utf8(std::string_view text, bool allow_tabs);

}  // namespace netmon
