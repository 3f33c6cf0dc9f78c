#pragma once
// The names DNS answers gave, in memory: (client, answered address) -> the name the client asked
// for, until the answer's TTL plus names.dns.grace. Bounded: at most max_names pairs, the least
// recently answered forgotten first (a flood of 100,000 distinct answers costs a fixed amount of
// memory). The pairs answered since the last write are handed out for the database. Pure: times
// are passed in.
//
// The memory is laid out for that bound: one array of entries reserved once (two addresses, the times,
// the LRU's links as 32-bit indexes, the name in an exact-size allocation of its own) and an
// open-addressing index of 32-bit slots. bench/name_cache_bench.cpp measures it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "netmon/address.h"

namespace netmon {

// A pair to write (remote_names, host_names). name points into the cache: valid until the
// next note.
struct RemoteNameRow {
    IpAddress client;
    IpAddress address;
    std::string_view name;
    std::int64_t answered_at = 0;  // ms
    std::int64_t expires_at = 0;   // ms: answered_at + ttl + grace
};

class RemoteNameCache {
public:
    // max_names is at least 1; grace_ms is added to every answer's TTL.
    RemoteNameCache(std::uint64_t max_names, std::int64_t grace_ms);
    ~RemoteNameCache();
    RemoteNameCache(const RemoteNameCache&) = delete;
    RemoteNameCache& operator=(const RemoteNameCache&) = delete;

    // An answer at now: client was told address for name (at most 253 bytes; longer is cut),
    // valid for ttl_seconds. The pair becomes the most recent; when it is new and the cache is
    // full, the least recent pair is forgotten (evictions()). A repeat of a pair counts as changed.
    void note(const IpAddress& client, const IpAddress& address, std::string_view name, std::uint32_t ttl_seconds,
              std::int64_t now_ms);

    // The name client was given for address, if it has not expired at now_ms.
    std::optional<std::string_view> find(const IpAddress& client, const IpAddress& address, std::int64_t now_ms) const;

    // The pairs noted since the last call (each once, with its latest answer), then none are
    // changed. A changed pair forgotten before the call is not among them. The vector is
    // reused from call to call.
    const std::vector<RemoteNameRow>& take_changes();

    std::size_t size() const { return size_; }
    std::uint64_t max_names() const { return capacity_; }
    std::uint64_t evictions() const { return evictions_; }
    // The bytes this cache holds on the heap: entries, index and names (for the benchmark).
    std::size_t memory_bytes() const;

private:
    static constexpr std::uint32_t none = UINT32_MAX;
    struct Entry {
        IpAddress client;
        IpAddress address;
        std::int64_t answered_at = 0;
        std::int64_t expires_at = 0;
        std::unique_ptr<char[]> name;  // name_length bytes, exactly
        std::uint32_t prev = none;     // towards the most recent
        std::uint32_t next = none;     // towards the least recent
        std::uint8_t name_length = 0;
        bool changed = false;
    };

    std::size_t hash(const IpAddress& client, const IpAddress& address) const;
    // The index slot holding entry of this pair, or the empty slot where it would go.
    std::size_t find_slot(const IpAddress& client, const IpAddress& address) const;
    void erase_slot(std::size_t slot);
    void unlink(std::uint32_t entry);
    void push_front(std::uint32_t entry);
    std::uint32_t evict_least_recent();

    std::uint32_t capacity_;
    std::int64_t grace_ms_;
    std::vector<Entry> entries_;         // size_ of them, in a reserve of capacity_ made once
    std::vector<std::uint32_t> index_;   // a power of two >= 2 * capacity_; none: empty
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
    std::uint32_t head_ = none;          // the most recent
    std::uint32_t tail_ = none;          // the least recent
    std::vector<std::uint32_t> changed_;
    std::vector<RemoteNameRow> rows_;
    std::size_t name_bytes_ = 0;
    std::uint64_t evictions_ = 0;
};

}  // namespace netmon
