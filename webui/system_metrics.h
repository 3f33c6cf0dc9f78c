#pragma once
// The router's own figures for the tiles, /metrics.json and /metrics: load average, memory,
// and the counters of the monitored interfaces with their rates.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/kernel_files.h"

namespace netmon::web {

struct LoadAverage {
    double one = 0;
    double five = 0;
    double fifteen = 0;
};

struct MemoryUsage {
    std::uint64_t total_bytes = 0;
    std::uint64_t available_bytes = 0;
    std::uint64_t used_bytes = 0;  // total - available
};

struct InterfaceRates {  // per second
    double rx_bytes = 0;
    double tx_bytes = 0;
    double rx_packets = 0;
    double tx_packets = 0;
};

struct InterfaceSample {
    std::string name;
    std::optional<InterfaceCounters> counters;  // empty when error says why
    std::optional<InterfaceRates> rates;        // empty until two samples a second apart
    std::string error;
};

struct SystemSample {
    std::int64_t sampled_at = 0;  // ms since the epoch
    std::optional<LoadAverage> load;
    std::string load_error;
    std::optional<MemoryUsage> memory;
    std::string memory_error;
    std::vector<InterfaceSample> interfaces;
};

// /proc/loadavg: "0.52 0.58 0.59 1/467 12345". Nothing when the text is not that.
std::optional<LoadAverage> parse_loadavg(std::string_view text);
// /proc/meminfo: MemTotal and MemAvailable (kB); kernels without MemAvailable (before 3.14)
// count MemFree + Buffers + Cached instead. Nothing without MemTotal.
std::optional<MemoryUsage> parse_meminfo(std::string_view text);

// Reads the files; thread-safe. Rates compare a sample with the last one at least a second
// older, whoever asked for it, so that several browsers see the same rates.
class SystemMetrics {
public:
    // root is "/" on a router; tests give a directory with proc/ and sys/class/net/ in it.
    explicit SystemMetrics(std::vector<std::string> interfaces, std::string root = "/");
    SystemSample sample(std::int64_t now_ms);

private:
    struct Baseline {
        std::int64_t at = 0;
        InterfaceCounters counters;
        std::optional<InterfaceRates> rates;
    };

    std::vector<std::string> interfaces_;
    std::string root_;
    std::mutex mutex_;
    std::map<std::string, Baseline> baselines_;
};

}  // namespace netmon::web
