#pragma once
// Numbers and times as people read them, for the dashboard and the API. Pure: the current time
// is passed in.

#include <cstdint>
#include <string>

namespace netmon::web {

// "0 B", "1023 B", "1.5 KiB", "12.3 MiB", "512 GiB": powers of 1024, three significant digits.
std::string format_bytes(std::uint64_t bytes);
// format_bytes + "/s"; negative, NaN or infinite rates read as "0 B/s".
std::string format_rate(double bytes_per_second);
// "999", "1.2 k", "45.6 M": powers of 1000, for packet counts.
std::string format_count(std::uint64_t count);
// A duration: "0 s", "42 s", "5 min", "3 h 12 min", "2 d 4 h". Negative durations read as "0 s".
std::string format_duration(std::int64_t milliseconds);

// ISO 8601 in UTC with milliseconds: "2026-11-24T08:00:00.123Z".
std::string format_time(std::int64_t unix_ms);
void append_time(std::string& out, std::int64_t unix_ms);

}  // namespace netmon::web
