#pragma once
// A small streaming JSON writer: it appends to one string, with no tree in between. Every JSON
// netmon writes goes through it (docs/PERFORMANCE.md, "Issue 11: rows by name": the row arrays
// of the API are its hot path, and a tree costs them several times the time).

#include <cstdint>
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
    // they are written as they are.
    void key(std::string_view name);

    void value(std::string_view text);
    void value(const char* text) { value(std::string_view(text)); }
    void value(std::int64_t number);
    void value(std::uint64_t number);
    void value(int number) { value(static_cast<std::int64_t>(number)); }
    // Non-finite numbers, which JSON cannot carry, are written as null.
    void value(double number);
    void value(bool flag);
    void null();
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
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace netmon
