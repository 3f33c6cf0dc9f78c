#include "flow_table.h"

#include <algorithm>

namespace netmon {
namespace {

// Probing stays short up to about 85% full slots, tombstones included.
constexpr double max_load = 0.85;
constexpr std::size_t min_capacity = 1024;
__extension__ using uint128 = unsigned __int128;

std::size_t capacity_for(std::size_t flows) {
    return std::max(min_capacity, static_cast<std::size_t>(static_cast<double>(flows) / max_load) + 1);
}

}  // namespace

std::size_t FlowTable::home(std::uint64_t hash) const {
    // Maps the hash onto [0, capacity) without a division, for any capacity.
    return static_cast<std::size_t>((static_cast<uint128>(hash) * capacity_) >> 64);
}

Flow* FlowTable::find(const Key& key) {
    if (size_ == 0) return nullptr;
    const std::uint64_t hash = hash_key(key);
    const std::uint8_t tag = tag_of(hash);
    for (std::size_t i = home(hash);; i = i + 1 == capacity_ ? 0 : i + 1) {
        Slot& slot = slots_[i];
        if (slot.flow.slot == empty) return nullptr;
        if (slot.flow.slot == tag && slot.key == key) return &slot.flow;
    }
}

void FlowTable::prefetch(const Key& key) const {
    if (capacity_ == 0) return;
    // A slot is 88 bytes: the first two of the cache lines it can span.
    const char* slot = reinterpret_cast<const char*>(&slots_[home(hash_key(key))]);
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + 64);
}

std::pair<Flow*, bool> FlowTable::emplace(const Key& key) {
    if (Flow* found = find(key)) return {found, false};
    if (static_cast<double>(used_ + 1) > static_cast<double>(capacity_) * max_load) {
        // Grow by half, or only sweep the tombstones away when they are what fills the table.
        rehash(capacity_for(std::max(size_ + 1, size_ + size_ / 2)));
    }
    const std::uint64_t hash = hash_key(key);
    for (std::size_t i = home(hash);; i = i + 1 == capacity_ ? 0 : i + 1) {
        Slot& slot = slots_[i];
        if (slot.flow.slot >= full) continue;
        if (slot.flow.slot == empty) ++used_;
        slot.key = key;
        slot.flow = Flow{};
        slot.flow.slot = tag_of(hash);
        ++size_;
        return {&slot.flow, true};
    }
}

void FlowTable::erase(Flow* flow) {
    flow->slot = erased;
    --size_;
}

void FlowTable::reserve(std::size_t n) {
    if (capacity_for(n) > capacity_) rehash(capacity_for(n));
}

void FlowTable::clear() {
    slots_.reset();
    capacity_ = size_ = used_ = 0;
}

void FlowTable::rehash(std::size_t capacity) {
    std::unique_ptr<Slot[]> old = std::move(slots_);
    const std::size_t old_capacity = capacity_;
    slots_ = std::make_unique<Slot[]>(capacity);
    capacity_ = capacity;
    size_ = used_ = 0;
    for (std::size_t i = 0; i < old_capacity; ++i) {
        if (old[i].flow.slot < full) continue;
        for (std::size_t j = home(hash_key(old[i].key));; j = j + 1 == capacity_ ? 0 : j + 1) {
            if (slots_[j].flow.slot != empty) continue;
            slots_[j] = old[i];
            ++size_;
            ++used_;
            break;
        }
    }
}

}  // namespace netmon
