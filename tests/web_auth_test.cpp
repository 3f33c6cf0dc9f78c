#include <catch2/catch.hpp>

#include "auth.h"

using namespace netmon;
using namespace netmon::web;

namespace {

// openssl passwd -6 -salt netmonsalt secret
constexpr const char* sha512_hash =
    "$6$netmonsalt$UZjGU3oCVmhmLsD5HJP6X0IQqFPsXxOPaVGgqGi4vQKTYKr2BWHkXXOUWDSqz3sVsBk19QZZ/dmlpPGpXwAy9.";
// mkpasswd -m yescrypt -S '$y$j9T$netmonsaltnetmonsalt$' secret  (libxcrypt's default method)
constexpr const char* yescrypt_hash = "$y$j9T$netmonsaltnetmonsalt$8k5h2A0qKmHPCxQTYdMafFF7d9aKjeSglmAbvtZzop5";

std::string basic(const std::string& user_colon_password) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    const std::string& in = user_colon_password;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += i + 1 < in.size() ? alphabet[v >> 6 & 63] : '=';
        out += i + 2 < in.size() ? alphabet[v & 63] : '=';
    }
    return "Basic " + out;
}

}  // namespace

TEST_CASE("base64") {
    CHECK(decode_base64("YWRtaW46c2VjcmV0") == "admin:secret");
    CHECK(decode_base64("YQ==") == "a");
    CHECK(decode_base64("YWI=") == "ab");
    CHECK(decode_base64("") == "");
    CHECK_FALSE(decode_base64("YQ="));
    CHECK_FALSE(decode_base64("Y=Q="));
    CHECK_FALSE(decode_base64("YQ==YQ=="));
    CHECK_FALSE(decode_base64("YW!u"));
}

TEST_CASE("Authorization headers") {
    auto credentials = parse_basic_authorization("Basic YWRtaW46c2VjcmV0");
    REQUIRE(credentials);
    CHECK(credentials->user == "admin");
    CHECK(credentials->password == "secret");
    CHECK(parse_basic_authorization("basic YWRtaW46c2VjcmV0"));  // the scheme is case-insensitive
    CHECK(parse_basic_authorization(basic("admin:pa:ss"))->password == "pa:ss");
    CHECK(parse_basic_authorization(basic("admin:"))->password.empty());
    CHECK_FALSE(parse_basic_authorization(""));
    CHECK_FALSE(parse_basic_authorization("Bearer YWRtaW46c2VjcmV0"));
    CHECK_FALSE(parse_basic_authorization(basic("no colon")));
    CHECK_FALSE(parse_basic_authorization(basic(std::string("admin:a\0b", 9))));
}

TEST_CASE("constant-time comparison compares") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "ab"));
    CHECK_FALSE(constant_time_equal("", "a"));
    CHECK_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

TEST_CASE("the right user and password, and nothing else") {
    for (const char* hash : {sha512_hash, yescrypt_hash}) {
        INFO(hash);
        BasicAuth auth(WebAuth{"admin", hash});
        CHECK(auth.check(basic("admin:secret")));
        CHECK(auth.check(basic("admin:secret")));  // remembered
        CHECK_FALSE(auth.check(basic("admin:Secret")));
        CHECK_FALSE(auth.check(basic("Admin:secret")));
        CHECK_FALSE(auth.check(basic("admin:secret ")));
        CHECK_FALSE(auth.check(basic("admin2:secret")));
        CHECK_FALSE(auth.check(""));
        CHECK_FALSE(auth.check("Basic"));
    }
}

TEST_CASE("a hash libcrypt cannot use is a configuration error") {
    CHECK_THROWS_AS(BasicAuth(WebAuth{"admin", "$unknown$salt$hash"}), ConfigError);
    CHECK_THROWS_AS(BasicAuth(WebAuth{"admin", "$6$"}), ConfigError);
}
