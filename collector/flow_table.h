#pragma once
// The reconciler's memory of every stored flow: an open-addressing hash table from Key to a
// 48-byte Flow in 88-byte slots, so that a lookup costs about one cache miss and 262,144 flows
// fit in about 30 MiB. Linear probing; erased slots become tombstones and are dropped at the
// next growth.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "netmon/counters.h"
#include "netmon/key.h"

namespace netmon {

struct Flow {
    std::int64_t id = 0;           // the connections row
    Counters raw;                  // the kernel's last reading (totals add the offset, if any)
    std::uint32_t seen_cycle = 0;  // the last cycle whose read listed it
    std::uint8_t state = 0;         // index of its state name
    std::uint8_t flags = 0;
    std::uint8_t bits = 0;          // Flow::has_offset | moving | unsampled | unwritten | listed
    std::uint8_t slot = 0;          // the table's: empty, erased, or full with a tag of the hash

    static constexpr std::uint8_t has_offset = 1;  // its counters were reset: see counter_offsets
    static constexpr std::uint8_t moving = 2;      // it moved in the last sample period: rates not zero
    static constexpr std::uint8_t unsampled = 4;   // its counters moved in this sample period
    static constexpr std::uint8_t unwritten = 8;   // new in this batch: no row yet, id is 0
    static constexpr std::uint8_t listed = 16;     // new, and in the batch's changes already
};

class FlowTable {
public:
    FlowTable() = default;
    FlowTable(FlowTable&&) noexcept = default;
    FlowTable& operator=(FlowTable&&) noexcept = default;

    Flow* find(const Key& key);
    // Starts fetching the memory a find or emplace of key will read, so that a caller who knows
    // its next keys can look them up without waiting for memory each time.
    void prefetch(const Key& key) const;
    // The flow for key, default-constructed and second = true when it was not there. Pointers
    // stay valid until the next emplace or reserve.
    std::pair<Flow*, bool> emplace(const Key& key);
    // Erases the flow find or emplace returned.
    void erase(Flow* flow);
    // Room for n flows without growing.
    void reserve(std::size_t n);
    void clear();
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }

    // Calls f(const Key&, Flow&) for every flow; f may erase the flow it is given.
    template <class F>
    void for_each(F&& f) {
        for (std::size_t i = 0; i < capacity_; ++i)
            if (slots_[i].flow.slot >= full) f(slots_[i].key, slots_[i].flow);
    }

private:
    struct Slot {
        Key key;
        Flow flow;
    };
    static_assert(sizeof(Slot) == 88);
    // slot: 0 empty, 1 erased, 2-255 full; the value of a full slot is 2 + 8 bits of the key's
    // hash, so that most probes that miss do without comparing keys.
    static constexpr std::uint8_t empty = 0, erased = 1, full = 2;
    static std::uint8_t tag_of(std::uint64_t hash) {
        return static_cast<std::uint8_t>(full + (hash >> 56) % 254);
    }

    std::size_t home(std::uint64_t hash) const;
    void rehash(std::size_t capacity);

    std::unique_ptr<Slot[]> slots_;
    std::size_t capacity_ = 0;
    std::size_t size_ = 0;  // full slots
    std::size_t used_ = 0;  // full and erased slots
};

}  // namespace netmon
