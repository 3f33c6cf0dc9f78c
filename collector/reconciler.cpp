#include "reconciler.h"

#include <algorithm>
#include <chrono>

#include "netmon/database.h"
#include "netmon/entry.h"
#include "snapshot_source.h"
#include "store.h"

namespace netmon {
namespace {

// connection_samples: a row per moving flow every 10 s, kept for 10 minutes.
constexpr std::int64_t sample_period_ms = 10'000;
constexpr std::int64_t sample_window_ms = 10 * 60'000;

// New connections indexed for ?q= a cycle, at most (about 5 us each): a cold start's 262,144
// take eight cycles instead of adding 1.5 s to the first; the web reads those not indexed yet
// from the table meanwhile.
constexpr std::uint64_t search_rows_per_cycle = 32768;

}  // namespace

Reconciler::Reconciler(Store& store, OutboundFilter filter) : store_(store), filter_(std::move(filter)) {
    set_retention(retention_);
    reload();
}

void Reconciler::set_retention(const Retention& retention) {
    retention_ = retention;
    steps_ = TrafficSteps::of(retention);
    store_.keep_flow_log(retention.keeps_flow_log());
}

void Reconciler::forget() {
    needs_reload_ = true;
    diff_.forget();
    // Its sums were counted against the old file's flows; the new file counts every flow anew.
    ledger_ = TrafficLedger{};
}

void Reconciler::reload() {
    needs_reload_ = true;  // until it is done: a read that fails halfway leaves part of the table
    diff_.clear();
    diff_.reserve(store_.count_connections());
    active_.clear();
    store_.for_each_connection([&](const StoredConnection& row) {
        diff_.load(row);
        active_.load(row.key);
    });
    // A database that never had a cycle: its first read is the history's baseline.
    baseline_ = diff_.size() == 0 && !store_.has_meta(meta::last_good_cycle_at);
    needs_reload_ = false;
}

TrafficLedger::Batch Reconciler::stage_history(const FlowChanges& changes) const {
    // History off: the cycle does none of its work.
    if (!steps_.any()) return {};
    return TrafficLedger::stage(changes, baseline_);
}

bool Reconciler::write_history(const FlowChanges& changes, const TrafficLedger::Batch& batch) {
    // Counted ahead of the write: a failed one reloads, and the reload counts them again.
    const auto devices = active_.apply(changes);
    // The summary's counts, with the rows they count (history or not).
    store_.set_meta(meta::active_connections, active_.total());
    store_.set_meta(meta::active_remote_hosts, active_.remote_hosts());
    if (!retention_.keeps_history()) return false;
    store_.set_active_connections(devices, changes.now);
    if (!steps_.any() || !ledger_.due(changes.now, batch)) return false;
    write_sums(batch, changes.now);
    return true;
}

void Reconciler::write_sums(const TrafficLedger::Batch& batch, std::int64_t now_ms) {
    ledger_.for_each_row(
        batch, steps_, [&](const TrafficRow& row) { store_.add_traffic(row); },
        [&](const ContactRow& row) { store_.add_contact(row); });
    store_.history_flushed(now_ms);
}

void Reconciler::history_written(TrafficLedger::Batch&& batch, bool flushed, std::int64_t now_ms) {
    if (flushed) ledger_.flushed(now_ms);
    else if (steps_.any()) ledger_.keep(std::move(batch));
}

void Reconciler::flush_history(std::int64_t now_ms) {
    if (!ledger_.waiting() || !steps_.any()) return;
    store_.write([&] { write_sums({}, now_ms); });
    ledger_.flushed(now_ms);
}

std::uint64_t Reconciler::prune_history(std::int64_t now_ms) {
    const bool due = history_pruning_left_ || now_ms - last_history_pruning_ms_ >= history_pruning_period_ms ||
                     now_ms < last_history_pruning_ms_;
    if (!due) return 0;
    const HistoryPruning pruning = plan_history_pruning(retention_, now_ms, store_.history_row_counts());
    std::uint64_t deleted = 0;
    store_.write([&] {
        deleted = store_.prune_history(pruning);
        if (deleted > 0) store_.add_meta(meta::history_rows_pruned_total, static_cast<std::int64_t>(deleted));
    });
    last_history_pruning_ms_ = now_ms;
    // Some table gave a whole batch: the next cycle takes another step.
    history_pruning_left_ = deleted >= pruning.batch;
    return deleted;
}

CycleResult Reconciler::run_cycle(SnapshotSource& source, std::int64_t now_ms, const std::function<void()>& also_write) {
    const auto started = std::chrono::steady_clock::now();
    if (needs_reload_) reload();
    const bool sample = now_ms - last_sample_ms_ >= sample_period_ms;
    // Sized ahead for at most a million flows (a table of 262,144 is large); beyond, it grows.
    if (diff_.size() == 0) diff_.reserve(std::min<std::size_t>(source.size_hint(), std::size_t{1} << 20));
    CycleResult result;
    try {
        diff_.begin_read(now_ms, sample);
        result.stats = source.read_entries([&](Entry&& entry) {
            ++result.entries_seen;
            if (!filter_.is_outbound(entry)) return;
            diff_.add(entry);
            if (observer_) observer_(entry);
        });
        const FlowChanges changes = diff_.finish();
        TrafficLedger::Batch batch = stage_history(changes);
        if (steps_.any()) TrafficLedger::add_wan(batch, now_ms, pending_wan_);
        bool flushed = false;
        if (result.stats.entries == 0 && result.stats.skipped > 0) {
            throw CycleError(source.describe() + ": none of its " + std::to_string(result.stats.skipped) +
                             " lines is a conntrack entry (line " + std::to_string(result.stats.first_skipped_line) +
                             ": " + std::string(describe(result.stats.first_error)) + "); kept the last good state");
        }
        result.inserted = changes.counts.inserted;
        result.updated = changes.counts.updated;
        result.unchanged = changes.counts.unchanged;
        result.deleted = changes.counts.deleted;
        result.resets = changes.counts.resets;
        result.flows = diff_.size();
        std::vector<std::int64_t> ids;
        store_.write([&] {
            if (also_write_) also_write_();
            ids = store_.apply(changes);
            flushed = write_history(changes, batch);
            // After the hosts and the deletes: the hosts this cycle wrote, and those whose last
            // connection it deleted, count as contacted or inactive as they now are.
            const std::uint64_t touched = hosts_touched_ + changes.hosts.size();
            result.hosts_pruned =
                store_.prune_hosts(plan_host_pruning(retention_, now_ms, store_.count_hosts(), touched));
            if (result.hosts_pruned > 0)
                store_.add_meta(meta::remote_hosts_pruned_total, static_cast<std::int64_t>(result.hosts_pruned));
            if (sample) store_.prune_samples(now_ms - sample_window_ms);
            store_.index_search(search_rows_per_cycle);
            if (also_write) also_write();
            const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started);
            // When the cycle ends, not when it read: the data is as old as its commit, and a slow
            // cycle stamped with its start would look stale the moment it lands.
            const std::int64_t finished_ms = now_ms + static_cast<std::int64_t>(elapsed.count());
            store_.set_meta(meta::last_cycle_at, finished_ms);
            store_.set_meta(meta::last_good_cycle_at, finished_ms);
            store_.set_meta(meta::last_cycle_ok, 1);
            // The failure it recovers from is over: its text goes, its time and count stay.
            store_.delete_meta(meta::last_error);
            store_.set_meta(meta::last_cycle_ms, static_cast<std::int64_t>(elapsed.count()));
            store_.set_meta(meta::entries_seen, static_cast<std::int64_t>(result.entries_seen));
            store_.set_meta(meta::outbound_kept, static_cast<std::int64_t>(result.flows));
            store_.set_meta(meta::lines_skipped, static_cast<std::int64_t>(result.stats.skipped));
            store_.add_meta(meta::lines_skipped_total, static_cast<std::int64_t>(result.stats.skipped));
            store_.add_meta(meta::cycles_total, 1);
        });
        diff_.written(changes, ids);
        history_written(std::move(batch), flushed, now_ms);
        pending_wan_ = {};
    } catch (...) {
        // The memory went ahead of the rolled-back database: read it again before the next
        // use, not now (a stop request must not wait for it).
        needs_reload_ = true;
        throw;
    }
    if (sample) last_sample_ms_ = now_ms;
    hosts_touched_ = 0;
    baseline_ = false;
    // Off the cycle's write: its own, short (a batch of each table at most).
    result.history_pruned = prune_history(now_ms);
    return result;
}

EventResult Reconciler::apply_events(const std::vector<Entry>& events, std::int64_t now_ms) {
    if (needs_reload_) reload();
    FlowChanges changes;
    try {
        diff_.begin_events(now_ms);
        for (const Entry& entry : events)
            if (filter_.is_outbound(entry)) diff_.add(entry);
        changes = diff_.finish();
        TrafficLedger::Batch batch = stage_history(changes);
        bool flushed = false;
        std::vector<std::int64_t> ids;
        store_.write([&] {
            if (also_write_) also_write_();
            ids = store_.apply(changes);
            flushed = write_history(changes, batch);
        });
        diff_.written(changes, ids);
        history_written(std::move(batch), flushed, now_ms);
    } catch (...) {
        // The memory went ahead of the rolled-back database: read it again before the next
        // use, not now (a stop request must not wait for it).
        needs_reload_ = true;
        throw;
    }
    hosts_touched_ += changes.hosts.size();
    return EventResult{changes.counts.inserted, changes.counts.updated, changes.counts.deleted};
}

}  // namespace netmon
