// libFuzzer harness: the basic authentication header (webui/auth.h). The input is the
// Authorization header's value; it is also taken as a user:password to encode and read back.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth.h"
#include "fuzz_check.h"

using netmon::fuzz::check;

namespace {

std::string encode_base64(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        unsigned value = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size()) value |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
        if (i + 2 < in.size()) value |= static_cast<unsigned char>(in[i + 2]);
        out += alphabet[value >> 18 & 63];
        out += alphabet[value >> 12 & 63];
        out += i + 1 < in.size() ? alphabet[value >> 6 & 63] : '=';
        out += i + 2 < in.size() ? alphabet[value & 63] : '=';
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // As a client sent it.
    if (const auto credentials = netmon::web::parse_basic_authorization(input)) {
        check(credentials->user.find(':') == std::string::npos, "the user stops at the first ':'");
        check(credentials->user.find('\0') == std::string::npos && credentials->password.find('\0') == std::string::npos,
              "no NUL reaches crypt(3)");
    }
    if (const auto decoded = netmon::web::decode_base64(input)) {
        check(decoded->size() == input.size() / 4 * 3 - (input.ends_with("==") ? 2 : input.ends_with('=') ? 1 : 0),
              "three bytes for every four characters, less the padding");
    }

    // As user:password, encoded by a client: read back exactly.
    check(netmon::web::decode_base64(encode_base64(input)) == std::string(input), "base64 reads back");
    const auto credentials = netmon::web::parse_basic_authorization("Basic " + encode_base64(input));
    const std::size_t colon = input.find(':');
    if (colon == std::string_view::npos || input.find('\0') != std::string_view::npos) {
        check(!credentials, "no credentials without a ':' or with a NUL");
    } else {
        check(credentials && credentials->user == input.substr(0, colon) && credentials->password == input.substr(colon + 1),
              "user and password read back");
    }

    const std::string_view a = input.substr(0, size / 2), b = input.substr(size / 2);
    check(netmon::web::constant_time_equal(a, b) == (a == b), "constant_time_equal is equality");
    return 0;
}
