#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "db_support.h"
#include "system_metrics.h"

using namespace netmon;
using namespace netmon::web;
using netmon::test::TempDir;

namespace {

// Captured from a Debian 12 router VM.
constexpr const char* meminfo_text =
    "MemTotal:       24683620 kB\n"
    "MemFree:        23013992 kB\n"
    "MemAvailable:   23520340 kB\n"
    "Buffers:            2576 kB\n"
    "Cached:           649192 kB\n"
    "SwapCached:            0 kB\n"
    "HugePages_Total:       0\n"
    "Hugepagesize:       2048 kB\n";

void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

void write_interface(const TempDir& root, const std::string& name, std::uint64_t rx_bytes, std::uint64_t tx_bytes,
                     std::uint64_t rx_packets, std::uint64_t tx_packets) {
    auto dir = root.path / "sys/class/net" / name / "statistics";
    write(dir / "rx_bytes", std::to_string(rx_bytes) + "\n");
    write(dir / "tx_bytes", std::to_string(tx_bytes) + "\n");
    write(dir / "rx_packets", std::to_string(rx_packets) + "\n");
    write(dir / "tx_packets", std::to_string(tx_packets) + "\n");
}

}  // namespace

TEST_CASE("/proc/loadavg") {
    auto load = parse_loadavg("0.52 0.58 0.59 1/467 12345\n");
    REQUIRE(load);
    CHECK(load->one == 0.52);
    CHECK(load->five == 0.58);
    CHECK(load->fifteen == 0.59);
    CHECK_FALSE(parse_loadavg(""));
    CHECK_FALSE(parse_loadavg("0.52 x 0.59"));
    CHECK_FALSE(parse_loadavg("0.52 0.58"));
}

TEST_CASE("/proc/meminfo: used is MemTotal - MemAvailable") {
    auto memory = parse_meminfo(meminfo_text);
    REQUIRE(memory);
    CHECK(memory->total_bytes == 24683620ull * 1024);
    CHECK(memory->available_bytes == 23520340ull * 1024);
    CHECK(memory->used_bytes == (24683620ull - 23520340ull) * 1024);
}

TEST_CASE("/proc/meminfo of kernels before MemAvailable, and nonsense") {
    auto memory = parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n");
    REQUIRE(memory);
    CHECK(memory->available_bytes == 400 * 1024);
    CHECK_FALSE(parse_meminfo("MemFree: 100 kB\n"));
    CHECK_FALSE(parse_meminfo(""));
}

TEST_CASE("counter files") {
    CHECK(parse_counter("156713180\n") == 156713180u);
    CHECK(parse_counter("18446744073709551615\n") == UINT64_MAX);
    CHECK_FALSE(parse_counter("-1\n"));
    CHECK_FALSE(parse_counter(""));
}

TEST_CASE("sampling a root: counters, rates after a second, a missing interface named") {
    TempDir root;
    write(root.path / "proc/loadavg", "1.00 2.00 3.00 1/1 1\n");
    write(root.path / "proc/meminfo", meminfo_text);
    write_interface(root, "enp2s0", 1000, 2000, 10, 20);
    SystemMetrics metrics({"enp2s0", "enp9s0", "../etc"}, root.path.string());
    SystemSample first = metrics.sample(10'000);
    REQUIRE(first.load);
    CHECK(first.load->fifteen == 3.0);
    REQUIRE(first.memory);
    REQUIRE(first.interfaces.size() == 3);
    REQUIRE(first.interfaces[0].counters);
    CHECK(first.interfaces[0].counters->tx_packets == 20);
    CHECK_FALSE(first.interfaces[0].rates);  // one sample: no rate yet
    CHECK_FALSE(first.interfaces[1].counters);
    CHECK(first.interfaces[1].error.starts_with("no interface enp9s0 on this host"));
    CHECK(first.interfaces[2].error == "not an interface name");

    write_interface(root, "enp2s0", 3000, 2000, 14, 20);
    SystemSample soon = metrics.sample(10'400);  // too soon for a rate
    CHECK_FALSE(soon.interfaces[0].rates);
    SystemSample later = metrics.sample(12'000);
    REQUIRE(later.interfaces[0].rates);
    CHECK(later.interfaces[0].rates->rx_bytes == 1000.0);  // 2000 bytes in 2 s
    CHECK(later.interfaces[0].rates->rx_packets == 2.0);
    CHECK(later.interfaces[0].rates->tx_bytes == 0.0);
    // Within the next second, the same rates for whoever asks.
    SystemSample again = metrics.sample(12'500);
    REQUIRE(again.interfaces[0].rates);
    CHECK(again.interfaces[0].rates->rx_bytes == 1000.0);

    // Counters that went back (the interface was recreated): no rate until two new samples.
    write_interface(root, "enp2s0", 10, 10, 1, 1);
    CHECK_FALSE(metrics.sample(14'000).interfaces[0].rates);
}

TEST_CASE("missing /proc files are errors, not failures") {
    TempDir root;
    SystemMetrics metrics({}, root.path.string());
    SystemSample sample = metrics.sample(0);
    CHECK_FALSE(sample.load);
    CHECK(sample.load_error.find("proc/loadavg: No such file or directory") != std::string::npos);
    CHECK_FALSE(sample.memory);
}

TEST_CASE("this host's /proc reads") {
    SystemMetrics metrics({"lo"});
    SystemSample sample = metrics.sample(0);
    CHECK(sample.load);
    REQUIRE(sample.memory);
    CHECK(sample.memory->total_bytes > 0);
    CHECK(sample.interfaces[0].counters);
}
