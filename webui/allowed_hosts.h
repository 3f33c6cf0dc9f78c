#pragma once
// Which Host: headers netmon-web answers, against DNS rebinding: a page on the internet that a
// LAN user opens can point a name of its own at the router's address, and the browser then
// sends that name as Host. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/config.h"

namespace netmon::web {

class AllowedHosts {
public:
    // hostnames: web.hostnames, the names people type to reach the dashboard.
    AllowedHosts(const ListenAddress& listen, std::vector<std::string> hostnames);

    // True for the listen address (any IP literal when it is a wildcard: a literal cannot be
    // rebound), "localhost" when it is a loopback address, and the configured names; each with
    // the listen port, or without a port when that is 80. Names are case-insensitive and may end
    // in a dot. No Host at all (HTTP/1.0) is allowed: every browser sends one.
    bool allows(const std::string* host) const;

private:
    ListenAddress listen_;
    std::vector<std::string> names_;  // lower case, without a trailing dot
};

}  // namespace netmon::web
