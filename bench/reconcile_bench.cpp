// The reconciler on a generated capture of 262,144 outbound flows, against a bare prepared
// INSERT loop on the same schema in the same run.
//
//   build/bench/reconcile_bench [FLOWS] [FLOWS_PER_HOST] [DIR]
//
// Writes two captures in DIR (default /tmp): the table of FLOWS (262,144) flows from 250 LAN
// devices to FLOWS / FLOWS_PER_HOST (4) remote hosts, and the same table with 5% of the flows'
// counters moved. Then, each on a fresh database file: (1) cold: the first cycle over the
// table (every row inserted), (2) warm: the cycle over the changed table, (3) the same number
// of rows inserted with one prepared statement in one transaction, nothing else. Prints times,
// rows/s, and the process's peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
    std::size_t flows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 262144;
    std::size_t per_host = argc > 2 ? std::max<std::size_t>(1, std::strtoull(argv[2], nullptr, 10)) : 4;
    std::filesystem::path dir = argc > 3 ? argv[3] : "/tmp";
    auto table = dir / "netmon-bench-table.txt";
    auto changed = dir / "netmon-bench-changed.txt";
    {
        std::ofstream a(table), b(changed);
        for (std::size_t i = 0; i < flows; ++i) {
            a << flow_line(i, per_host, 0);
            b << flow_line(i, per_host, i % 20 == 0 ? 7 : 0);  // 5% of the flows moved
        }
    }
    auto db_path = dir / "netmon-bench.db";
    std::filesystem::remove(db_path);
    std::filesystem::remove(dir / "netmon-bench.db-wal");
    std::filesystem::remove(dir / "netmon-bench.db-shm");

    OutboundFilter filter({*Cidr::parse("10.0.0.0/24")});
    Store store(db_path.string());
    Reconciler reconciler(store, filter);
    TextFileSource cold_source(table.string());
    auto start = Clock::now();
    CycleResult cold = reconciler.run_cycle(cold_source, 1'000'000);
    double cold_seconds = seconds_since(start);
    long rss_after_cold = peak_rss_kib();

    TextFileSource warm_source(changed.string());
    start = Clock::now();
    CycleResult warm = reconciler.run_cycle(warm_source, 1'001'000);
    double warm_seconds = seconds_since(start);

    start = Clock::now();
    CycleResult idle = reconciler.run_cycle(warm_source, 1'002'000);
    double idle_seconds = seconds_since(start);

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
        Transaction transaction(db);
        for (std::size_t i = 0; i < flows; ++i) {
            std::string dst = host_of(i, per_host);
            insert.bind(1, "10.0.0." + std::to_string(2 + i % 250));
            insert.bind(2, static_cast<std::int64_t>(1024 + (i / 250) % 60000));
            insert.bind(3, dst);
            insert.bind(4, static_cast<std::int64_t>(1000 + i));
            insert.bind(5, static_cast<std::int64_t>(50000 + i));
            insert.run();
        }
        transaction.commit();
        bare_seconds = seconds_since(start);
    }

    std::printf("flows: %zu to %zu remote hosts (%s)\n", flows, (flows + per_host - 1) / per_host, table.c_str());
    std::printf("cold cycle:  %6.3f s  %9.0f rows/s  inserted %llu\n", cold_seconds,
                static_cast<double>(flows) / cold_seconds, static_cast<unsigned long long>(cold.inserted));
    std::printf("warm cycle:  %6.3f s  changed %llu, unchanged %llu\n", warm_seconds,
                static_cast<unsigned long long>(warm.updated), static_cast<unsigned long long>(warm.unchanged));
    std::printf("idle cycle:  %6.3f s  changed %llu (nothing moved)\n", idle_seconds,
                static_cast<unsigned long long>(idle.updated));
    std::printf("bare INSERT: %6.3f s  %9.0f rows/s  (cold cycle takes %.2fx its time)\n", bare_seconds,
                static_cast<double>(flows) / bare_seconds, cold_seconds / bare_seconds);
    std::printf("peak RSS:    %ld KiB after the cold cycle, %ld KiB at the end\n", rss_after_cold, peak_rss_kib());
    std::filesystem::remove(table);
    std::filesystem::remove(changed);
    return 0;
}
