#include "netmon/log.h"

#include <unistd.h>

#include <ctime>
#include <utility>

#include "netmon/clock.h"

namespace netmon {
namespace {

std::string_view priority_word(Priority priority) {
    switch (priority) {
        case Priority::error: return "error: ";
        case Priority::warning: return "warning: ";
        case Priority::info: return "";
        case Priority::debug: return "debug: ";
    }
    return "";
}

}  // namespace

StderrLogger::StderrLogger(std::string program, bool under_journald, Priority max_priority)
    : program_(std::move(program)), under_journald_(under_journald), max_priority_(max_priority) {}

void StderrLogger::write(Priority priority, std::string_view message) {
    if (static_cast<int>(priority) > static_cast<int>(max_priority_)) return;
    // Appends only: GCC 12 at -O3 warns wrongly (-Wrestrict) about "literal" + std::string.
    std::string line;
    if (under_journald_) {
        line += '<';
        line += std::to_string(static_cast<int>(priority));
        line += '>';
    } else {
        char stamp[32];
        const auto now = static_cast<std::time_t>(unix_ms_now() / 1000);
        std::tm utc{};
        gmtime_r(&now, &utc);
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &utc);
        line += stamp;
        line += program_;
        line += ": ";
        line += priority_word(priority);
    }
    line += message;
    line += '\n';
    // One write(2) per line, so that lines from concurrent writers do not interleave.
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace netmon
