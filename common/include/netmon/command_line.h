#pragma once
// What netmon's two command lines share: walking argv, with options written "--name VALUE" or
// "--name=VALUE", and the error a bad command line throws (both binaries exit 2 on it).

#include <stdexcept>
#include <string>
#include <string_view>

namespace netmon {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ArgumentReader {
public:
    ArgumentReader(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

    // Moves to the next argument; false after the last.
    bool next();
    // The argument, without its "=VALUE" part.
    std::string_view name() const { return name_; }
    // The argument as given, for messages.
    std::string_view whole() const { return argv_[index_]; }
    // The option's value: after '=', else the next argument. Throws UsageError when there is none.
    std::string_view value();
    // Throws UsageError when a flag that takes no value was given "=VALUE".
    void no_value() const;

private:
    int argc_;
    const char* const* argv_;
    int index_ = 0;
    std::string_view name_;
    std::string_view inline_value_;
    bool has_inline_ = false;
};

}  // namespace netmon
