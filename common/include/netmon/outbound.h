#pragma once
// Which flows netmon keeps: started by a LAN device, towards the internet.

#include <vector>

#include "netmon/address.h"

namespace netmon {

struct Entry;

class OutboundFilter {
public:
    explicit OutboundFilter(std::vector<Cidr> local_subnets);

    // Outbound when the original source is in a local subnet and the original destination is
    // public (see is_public). Direction comes from addresses, not interfaces, so NAT cannot
    // confuse it.
    bool is_outbound(const Entry& entry) const;
    bool is_local(const IpAddress& address) const;

private:
    std::vector<Cidr> local_subnets_;
};

}  // namespace netmon
