#include "connection_limits.h"

namespace netmon::web {

ConnectionLimits::ConnectionLimits(std::size_t per_address, std::size_t total)
    : per_address_(per_address > 0 ? per_address : 1), total_(total > 0 ? total : 1) {}

std::size_t ConnectionLimits::open_from(const IpAddress& peer) const {
    auto found = addresses_.find(peer);
    return found == addresses_.end() ? 0 : found->second.count;
}

std::optional<std::uint64_t> ConnectionLimits::oldest_idle(const IpAddress& peer) const {
    auto found = addresses_.find(peer);
    if (found == addresses_.end() || found->second.idle.empty()) return std::nullopt;
    return *found->second.idle.begin();
}

ConnectionLimits::Admission ConnectionLimits::admit(std::uint64_t id, const IpAddress& peer) {
    Admission admission;
    if (open_from(peer) >= per_address_) {
        admission.evict = oldest_idle(peer);
        if (!admission.evict) return admission;
    } else if (connections_.size() >= total_) {
        // The most crowded address that has a connection to spare gives one.
        std::size_t most = 0;
        for (const auto& [address, state] : addresses_) {
            if (state.count > most && !state.idle.empty()) {
                most = state.count;
                admission.evict = *state.idle.begin();
            }
        }
        if (!admission.evict) return admission;
    }
    if (admission.evict) release(*admission.evict);
    connections_.emplace(id, Connection{peer, false});
    PerAddress& state = addresses_[peer];
    ++state.count;
    state.idle.insert(id);
    admission.admitted = true;
    return admission;
}

void ConnectionLimits::set_busy(std::uint64_t id, bool busy) {
    auto found = connections_.find(id);
    if (found == connections_.end() || found->second.busy == busy) return;
    found->second.busy = busy;
    PerAddress& state = addresses_[found->second.peer];
    if (busy) state.idle.erase(id);
    else state.idle.insert(id);
}

void ConnectionLimits::release(std::uint64_t id) {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    auto address = addresses_.find(found->second.peer);
    address->second.idle.erase(id);
    if (--address->second.count == 0) addresses_.erase(address);
    connections_.erase(found);
}

}  // namespace netmon::web
