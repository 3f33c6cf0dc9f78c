#include "system_metrics.h"

#include <charconv>

#include "netmon/config.h"

namespace netmon::web {
namespace {

// Rates over less than this would jump about with scheduling noise.
constexpr std::int64_t min_rate_period_ms = 1000;

std::string_view next_field(std::string_view& text) {
    std::size_t start = text.find_first_not_of(" \t\n");
    if (start == std::string_view::npos) {
        text = {};
        return {};
    }
    std::size_t end = text.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view field = text.substr(start, end - start);
    text.remove_prefix(end);
    return field;
}

std::optional<double> parse_double(std::string_view text) {
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

double per_second(std::uint64_t now, std::uint64_t before, std::int64_t period_ms) {
    return static_cast<double>(now - before) * 1000.0 / static_cast<double>(period_ms);
}

}  // namespace

std::optional<LoadAverage> parse_loadavg(std::string_view text) {
    auto one = parse_double(next_field(text));
    auto five = parse_double(next_field(text));
    auto fifteen = parse_double(next_field(text));
    if (!one || !five || !fifteen) return std::nullopt;
    return LoadAverage{*one, *five, *fifteen};
}

std::optional<MemoryUsage> parse_meminfo(std::string_view text) {
    std::optional<std::uint64_t> total, available, free, buffers, cached;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = line.substr(0, colon);
        std::string_view rest = line.substr(colon + 1);
        auto value = parse_unsigned(next_field(rest));
        std::string_view unit = next_field(rest);
        if (!value || (unit != "kB" && !unit.empty())) continue;
        std::uint64_t bytes = unit == "kB" ? *value * 1024 : *value;
        if (name == "MemTotal") total = bytes;
        else if (name == "MemAvailable") available = bytes;
        else if (name == "MemFree") free = bytes;
        else if (name == "Buffers") buffers = bytes;
        else if (name == "Cached") cached = bytes;
    }
    if (!total) return std::nullopt;
    if (!available) {
        if (!free) return std::nullopt;
        available = *free + buffers.value_or(0) + cached.value_or(0);
    }
    if (*available > *total) available = total;
    return MemoryUsage{*total, *available, *total - *available};
}

SystemMetrics::SystemMetrics(std::vector<std::string> interfaces, std::string root)
    : interfaces_(std::move(interfaces)), root_(std::move(root)) {
    if (root_.empty() || root_.back() != '/') root_ += '/';
}

SystemSample SystemMetrics::sample(std::int64_t now_ms) {
    SystemSample sample;
    sample.sampled_at = now_ms;
    std::string error;
    if (auto text = read_small_file(root_ + "proc/loadavg", error)) {
        sample.load = parse_loadavg(*text);
        if (!sample.load) sample.load_error = root_ + "proc/loadavg: unexpected content";
    } else {
        sample.load_error = error;
    }
    if (auto text = read_small_file(root_ + "proc/meminfo", error)) {
        sample.memory = parse_meminfo(*text);
        if (!sample.memory) sample.memory_error = root_ + "proc/meminfo: no MemTotal";
    } else {
        sample.memory_error = error;
    }
    for (const std::string& name : interfaces_) {
        InterfaceSample& out = sample.interfaces.emplace_back();
        out.name = name;
        // The name is part of a path: config and NETMON_INTERFACES are checked with this too.
        if (!valid_interface_name(name)) {
            out.error = "not an interface name";
            continue;
        }
        std::optional<InterfaceCounters> read = read_interface_counters(root_, name, error);
        if (!read) {
            out.error = error;
            continue;
        }
        const InterfaceCounters counters = *read;
        out.counters = counters;

        std::lock_guard lock(mutex_);
        auto [it, inserted] = baselines_.try_emplace(name, Baseline{now_ms, counters, std::nullopt});
        Baseline& base = it->second;
        if (inserted) continue;
        const std::int64_t period = now_ms - base.at;
        const bool went_back = counters.rx_bytes < base.counters.rx_bytes ||
                               counters.tx_bytes < base.counters.tx_bytes ||
                               counters.rx_packets < base.counters.rx_packets ||
                               counters.tx_packets < base.counters.tx_packets;
        if (went_back || period < 0) {
            // The interface was recreated, or the clock stepped back: start again.
            base = Baseline{now_ms, counters, std::nullopt};
        } else if (period >= min_rate_period_ms) {
            base.rates = InterfaceRates{per_second(counters.rx_bytes, base.counters.rx_bytes, period),
                                        per_second(counters.tx_bytes, base.counters.tx_bytes, period),
                                        per_second(counters.rx_packets, base.counters.rx_packets, period),
                                        per_second(counters.tx_packets, base.counters.tx_packets, period)};
            base.at = now_ms;
            base.counters = counters;
        }
        out.rates = base.rates;
    }
    return sample;
}

}  // namespace netmon::web
