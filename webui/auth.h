#pragma once
// Optional HTTP basic authentication (web.auth): one user and a crypt(3) hash of its password,
// checked with libcrypt. Comparisons take the same time whatever the bytes that differ.

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "netmon/config.h"

namespace netmon::web {

inline constexpr std::string_view auth_challenge = "Basic realm=\"netmon\", charset=\"UTF-8\"";

struct BasicCredentials {
    std::string user;
    std::string password;
};

// "Basic dXNlcjpwYXNz" (scheme case-insensitive) to user and password; nothing when malformed.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);
// Standard base64 with padding; nothing for anything else.
std::optional<std::string> decode_base64(std::string_view text);
// Compares every byte of the longer string whatever the outcome.
bool constant_time_equal(std::string_view a, std::string_view b);

class BasicAuth {
public:
    // Throws ConfigError when libcrypt cannot use the hash (an unknown or malformed method).
    explicit BasicAuth(WebAuth credentials);

    // True when the Authorization header's user and password match. Thread-safe. Hashing is
    // slow on purpose (yescrypt, SHA-512 crypt), and the dashboard polls every second, so the
    // last few accepted header values are remembered and compared instead.
    bool check(std::string_view authorization);

private:
    bool remembered(std::string_view authorization);

    WebAuth credentials_;
    std::mutex mutex_;
    std::deque<std::string> accepted_;
};

}  // namespace netmon::web
