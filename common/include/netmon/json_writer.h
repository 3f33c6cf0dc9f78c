#pragma once
// A small streaming JSON writer: it appends to one string, with no tree in between. Every JSON
// netmon writes goes through it (docs/PERFORMANCE.md, "Issue 11: rows by name": the row arrays
// of the API are its hot path, and a tree costs them several times the time).

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace netmon {

// Appends text as a JSON string, quotes included. Control characters, '"', '\\' and also '<',
// '>', '&' (so that the text stays inert inside HTML) are escaped; bytes that are not valid
// UTF-8 become U+FFFD.
void append_json_string(std::string& out, std::string_view text);
void append_json_integer(std::string& out, std::int64_t number);

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object() { separate(); out_ += '{'; first_ = true; }
    void end_object() { out_ += '}'; first_ = false; }
    void begin_array() { separate(); out_ += '['; first_ = true; }
    void end_array() { out_ += ']'; first_ = false; }
    // The name of the next member; its value follows. Names are ours, plain ASCII identifiers:
    // they are written as they are. Inline, like the other small members: the row arrays call
    // them for every member of every row.
    void key(std::string_view name) {
        // In one append: the separator, the quoted name and the colon.
        char piece[64];
        if (name.size() > sizeof piece - 4) return long_key(name);
        std::size_t length = 0;
        if (!first_) piece[length++] = ',';
        piece[length++] = '"';
        std::memcpy(piece + length, name.data(), name.size());
        length += name.size();
        piece[length++] = '"';
        piece[length++] = ':';
        out_.append(piece, length);
        first_ = true;  // the value that follows takes no comma
    }

    void value(std::string_view text) {
        separate();
        append_json_string(out_, text);
    }
    void value(const char* text) { value(std::string_view(text)); }
    void value(std::int64_t number) {
        separate();
        append_json_integer(out_, number);
    }
    void value(std::uint64_t number);
    void value(int number) { value(static_cast<std::int64_t>(number)); }
    // Non-finite numbers, which JSON cannot carry, are written as null.
    void value(double number);
    void value(bool flag) {
        separate();
        out_ += flag ? "true" : "false";
    }
    void null() {
        separate();
        out_ += "null";
    }
    // key(name) and value(v).
    template <class T>
    void field(std::string_view name, const T& v) {
        key(name);
        value(v);
    }
    // Space-separated words as an array of strings: "ASSURED UNREPLIED" is ["ASSURED","UNREPLIED"].
    void words(std::string_view text);
    // The string to append one value to by hand (a time, say), its separator written.
    std::string& raw_value() {
        separate();
        return out_;
    }

private:
    void long_key(std::string_view name);
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace netmon
