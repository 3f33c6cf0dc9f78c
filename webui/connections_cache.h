#pragma once
// The last /connections.json body a database connection made, kept while it is exactly what a
// new query would give: the same filter, no commit since (PRAGMA data_version), and no NEW
// host turned SEEN since (the only part of the answer that moves with the clock). The ingest
// commits once a cycle, and every open dashboard asks once a second with the same filter, so
// most requests are answered from here.

#include <cstdint>
#include <optional>
#include <string>

#include "request_params.h"

namespace netmon::web {

class ConnectionsCache {
public:
    // Bodies larger than this (limits in the thousands) are not kept.
    static constexpr std::size_t max_body = 1 << 20;

    // The body for filter, or nullptr when there is none that still holds at now_ms.
    const std::string* find(const ConnectionFilter& filter, std::int64_t data_version, std::int64_t now_ms) const;
    // data_version: read before the query that made body. valid_until: the last ms at which
    // body holds (ConnectionsJson::valid_until).
    void store(const ConnectionFilter& filter, std::int64_t data_version, std::int64_t now_ms,
               std::int64_t valid_until, std::string body);
    void clear() { entry_.reset(); }

private:
    struct Entry {
        ConnectionFilter filter;
        std::int64_t data_version = 0;
        std::int64_t made_at = 0;
        std::int64_t valid_until = 0;
        std::string body;
    };
    std::optional<Entry> entry_;
};

}  // namespace netmon::web
