#include "reconciler.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>

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

// Near where a new flow's entry goes in the connections key index (remote address, port,
// protocol, LAN address, port): flows to one remote host together, by port. By the address's bytes, not its text: only the order
// of the writes depends on this, and neighbours in one order are near in the other.
std::uint64_t index_order(const Key& key) {
    std::uint64_t dst = 0;
    for (int i = 0; i < 6; ++i) dst = dst << 8 | key.dst.bytes[static_cast<std::size_t>(i)];
    return dst << 16 | key.dport;
}

}  // namespace

// The per-entry work shared by cycles and events, and what it gathers for the remote hosts.
class Reconciler::CycleWriter {
public:
    // defer_inserts: new flows get their rows from write_inserts, in key order, not as they
    // come (a full read); else at once (events).
    CycleWriter(Reconciler& owner, std::int64_t now, bool defer_inserts)
        : owner_(owner), store_(owner.store_), now_(now), defer_inserts_(defer_inserts) {}

    void apply(const Entry& entry) {
        if (entry.event == EventType::destroyed) destroy(entry);
        else observe(entry);
    }

    // apply, a few entries later: each entry waits while the flow table's memory for it is
    // fetched, instead of every lookup waiting for memory in turn (an idle cycle over 262,144
    // flows a fifth faster). Call drain() after the last one.
    void queue(const Entry& entry) {
        Entry& slot = ahead_[queued_ % lookahead];
        if (queued_ >= lookahead) apply(slot);
        slot = entry;
        owner_.flows_.prefetch(Key::from_entry(slot));
        ++queued_;
    }

    void drain() {
        for (std::size_t i = queued_ > lookahead ? queued_ - lookahead : 0; i < queued_; ++i)
            apply(ahead_[i % lookahead]);
        queued_ = 0;
    }

    // A flow apply found new, for write_inserts.
    struct NewFlow {
        std::uint64_t order;  // index_order of its key
        const Key* key;
        Flow* flow;
    };

    // The rows of the flows apply found new, in about the order of the connections key index,
    // not in the kernel's, which is random to it: the index then grows at a few places instead
    // of everywhere (a first cycle over 262,144 flows in a kernel's order: 1.3 s, not 1.9 s,
    // when the key index began with the LAN address and this order did too).
    void write_inserts(std::vector<NewFlow>& flows) {
        std::sort(flows.begin(), flows.end(), [](const NewFlow& a, const NewFlow& b) { return a.order < b.order; });
        for (const NewFlow& f : flows) {
            Flow& flow = *f.flow;
            flow.id = store_.insert_connection({*f.key, owner_.state_names_[flow.state], flow.flags, flow.raw}, now_);
            flow.bits &= static_cast<std::uint8_t>(~Flow::unwritten);
            add_host(f.key->dst, flow.raw, 1);
        }
    }

    // The updates gathered by apply, in row order: the rows they rewrite are then visited
    // page by page, not in the kernel's order, which is random to the rows' (a warm cycle over
    // 262,144 flows, 5% of them changed: 0.26 s, not 0.40 s).
    void write_updates() {
        std::stable_sort(updates_.begin(), updates_.end(),
                         [](const Update& a, const Update& b) { return a.id < b.id; });
        for (const Update& u : updates_) {
            if (u.counters_moved) store_.update_connection(u.id, u.state, u.flags, u.totals, now_);
            else store_.update_state(u.id, u.state, u.flags, now_);
        }
        updates_.clear();
    }

    // In the order of the remote_hosts index (the address's text), for the same reason.
    void write_hosts() {
        struct Host {
            std::string ip;
            Family family;
            const HostActivity* activity;
        };
        std::vector<Host> sorted;
        sorted.reserve(hosts_.size());
        for (const auto& [ip, activity] : hosts_) sorted.push_back({ip.to_string(), ip.family, &activity});
        std::sort(sorted.begin(), sorted.end(), [](const Host& a, const Host& b) { return a.ip < b.ip; });
        for (const Host& host : sorted) store_.record_host(host.ip, host.family, *host.activity, now_);
    }

    std::size_t hosts_written() const { return hosts_.size(); }

    CycleResult& result() { return result_; }

private:
    void observe(const Entry& entry) {
        const Key key = Key::from_entry(entry);
        // An UPDATE for a flow a read found gone is its last breath, not a new flow; a NEW one
        // is a new flow on the same tuple.
        if (entry.event == EventType::updated && owner_.recently_swept(key) != nullptr) return;
        if (entry.event == EventType::created) owner_.forget_swept(key);
        const std::uint8_t state = owner_.intern_state(entry.state.view());
        auto [flow, inserted] = owner_.flows_.emplace(key);
        flow->seen_cycle = owner_.cycle_;
        if (inserted || (flow->bits & Flow::unwritten)) {
            // New, or new and listed again in the same read (a text may repeat a line): its
            // row, still to be written, takes the last reading, and so does its remote host,
            // once, when the row is written.
            const Counters reading = entry.has_counters ? Counters::of(entry) : flow->raw;  // a new one's is 0
            flow->raw = reading;
            flow->state = state;
            flow->flags = entry.flags;
            if (inserted) ++result_.inserted;
            // Deferred only when its state's name can be found again (past 255 names, they share one).
            if (defer_inserts_ && owner_.state_names_[state] == entry.state.view()) {
                flow->bits |= Flow::unwritten;
                return;
            }
            // At once. The updates gathered so far go first: a row deleted in this batch gives
            // its id to the next insert (INTEGER PRIMARY KEY), and an update still waiting for
            // the deleted row must not land on the new one.
            write_updates();
            flow->bits &= static_cast<std::uint8_t>(~Flow::unwritten);
            flow->id = store_.insert_connection({key, entry.state.view(), entry.flags, reading}, now_);
            add_host(key.dst, reading, 1);
            return;
        }
        const bool counters_moved = entry.has_counters && Counters::of(entry) != flow->raw;
        if (!counters_moved && state == flow->state && entry.flags == flow->flags) {
            ++result_.unchanged;
            return;
        }
        flow->state = state;
        flow->flags = entry.flags;
        ++result_.updated;
        if (!counters_moved) {
            updates_.push_back({flow->id, std::string(entry.state.view()), entry.flags, false, {}});
            add_host(key.dst, Counters{}, 0);
            return;
        }
        const Counters before = owner_.totals(key, *flow);
        const Counters after = advance(key, *flow, Counters::of(entry));
        flow->bits |= Flow::unsampled;
        updates_.push_back({flow->id, std::string(entry.state.view()), entry.flags, true, after});
        add_host(key.dst, after - before, 0);
    }

    void destroy(const Entry& entry) {
        const Key key = Key::from_entry(entry);
        const Counters reading = entry.has_counters ? Counters::of(entry) : Counters{};
        Flow* flow = owner_.flows_.find(key);
        if (flow == nullptr) {
            if (Counters* last = owner_.recently_swept(key)) {
                // A read already found it gone and deleted its row: its host gets only what
                // the final counters add to the last reading.
                if (entry.has_counters) {
                    add_host(key.dst, is_reset(*last, reading) ? reading : reading - *last, 0);
                    *last = reading;
                }
                return;
            }
            // Born and gone between two reads: only its remote host remembers it.
            add_host(key.dst, reading, 1);
            return;
        }
        if (flow->bits & Flow::unwritten) {
            // New in this read and gone in it too: no row to delete, and only its remote host
            // remembers it.
            add_host(key.dst, entry.has_counters ? reading : flow->raw, 1);
            owner_.flows_.erase(flow);
            ++result_.deleted;
            return;
        }
        if (entry.has_counters) {
            // The final counters: what they add goes to the remote host before the row goes.
            const Counters before = owner_.totals(key, *flow);
            add_host(key.dst, advance(key, *flow, reading) - before, 0);
        }
        store_.delete_connection(flow->id, flow->bits & Flow::has_offset);
        owner_.offsets_.erase(key);
        owner_.flows_.erase(flow);
        ++result_.deleted;
    }

    // Takes a new kernel reading of the flow; returns its totals.
    Counters advance(const Key& key, Flow& flow, const Counters& reading) {
        if (is_reset(flow.raw, reading)) {
            Counters& offset = owner_.offsets_[key];
            offset = offset + flow.raw;
            flow.bits |= Flow::has_offset;
            store_.set_offset(flow.id, offset);
            ++result_.resets;
        }
        flow.raw = reading;
        return owner_.totals(key, flow);
    }

    void add_host(const IpAddress& ip, const Counters& delta, std::uint32_t new_connections) {
        HostActivity& host = hosts_[ip];
        host.uplink_bytes = saturating_add(host.uplink_bytes, delta.uplink_bytes);
        host.downlink_bytes = saturating_add(host.downlink_bytes, delta.downlink_bytes);
        host.new_connections += new_connections;
    }

    struct Update {
        std::int64_t id;
        std::string state;
        std::uint8_t flags;
        bool counters_moved;  // else only the state or flags changed
        Counters totals;
    };

    static constexpr std::size_t lookahead = 16;

    Reconciler& owner_;
    Store& store_;
    std::int64_t now_;
    bool defer_inserts_;
    std::array<Entry, lookahead> ahead_;
    std::size_t queued_ = 0;
    std::vector<Update> updates_;
    std::unordered_map<IpAddress, HostActivity, IpAddressHash> hosts_;
    CycleResult result_;
};

Reconciler::Reconciler(Store& store, OutboundFilter filter) : store_(store), filter_(std::move(filter)) {
    reload();
}

void Reconciler::forget() {
    needs_reload_ = true;
    swept_last_.clear();
    swept_before_.clear();
}

void Reconciler::reload() {
    needs_reload_ = true;  // until it is done: a read that fails halfway leaves part of the table
    flows_.clear();
    offsets_.clear();
    flows_.reserve(store_.count_connections());
    store_.for_each_connection([&](const StoredConnection& row) {
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
    });
    needs_reload_ = false;
}

std::uint8_t Reconciler::intern_state(std::string_view name) {
    for (std::size_t i = 0; i < state_names_.size(); ++i)
        if (state_names_[i] == name) return static_cast<std::uint8_t>(i);
    // Real kernels have about 25 state names; past 255 unknown ones, they share the last slot.
    if (state_names_.size() == 256) return 255;
    state_names_.emplace_back(name);
    return static_cast<std::uint8_t>(state_names_.size() - 1);
}

Counters Reconciler::totals(const Key& key, const Flow& flow) const {
    if (!(flow.bits & Flow::has_offset)) return flow.raw;
    return flow.raw + offsets_.at(key);
}

CycleResult Reconciler::run_cycle(SnapshotSource& source, std::int64_t now_ms) {
    const auto started = std::chrono::steady_clock::now();
    if (needs_reload_) reload();
    ++cycle_;
    const bool sample = now_ms - last_sample_ms_ >= sample_period_ms;
    // Sized ahead for at most a million flows (a table of 262,144 is large); beyond, it grows.
    if (flows_.size() == 0) flows_.reserve(std::min<std::size_t>(source.size_hint(), std::size_t{1} << 20));
    CycleWriter writer(*this, now_ms, true);
    CycleResult& result = writer.result();
    SweptFlows swept;
    try {
        Transaction transaction(store_.database());
        result.stats = source.read_entries([&](Entry&& entry) {
            ++result.entries_seen;
            if (filter_.is_outbound(entry)) writer.queue(entry);
        });
        writer.drain();
        if (result.stats.entries == 0 && result.stats.skipped > 0) {
            throw CycleError(source.describe() + ": none of its " + std::to_string(result.stats.skipped) +
                             " lines is a conntrack entry (line " + std::to_string(result.stats.first_skipped_line) +
                             ": " + std::string(describe(result.stats.first_error)) + "); kept the last good state");
        }
        writer.write_updates();
        std::vector<CycleWriter::NewFlow> unwritten;
        unwritten.reserve(result.inserted);
        flows_.for_each([&](const Key& key, Flow& flow) {
            if (flow.bits & Flow::unwritten) {
                unwritten.push_back({index_order(key), &key, &flow});
                return;
            }
            if (flow.seen_cycle == cycle_) {
                // The end of a sample period: rates for the flows that moved in it, and a last
                // (zero) rate for those that moved in the one before.
                if (sample && (flow.bits & (Flow::unsampled | Flow::moving))) {
                    const bool moved = flow.bits & Flow::unsampled;
                    store_.sample(flow.id, now_ms, moved);
                    flow.bits = static_cast<std::uint8_t>((flow.bits & Flow::has_offset) | (moved ? Flow::moving : 0));
                }
                return;
            }
            store_.delete_connection(flow.id, flow.bits & Flow::has_offset);
            if (flow.bits & Flow::has_offset) offsets_.erase(key);
            swept.emplace(key, flow.raw);
            flows_.erase(&flow);
            ++result.deleted;
        });
        writer.write_inserts(unwritten);
        writer.write_hosts();
        // After the hosts and the deletes: the hosts this cycle wrote, and those whose last
        // connection it deleted, count as contacted or inactive as they now are.
        const std::uint64_t touched = hosts_touched_ + writer.hosts_written();
        result.hosts_pruned =
            store_.prune_hosts(plan_host_pruning(retention_, now_ms, store_.count_hosts(), touched));
        if (result.hosts_pruned > 0)
            store_.add_meta(meta::remote_hosts_pruned_total, static_cast<std::int64_t>(result.hosts_pruned));
        if (sample) store_.prune_samples(now_ms - sample_window_ms);
        store_.index_search(search_rows_per_cycle);
        result.flows = flows_.size();
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
        transaction.commit();
        store_.committed();
    } catch (...) {
        // The memory went ahead of the rolled-back database: read it again before the next
        // use, not now (a stop request must not wait for it).
        needs_reload_ = true;
        throw;
    }
    if (sample) last_sample_ms_ = now_ms;
    hosts_touched_ = 0;
    // Their DESTROY events may still be on their way: two cycles' worth are remembered.
    swept_before_ = std::move(swept_last_);
    swept_last_ = std::move(swept);
    return result;
}

Counters* Reconciler::recently_swept(const Key& key) {
    for (SweptFlows* swept : {&swept_last_, &swept_before_}) {
        auto found = swept->find(key);
        if (found != swept->end()) return &found->second;
    }
    return nullptr;
}

void Reconciler::forget_swept(const Key& key) {
    swept_last_.erase(key);
    swept_before_.erase(key);
}

EventResult Reconciler::apply_events(const std::vector<Entry>& events, std::int64_t now_ms) {
    if (needs_reload_) reload();
    CycleWriter writer(*this, now_ms, false);
    try {
        Transaction transaction(store_.database());
        for (const Entry& entry : events)
            if (filter_.is_outbound(entry)) writer.apply(entry);
        writer.write_updates();
        writer.write_hosts();
        transaction.commit();
        store_.committed();
    } catch (...) {
        // The memory went ahead of the rolled-back database: read it again before the next
        // use, not now (a stop request must not wait for it).
        needs_reload_ = true;
        throw;
    }
    hosts_touched_ += writer.hosts_written();
    const CycleResult& result = writer.result();
    return EventResult{result.inserted, result.updated, result.deleted};
}

}  // namespace netmon
