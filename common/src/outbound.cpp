#include "netmon/outbound.h"

#include <algorithm>
#include <utility>

#include "netmon/entry.h"

namespace netmon {

OutboundFilter::OutboundFilter(std::vector<Cidr> local_subnets)
    : local_subnets_(std::move(local_subnets)) {}

bool OutboundFilter::is_local(const IpAddress& address) const {
    return std::any_of(local_subnets_.begin(), local_subnets_.end(),
                       [&](const Cidr& subnet) { return subnet.contains(address); });
}

bool OutboundFilter::is_outbound(const Entry& entry) const {
    return is_local(entry.original.src) && is_public(entry.original.dst);
}

}  // namespace netmon
