#pragma once
// The ingest's side of the coverage: before each full read, the WAN interface's counters
// (interfaces.wan) into the reconciler's history (WanMeter); during it, every outbound entry
// (flows without counters, offloaded flows that froze); after it, the causes (CoverageCauses)
// from the cycle, the sysctls and, once a minute, the ruleset (ruleset_scan.h), written into
// meta when they change. Live only: a replay says nothing about this kernel. Nothing here fails
// a cycle: what cannot be read is a warning (and for the WAN, meta's wan_error).

#include <cstdint>
#include <optional>
#include <string>

#include "coverage_causes.h"
#include "log_throttle.h"
#include "netmon/config.h"
#include "wan_meter.h"

namespace netmon {

class Logger;
class Reconciler;
class Store;
struct CycleResult;

class CoverageMonitor {
public:
    CoverageMonitor(const Config& config, Logger& log) : log_(log), wan_(config.wan_interface) {}

    // Before a full read at now: the WAN's bytes since the last reading go to the reconciler.
    void before_cycle(Reconciler& reconciler, Store& store, std::int64_t now_ms);
    // Each outbound entry of that read.
    void see(const Entry& entry);
    // Event messages read between two full cycles.
    void events(std::uint64_t count) { events_ += count; }
    // The kernel dropped events (an overrun).
    void overrun() { ++overruns_; }
    // After a full cycle that was written: its causes, into meta when they changed. Throws
    // DatabaseError when they cannot be written.
    void after_cycle(Store& store, const CycleResult& result, std::optional<bool> accounting, bool listens_to_events,
                     std::int64_t now_ms);
    // A reloaded configuration (interfaces.wan), or another database file: all read again.
    void reload(const Config& config);
    void forget();

    // Where the kernel says whether it sends events.
    static constexpr const char* events_path = "/proc/sys/net/netfilter/nf_conntrack_events";

private:
    Logger& log_;
    std::string wan_;
    WanMeter meter_;
    std::string wan_error_;           // as meta has it
    bool wan_meta_written_ = false;
    CoverageCauses causes_;
    OffloadWatch offload_;
    std::uint64_t without_counters_ = 0;  // in the read under way
    std::uint64_t flows_ = 0;
    std::uint64_t events_ = 0;            // since the last cycle
    std::uint64_t overruns_ = 0;          // since the start
    bool first_cycle_ = true;             // its flows are all new: no event could tell of them
    bool causes_written_ = false;
    std::optional<std::int64_t> ruleset_read_at_;
    LogThrottle ruleset_log_{std::chrono::minutes(10)};
    LogThrottle wan_log_{std::chrono::minutes(10)};
};

}  // namespace netmon
