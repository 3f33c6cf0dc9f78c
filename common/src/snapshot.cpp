#include "netmon/snapshot.h"

#include <utility>

#include "netmon/outbound.h"

namespace netmon {

void SnapshotBuilder::add(Entry&& entry) {
    Key key = Key::from_entry(entry);
    auto found = index_.find(key);
    if (entry.event == EventType::destroyed) {
        if (found != index_.end()) {
            removed_[found->second] = true;
            index_.erase(found);
        }
        return;
    }
    if (found != index_.end()) {
        entries_[found->second] = std::move(entry);
        return;
    }
    index_.emplace(key, entries_.size());
    entries_.push_back(std::move(entry));
    removed_.push_back(false);
}

std::vector<Entry> SnapshotBuilder::take() {
    std::vector<Entry> out;
    out.reserve(index_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i)
        if (!removed_[i]) out.push_back(std::move(entries_[i]));
    entries_.clear();
    removed_.clear();
    index_.clear();
    return out;
}

Snapshot parse_snapshot(std::string_view text, const OutboundFilter* filter) {
    Snapshot snapshot;
    SnapshotBuilder builder;
    parse_text(text, snapshot.stats, [&](Entry&& entry) {
        ++snapshot.entries_seen;
        if (filter == nullptr || filter->is_outbound(entry)) builder.add(std::move(entry));
    });
    snapshot.entries = builder.take();
    return snapshot;
}

}  // namespace netmon

namespace netmon {

std::string summarize(const Snapshot& snapshot) {
    const ParseStats& stats = snapshot.stats;
    std::string out = std::to_string(stats.lines) + " lines, " + std::to_string(snapshot.entries_seen) +
                      " entries, " + std::to_string(snapshot.entries.size()) + " outbound flows, " +
                      std::to_string(stats.skipped) + " lines skipped";
    if (stats.skipped > 0) {
        out += " (first: line " + std::to_string(stats.first_skipped_line) + ", " +
               std::string(describe(stats.first_error)) + ")";
    }
    return out;
}

}  // namespace netmon
