// LogThrottle: a repeating warning at most once a period, with its count, on a clock the test sets.
#include <catch2/catch.hpp>

#include <chrono>

#include "log_throttle.h"

using namespace netmon;
using namespace std::chrono_literals;

TEST_CASE("the first occurrence is logged, then at most one line a period with the count since", "[log_throttle]") {
    LogThrottle throttle(60s);
    const LogThrottle::Clock::time_point t0{};  // the clock's epoch: a first line is due even then
    CHECK(throttle.note(1, t0) == 1u);
    CHECK_FALSE(throttle.note(1, t0 + 1s));
    CHECK_FALSE(throttle.note(3, t0 + 59s));
    // A period after the last line: the four that waited and this one.
    CHECK(throttle.note(1, t0 + 60s) == 5u);
    CHECK_FALSE(throttle.note(2, t0 + 61s));
    // A quiet hour, then one more: due at once, with the two that waited.
    CHECK(throttle.note(1, t0 + 3600s) == 3u);
}

TEST_CASE("several at once count as several, and nothing is lost between lines", "[log_throttle]") {
    LogThrottle throttle(10s);
    const auto t0 = LogThrottle::Clock::time_point{} + 1000s;
    std::uint64_t logged = 0;
    for (int second = 0; second < 100; ++second)
        if (auto count = throttle.note(7, t0 + std::chrono::seconds(second))) logged += *count;
    CHECK(logged == 7 * 91);  // the last lines fall at 0, 10, ..., 90: the nine after 90 wait
    CHECK(throttle.note(0, t0 + 200s) == 7u * 9);
}
