#pragma once
// Brings the database in line with the kernel's table: the reconciler of the seed's step 7.
//
// It keeps every stored flow in memory (key, row id, the kernel's last counters, state and
// flags: 88 bytes a flow, see flow_table.h), so that a cycle writes only what changed: new flows
// are inserted, changed ones updated, unchanged ones left alone, and flows the table no longer
// has deleted; their remote hosts stay. All writes of a cycle are one transaction. A full
// read's inserts and updates are written after the read, in the order of the rows and indexes
// rather than the kernel's (DESTROY lines in a replayed text delete at once); events write as
// they come. A flow whose kernel counters went down was reset by another tool: what had been
// counted moves into counter_offsets, and totals go on growing from there (see counters.h).
// A flow that is new in a read and listed again in it (a replayed text may repeat a line) is
// stored with its last reading.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow_table.h"
#include "netmon/config.h"
#include "netmon/counters.h"
#include "netmon/key.h"
#include "netmon/outbound.h"
#include "netmon/parser.h"

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
    // How long remote hosts are kept; each full cycle forgets a batch of those past it.
    void set_retention(const Retention& retention) { retention_ = retention; }

    // One full cycle: reads the whole table from source and writes the difference in one
    // transaction, with the cycle's figures in meta. On failure (SourceError from the source,
    // CycleError when a non-empty text gave no entry at all, DatabaseError when SQLite fails)
    // nothing is written, the last good state stays in the database (and is read back into
    // memory before the next use), and the exception propagates. Interrupted from the source
    // (a stop request) is such a failure too.
    CycleResult run_cycle(SnapshotSource& source, std::int64_t now_ms);

    // Events between cycles, in order, in one transaction: NEW inserts the flow at once,
    // UPDATE changes its state and flags (events carry no counters, so those stay), DESTROY
    // records the final counters (to its remote host) and deletes it. Throws DatabaseError,
    // after which the memory is reloaded from the database before the next use.
    EventResult apply_events(const std::vector<Entry>& events, std::int64_t now_ms);

    // The store's database is another one now (the file was replaced): everything in memory
    // is forgotten and read again from it before the next cycle or events, so that the cycle
    // inserts every flow the new file lacks.
    void forget();

    std::size_t size() const { return flows_.size(); }

private:
    class CycleWriter;

    using SweptFlows = std::unordered_map<Key, Counters, KeyHash>;

    void reload();
    std::uint8_t intern_state(std::string_view name);
    Counters totals(const Key& key, const Flow& flow) const;
    // The kernel's last reading of a flow that one of the last two cycles deleted because the
    // table no longer had it, or nullptr: its DESTROY event may arrive after that cycle.
    Counters* recently_swept(const Key& key);
    void forget_swept(const Key& key);

    Store& store_;
    OutboundFilter filter_;
    FlowTable flows_;
    // The rare flows whose kernel counters were reset: totals = kernel counters + offset.
    std::unordered_map<Key, Counters, KeyHash> offsets_;
    std::vector<std::string> state_names_{""};
    SweptFlows swept_last_;    // deleted by the last cycle
    SweptFlows swept_before_;  // and by the one before
    Retention retention_;
    std::uint64_t hosts_touched_ = 0;  // remote hosts written since the last pruning
    std::uint32_t cycle_ = 0;
    std::int64_t last_sample_ms_ = 0;  // when samples were last written
    bool needs_reload_ = false;        // memory and database disagree: reload() before use
};

}  // namespace netmon
