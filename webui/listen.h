#pragma once
// Where netmon-web may listen: one address of this host, the LAN's, never every address (which
// would include the WAN's) unless asked for.

#include <stdexcept>
#include <vector>

#include "netmon/address.h"
#include "netmon/config.h"

namespace netmon::web {

// A listen address refused, or a bind that failed: what() is one line naming the address.
class ListenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The addresses on this host's interfaces (getifaddrs). Throws ListenError when unreadable.
std::vector<IpAddress> host_addresses();

// Refuses a wildcard (0.0.0.0, ::) unless allow_any, and an address that is not in host.
// Throws ListenError.
void check_listen_address(const ListenAddress& listen, bool allow_any, const std::vector<IpAddress>& host);

}  // namespace netmon::web
