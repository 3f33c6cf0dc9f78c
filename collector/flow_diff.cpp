#include "flow_diff.h"

#include <algorithm>

namespace netmon {

FlowDiff::FlowDiff() {
    state_names_.reserve(256);
    state_names_.emplace_back();
}

void FlowDiff::clear() {
    flows_.clear();
    offsets_.clear();
}

void FlowDiff::forget() {
    clear();
    swept_last_.clear();
    swept_before_.clear();
    swept_.clear();
    swept_pending_ = false;
}

void FlowDiff::load(const StoredConnection& row) {
    auto [flow, inserted] = flows_.emplace(row.key);
    flow->id = row.id;
    flow->raw = row.has_offset ? row.totals - row.offset : row.totals;
    flow->state = intern_state(row.state);
    flow->flags = row.flags;
    flow->seen_cycle = cycle_;
    if (row.moving) flow->bits |= Flow::moving;
    if (row.has_offset) {
        flow->bits |= Flow::has_offset;
        offsets_[row.key] = row.offset;
    }
}

void FlowDiff::begin_read(std::int64_t now, bool sample) {
    begin_events(now);
    changes_.last_read_at = now;
    reading_ = true;
    sample_ = sample;
    ++cycle_;
}

void FlowDiff::begin_events(std::int64_t now) {
    changes_ = FlowChanges{};
    changes_.now = now;
    changes_.last_read_at = last_read_at_;
    reading_ = false;
    sample_ = false;
    new_keys_.clear();
    own_state_names_.clear();
    queued_ = 0;
    // A read that was never written found nothing gone after all.
    swept_.clear();
    swept_pending_ = false;
}

void FlowDiff::add(const Entry& entry) {
    if (!reading_) {
        apply(entry);
        return;
    }
    Entry& slot = ahead_[queued_ % lookahead];
    if (queued_ >= lookahead) apply(slot);
    slot = entry;
    flows_.prefetch(Key::from_entry(slot));
    ++queued_;
}

void FlowDiff::drain() {
    for (std::size_t i = queued_ > lookahead ? queued_ - lookahead : 0; i < queued_; ++i)
        apply(ahead_[i % lookahead]);
    queued_ = 0;
}

FlowChanges FlowDiff::finish() {
    if (reading_) {
        drain();
        sweep();
        swept_pending_ = true;
    }
    if (!reading_) {
        // A flow NEW twice (born and gone in between) is listed once.
        for (const Key& key : new_keys_) {
            Flow* flow = flows_.find(key);
            if (flow != nullptr && (flow->bits & Flow::unwritten)) list_new(key, *flow);
        }
    }
    // A new flow's remote host gets its last reading, once.
    for (const FlowChanges::Inserted& row : changes_.inserted) add_host(row.key->dst, row.flow->raw, 1);
    return std::move(changes_);
}

void FlowDiff::list_new(const Key& key, Flow& flow) {
    if (flow.bits & Flow::listed) return;
    flow.bits |= Flow::listed;
    auto own = own_state_names_.find(key);
    const std::string* state = own != own_state_names_.end() ? &own->second : &state_names_[flow.state];
    changes_.inserted.push_back({&key, &flow, state});
}

void FlowDiff::written(const FlowChanges& changes, const std::vector<std::int64_t>& ids) {
    if (changes.last_read_at == changes.now) last_read_at_ = changes.now;
    const std::size_t n = std::min(changes.inserted.size(), ids.size());
    for (std::size_t i = 0; i < n; ++i) {
        // Points into flows_, which is this object's, not const.
        Flow& flow = const_cast<Flow&>(*changes.inserted[i].flow);
        flow.id = ids[i];
        flow.bits &= static_cast<std::uint8_t>(~(Flow::unwritten | Flow::listed));
    }
    if (swept_pending_) {
        // Their DESTROY events may still be on their way: two reads' worth are remembered.
        swept_before_ = std::move(swept_last_);
        swept_last_ = std::move(swept_);
        swept_.clear();
        swept_pending_ = false;
    }
}

void FlowDiff::apply(const Entry& entry) {
    if (entry.event == EventType::destroyed) destroy(entry);
    else observe(entry);
}

void FlowDiff::observe(const Entry& entry) {
    const Key key = Key::from_entry(entry);
    // An UPDATE for a flow a read found gone is its last breath, not a new flow; a NEW one
    // is a new flow on the same tuple.
    if (entry.event == EventType::updated && recently_swept(key) != nullptr) return;
    if (entry.event == EventType::created) forget_swept(key);
    const std::uint8_t state = intern_state(entry.state.view());
    auto [flow, inserted] = flows_.emplace(key);
    flow->seen_cycle = cycle_;
    FlowChanges::Counts& counts = changes_.counts;
    if (inserted || (flow->bits & Flow::unwritten)) {
        // New, or new and listed again in the same batch: its row, still to be written, takes
        // the last reading, and so does its remote host, once (finish).
        const Counters reading = entry.has_counters ? Counters::of(entry) : flow->raw;  // a new one's is 0
        if (inserted) {
            ++counts.inserted;
            flow->bits |= Flow::unwritten;
            if (!reading_) new_keys_.push_back(key);
        } else if (!reading_) {
            // Events count a NEW then an UPDATE of it as an insert and an update, as the rows they
            // were before a batch of events wrote its new flows last.
            if (reading != flow->raw || state != flow->state || entry.flags != flow->flags) ++counts.updated;
            else ++counts.unchanged;
        }
        // Past 255 names, its state shares a slot: its row keeps its own name all the same.
        if (state_names_[state] != entry.state.view()) own_state_names_[key] = entry.state.view();
        else if (!own_state_names_.empty()) own_state_names_.erase(key);
        flow->raw = reading;
        flow->state = state;
        flow->flags = entry.flags;
        return;
    }
    const bool counters_moved = entry.has_counters && Counters::of(entry) != flow->raw;
    if (!counters_moved && state == flow->state && entry.flags == flow->flags) {
        ++counts.unchanged;
        return;
    }
    flow->state = state;
    flow->flags = entry.flags;
    ++counts.updated;
    if (!counters_moved) {
        changes_.updated.push_back({flow->id, std::string(entry.state.view()), entry.flags, false, {}, {}, key});
        add_host(key.dst, Counters{}, 0);
        return;
    }
    const Counters before = totals(key, *flow);
    const Counters after = advance(key, *flow, Counters::of(entry));
    flow->bits |= Flow::unsampled;
    changes_.updated.push_back(
        {flow->id, std::string(entry.state.view()), entry.flags, true, after, after - before, key});
    add_host(key.dst, after - before, 0);
}

void FlowDiff::destroy(const Entry& entry) {
    using End = FlowChanges::End;
    const Key key = Key::from_entry(entry);
    const Counters reading = entry.has_counters ? Counters::of(entry) : Counters{};
    Flow* flow = flows_.find(key);
    if (flow == nullptr) {
        if (Counters* last = recently_swept(key)) {
            // A read already found it gone and its row went: its host gets only what the
            // final counters add to the last reading.
            if (entry.has_counters) {
                const Counters delta = is_reset(*last, reading) ? reading : reading - *last;
                add_host(key.dst, delta, 0);
                changes_.ended.push_back(
                    {0, key, reading, delta, false, End::late, std::string(entry.state.view()), entry.flags});
                *last = reading;
            }
            return;
        }
        // Born and gone between two reads: only its remote host remembers it.
        add_host(key.dst, reading, 1);
        changes_.ended.push_back(
            {0, key, reading, reading, false, End::destroyed, std::string(entry.state.view()), entry.flags});
        return;
    }
    if (flow->bits & Flow::unwritten) {
        // New in this batch and gone in it too: no row, and only its remote host remembers it.
        const Counters last = entry.has_counters ? reading : flow->raw;
        add_host(key.dst, last, 1);
        changes_.ended.push_back({0, key, last, last, false, End::destroyed, last_state(entry, *flow), entry.flags});
        if (!own_state_names_.empty()) own_state_names_.erase(key);
        flows_.erase(flow);
        ++changes_.counts.deleted;
        return;
    }
    Counters final_totals = totals(key, *flow);
    Counters delta;
    if (entry.has_counters) {
        // The final counters: what they add goes to the remote host before the row goes.
        const Counters before = final_totals;
        final_totals = advance(key, *flow, reading);
        delta = final_totals - before;
        add_host(key.dst, delta, 0);
    }
    changes_.ended.push_back({flow->id, key, final_totals, delta, (flow->bits & Flow::has_offset) != 0, End::destroyed,
                              last_state(entry, *flow), entry.flags});
    offsets_.erase(key);
    flows_.erase(flow);
    ++changes_.counts.deleted;
}

void FlowDiff::sweep() {
    // Room at once for the flows new in the read (those also gone in it are fewer).
    changes_.inserted.reserve(changes_.counts.inserted);
    flows_.for_each([&](const Key& key, Flow& flow) {
        if (flow.bits & Flow::unwritten) {
            list_new(key, flow);
            return;
        }
        if (flow.seen_cycle == cycle_) {
            // The end of a sample period: rates for the flows that moved in it, and a last
            // (zero) rate for those that moved in the one before.
            if (sample_ && (flow.bits & (Flow::unsampled | Flow::moving))) {
                const bool moved = flow.bits & Flow::unsampled;
                changes_.samples.push_back({flow.id, moved});
                flow.bits = static_cast<std::uint8_t>((flow.bits & Flow::has_offset) | (moved ? Flow::moving : 0));
            }
            return;
        }
        const bool has_offset = flow.bits & Flow::has_offset;
        changes_.ended.push_back({flow.id, key, totals(key, flow), {}, has_offset, FlowChanges::End::gone,
                                  state_names_[flow.state], flow.flags});
        if (has_offset) offsets_.erase(key);
        swept_.emplace(key, flow.raw);
        flows_.erase(&flow);
        ++changes_.counts.deleted;
    });
}

std::string FlowDiff::last_state(const Entry& entry, const Flow& flow) const {
    // A DESTROY says the state the flow ended in; a replayed line may say none.
    if (!entry.state.view().empty()) return std::string(entry.state.view());
    return state_names_[flow.state];
}

Counters FlowDiff::advance(const Key& key, Flow& flow, const Counters& reading) {
    if (is_reset(flow.raw, reading)) {
        Counters& offset = offsets_[key];
        offset = offset + flow.raw;
        flow.bits |= Flow::has_offset;
        changes_.resets.push_back({flow.id, offset});
        ++changes_.counts.resets;
    }
    flow.raw = reading;
    return totals(key, flow);
}

Counters FlowDiff::totals(const Key& key, const Flow& flow) const {
    if (!(flow.bits & Flow::has_offset)) return flow.raw;
    return flow.raw + offsets_.at(key);
}

void FlowDiff::add_host(const IpAddress& ip, const Counters& delta, std::uint32_t new_connections) {
    HostActivity& host = changes_.hosts[ip];
    host.uplink_bytes = saturating_add(host.uplink_bytes, delta.uplink_bytes);
    host.downlink_bytes = saturating_add(host.downlink_bytes, delta.downlink_bytes);
    host.new_connections += new_connections;
}

std::uint8_t FlowDiff::intern_state(std::string_view name) {
    for (std::size_t i = 0; i < state_names_.size(); ++i)
        if (state_names_[i] == name) return static_cast<std::uint8_t>(i);
    // Real kernels have about 25 state names; past 255 unknown ones, they share the last slot.
    if (state_names_.size() == 256) return 255;
    state_names_.emplace_back(name);
    return static_cast<std::uint8_t>(state_names_.size() - 1);
}

Counters* FlowDiff::recently_swept(const Key& key) {
    for (SweptFlows* swept : {&swept_last_, &swept_before_}) {
        auto found = swept->find(key);
        if (found != swept->end()) return &found->second;
    }
    return nullptr;
}

void FlowDiff::forget_swept(const Key& key) {
    swept_last_.erase(key);
    swept_before_.erase(key);
}

}  // namespace netmon
