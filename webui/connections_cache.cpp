#include "connections_cache.h"

namespace netmon::web {

const std::string* ConnectionsCache::find(const ConnectionFilter& filter, std::int64_t data_version,
                                          std::int64_t now_ms) const {
    if (!entry_ || entry_->data_version != data_version || !(entry_->filter == filter)) return nullptr;
    // A clock that went back could make a SEEN host NEW again.
    if (now_ms < entry_->made_at || now_ms > entry_->valid_until) return nullptr;
    return &entry_->body;
}

void ConnectionsCache::store(const ConnectionFilter& filter, std::int64_t data_version, std::int64_t now_ms,
                             std::int64_t valid_until, std::string body) {
    if (body.size() > max_body) {
        entry_.reset();
        return;
    }
    entry_ = Entry{filter, data_version, now_ms, valid_until, std::move(body)};
}

}  // namespace netmon::web
