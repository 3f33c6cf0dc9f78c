// libFuzzer harness: the raw query string of a request (webui/request_params.h
// parse_query_string), then the parameters of each endpoint, as the web server reads them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "request_params.h"

using netmon::fuzz::check;
using netmon::web::QueryParams;

namespace {

// UTF-8 without control characters, checked here byte by byte (RFC 3629's table), not with the
// code under test.
bool printable_utf8(std::string_view text) {
    auto byte = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
    auto in = [](unsigned value, unsigned low, unsigned high) { return value >= low && value <= high; };
    for (std::size_t i = 0; i < text.size();) {
        const unsigned first = byte(i);
        std::size_t length = 0;
        if (first < 0x80) {
            if (first < 0x20 || first == 0x7f) return false;
            length = 1;
        } else if (in(first, 0xc2, 0xdf)) {
            length = in(byte(i + 1), 0x80, 0xbf) ? 2 : 0;
        } else if (in(first, 0xe0, 0xef)) {
            const unsigned low = first == 0xe0 ? 0xa0 : 0x80, high = first == 0xed ? 0x9f : 0xbf;
            length = in(byte(i + 1), low, high) && in(byte(i + 2), 0x80, 0xbf) ? 3 : 0;
        } else if (in(first, 0xf0, 0xf4)) {
            const unsigned low = first == 0xf0 ? 0x90 : 0x80, high = first == 0xf4 ? 0x8f : 0xbf;
            length = in(byte(i + 1), low, high) && in(byte(i + 2), 0x80, 0xbf) && in(byte(i + 3), 0x80, 0xbf) ? 4 : 0;
        }
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::string encoded(const QueryParams& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += netmon::web::url_encode(name) + "=" + netmon::web::url_encode(value);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view query(reinterpret_cast<const char*>(data), size);
    std::string error;
    const std::optional<QueryParams> params = netmon::web::parse_query_string(query, error);
    check(params.has_value() == error.empty(), "an error exactly when no parameters");
    if (!params) return 0;
    for (const auto& [name, value] : *params) {
        check(!name.empty(), "every parameter has a name");
        check(printable_utf8(name) && printable_utf8(value), "names and values are UTF-8 without control characters");
    }
    // What url_encode writes reads back as the same parameters.
    std::string again_error;
    check(netmon::web::parse_query_string(encoded(*params), again_error) == params, "encoded parameters read back");

    if (const auto filter = netmon::web::parse_connection_filter(*params, error)) {
        // The dashboard's links: query_string() through the same path gives the same filter.
        const auto link = netmon::web::parse_query_string(filter->query_string(), again_error);
        check(link.has_value(), "query_string() is a valid query string");
        const auto same = netmon::web::parse_connection_filter(*link, again_error);
        check(same.has_value() && *same == *filter, "query_string() reads back as the same filter");
    }
    error.clear();
    netmon::web::parse_host_filter(*params, error);
    error.clear();
    check(netmon::web::check_no_params(*params, error) == params->empty(), "no parameters or an error");
    return 0;
}
