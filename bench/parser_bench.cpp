// Parser throughput against `wc -l` on the same file, in the same run.
//
//   build/bench/parser_bench [LINES] [FILE]
//
// Writes FILE (default: a temporary file) with LINES (default 1,000,000) lines made from the real
// captures in tests/fixtures/conntrack (ports varied so that lines differ), then times, best of
// five, (a) parsing every line of it in memory, (b) parse_snapshot with the outbound filter and
// folding, (c) `wc -l` on the file. Prints lines/s and the ratios.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "netmon/outbound.h"
#include "netmon/parser.h"
#include "netmon/snapshot.h"

using namespace netmon;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> fixture_lines() {
    std::vector<std::string> lines;
    for (const char* name : {"router_extended.txt", "router_proc.txt", "router_plain.txt", "router_events.txt"}) {
        std::ifstream file(std::string(NETMON_FIXTURES) + "/" + name);
        for (std::string line; std::getline(file, line);)
            if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

// Replaces the first "sport=N" with a new port, so that repeated lines are distinct flows.
std::string vary(const std::string& line, unsigned n) {
    auto at = line.find("sport=");
    if (at == std::string::npos) return line;
    auto end = line.find(' ', at);
    return line.substr(0, at) + "sport=" + std::to_string(1024 + n % 64000) + line.substr(end);
}

template <class F>
double best_of(int rounds, F&& f) {
    double best = 1e30;
    for (int i = 0; i < rounds; ++i) {
        auto start = Clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
    std::string path = argc > 2 ? argv[2] : "/tmp/netmon-parser-bench.txt";
    auto sources = fixture_lines();
    if (sources.empty()) {
        std::cerr << "no fixtures in " << NETMON_FIXTURES << "\n";
        return 1;
    }
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
        text += vary(sources[i % sources.size()], static_cast<unsigned>(i / sources.size()));
        text += '\n';
    }
    {
        std::ofstream out(path, std::ios::binary);
        out << text;
    }

    std::uint64_t entries = 0;
    double parse_seconds = best_of(5, [&] {
        ParseStats stats;
        parse_text(text, stats, [&](Entry&&) {});
        entries = stats.entries;
    });
    OutboundFilter filter({*Cidr::parse("10.0.0.0/24"), *Cidr::parse("fd00:10::/64")});
    std::size_t kept = 0;
    double snapshot_seconds = best_of(5, [&] { kept = parse_snapshot(text, &filter).entries.size(); });
    std::string wc = "wc -l < '" + path + "' > /dev/null";
    double wc_seconds = best_of(5, [&] {
        if (std::system(wc.c_str()) != 0) std::cerr << "wc failed\n";
    });

    double mb = static_cast<double>(text.size()) / 1e6;
    std::printf("file: %s, %zu lines, %.1f MB, %llu entries parsed, %zu outbound flows after folding\n",
                path.c_str(), count, mb, static_cast<unsigned long long>(entries), kept);
    std::printf("parse_line, every line:      %7.3f s  %11.0f lines/s  %7.1f MB/s\n", parse_seconds,
                static_cast<double>(count) / parse_seconds, mb / parse_seconds);
    std::printf("parse_snapshot (filter+fold): %7.3f s  %11.0f lines/s\n", snapshot_seconds,
                static_cast<double>(count) / snapshot_seconds);
    std::printf("wc -l (same file):           %7.3f s  %11.0f lines/s\n", wc_seconds,
                static_cast<double>(count) / wc_seconds);
    std::printf("ratio parse_line / wc -l:    %7.2fx the time\n", parse_seconds / wc_seconds);
    if (argc <= 2) std::remove(path.c_str());
    return 0;
}
