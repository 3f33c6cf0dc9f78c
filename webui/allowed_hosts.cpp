#include "allowed_hosts.h"

#include <algorithm>
#include <charconv>

namespace netmon::web {
namespace {

std::string lower_name(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    std::string out(text);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

bool is_loopback(const IpAddress& address) {
    if (address.family == Family::v4) return address.bytes[0] == 127;
    return address == IpAddress::parse("::1").value_or(IpAddress{});
}

}  // namespace

AllowedHosts::AllowedHosts(const ListenAddress& listen, std::vector<std::string> hostnames) : listen_(listen) {
    for (const auto& name : hostnames) names_.push_back(lower_name(name));
    if (!listen.is_wildcard() && is_loopback(listen.address)) names_.emplace_back("localhost");
}

bool AllowedHosts::allows(const std::string* header) const {
    if (header == nullptr) return true;
    if (header->empty()) return false;
    std::string_view host = *header;
    // "[v6]:port", "[v6]", "v4:port", "v4", "name:port", "name"
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        std::size_t close = host.find(']');
        if (close == std::string_view::npos) return false;
        std::string_view rest = host.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
            if (port.empty()) return false;
        }
        host = host.substr(1, close - 1);
    } else if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
        port = host.substr(colon + 1);
        host = host.substr(0, colon);
        if (port.empty()) return false;
    }
    if (port.empty()) {
        if (listen_.port != 80) return false;
    } else {
        unsigned value = 0;
        auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (error != std::errc{} || end != port.data() + port.size() || value != listen_.port) return false;
    }
    const bool bracketed = header->front() == '[';
    if (auto address = IpAddress::parse(host)) {
        // Brackets hold IPv6 literals only.
        if (bracketed != (address->family == Family::v6)) return false;
        return listen_.is_wildcard() || *address == listen_.address;
    }
    if (bracketed) return false;
    const std::string name = lower_name(host);
    return !name.empty() && std::find(names_.begin(), names_.end(), name) != names_.end();
}

}  // namespace netmon::web
