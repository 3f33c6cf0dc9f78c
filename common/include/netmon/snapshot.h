#pragma once
// The set of flows one conntrack text describes: one entry per key.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "netmon/entry.h"
#include "netmon/key.h"
#include "netmon/parser.h"

namespace netmon {

class OutboundFilter;

struct Snapshot {
    std::vector<Entry> entries;  // one per key, in the order keys first appeared
    ParseStats stats;
    std::size_t entries_seen = 0;  // parsed entries before filtering and folding
};

// Folds entries in arrival order: a later entry with the same key replaces the earlier one (a
// table read while it changes can list an entry twice), a DESTROY event removes it, so that a
// `conntrack -E` capture folds to the flows still alive at its end.
class SnapshotBuilder {
public:
    void add(Entry&& entry);
    std::size_t size() const { return index_.size(); }
    // The folded entries; the builder is empty afterwards.
    std::vector<Entry> take();

private:
    std::vector<Entry> entries_;
    std::vector<bool> removed_;
    std::unordered_map<Key, std::size_t, KeyHash> index_;
};

// Parses a whole text and folds it. With a filter, keeps only the outbound entries.
Snapshot parse_snapshot(std::string_view text, const OutboundFilter* filter);

}  // namespace netmon

namespace netmon {

// "23 lines, 22 entries, 9 outbound flows, 2 lines skipped (first: line 5, invalid address)".
std::string summarize(const Snapshot& snapshot);

}  // namespace netmon
