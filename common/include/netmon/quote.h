#pragma once
// Text from outside (a file, the command line, a request) quoted in an error message.

#include <cstddef>
#include <string>
#include <string_view>

namespace netmon {

// text in double quotes, as a message shows it on one line: '"' and '\' escaped with '\',
// control characters (bytes below 0x20, and 0x7f) as '?', and at most max_length bytes of text,
// then "..." when there was more.
std::string quoted(std::string_view text, std::size_t max_length = std::string_view::npos);

}  // namespace netmon
