#include "units.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace netmon::web {
namespace {

// value scaled by base until below base, printed with three significant digits.
std::string scaled(double value, double base, const char* const* units, int unit_count, const char* suffix) {
    int unit = 0;
    while (value >= base && unit + 1 < unit_count) {
        value /= base;
        ++unit;
    }
    char text[48];
    if (unit == 0) std::snprintf(text, sizeof text, "%.0f %s%s", value, units[0], suffix);
    else if (value < 9.995) std::snprintf(text, sizeof text, "%.2f %s%s", value, units[unit], suffix);
    else if (value < 99.95) std::snprintf(text, sizeof text, "%.1f %s%s", value, units[unit], suffix);
    else std::snprintf(text, sizeof text, "%.0f %s%s", value, units[unit], suffix);
    return text;
}

constexpr const char* byte_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
constexpr const char* count_units[] = {"", "k", "M", "G", "T", "P", "E"};

void append_digits(std::string& out, unsigned value, int width) {
    char digits[8];
    for (int i = width - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(digits, static_cast<std::size_t>(width));
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
    return scaled(static_cast<double>(bytes), 1024, byte_units, 7, "");
}

std::string format_rate(double bytes_per_second) {
    if (!std::isfinite(bytes_per_second) || bytes_per_second < 0) bytes_per_second = 0;
    return scaled(std::round(bytes_per_second), 1024, byte_units, 7, "/s");
}

std::string format_count(std::uint64_t count) {
    if (count < 1000) return std::to_string(count);
    std::string text = scaled(static_cast<double>(count), 1000, count_units, 7, "");
    return text;
}

std::string format_duration(std::int64_t milliseconds) {
    std::int64_t seconds = milliseconds > 0 ? milliseconds / 1000 : 0;
    if (seconds < 60) return std::to_string(seconds) + " s";
    std::int64_t minutes = seconds / 60;
    if (minutes < 60) return std::to_string(minutes) + " min";
    std::int64_t hours = minutes / 60;
    if (hours < 24) {
        std::string text = std::to_string(hours) + " h";
        if (minutes % 60 != 0) text += " " + std::to_string(minutes % 60) + " min";
        return text;
    }
    std::string text = std::to_string(hours / 24) + " d";
    if (hours % 24 != 0) text += " " + std::to_string(hours % 24) + " h";
    return text;
}

void append_time(std::string& out, std::int64_t unix_ms) {
    using namespace std::chrono;
    const sys_time<milliseconds> time{milliseconds{unix_ms}};
    const sys_days day = floor<days>(time);
    const year_month_day date{day};
    const auto in_day = duration_cast<milliseconds>(time - day).count();
    int year = static_cast<int>(date.year());
    if (year < 0 || year > 9999) year = year < 0 ? 0 : 9999;  // ISO 8601 without expansion
    append_digits(out, static_cast<unsigned>(year), 4);
    out += '-';
    append_digits(out, static_cast<unsigned>(date.month()), 2);
    out += '-';
    append_digits(out, static_cast<unsigned>(date.day()), 2);
    out += 'T';
    append_digits(out, static_cast<unsigned>(in_day / 3'600'000), 2);
    out += ':';
    append_digits(out, static_cast<unsigned>(in_day / 60'000 % 60), 2);
    out += ':';
    append_digits(out, static_cast<unsigned>(in_day / 1000 % 60), 2);
    out += '.';
    append_digits(out, static_cast<unsigned>(in_day % 1000), 3);
    out += 'Z';
}

std::string format_time(std::int64_t unix_ms) {
    std::string out;
    append_time(out, unix_ms);
    return out;
}

}  // namespace netmon::web
