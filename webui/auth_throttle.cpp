#include "auth_throttle.h"

#include <algorithm>

namespace netmon::web {
namespace {

// An IPv6 client is its /64: one device can take any number of addresses in its network.
IpAddress key_of(IpAddress address) {
    address = address.unmapped();
    if (address.family == Family::v6) std::fill(address.bytes.begin() + 8, address.bytes.end(), 0);
    return address;
}

}  // namespace

std::int64_t AuthThrottle::wait_after(int count) {
    if (count < free_failures) return 0;
    const int doublings = std::min(count - free_failures, 16);
    return std::min<std::int64_t>(1000LL << doublings, max_wait_ms);
}

std::optional<std::int64_t> AuthThrottle::wait_ms(const IpAddress& address, std::int64_t now_ms) const {
    auto found = failures_.find(key_of(address));
    if (found == failures_.end()) return std::nullopt;
    const Failures& entry = found->second;
    if (now_ms - entry.last_ms >= forget_after_ms) return std::nullopt;
    const std::int64_t until = entry.last_ms + wait_after(entry.count);
    if (now_ms >= until) return std::nullopt;
    return until - now_ms;
}

void AuthThrottle::failed(const IpAddress& client, std::int64_t now_ms) {
    const IpAddress address = key_of(client);
    auto found = failures_.find(address);
    if (found == failures_.end()) {
        if (failures_.size() >= max_addresses) {
            // Full: the address that failed longest ago goes.
            auto oldest = std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
                return a.second.last_ms < b.second.last_ms;
            });
            failures_.erase(oldest);
        }
        found = failures_.emplace(address, Failures{}).first;
    }
    Failures& entry = found->second;
    if (now_ms - entry.last_ms >= forget_after_ms) entry.count = 0;
    ++entry.count;
    entry.last_ms = now_ms;
}

void AuthThrottle::succeeded(const IpAddress& address) { failures_.erase(key_of(address)); }

}  // namespace netmon::web
