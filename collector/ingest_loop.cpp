#include "ingest_loop.h"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netmon/log.h"
#include "signal_fd.h"

namespace netmon {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto repeat_summary_every = std::chrono::seconds(60);

}  // namespace

IngestLoop::IngestLoop(Hooks hooks, std::chrono::milliseconds interval, Logger& log, SignalFd& signals)
    : hooks_(std::move(hooks)), interval_(interval), log_(log), signals_(signals), overrun_log_(repeat_summary_every) {}

void IngestLoop::watch(int fd, std::function<void()> on_readable) {
    watched_.emplace_back(fd, std::move(on_readable));
}

bool IngestLoop::guarded(const char* what, const std::function<void()>& f) {
    std::string error;
    try {
        f();
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown error";
    }
    const auto now = Clock::now();
    if (error.empty()) {
        if (!last_error_.empty()) {
            log_.info(std::string(what) + " recovered" +
                      (repeats_ > 0 ? " after " + std::to_string(repeats_) + " more failures" : std::string()));
            last_error_.clear();
            repeats_ = 0;
        }
        return true;
    }
    // The same error again and again (a missing file at 1 Hz) is summarized once a minute.
    if (error == last_error_ && now - last_logged_ < repeat_summary_every) {
        ++repeats_;
        return false;
    }
    std::string message = std::string(what) + " failed: " + error;
    if (error == last_error_ && repeats_ > 0) message += " (" + std::to_string(repeats_) + " times since last logged)";
    log_.error(message);
    last_error_ = error;
    last_logged_ = now;
    repeats_ = 0;
    return false;
}

Clock::time_point next_cycle_start(Clock::time_point started, Clock::time_point finished,
                                   std::chrono::milliseconds interval) {
    return std::max(started + interval, finished);
}

bool IngestLoop::wait_until(Clock::time_point deadline) {
    std::vector<pollfd> fds;
    fds.push_back({signals_.fd(), POLLIN, 0});
    for (const auto& [fd, handler] : watched_) fds.push_back({fd, POLLIN, 0});
    // The first look happens even past the deadline: cycles that run back to back must still
    // hear SIGTERM and serve events. Later ones end at the deadline, however busy the fds.
    for (bool looked = false;; looked = true) {
        const auto now = Clock::now();
        if ((looked && now >= deadline) || cycle_requested_) {
            cycle_requested_ = false;
            return true;
        }
        auto wait = now >= deadline ? std::chrono::milliseconds(0)
                                    : std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
        int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
        if (ready < 0) {
            if (errno == EINTR) continue;
            log_.error(std::string("poll: ") + std::strerror(errno));
            return true;  // run the next cycle rather than spin or stop
        }
        if (ready == 0) return true;
        if (fds[0].revents != 0) {
            for (int signal = signals_.take(); signal != 0; signal = signals_.take()) {
                if (signal == SIGHUP) {
                    log_.info("SIGHUP: reloading the configuration");
                    if (hooks_.reload) guarded("reload", [this] { interval_ = hooks_.reload(); });
                } else {
                    log_.info(std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
                    stop_ = true;
                }
            }
            if (stop_) return false;
        }
        for (std::size_t i = 1; i < fds.size(); ++i)
            if (fds[i].revents != 0) guarded("reading events", watched_[i - 1].second);
    }
}

void IngestLoop::run(std::uint64_t max_cycles) {
    stop_ = false;
    auto deadline = Clock::now();
    while (!stop_) {
        const auto started = Clock::now();
        ++cycles_;
        if (!guarded("cycle", hooks_.cycle)) ++failed_;
        if (max_cycles != 0 && cycles_ >= max_cycles) break;

        const auto now = Clock::now();
        deadline = next_cycle_start(started, now, interval_);
        if (now - started > interval_ && overrun_log_.note(1, now)) {
            log_.warning("a cycle took " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count()) +
                         " ms, longer than the interval of " + std::to_string(interval_.count()) +
                         " ms; the next one starts at once (raise interval if this repeats)");
        }
        if (!wait_until(deadline)) break;
    }
}

}  // namespace netmon
