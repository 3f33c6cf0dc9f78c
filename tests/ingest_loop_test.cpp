#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ingest_loop.h"
#include "netmon/log.h"
#include "signal_fd.h"

using namespace netmon;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

class RecordingLogger final : public Logger {
public:
    void write(Priority priority, std::string_view message) override {
        lines.emplace_back(priority, std::string(message));
    }
    std::size_t count(Priority priority) const {
        std::size_t n = 0;
        for (const auto& line : lines) n += line.first == priority;
        return n;
    }
    std::vector<std::pair<Priority, std::string>> lines;
};

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

TEST_CASE("the loop runs a cycle every interval, measured from the cycle's start", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    std::vector<Clock::time_point> starts;
    IngestLoop loop({[&] {
                         starts.push_back(Clock::now());
                         std::this_thread::sleep_for(30ms);  // work takes most of the interval
                     },
                     nullptr},
                    50ms, log, signals);
    loop.run(5);
    REQUIRE(starts.size() == 5);
    for (std::size_t i = 1; i < starts.size(); ++i) {
        double gap = ms_between(starts[i - 1], starts[i]);
        CHECK(gap >= 49);
        CHECK(gap < 75);  // 50, not 50 + 30
    }
}

TEST_CASE("a cycle that throws is logged and the next one runs", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    int calls = 0;
    IngestLoop loop({[&] {
                         ++calls;
                         if (calls == 2 || calls == 3) throw std::runtime_error("cannot open /x: No such file");
                     },
                     nullptr},
                    10ms, log, signals);
    loop.run(6);
    CHECK(calls == 6);
    CHECK(loop.failed_cycles() == 2);
    // The same error twice in a row is logged once; the recovery is logged too.
    CHECK(log.count(Priority::error) == 1);
    REQUIRE_FALSE(log.lines.empty());
    bool recovered = false;
    for (const auto& line : log.lines) recovered = recovered || line.second.find("recovered") != std::string::npos;
    CHECK(recovered);
}

TEST_CASE("SIGTERM during a cycle: the cycle finishes, then the loop stops", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    int calls = 0;
    bool finished_third = false;
    IngestLoop loop({[&] {
                         ++calls;
                         if (calls == 3) {
                             ::kill(::getpid(), SIGTERM);
                             std::this_thread::sleep_for(20ms);
                             finished_third = true;
                         }
                     },
                     nullptr},
                    10ms, log, signals);
    const auto started = Clock::now();
    loop.run();
    CHECK(calls == 3);
    CHECK(finished_third);
    CHECK(ms_between(started, Clock::now()) < 1000);
}

TEST_CASE("SIGHUP reloads between cycles, SIGINT stops the loop", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    int reloads = 0;
    int calls = 0;
    IngestLoop loop({[&] {
                         ++calls;
                         if (calls == 1) ::kill(::getpid(), SIGHUP);
                         if (calls == 2) ::kill(::getpid(), SIGINT);
                     },
                     [&] {
                         ++reloads;
                         return 200ms;
                     }},
                    200ms, log, signals);
    const auto started = Clock::now();
    loop.run();
    // SIGHUP reloads and the wait goes on to the next slot; SIGINT, sent during the second
    // cycle, ends the loop right after it.
    CHECK(reloads == 1);
    CHECK(calls == 2);
    const double elapsed = ms_between(started, Clock::now());
    CHECK(elapsed >= 199);
    CHECK(elapsed < 350);
}

TEST_CASE("the next cycle starts an interval after the last one's start, or at once when it overran",
          "[loop][schedule]") {
    const Clock::time_point t0{std::chrono::seconds(1000)};
    CHECK(next_cycle_start(t0, t0 + 300ms, 1000ms) == t0 + 1000ms);
    CHECK(next_cycle_start(t0, t0 + 1000ms, 1000ms) == t0 + 1000ms);
    // Overran by 300 ms: at once, not at the next slot (t0 + 2 s).
    CHECK(next_cycle_start(t0, t0 + 1300ms, 1000ms) == t0 + 1300ms);
    CHECK(next_cycle_start(t0, t0 + 3500ms, 1000ms) == t0 + 3500ms);
}

TEST_CASE("a cycle that overruns is followed at once, and the schedule goes on from there", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    std::vector<Clock::time_point> starts;
    IngestLoop loop({[&] {
                         starts.push_back(Clock::now());
                         if (starts.size() == 2) std::this_thread::sleep_for(520ms);
                     },
                     nullptr},
                    200ms, log, signals);
    loop.run(4);
    REQUIRE(starts.size() == 4);
    // Cycle 2 ran 520 ms: cycle 3 starts as it ends, not at the next slot 600 ms after its
    // start. (Long enough that a loaded machine's scheduling stays well inside the bounds.)
    double gap = ms_between(starts[1], starts[2]);
    CHECK(gap >= 519);
    CHECK(gap < 590);
    // Then an interval after cycle 3's start.
    gap = ms_between(starts[2], starts[3]);
    CHECK(gap >= 199);
    CHECK(gap < 300);
    REQUIRE(log.count(Priority::warning) == 1);
    for (const auto& line : log.lines)
        if (line.first == Priority::warning)
            CHECK(line.second.find("the next one starts at once") != std::string::npos);
}

TEST_CASE("cycles that all overrun run back to back and still hear SIGTERM and serve events", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    int calls = 0;
    int served = 0;
    IngestLoop loop({[&] {
                         ++calls;
                         if (calls == 1) REQUIRE(::write(fds[1], "x", 1) == 1);
                         if (calls == 3) ::kill(::getpid(), SIGTERM);
                         std::this_thread::sleep_for(30ms);
                     },
                     nullptr},
                    10ms, log, signals);
    loop.watch(fds[0], [&] {
        char byte;
        REQUIRE(::read(fds[0], &byte, 1) == 1);
        ++served;
    });
    loop.run(20);
    CHECK(calls == 3);
    CHECK(served == 1);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("a watched descriptor is served between cycles", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    int served = 0;
    int calls = 0;
    IngestLoop loop({[&] {
                         if (++calls == 1) REQUIRE(::write(fds[1], "x", 1) == 1);
                     },
                     nullptr},
                    100ms, log, signals);
    loop.watch(fds[0], [&] {
        char byte;
        REQUIRE(::read(fds[0], &byte, 1) == 1);
        ++served;
    });
    loop.run(2);
    CHECK(served == 1);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("the interval a reload returns is the loop's from then on, and a failed reload keeps it", "[loop]") {
    SignalFd signals;
    RecordingLogger log;
    int calls = 0;
    bool reload_fails = false;
    std::vector<Clock::time_point> starts;
    IngestLoop loop({[&] {
                         starts.push_back(Clock::now());
                         ++calls;
                         if (calls == 1) ::kill(::getpid(), SIGHUP);
                         if (calls == 3) {
                             reload_fails = true;
                             ::kill(::getpid(), SIGHUP);
                         }
                     },
                     [&]() -> std::chrono::milliseconds {
                         if (reload_fails) throw std::runtime_error("bad netmon.yml");
                         return 50ms;
                     }},
                    400ms, log, signals);
    loop.run(5);
    REQUIRE(starts.size() == 5);
    // The wait under way keeps its deadline; the cycles after it are 50 ms apart, the failed
    // reload after the third changing nothing.
    CHECK(ms_between(starts[0], starts[1]) >= 399);
    for (std::size_t i = 2; i < starts.size(); ++i) {
        CAPTURE(i);
        CHECK(ms_between(starts[i - 1], starts[i]) >= 49);
        CHECK(ms_between(starts[i - 1], starts[i]) < 300);
    }
    CHECK(log.count(Priority::error) == 1);  // "reload failed: bad netmon.yml"
}
