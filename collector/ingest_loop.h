#pragma once
// The ingest daemon's loop: a cycle every interval, measured from the start of the cycle,
// with signals read between cycles.
//
// SIGTERM and SIGINT end the loop after the cycle under way, which can cut itself short by
// asking SignalFd::stop_pending as it goes; SIGHUP calls the reload hook.
// A cycle that throws is logged (repeats of the same error are summarized) and the next one
// runs on time. A cycle that overruns the interval is followed by the next one at once, not at
// the next slot: skipping a slot left the data a whole interval older than it needed to be,
// which under load made netmon-web call a healthy ingest stale. The schedule goes on from that
// start; slots that passed are not made up, so cycles run back to back only while each one
// overruns (the log says so once a minute).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "log_throttle.h"

namespace netmon {

class Logger;
class SignalFd;

// When the cycle after one that started at started and ended at finished starts: an interval
// after the start, or at once (finished) when the cycle took longer than that. Pure.
std::chrono::steady_clock::time_point next_cycle_start(std::chrono::steady_clock::time_point started,
                                                       std::chrono::steady_clock::time_point finished,
                                                       std::chrono::milliseconds interval);

class IngestLoop {
public:
    struct Hooks {
        std::function<void()> cycle;   // one full cycle; may throw
        // On SIGHUP: reloads and returns the interval from then on; may throw (the interval stays).
        std::function<std::chrono::milliseconds()> reload;
    };

    IngestLoop(Hooks hooks, std::chrono::milliseconds interval, Logger& log, SignalFd& signals);

    // Also waits for fd to become readable between cycles and calls on_readable then (netlink
    // events). on_readable may throw; that is logged like a failed cycle.
    void watch(int fd, std::function<void()> on_readable);
    // Runs the next cycle as soon as the current wait is over (a resync after lost events).
    void request_cycle() { cycle_requested_ = true; }
    // Runs until SIGTERM or SIGINT, or after max_cycles cycles when that is not 0.
    void run(std::uint64_t max_cycles = 0);

    std::uint64_t cycles() const { return cycles_; }
    std::uint64_t failed_cycles() const { return failed_; }

private:
    // Runs f and logs what it throws; returns false when it threw.
    bool guarded(const char* what, const std::function<void()>& f);
    // Serves signals and watched fds until the deadline, looking at them at least once even
    // when it has passed; false when asked to stop.
    bool wait_until(std::chrono::steady_clock::time_point deadline);

    Hooks hooks_;
    std::chrono::milliseconds interval_;
    Logger& log_;
    SignalFd& signals_;
    std::vector<std::pair<int, std::function<void()>>> watched_;
    std::uint64_t cycles_ = 0;
    std::uint64_t failed_ = 0;
    std::string last_error_;
    std::uint64_t repeats_ = 0;  // failures with last_error_ not yet logged
    std::chrono::steady_clock::time_point last_logged_{};
    LogThrottle overrun_log_;
    bool stop_ = false;
    bool cycle_requested_ = false;
};

}  // namespace netmon
