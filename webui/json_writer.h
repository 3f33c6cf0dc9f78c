#pragma once
// A small streaming JSON writer for the API's row arrays, which are the hot path: it appends to
// one string, with no tree in between. Small documents use nlohmann::json instead.

#include <cstdint>
#include <string>
#include <string_view>

namespace netmon::web {

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
    // A time as an ISO 8601 UTC string with milliseconds.
    void time(std::int64_t unix_ms);

private:
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace netmon::web
