#pragma once
// Brings the database in line with the kernel's table: the reconciler of the seed's step 7.
//
// What changed is decided by FlowDiff (flow_diff.h), which keeps every stored flow in memory,
// so that a cycle writes only what changed: new flows are inserted, changed ones updated,
// unchanged ones left alone, and flows the table no longer has deleted; their remote hosts
// stay. The store writes those changes (Store::apply) with the cycle's meta, host and sample
// pruning and search indexing, all in one write. A full read's changes are written after the
// read; each batch of events is a write of its own.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow_diff.h"
#include "netmon/config.h"
#include "netmon/counters.h"
#include "netmon/key.h"
#include "netmon/outbound.h"
#include "netmon/parser.h"
#include "traffic_ledger.h"

namespace netmon {

class SnapshotSource;
class Store;
struct Entry;

// A cycle that must not change the database, such as a text whose every line is malformed.
class CycleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CycleResult {
    ParseStats stats;
    std::uint64_t entries_seen = 0;  // entries read, outbound or not
    std::uint64_t flows = 0;         // outbound flows alive after the cycle
    std::uint64_t inserted = 0;
    std::uint64_t updated = 0;
    std::uint64_t unchanged = 0;
    std::uint64_t deleted = 0;
    std::uint64_t resets = 0;  // flows whose kernel counters went down
    std::uint64_t hosts_pruned = 0;  // remote hosts forgotten (see retention.h)
    std::uint64_t history_pruned = 0;  // history rows past their retention, deleted after the cycle
};

struct EventResult {
    std::uint64_t inserted = 0;
    std::uint64_t updated = 0;
    std::uint64_t deleted = 0;
};

class Reconciler {
public:
    // Loads what the database already holds, so that a restart keeps first_seen_at and totals.
    Reconciler(Store& store, OutboundFilter filter);

    // For a reloaded configuration; flows that stop being outbound go at the next cycle.
    void set_filter(OutboundFilter filter) { filter_ = std::move(filter); }
    // How long remote hosts and the history are kept; full cycles forget a batch of what is past it.
    void set_retention(const Retention& retention);
    // Writes of other parts (the DNS names) that land in each cycle's and each event batch's
    // transaction, before the flows: a flow and the name its device just resolved commit together.
    void also_write(std::function<void()> writes) { also_write_ = std::move(writes); }
    // The WAN interface's bytes since its last reading (wan_meter.h), for the next full cycle's
    // history: in the minute that cycle reads, beside the flows' bytes it reads. Kept until a
    // cycle writes them.
    void add_wan(const TrafficSums& wan) { pending_wan_.add(wan); }
    // Called with each outbound entry of every full read (the coverage's causes look at them).
    void observe_reads(std::function<void(const Entry&)> observer) { observer_ = std::move(observer); }

    // One full cycle: reads the whole table from source and writes the difference in one
    // transaction, with the cycle's figures in meta. On failure (SourceError from the source,
    // CycleError when a non-empty text gave no entry at all, DatabaseError when SQLite fails)
    // nothing is written, the last good state stays in the database (and is read back into
    // memory before the next use), and the exception propagates. Interrupted from the source
    // (a stop request) is such a failure too. also_write, when given, adds its writes to the
    // cycle's transaction (the names of the LAN's devices).
    CycleResult run_cycle(SnapshotSource& source, std::int64_t now_ms, const std::function<void()>& also_write = {});

    // Events between cycles, in order, in one transaction: NEW inserts the flow at once,
    // UPDATE changes its state and flags (events carry no counters, so those stay), DESTROY
    // records the final counters (to its remote host) and deletes it. Throws DatabaseError,
    // after which the memory is reloaded from the database before the next use.
    EventResult apply_events(const std::vector<Entry>& events, std::int64_t now_ms);

    // The store's database is another one now (the file was replaced): everything in memory
    // is forgotten and read again from it before the next cycle or events, so that the cycle
    // inserts every flow the new file lacks.
    void forget();

    std::size_t size() const { return diff_.size(); }

    // Writes the history's sums still in memory (traffic_ledger.h): for an ingest that stops.
    // Throws DatabaseError, and then they wait for the next call.
    void flush_history(std::int64_t now_ms);

private:
    void reload();
    // A batch's sums for the history (nothing when it is off); baseline_ for a full read.
    TrafficLedger::Batch stage_history(const FlowChanges& changes) const;
    // In the write of a batch's changes: the connections and their remote hosts in all (meta),
    // each device's connections, and the history's sums when they are due. Returns whether the
    // sums were written (flushed).
    bool write_history(const FlowChanges& changes, const TrafficLedger::Batch& batch);
    // Writes what waits in the ledger plus batch.
    void write_sums(const TrafficLedger::Batch& batch, std::int64_t now_ms);
    // After the write: what the ledger keeps of the batch.
    void history_written(TrafficLedger::Batch&& batch, bool flushed, std::int64_t now_ms);
    // A step of the history's pruning, in a write of its own after the cycle's, when due.
    std::uint64_t prune_history(std::int64_t now_ms);

    Store& store_;
    OutboundFilter filter_;
    FlowDiff diff_;
    Retention retention_;
    TrafficSteps steps_;
    TrafficLedger ledger_;
    ActiveConnections active_;
    std::int64_t last_history_pruning_ms_ = 0;
    bool history_pruning_left_ = false;  // the last step deleted a whole batch: more may wait
    // The next full read is the first of a database that never had one: the flows it finds
    // were there before netmon, and history counts only what they add after it.
    bool baseline_ = false;
    std::uint64_t hosts_touched_ = 0;  // remote hosts written since the last pruning
    std::int64_t last_sample_ms_ = 0;  // when samples were last written
    bool needs_reload_ = false;        // memory and database disagree: reload() before use
    std::function<void()> also_write_;
    TrafficSums pending_wan_;
    std::function<void(const Entry&)> observer_;
};

}  // namespace netmon
