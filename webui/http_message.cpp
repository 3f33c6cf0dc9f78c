#include "http_message.h"

#include <algorithm>

namespace netmon::web {
namespace {

bool same_name(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [&](char x, char y) { return lower(x) == lower(y); });
}

const std::string* find(const HeaderFields& headers, std::string_view name) {
    for (const auto& [key, value] : headers)
        if (same_name(key, name)) return &value;
    return nullptr;
}

}  // namespace

std::string_view Request::path() const {
    std::string_view text = target;
    return text.substr(0, text.find('?'));
}

std::string_view Request::query() const {
    std::string_view text = target;
    std::size_t mark = text.find('?');
    return mark == std::string_view::npos ? std::string_view() : text.substr(mark + 1);
}

const std::string* Request::header(std::string_view name) const { return find(headers, name); }

const std::string* Response::header(std::string_view name) const { return find(headers, name); }

void Response::set(std::string_view name, std::string value) {
    for (auto& [key, existing] : headers) {
        if (same_name(key, name)) {
            existing = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace netmon::web
