// A synthetic month of a busy home, written through the ingest's own code: the history's size
// and the cost of writing it (issue 12, docs/PERFORMANCE.md "History (issue 12)").
//
//   build/bench/history_month DB [DAYS] [FLOWS_PER_DAY] [INTERVAL_SECONDS] [EVENT_BATCH_SECONDS] [FULL_HOURS]
//
// Simulates DAYS (30) days ending now (so that the web's windows, which read the real clock,
// cover them) of 50 LAN devices (10.0.0.10-59) making FLOWS_PER_DAY (1,000,000) outbound flows
// to 20,000 distinct remote hosts a day, with the default retention, on a simulated clock.
// The last FULL_HOURS (2) go through the real Reconciler and Store: every EVENT_BATCH_SECONDS
// (1) the conntrack events of that second (NEW for each flow that began, DESTROY with its final
// counters for each that ended) in one apply_events batch, as the ingest drains them, and a
// full read of the live table (run_cycle) every INTERVAL_SECONDS (10; the ingest's default is
// 1, which adds reads that find little changed and nothing to the history's tables); the
// reconciler flushes the history every 10 simulated seconds and prunes it after its reads.
// That costs about 20 s of wall time a simulated hour (a write a second, on a clock that does
// not wait): a month would take ten hours. So the days before are fast-forwarded through the
// same pure code and Store calls: a FlowChanges a simulated minute (each flow ended, with its
// final counters, in the minute it ends; each long one's delta in every minute it moves)
// staged by TrafficLedger and written with Store::add_traffic / add_contact, and its ended
// flows with Store::apply (flow_log, remote_hosts), pruned with plan_history_pruning and
// Store::prune_history every simulated minute as the reconciler does. The rows are the ones the
// ingest writes, in fewer upserts; what the retention drops anyway is not written (minute rows
// before the last 54 h, a pair's minute rows before the last 30 h and its hour rows before the
// last 8 days, flow_log before the last 60 h: it keeps 2,000,000 rows, two days here;
// remote hosts before the last 17 days: it keeps the 200,000 last contacted, about 14 days).
//
// The model (fixed seed, so a run is reproducible):
// - remote hosts: a core of 5,000 popular hosts seen every day (Zipf, s = 1: 75% of the flows),
//   5,000 a day drawn from a pool of 50,000 that recur across days (15%), and 10,000 new each
//   day, never seen again (10%): 20,000 distinct a day, about 360,000 in the month.
// - devices: a flow to a core host comes from any device (Zipf over the 50, s = 0.8); a flow to
//   a pool or new host from the one device that "owns" it 80% of the time (a person's browsing),
//   else from any.
// - flows: Poisson arrivals per second with a daily rhythm (four times as many at 20:30 as at
//   08:30); 99% short (log-normal, median 5 s, 0.2 s to 10 min; a few KiB each way), 1% long
//   (10 min to 6 h, log-uniform) that move every second at their own rate, so that each shows in
//   every minute bucket it lives through; 70% TCP/443, 25% UDP/443, 5% TCP/80.
//
// Prints a line a simulated day (rows of the flow log, the file's pages, the wall time) and at
// the end the totals; bench/history_bench.sh measures the file with sqlite3 (dbstat, VACUUM).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "netmon/database.h"
#include "netmon/entry.h"
#include "netmon/outbound.h"
#include "reconciler.h"
#include "snapshot_source.h"
#include "store.h"

using namespace netmon;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int device_count = 50;
constexpr std::uint32_t core_hosts = 5'000;
constexpr std::uint32_t pool_hosts = 50'000;
constexpr std::uint32_t pool_per_day = 5'000;
constexpr std::uint32_t new_per_day = 10'000;
constexpr std::int64_t day_ms = 86'400'000;

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Remote host number h as a public IPv4 address, scattered over 23.0.0.0/8 and 104.0.0.0/8.
IpAddress host_address(std::uint32_t h) {
    const std::uint32_t scattered = static_cast<std::uint32_t>((std::uint64_t{h} * 2654435761u) & 0xffffff);
    return IpAddress::v4(h % 2 == 0 ? 23 : 104, static_cast<std::uint8_t>(scattered >> 16),
                         static_cast<std::uint8_t>(scattered >> 8), static_cast<std::uint8_t>(scattered));
}

// Samples 0..n-1 with weight 1 / (i + 1)^s.
class Zipf {
public:
    Zipf(std::size_t n, double s) : cdf_(n) {
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
        for (double& c : cdf_) c /= sum;
    }
    std::size_t operator()(double uniform) const {
        return std::min<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), uniform) - cdf_.begin(),
                                     cdf_.size() - 1);
    }

private:
    std::vector<double> cdf_;
};

struct SimFlow {
    int device = 0;
    std::uint32_t host = 0;
    std::uint8_t protocol = 6;
    std::uint16_t sport = 0;
    std::uint16_t dport = 443;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    bool long_lived = false;
    double up = 0;    // short: final bytes; long: bytes per second
    double down = 0;
    Counters counted;  // fast-forward: what its history has counted so far

    std::uint64_t uplink_at(std::int64_t t) const { return bytes_at(up, t); }
    std::uint64_t downlink_at(std::int64_t t) const { return bytes_at(down, t); }

private:
    std::uint64_t bytes_at(double amount, std::int64_t t) const {
        const double elapsed = static_cast<double>(std::min(t, end_ms) - start_ms);
        if (long_lived) return static_cast<std::uint64_t>(amount * elapsed / 1000.0);
        const double length = static_cast<double>(std::max<std::int64_t>(1, end_ms - start_ms));
        return static_cast<std::uint64_t>(amount * std::clamp(elapsed / length, 0.0, 1.0));
    }
};

Entry entry_of(const SimFlow& flow, std::int64_t t, EventType type) {
    Entry e;
    e.family = Family::v4;
    e.protocol = flow.protocol;
    e.event = type;
    e.has_counters = type != EventType::created;
    e.flags = type == EventType::created ? 0 : flag::assured;
    e.timeout = 300;
    if (flow.protocol == 6) e.state.assign(type == EventType::destroyed ? "TIME_WAIT" : "ESTABLISHED");
    e.original.src = IpAddress::v4(10, 0, 0, static_cast<std::uint8_t>(10 + flow.device));
    e.original.dst = host_address(flow.host);
    e.original.sport = flow.sport;
    e.original.dport = flow.dport;
    e.reply.src = e.original.dst;
    e.reply.dst = IpAddress::v4(198, 51, 100, 2);
    e.reply.sport = flow.dport;
    e.reply.dport = flow.sport;
    if (e.has_counters) {
        e.original.bytes = flow.uplink_at(t);
        e.reply.bytes = flow.downlink_at(t);
        e.original.packets = e.original.bytes / 400 + 1;
        e.reply.packets = e.reply.bytes / 1200 + 1;
    }
    return e;
}

Counters counters_of(const SimFlow& flow, std::int64_t t) {
    const std::uint64_t up = flow.uplink_at(t), down = flow.downlink_at(t);
    return {up / 400 + 1, up, down / 1200 + 1, down};
}

Counters minus(const Counters& a, const Counters& b) {
    return {a.uplink_packets - b.uplink_packets, a.uplink_bytes - b.uplink_bytes,
            a.downlink_packets - b.downlink_packets, a.downlink_bytes - b.downlink_bytes};
}

Key key_of(const SimFlow& flow) {
    Key key;
    key.protocol = flow.protocol;
    key.sport = flow.sport;
    key.dport = flow.dport;
    key.src = IpAddress::v4(10, 0, 0, static_cast<std::uint8_t>(10 + flow.device));
    key.dst = host_address(flow.host);
    return key;
}

// The live flows, as a full read of the kernel's table lists them at now.
class LiveTable final : public SnapshotSource {
public:
    explicit LiveTable(const std::unordered_map<std::uint64_t, SimFlow>& flows) : flows_(flows) {}
    void at(std::int64_t now) { now_ = now; }
    ParseStats read_entries(const EntrySink& sink) override {
        ParseStats stats;
        for (const auto& [id, flow] : flows_) {
            sink(entry_of(flow, now_, EventType::snapshot));
            ++stats.entries;
        }
        return stats;
    }
    std::string describe() const override { return "the simulated table"; }

private:
    const std::unordered_map<std::uint64_t, SimFlow>& flows_;
    std::int64_t now_ = 0;
};

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::uint64_t file_size(const std::string& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DB [DAYS] [FLOWS_PER_DAY] [INTERVAL_SECONDS]\n", argv[0]);
        return 2;
    }
    const std::string path = argv[1];
    const int days = argc > 2 ? std::atoi(argv[2]) : 30;
    const double flows_per_day = argc > 3 ? std::atof(argv[3]) : 1e6;
    const int interval = argc > 4 ? std::max(1, std::atoi(argv[4])) : 10;
    const int event_batch = argc > 5 ? std::max(1, std::atoi(argv[5])) : 1;
    const std::int64_t full_hours = argc > 6 ? std::atoll(argv[6]) : 2;
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");

    Store store(path);
    Reconciler reconciler(store, OutboundFilter({*Cidr::parse("10.0.0.0/24")}));
    reconciler.set_retention(Retention{});
    // A month in minutes writes each fast-forward flush's rows all over device_hosts and its
    // indexes; the ingest's own 8 MiB cache would make that a read from the OS a row
    // (the month 2 h instead of 20 min). Only the speed of the generation changes.
    store.database().execute("PRAGMA cache_size = -1048576");

    // The month ends at the last whole minute before now.
    const std::int64_t real_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    const std::int64_t end = real_now / 60'000 * 60'000;
    const std::int64_t start = end - days * day_ms;

    std::mt19937_64 rng(12);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const Zipf core(core_hosts, 1.0);
    const Zipf devices(device_count, 0.8);
    std::lognormal_distribution<double> short_length(std::log(5.0), 1.2);
    std::lognormal_distribution<double> short_up(std::log(1500.0), 1.5);
    std::lognormal_distribution<double> short_down(std::log(6000.0), 2.0);
    std::lognormal_distribution<double> long_up(std::log(300.0), 1.5);     // bytes per second
    std::lognormal_distribution<double> long_down(std::log(2000.0), 2.0);
    std::vector<std::uint32_t> pool(pool_hosts);
    for (std::uint32_t i = 0; i < pool_hosts; ++i) pool[i] = core_hosts + i;
    std::vector<std::uint16_t> next_port(device_count, 1024);

    std::unordered_map<std::uint64_t, SimFlow> live;
    using Ending = std::pair<std::int64_t, std::uint64_t>;
    std::priority_queue<Ending, std::vector<Ending>, std::greater<>> endings;
    LiveTable table(live);
    std::vector<Entry> events;
    std::uint64_t next_id = 0, flows_made = 0, ended = 0, cycles = 0, batches = 0;
    std::uint64_t pruned = 0, busy_checkpoints = 0;

    const auto started = Clock::now();
    const double cpu_started = cpu_seconds();
    std::printf("simulating %d days of %.0f flows a day, a full read every %d s, from %lld to %lld ms\n", days,
                flows_per_day, interval, static_cast<long long>(start), static_cast<long long>(end));
    std::printf("%4s %10s %9s %10s %11s %9s %8s\n", "day", "flows", "live", "flow_log", "file MiB", "wal MiB",
                "wall s");
    std::fflush(stdout);

    // All but the last FULL_HOURS are fast-forwarded (see the top of this file).
    const std::int64_t full_from = std::max(start, end - full_hours * 3'600'000);
    TrafficLedger fast(start);
    // Minute rows older than 48 h and flow_log rows past 2,000,000 (two days here) are pruned:
    // fast-forwarded, they are written only from a little before what the retention keeps.
    const std::int64_t minute_from = end - 54 * 3'600'000;
    // The pairs keep minutes 24 h and hours 7 days (the retention's defaults).
    const std::int64_t pair_minute_from = end - 30 * 3'600'000;
    const std::int64_t pair_hour_from = end - 8 * day_ms;
    const std::int64_t log_from = end - 60 * 3'600'000;
    // remote_hosts keeps the 200,000 last contacted (remote_hosts_max): those of about 14 days here.
    const std::int64_t hosts_from = end - 17 * day_ms;
    std::vector<std::uint32_t> today_pool;
    std::uint32_t today_new_base = 0;
    for (std::int64_t now = start; now <= end; now += 1000) {
        const std::int64_t since_start = now - start;
        if (since_start % day_ms == 0) {
            // A new day's remote hosts: 5,000 of the pool, 10,000 never seen before.
            std::shuffle(pool.begin(), pool.end(), rng);
            today_pool.assign(pool.begin(), pool.begin() + pool_per_day);
            today_new_base = core_hosts + pool_hosts + static_cast<std::uint32_t>(since_start / day_ms) * new_per_day;
        }
        // Arrivals: a daily rhythm around 20:30 UTC, its mean flows_per_day / 86,400 a second.
        const double hour = static_cast<double>(now % day_ms) / 3'600'000.0;
        const double rhythm = (0.25 + (1 + std::cos(2 * M_PI * (hour - 20.5) / 24)) / 2) / 0.75;
        std::poisson_distribution<int> arrivals(flows_per_day / 86'400.0 * rhythm);
        if (since_start % (event_batch * 1000) == 0) events.clear();
        for (int n = arrivals(rng); n > 0; --n) {
            SimFlow flow;
            const double pick = uniform(rng);
            bool owned = false;
            if (pick < 0.75) {
                flow.host = static_cast<std::uint32_t>(core(uniform(rng)));
            } else if (pick < 0.90) {
                flow.host = today_pool[static_cast<std::size_t>(uniform(rng) * pool_per_day) % pool_per_day];
                owned = true;
            } else {
                flow.host = today_new_base + static_cast<std::uint32_t>(uniform(rng) * new_per_day) % new_per_day;
                owned = true;
            }
            const double who = owned && uniform(rng) < 0.8
                                   ? static_cast<double>(splitmix(flow.host) >> 11) / 9007199254740992.0
                                   : uniform(rng);
            flow.device = static_cast<int>(devices(who));
            const double kind = uniform(rng);
            flow.protocol = kind < 0.70 || kind >= 0.95 ? 6 : 17;
            flow.dport = kind >= 0.95 ? 80 : 443;
            std::uint16_t& port = next_port[static_cast<std::size_t>(flow.device)];
            flow.sport = port;
            port = port >= 60999 ? 1024 : static_cast<std::uint16_t>(port + 1);
            flow.start_ms = now;
            flow.long_lived = uniform(rng) < 0.01;
            if (flow.long_lived) {
                const double seconds = 600.0 * std::exp(uniform(rng) * std::log(36.0));
                flow.end_ms = now + static_cast<std::int64_t>(seconds * 1000);
                flow.up = long_up(rng);
                flow.down = long_down(rng);
            } else {
                const double seconds = std::clamp(short_length(rng), 0.2, 600.0);
                flow.end_ms = now + static_cast<std::int64_t>(seconds * 1000);
                flow.up = short_up(rng);
                flow.down = short_down(rng);
            }
            const std::uint64_t id = next_id++;
            events.push_back(entry_of(flow, now, EventType::created));
            endings.emplace(flow.end_ms, id);
            live.emplace(id, flow);
            ++flows_made;
        }
        if (now < full_from) {
            // Fast-forward (see above): a batch a simulated minute, each flow ended in the
            // minute it ends, born and gone (one new flow, all of its bytes, its flow_log row
            // and remote host written by Store::apply as for a flow without a row), each long
            // one's bytes in every minute it moves; the sums through the ledger and Store's
            // history calls, written once a simulated day, once an hour in the last 54 h (the same rows, in fewer
            // upserts).
            if (since_start % 60'000 == 59'000 || now + 1000 >= full_from) {
                const bool last = now + 1000 >= full_from;
                FlowChanges changes;
                changes.now = now;
                auto end_flow = [&](const SimFlow& flow) {
                    FlowChanges::Ended& row = changes.ended.emplace_back();
                    row.key = key_of(flow);
                    row.totals = counters_of(flow, std::min(flow.end_ms, now));
                    row.delta = minus(row.totals, flow.counted);
                    if (flow.protocol == 6) row.state = "TIME_WAIT";
                    row.flags = flag::assured;
                    HostActivity& host = changes.hosts[row.key.dst];
                    host.uplink_bytes += row.delta.uplink_bytes;
                    host.downlink_bytes += row.delta.downlink_bytes;
                    host.new_connections += 1;
                    ++ended;
                };
                while (!endings.empty() && endings.top().first <= now) {
                    const auto it = live.find(endings.top().second);
                    endings.pop();
                    end_flow(it->second);
                    live.erase(it);
                }
                for (auto& [id, flow] : live) {
                    if (last) {
                        // The live flows end here, counted in full, so that the reconciler
                        // starts on an empty table rather than count their bytes again.
                        end_flow(flow);
                        continue;
                    }
                    if (!flow.long_lived) continue;
                    FlowChanges::Updated& row = changes.updated.emplace_back();
                    row.key = key_of(flow);
                    row.counters_moved = true;
                    row.totals = counters_of(flow, now);
                    row.delta = minus(row.totals, flow.counted);
                    flow.counted = row.totals;
                    HostActivity& host = changes.hosts[row.key.dst];
                    host.uplink_bytes += row.delta.uplink_bytes;
                    host.downlink_bytes += row.delta.downlink_bytes;
                }
                if (last) {
                    live.clear();
                    endings = {};
                }
                fast.keep(TrafficLedger::stage(changes));
                changes.updated.clear();
                store.keep_flow_log(now >= log_from);
                if (now < hosts_from) changes.hosts.clear();
                const bool flush = since_start % day_ms == day_ms - 1000 || last || (now >= minute_from && since_start % 3'600'000 == 3'599'000);
                store.write([&] {
                    store.apply(changes);
                    if (flush) {
                        fast.for_each_row(
                            {}, TrafficSteps{now >= minute_from, true, true, now >= pair_minute_from, now >= pair_hour_from, true},
                            [&](const TrafficRow& row) { store.add_traffic(row); },
                            [&](const ContactRow& row) { store.add_contact(row); });
                        store.history_flushed(now);
                    }
                });
                if (flush) fast.flushed(now);
                store.keep_flow_log(true);
                // The ingest's pruning: a step a minute, more steps while a whole batch went.
                for (;;) {
                    const HistoryPruning pruning = plan_history_pruning(Retention{}, now, store.history_row_counts());
                    std::uint64_t deleted = 0;
                    store.write([&] { deleted = store.prune_history(pruning); });
                    pruned += deleted;
                    if (deleted < pruning.batch) break;
                }
            }
        } else {
            // The DESTROYs of this second, with their final counters.
            while (!endings.empty() && endings.top().first <= now) {
                const auto it = live.find(endings.top().second);
                endings.pop();
                events.push_back(entry_of(it->second, it->second.end_ms, EventType::destroyed));
                live.erase(it);
                ++ended;
            }
            if (!events.empty() && since_start % (event_batch * 1000) == event_batch * 1000 - 1000) {
                reconciler.apply_events(events, now);
                ++batches;
            }
            if (since_start % (interval * 1000) == 0) {
                table.at(now);
                pruned += reconciler.run_cycle(table, now).history_pruned;
                ++cycles;
            }
        }
        if (since_start % 300'000 == 0) {
            // The ingest's checkpointer copies the WAL back in the pauses between its writes; a
            // simulated clock leaves none, so the WAL would only grow (by 1.5 GB a simulated
            // hour). A pause and a checkpoint every 5 simulated minutes stand for those pauses.
            for (int attempt = 0; attempt < 50; ++attempt) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                Statement checkpoint = store.database().prepare("PRAGMA wal_checkpoint(TRUNCATE)");
                if (checkpoint.step() && checkpoint.column_int(0) == 0) break;
                ++busy_checkpoints;
            }
        }
        if (since_start % (6 * 3'600'000) == 0 || (getenv("HM_DEBUG") && since_start % 600'000 == 0)) {
            std::fprintf(stderr, "%.3f days, %.1f s, wal %.1f MiB, busy checkpoints %llu\n",
                         static_cast<double>(since_start) / day_ms,
                         std::chrono::duration<double>(Clock::now() - started).count(),
                         static_cast<double>(file_size(path + "-wal")) / 1048576.0,
                         static_cast<unsigned long long>(busy_checkpoints));
        }
        if (since_start % day_ms == day_ms - 1000) {
            const auto pages = static_cast<double>(file_size(path));
            std::printf("%4lld %10llu %9zu %10llu %11.1f %9.1f %8.1f\n",
                        static_cast<long long>(since_start / day_ms + 1), static_cast<unsigned long long>(flows_made),
                        live.size(), static_cast<unsigned long long>(store.flow_log_rows()), pages / 1048576.0,
                        static_cast<double>(file_size(path + "-wal")) / 1048576.0,
                        std::chrono::duration<double>(Clock::now() - started).count());
            std::fflush(stdout);
        }
    }
    reconciler.flush_history(end);
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf("flows %llu (ended %llu, live %zu), event batches %llu, full reads %llu, history rows pruned %llu\n",
                static_cast<unsigned long long>(flows_made), static_cast<unsigned long long>(ended), live.size(),
                static_cast<unsigned long long>(batches), static_cast<unsigned long long>(cycles),
                static_cast<unsigned long long>(pruned));
    std::printf("generation: %.1f s wall, %.1f s CPU (%.1f us CPU a flow), peak RSS %.1f MiB\n", wall,
                cpu_seconds() - cpu_started, (cpu_seconds() - cpu_started) * 1e6 / static_cast<double>(flows_made),
                static_cast<double>(peak_rss_kib()) / 1024.0);
    std::printf("end_ms %lld\n", static_cast<long long>(end));
    return 0;
}
