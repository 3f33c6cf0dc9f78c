// The reconciler on a generated capture of 262,144 outbound flows, against a bare prepared
// INSERT loop on the same schema in the same run.
//
//   build/bench/reconcile_bench [FLOWS] [FLOWS_PER_HOST] [DIR] [history|no-history]
//
// Writes a capture in /dev/shm (or DIR) of FLOWS (262,144) flows from 250 LAN devices to
// FLOWS / FLOWS_PER_HOST (4) remote hosts, in a kernel-like scrambled order, and times, on a
// fresh database file in DIR (default /tmp): (1) cold: the first cycle (every row inserted);
// (1b) catch-up: cycles over the same capture until the trigram index of ?q= has every row;
// (2) warm: ten cycles a second apart, as `netmon-ingest run` spaces them, each over the
// capture rewritten with the same 5% of the flows' counters moved once more, five spinning
// between cycles and five sleeping; (3) idle: five more over the last capture again; (4) the
// same rows in the same order inserted with one prepared statement in one transaction,
// nothing else. History (schema/004_history.sql) is on, with the default retention, unless the
// fourth argument is no-history. Its cold cycle is the history's baseline (a new database), so
// the history's cost shows in the warm cycles: the sums of the changed flows, written every
// 10 s (one warm cycle in ten: the range's top). Prints times (medians for the repeated cycles), rows/s, and peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "netmon/database.h"
#include "netmon/outbound.h"
#include "reconciler.h"
#include "snapshot_source.h"
#include "store.h"

using namespace netmon;
using Clock = std::chrono::steady_clock;

namespace {

// The remote host of flow i: public addresses from 20.0.0.1 on.
std::string host_of(std::size_t i, std::size_t flows_per_host) {
    std::size_t h = i / flows_per_host;
    return std::to_string(20 + (h >> 16) % 100) + "." + std::to_string((h >> 8) & 255) + "." +
           std::to_string(h & 255) + ".1";
}

// One extended-format line per flow, from LAN devices 10.0.0.2-251.
std::string flow_line(std::size_t i, std::size_t flows_per_host, std::uint64_t extra) {
    unsigned device = 2 + static_cast<unsigned>(i % 250);
    unsigned sport = 1024 + static_cast<unsigned>((i / 250) % 60000);
    std::string host = host_of(i, flows_per_host);
    char line[512];
    std::snprintf(line, sizeof line,
                  "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.%u dst=%s sport=%u dport=443 "
                  "packets=%llu bytes=%llu src=%s dst=198.51.100.2 sport=443 dport=%u packets=%llu "
                  "bytes=%llu [ASSURED] mark=0 use=1\n",
                  device, host.c_str(), sport, 10ull + extra, 1000ull + i + extra * 100, host.c_str(), sport,
                  20ull + extra, 50000ull + i + extra * 1000);
    return line;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

// The flow a capture lists n-th. A kernel lists its table in the order of its hash buckets,
// which is random to the order of the flows' addresses and ports, and to the order netmon
// first saw them in: round 0 (the cold cycle) lists them in one such order, the later rounds
// in another.
std::size_t listed(std::size_t n, std::size_t flows, unsigned round) {
    const std::uint64_t prime = round == 0 ? 1000003 : 2654435761;  // prime to flows: a permutation
    return flows % prime == 0 ? n : static_cast<std::size_t>(n * prime % flows);
}

// The capture of round r: the same 5% of the flows (every 20th) have moved r steps.
void write_capture(const std::filesystem::path& path, std::size_t flows, std::size_t per_host, unsigned r) {
    std::ofstream out(path);
    for (std::size_t n = 0; n < flows; ++n) {
        std::size_t i = listed(n, flows, r);
        out << flow_line(i, per_host, i % 20 == 0 ? 7u * r : 0);
    }
}

// CPU seconds of this thread: on a VM shared with other jobs, steadier than the wall clock (it
// leaves out the waits for a CPU, not the other jobs' use of the caches).
double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Rounds {
    std::vector<double> seconds;
    std::vector<double> cpu;
    CycleResult last;

    void add(double s, double c, const CycleResult& result) {
        seconds.push_back(s);
        cpu.push_back(c);
        last = result;
    }
    void print(const char* name, const char* how) {
        if (seconds.empty()) {
            std::printf("%-28s none (%s)\n", name, how);
            return;
        }
        std::sort(seconds.begin(), seconds.end());
        std::sort(cpu.begin(), cpu.end());
        std::printf("%-28s %6.3f s  median of %zu (%.3f-%.3f), CPU %.3f s  changed %llu, unchanged %llu\n", name,
                    seconds[seconds.size() / 2], seconds.size(), seconds.front(), seconds.back(), cpu[cpu.size() / 2],
                    static_cast<unsigned long long>(last.updated), static_cast<unsigned long long>(last.unchanged));
        std::printf("%-28s (%s)\n", "", how);
    }
};

}  // namespace

int main(int argc, char** argv) {
    std::size_t flows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 262144;
    std::size_t per_host = argc > 2 ? std::max<std::size_t>(1, std::strtoull(argv[2], nullptr, 10)) : 4;
    std::filesystem::path dir = argc > 3 ? argv[3] : "/tmp";
    const bool history = argc > 4 ? std::string(argv[4]) != "no-history" : true;
    // The captures stay in memory (tmpfs) where there is one, so that the disk is not timed: on
    // a VM that pages idle file pages out (DAMON), a capture on disk is read again every cycle.
    std::filesystem::path captures = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : dir;
    auto capture = captures / "netmon-bench-capture.txt";
    write_capture(capture, flows, per_host, 0);
    auto db_path = dir / "netmon-bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path.string() + suffix);

    OutboundFilter filter({*Cidr::parse("10.0.0.0/24")});
    Store store(db_path.string());
    Reconciler reconciler(store, filter);
    if (!history) {
        Retention off;
        off.traffic_per_minute_hours = off.traffic_per_hour_days = off.traffic_per_day_days = off.flow_log_days = 0;
        reconciler.set_retention(off);
    }
    TextFileSource source(capture.string());
    auto start = Clock::now();
    double cpu_start = thread_cpu_seconds();
    CycleResult cold = reconciler.run_cycle(source, 1'000'000);
    double cold_seconds = seconds_since(start);
    double cold_cpu = thread_cpu_seconds() - cpu_start;
    long rss_after_cold = peak_rss_kib();

    // The later cycles start a second apart, as `netmon-ingest run` starts them with the default
    // interval, so that the WAL of one is checkpointed (on the Store's own thread) before the
    // next. Between two, the bench either spins or sleeps as the daemon does: on a VM whose
    // idle CPUs lose their caches (or their place on the host), a cycle after a sleep is slower.
    constexpr unsigned rounds = 5;
    const auto interval = std::chrono::seconds(1);
    std::int64_t now = 1'000'000;
    auto next_start = Clock::now() + interval;
    auto timed_cycle = [&](Rounds& into, bool sleep) {
        if (sleep) std::this_thread::sleep_until(next_start);
        else while (Clock::now() < next_start) {}
        start = Clock::now();
        next_start = start + interval;
        const double cpu = thread_cpu_seconds();
        CycleResult result = reconciler.run_cycle(source, now += 1000);
        into.add(seconds_since(start), thread_cpu_seconds() - cpu, result);
    };
    Rounds warm_busy, warm_sleep, idle, catch_up;
    // The rows the cold cycle left to the trigram index of ?q= (search_rows_per_cycle a
    // cycle), over the cold capture again, before the warm cycles, which then show the steady
    // state.
    auto unindexed = [&] {
        Statement count = store.database().prepare("SELECT count(*) FROM search_added");
        return count.step() ? count.column_int(0) : 0;
    };
    while (unindexed() > 0) timed_cycle(catch_up, false);
    for (unsigned r = 1; r <= 2 * rounds; ++r) {
        write_capture(capture, flows, per_host, r);
        timed_cycle(r <= rounds ? warm_busy : warm_sleep, r > rounds);
    }
    for (unsigned r = 0; r < rounds; ++r) timed_cycle(idle, false);

    // The peer: the same rows into the same schema, one prepared INSERT, one transaction.
    auto bare_path = dir / "netmon-bench-bare.db";
    std::filesystem::remove(bare_path);
    double bare_seconds = 0;
    {
        Store bare(bare_path.string());
        Database& db = bare.database();
        Statement insert = db.prepare(
            "INSERT INTO connections (proto, family, src_ip, src_port, dst_ip, dst_port, state, flags,"
            " uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, first_seen_at, last_seen_at, sampled_at)"
            " VALUES ('tcp', 4, ?1, ?2, ?3, 443, 'ESTABLISHED', 'ASSURED', 10, ?4, 20, ?5, 1, 1, 1)");
        start = Clock::now();
        bare.write([&] {
            for (std::size_t n = 0; n < flows; ++n) {
                std::size_t i = listed(n, flows, 0);  // the rows of the cold cycle's capture, in its order
                std::string dst = host_of(i, per_host);
                insert.bind(1, "10.0.0." + std::to_string(2 + i % 250));
                insert.bind(2, static_cast<std::int64_t>(1024 + (i / 250) % 60000));
                insert.bind(3, dst);
                insert.bind(4, static_cast<std::int64_t>(1000 + i));
                insert.bind(5, static_cast<std::int64_t>(50000 + i));
                insert.run();
            }
        });
        bare_seconds = seconds_since(start);
    }

    std::printf("flows: %zu to %zu remote hosts, history %s\n", flows, (flows + per_host - 1) / per_host,
                history ? "on" : "off");
    std::printf("%-28s %6.3f s  %9.0f rows/s, CPU %.3f s  inserted %llu\n", "cold cycle:", cold_seconds,
                static_cast<double>(flows) / cold_seconds, cold_cpu, static_cast<unsigned long long>(cold.inserted));
    catch_up.print("index catch-up cycle:", "nothing changed, the rest of the cold rows indexed for ?q=");
    warm_busy.print("warm cycle, 5% changed:", "a second apart, spinning between");
    warm_sleep.print("warm cycle, 5% changed:", "a second apart, sleeping between as the daemon does");
    idle.print("idle cycle, nothing changed:", "a second apart, spinning between");
    std::printf("%-28s %6.3f s  %9.0f rows/s  (the cold cycle takes %.2fx its time)\n", "bare INSERT loop:",
                bare_seconds, static_cast<double>(flows) / bare_seconds, cold_seconds / bare_seconds);
    std::printf("%-28s %ld KiB after the cold cycle, %ld KiB at the end\n", "peak RSS:", rss_after_cold,
                peak_rss_kib());
    std::filesystem::remove(capture);
    return 0;
}
