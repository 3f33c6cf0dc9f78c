#pragma once
// The reconciler's decisions, without a database or a clock: its memory of every stored flow
// (key, row id, the kernel's last counters, state and flags: 88 bytes a flow, see
// flow_table.h) and what a full read or a batch of events changes in it (FlowChanges).
//
// A batch is begin_read or begin_events, add for each outbound entry, and finish; once the
// store has written the changes, written gives the new rows' ids back. New flows get no row
// until then: a flow new in a batch and listed again in it (a replayed text may repeat a
// line; NEW then UPDATE) is inserted once with its last reading, and one born and gone in it
// only adds to its remote host. A flow whose kernel counters went down was reset by another
// tool: what had been counted moves into its offset, and totals go on growing from there (see
// counters.h).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flow_changes.h"
#include "flow_table.h"
#include "netmon/counters.h"
#include "netmon/entry.h"
#include "netmon/key.h"

namespace netmon {

class FlowDiff {
public:
    FlowDiff();
    FlowDiff(const FlowDiff&) = delete;  // the changes of a batch point into it
    FlowDiff& operator=(const FlowDiff&) = delete;

    // Forgets every flow and offset (a reload follows); the flows recently found gone stay.
    void clear();
    // Forgets those too: the database is another one.
    void forget();
    void reserve(std::size_t flows) { flows_.reserve(flows); }
    // A row the store holds, as it was when the last batch was written.
    void load(const StoredConnection& row);
    std::size_t size() const { return flows_.size(); }

    // A full read at now: every flow it does not list has gone. sample: a sample period ends
    // with it (rates for the flows that moved in it, and a last zero one for those that moved
    // in the one before).
    void begin_read(std::int64_t now, bool sample);
    // Events at now, in order: NEW adds the flow, UPDATE changes its state and flags (events
    // carry no counters, so those stay), DESTROY ends it with its final counters.
    void begin_events(std::int64_t now);
    // One outbound entry of the batch.
    void add(const Entry& entry);
    // The batch's changes; the memory is as it will be once they are written. The new flows
    // in them point into this memory, valid until the next begin_read or begin_events.
    FlowChanges finish();
    // The store wrote changes (the last finish's): ids are the new rows', one for each of
    // changes.inserted in its order.
    void written(const FlowChanges& changes, const std::vector<std::int64_t>& ids);

private:
    using SweptFlows = std::unordered_map<Key, Counters, KeyHash>;

    void apply(const Entry& entry);
    void observe(const Entry& entry);
    void destroy(const Entry& entry);
    Counters advance(const Key& key, Flow& flow, const Counters& reading);
    Counters totals(const Key& key, const Flow& flow) const;
    // The state an ending flow is logged with.
    std::string last_state(const Entry& entry, const Flow& flow) const;
    void add_host(const IpAddress& ip, const Counters& delta, std::uint32_t new_connections);
    std::uint8_t intern_state(std::string_view name);
    // The kernel's last reading of a flow that one of the last two reads found gone, or
    // nullptr: its DESTROY event may arrive after that read.
    Counters* recently_swept(const Key& key);
    void forget_swept(const Key& key);
    void sweep();
    void drain();
    void list_new(const Key& key, Flow& flow);

    FlowTable flows_;
    // The rare flows whose kernel counters were reset: totals = kernel counters + offset.
    std::unordered_map<Key, Counters, KeyHash> offsets_;
    std::vector<std::string> state_names_;  // 256 at most, never moved: changes point into it
    SweptFlows swept_last_;    // found gone by the last read written
    SweptFlows swept_before_;  // and by the one before
    std::uint32_t cycle_ = 0;

    // The batch under way.
    FlowChanges changes_;
    bool reading_ = false;  // a full read, not events
    std::int64_t last_read_at_ = INT64_MIN;  // the last full read written
    bool sample_ = false;
    SweptFlows swept_;  // found gone by this read
    std::vector<Key> new_keys_;  // events: the flows they added, to list in finish
    // The state names of new flows that share a slot of state_names_ (past 255 names).
    std::unordered_map<Key, std::string, KeyHash> own_state_names_;
    bool swept_pending_ = false;  // swept_ waits for written

    // add, a few entries later: each entry waits while the flow table's memory for it is
    // fetched, instead of every lookup waiting for memory in turn (an idle cycle over 262,144
    // flows a fifth faster).
    static constexpr std::size_t lookahead = 16;
    std::array<Entry, lookahead> ahead_;
    std::size_t queued_ = 0;
};

}  // namespace netmon
