#pragma once
// A warning that can repeat many times a second (lost events, malformed event messages, cycles
// that overrun) is logged at most once a period, with how often it happened since.

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace netmon {

class LogThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit LogThrottle(Clock::duration period) : period_(period) {}

    // Notes count more occurrences at now. When a line is due (at the first occurrence ever,
    // then once period has passed since the last line), returns how many occurred since the
    // last line, these included; otherwise nothing, and they wait for the next line. Pure: now
    // is passed in.
    std::optional<std::uint64_t> note(std::uint64_t count, Clock::time_point now) {
        pending_ += count;
        if (last_ && now - *last_ < period_) return std::nullopt;
        last_ = now;
        return std::exchange(pending_, 0);
    }

private:
    Clock::duration period_;
    std::optional<Clock::time_point> last_;  // when the last line was due
    std::uint64_t pending_ = 0;
};

}  // namespace netmon
