#include "netmon/json_writer.h"

#include <charconv>
#include <cmath>

#include "netmon/utf8.h"

namespace netmon {
namespace {

// Control characters, the quote, the backslash, DEL, the characters HTML gives meaning to, and
// every non-ASCII byte (checked for UTF-8 on the slow path).
constexpr bool needs_care(unsigned char c) {
    return c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&';
}

// A number in the shortest form that reads back the same.
template <class Number>
void append_chars(std::string& out, Number number) {
    char digits[32];
    auto [end, error] = std::to_chars(digits, digits + sizeof digits, number);
    out.append(digits, end);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    // The common case, plain ASCII with nothing to escape (addresses, names), in one append.
    std::size_t i = 0;
    while (i < text.size() && !needs_care(static_cast<unsigned char>(text[i]))) ++i;
    out.append(text.data(), i);
    std::size_t plain_from = i;
    auto flush = [&](std::size_t to) { out.append(text.data() + plain_from, to - plain_from); };
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (!needs_care(c)) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            std::size_t length = utf8_sequence(text, i);
            if (length != 0) {
                i += length;
                continue;
            }
            flush(i);
            out += "\\ufffd";
            plain_from = ++i;
            continue;
        }
        flush(i);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
        }
        plain_from = ++i;
    }
    flush(text.size());
    out += '"';
}

void append_json_integer(std::string& out, std::int64_t number) { append_chars(out, number); }

void JsonWriter::long_key(std::string_view name) {
    separate();
    out_ += '"';
    out_ += name;
    out_ += "\":";
    first_ = true;
}

void JsonWriter::value(std::uint64_t number) {
    separate();
    append_chars(out_, number);
}

void JsonWriter::value(double number) {
    separate();
    if (!std::isfinite(number)) {
        out_ += "null";
        return;
    }
    append_chars(out_, number);
}

void JsonWriter::words(std::string_view text) {
    separate();
    out_ += '[';
    bool first = true;
    while (!text.empty()) {
        std::size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        if (word.empty()) continue;
        if (!first) out_ += ',';
        first = false;
        append_json_string(out_, word);
    }
    out_ += ']';
}

}  // namespace netmon
