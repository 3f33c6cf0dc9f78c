// libFuzzer harness: the web's query parameters (webui/request_params.h). The input is
// name=value pairs joined by '&' with %XX escapes, decoded here into QueryParams as the HTTP
// library hands them over (so that any byte can reach a name or a value); its first byte picks
// the endpoint.
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

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i] == '+' ? ' ' : text[i];
        }
    }
    return out;
}

QueryParams decoded_params(std::string_view query) {
    QueryParams params;
    std::size_t start = 0;
    while (start < query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        const std::string_view pair = query.substr(start, end - start);
        const std::size_t equals = pair.find('=');
        params.emplace_back(percent_decoded(pair.substr(0, equals)),
                            equals == std::string_view::npos ? std::string() : percent_decoded(pair.substr(equals + 1)));
        start = end + 1;
    }
    return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned endpoint = data[0] % 3;
    const QueryParams params = decoded_params(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    std::string error;
    if (endpoint == 0) {
        const std::optional<netmon::web::ConnectionFilter> filter = netmon::web::parse_connection_filter(params, error);
        check(filter.has_value() == error.empty(), "an error exactly when no filter");
        if (filter) {
            check(filter->limit >= 1 && filter->limit <= netmon::web::max_limit, "limit in range");
            // The dashboard's links carry the filter in query_string(): it must read back the same.
            std::string again_error;
            const auto again =
                netmon::web::parse_connection_filter(decoded_params(filter->query_string()), again_error);
            check(again.has_value() && *again == *filter, "query_string() reads back as the same filter");
        }
    } else if (endpoint == 1) {
        const std::optional<netmon::web::HostFilter> filter = netmon::web::parse_host_filter(params, error);
        check(filter.has_value() == error.empty(), "an error exactly when no filter");
        if (filter) {
            check(filter->limit >= 1 && filter->limit <= netmon::web::max_limit, "limit in range");
            check(!filter->since_seconds || *filter->since_seconds >= 1, "since is positive");
        }
    } else {
        const bool ok = netmon::web::check_no_params(params, error);
        check(ok == params.empty() && ok == error.empty(), "no parameters or an error");
    }
    return 0;
}
