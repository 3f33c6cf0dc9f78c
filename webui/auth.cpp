#include "auth.h"

#include <crypt.h>

#include <memory>

namespace netmon::web {
namespace {

constexpr std::size_t remembered_values = 8;

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// crypt(3) of password with the hash's method and salt: the hash itself when it matches.
// Empty on failure. struct crypt_data is 32 KiB: on the heap, one per call, so that threads
// need no lock.
std::string crypt_with(const std::string& password, const std::string& hash) {
    auto data = std::make_unique<crypt_data>();
    const char* result = crypt_rn(password.c_str(), hash.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
    return result != nullptr && result[0] != '*' ? std::string(result) : std::string();
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int padding = 0;
        for (int j = 0; j < 4; ++j) {
            char c = text[i + static_cast<std::size_t>(j)];
            if (c == '=' && i + 4 == text.size() && j >= 2) {
                v[j] = 0;
                ++padding;
                continue;
            }
            if (padding > 0) return std::nullopt;  // data after '='
            v[j] = base64_value(c);
            if (v[j] < 0) return std::nullopt;
        }
        unsigned triple = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        out += static_cast<char>(triple >> 16 & 0xff);
        if (padding < 2) out += static_cast<char>(triple >> 8 & 0xff);
        if (padding < 1) out += static_cast<char>(triple & 0xff);
    }
    return out;
}

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header) {
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    if (header.size() < 6) return std::nullopt;
    std::string scheme(header.substr(0, 6));
    for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (scheme != "basic ") return std::nullopt;
    header.remove_prefix(6);
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
    auto decoded = decode_base64(header);
    if (!decoded) return std::nullopt;
    std::size_t colon = decoded->find(':');
    // crypt(3) takes C strings: a NUL would cut the password short.
    if (colon == std::string::npos || decoded->find('\0') != std::string::npos) return std::nullopt;
    return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    const std::size_t length = a.size() > b.size() ? a.size() : b.size();
    unsigned difference = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < length; ++i) {
        auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
        auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
        difference |= static_cast<unsigned>(x ^ y);
    }
    // volatile: keeps the compiler from turning the loop into an early exit.
    volatile unsigned result = difference;
    return result == 0;
}

BasicAuth::BasicAuth(WebAuth credentials) : credentials_(std::move(credentials)) {
    // A whole hash hashes anything to a string of its own length; a bare setting ("$6$salt")
    // would be accepted by crypt(3) but match no password.
    std::string probe = crypt_with("netmon-web: probe", credentials_.password_hash);
    if (probe.empty() || probe.size() != credentials_.password_hash.size())
        throw ConfigError("web.auth.password_hash: libcrypt cannot use this hash (unknown method, malformed, "
                          "or a salt without the hash); make one with: mkpasswd -m yescrypt");
}

bool BasicAuth::remembered(std::string_view authorization) {
    std::lock_guard lock(mutex_);
    bool found = false;
    for (const auto& value : accepted_) found |= constant_time_equal(value, authorization);
    return found;
}

bool BasicAuth::check(std::string_view authorization) {
    auto credentials = parse_basic_authorization(authorization);
    if (!credentials) return false;
    if (remembered(authorization)) return true;
    // Both comparisons always run, so that a wrong user takes as long as a wrong password.
    const std::string hashed = crypt_with(credentials->password, credentials_.password_hash);
    const bool password_ok = !hashed.empty() && constant_time_equal(hashed, credentials_.password_hash);
    const bool user_ok = constant_time_equal(credentials->user, credentials_.user);
    if (!(password_ok && user_ok)) return false;
    std::lock_guard lock(mutex_);
    accepted_.emplace_back(authorization);
    if (accepted_.size() > remembered_values) accepted_.pop_front();
    return true;
}

}  // namespace netmon::web
