#include "netmon/command_line.h"

namespace netmon {

bool ArgumentReader::next() {
    if (++index_ >= argc_) return false;
    name_ = argv_[index_];
    has_inline_ = false;
    inline_value_ = {};
    if (name_.starts_with("--")) {
        if (auto equals = name_.find('='); equals != std::string_view::npos) {
            inline_value_ = name_.substr(equals + 1);
            name_ = name_.substr(0, equals);
            has_inline_ = true;
        }
    }
    return true;
}

std::string_view ArgumentReader::value() {
    if (has_inline_) return inline_value_;
    if (index_ + 1 >= argc_) throw UsageError(std::string(name_) + " needs a value");
    return argv_[++index_];
}

void ArgumentReader::no_value() const {
    if (has_inline_) throw UsageError(std::string(name_) + " takes no value");
}

}  // namespace netmon
