#include "remote_name_cache.h"

#include <algorithm>
#include <cstring>

namespace netmon {

namespace {

constexpr std::size_t max_name_bytes = 253;

std::size_t index_size(std::uint32_t capacity) {
    std::size_t size = 16;
    while (size < 2 * static_cast<std::size_t>(capacity)) size *= 2;
    return size;
}

}  // namespace

RemoteNameCache::RemoteNameCache(std::uint64_t max_names, std::int64_t grace_ms)
    : capacity_(static_cast<std::uint32_t>(std::clamp<std::uint64_t>(max_names, 1, UINT32_MAX / 4))),
      grace_ms_(grace_ms),
      index_(index_size(capacity_), none),
      mask_(index_.size() - 1) {
    // Reserved, not made: the kernel gives the pages as entries fill them, so that an idle
    // router's cache costs its index, not its bound, and a flood still never reallocates.
    entries_.reserve(capacity_);
}

RemoteNameCache::~RemoteNameCache() = default;

std::size_t RemoteNameCache::hash(const IpAddress& client, const IpAddress& address) const {
    IpAddressHash h;
    std::size_t value = h(client) * 0x9e3779b97f4a7c15ull ^ h(address);
    return (value ^ (value >> 29)) & mask_;
}

std::size_t RemoteNameCache::find_slot(const IpAddress& client, const IpAddress& address) const {
    std::size_t slot = hash(client, address);
    while (index_[slot] != none) {
        const Entry& entry = entries_[index_[slot]];
        if (entry.client == client && entry.address == address) return slot;
        slot = (slot + 1) & mask_;
    }
    return slot;
}

// Linear probing's deletion without tombstones: the entries after the hole that would not be
// found across it move back into it.
void RemoteNameCache::erase_slot(std::size_t slot) {
    std::size_t hole = slot;
    std::size_t next = (slot + 1) & mask_;
    while (index_[next] != none) {
        const Entry& entry = entries_[index_[next]];
        const std::size_t home = hash(entry.client, entry.address);
        // Whether home lies cyclically in (hole, next]: then the entry stays.
        const bool stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
        if (!stays) {
            index_[hole] = index_[next];
            hole = next;
        }
        next = (next + 1) & mask_;
    }
    index_[hole] = none;
}

void RemoteNameCache::unlink(std::uint32_t e) {
    Entry& entry = entries_[e];
    if (entry.prev != none) entries_[entry.prev].next = entry.next; else head_ = entry.next;
    if (entry.next != none) entries_[entry.next].prev = entry.prev; else tail_ = entry.prev;
    entry.prev = entry.next = none;
}

void RemoteNameCache::push_front(std::uint32_t e) {
    Entry& entry = entries_[e];
    entry.prev = none;
    entry.next = head_;
    if (head_ != none) entries_[head_].prev = e;
    head_ = e;
    if (tail_ == none) tail_ = e;
}

std::uint32_t RemoteNameCache::evict_least_recent() {
    const std::uint32_t e = tail_;
    Entry& entry = entries_[e];
    erase_slot(find_slot(entry.client, entry.address));
    unlink(e);
    name_bytes_ -= entry.name_length;
    entry.name.reset();
    entry.name_length = 0;
    entry.changed = false;  // its place in changed_ is skipped (take_changes)
    ++evictions_;
    --size_;
    return e;
}

void RemoteNameCache::note(const IpAddress& client, const IpAddress& address, std::string_view name,
                           std::uint32_t ttl_seconds, std::int64_t now_ms) {
    name = name.substr(0, max_name_bytes);
    std::size_t slot = find_slot(client, address);
    std::uint32_t e = index_[slot];
    if (e == none) {
        if (size_ < capacity_) {
            e = static_cast<std::uint32_t>(size_);
            entries_.emplace_back();  // within the reserve: never moves the others
        } else {
            e = evict_least_recent();
            slot = find_slot(client, address);  // the eviction may have moved slots
        }
        ++size_;
        index_[slot] = e;
        entries_[e].client = client;
        entries_[e].address = address;
    } else {
        unlink(e);
    }
    Entry& entry = entries_[e];
    if (!entry.name || std::string_view(entry.name.get(), entry.name_length) != name) {
        // Most answers repeat a pair's name: only a new one is allocated.
        name_bytes_ -= entry.name_length;
        entry.name = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(name.size(), 1));
        std::memcpy(entry.name.get(), name.data(), name.size());
        entry.name_length = static_cast<std::uint8_t>(name.size());
        name_bytes_ += name.size();
    }
    entry.answered_at = now_ms;
    entry.expires_at = now_ms + static_cast<std::int64_t>(ttl_seconds) * 1000 + grace_ms_;
    if (!entry.changed) {
        entry.changed = true;
        changed_.push_back(e);
    }
    push_front(e);
}

std::optional<std::string_view> RemoteNameCache::find(const IpAddress& client, const IpAddress& address,
                                                      std::int64_t now_ms) const {
    const std::uint32_t e = index_[find_slot(client, address)];
    if (e == none || entries_[e].expires_at < now_ms) return std::nullopt;
    return std::string_view(entries_[e].name.get(), entries_[e].name_length);
}

const std::vector<RemoteNameRow>& RemoteNameCache::take_changes() {
    rows_.clear();
    for (std::uint32_t e : changed_) {
        Entry& entry = entries_[e];
        // Forgotten (and maybe reused: then it is listed again, later, and taken once).
        if (!entry.changed) continue;
        entry.changed = false;
        rows_.push_back({entry.client, entry.address, std::string_view(entry.name.get(), entry.name_length),
                         entry.answered_at, entry.expires_at});
    }
    changed_.clear();
    return rows_;
}

std::size_t RemoteNameCache::memory_bytes() const {
    // Each name's allocation as glibc's malloc rounds it: 8 bytes of header, 16-byte steps, 32 at least.
    std::size_t names = 0;
    for (std::size_t e = 0; e < entries_.size(); ++e)
        if (entries_[e].name) names += std::max<std::size_t>(32, (entries_[e].name_length + 8 + 15) / 16 * 16);
    return entries_.capacity() * sizeof(Entry) + index_.capacity() * sizeof(std::uint32_t) + names +
           changed_.capacity() * sizeof(std::uint32_t) + rows_.capacity() * sizeof(RemoteNameRow);
}

}  // namespace netmon
