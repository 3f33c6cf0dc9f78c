#include "listen.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "netmon/c_handle.h"

namespace netmon::web {

std::vector<IpAddress> host_addresses() {
    ifaddrs* raw = nullptr;
    if (::getifaddrs(&raw) != 0)
        throw ListenError(std::string("cannot list this host's addresses (getifaddrs): ") + std::strerror(errno));
    CHandle<ifaddrs*, &::freeifaddrs> list(raw);
    std::vector<IpAddress> addresses;
    for (const ifaddrs* entry = raw; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr) continue;
        IpAddress address;
        if (entry->ifa_addr->sa_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
            address.family = Family::v4;
            std::memcpy(address.bytes.data(), &in->sin_addr, 4);
        } else if (entry->ifa_addr->sa_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
            address.family = Family::v6;
            std::memcpy(address.bytes.data(), &in6->sin6_addr, 16);
        } else {
            continue;
        }
        if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) addresses.push_back(address);
    }
    return addresses;
}

void check_listen_address(const ListenAddress& listen, bool allow_any, const std::vector<IpAddress>& host) {
    if (listen.is_wildcard()) {
        if (allow_any) return;
        throw ListenError("refusing to listen on " + listen.to_string() +
                          ": that is every address of this host, the WAN's too; set web.listen (or --listen) "
                          "to the LAN address, e.g. 10.0.0.1:8080, or add --allow-any-address if you mean it");
    }
    if (std::find(host.begin(), host.end(), listen.address) != host.end()) return;
    std::string known;
    for (const auto& address : host) known += (known.empty() ? "" : ", ") + address.to_string();
    throw ListenError("cannot listen on " + listen.to_string() + ": " + listen.address.to_string() +
                      " is not an address of this host (it has " + (known.empty() ? "none" : known) +
                      "); set web.listen (or --listen) to the LAN address");
}

}  // namespace netmon::web
