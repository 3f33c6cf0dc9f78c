#include "coverage.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace netmon::web {
namespace {

// The LAN's rows (device X'', all hosts) and the WAN's, of the minutes from ?1 on: at most 60
// rows of each primary key.
constexpr std::string_view lan_sql =
    "SELECT coalesce(sum(uplink_bytes), 0), coalesce(sum(downlink_bytes), 0) FROM traffic"
    " WHERE device = X'' AND step = 60 AND bucket >= ?1";
constexpr std::string_view wan_sql =
    "SELECT coalesce(sum(uplink_bytes), 0), coalesce(sum(downlink_bytes), 0), count(*) FROM wan_traffic"
    " WHERE step = 60 AND bucket >= ?1";

std::uint64_t column_count(const Statement& s, int index) {
    const std::int64_t value = s.column_int(index);
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

}  // namespace

std::optional<double> CoverageDirection::ratio() const {
    if (wan_bytes == 0) return std::nullopt;
    return static_cast<double>(seen_bytes) / static_cast<double>(wan_bytes);
}

CoverageDirection Coverage::total() const {
    return {uplink.seen_bytes + downlink.seen_bytes, uplink.wan_bytes + downlink.wan_bytes};
}

std::vector<CoverageCause> parse_causes(std::string_view text) {
    std::vector<CoverageCause> causes;
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_array()) return causes;
    for (const nlohmann::json& item : json) {
        if (!item.is_object()) continue;
        auto text_of = [&](const char* key) {
            auto it = item.find(key);
            return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        CoverageCause cause{text_of("id"), text_of("text"), text_of("fix")};
        if (!cause.id.empty() && !cause.text.empty()) causes.push_back(std::move(cause));
    }
    return causes;
}

std::string percent_text(double ratio) {
    const double percent = ratio * 100;
    if (percent >= 99.95 && percent < 100.05) return "100%";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f%%", std::round(percent * 10) / 10);
    return text;
}

CoverageQueries::CoverageQueries(const Database& db) : lan_(db.prepare(lan_sql)), wan_(db.prepare(wan_sql)) {}

Coverage CoverageQueries::last_hour(std::int64_t now_ms) {
    const std::int64_t minute = now_ms - ((now_ms % 60'000) + 60'000) % 60'000;
    const std::int64_t from = minute - Coverage::window_ms + 60'000;
    Coverage coverage;
    lan_.reset();
    lan_.bind(1, from);
    if (lan_.step()) {
        coverage.uplink.seen_bytes = column_count(lan_, 0);
        coverage.downlink.seen_bytes = column_count(lan_, 1);
    }
    lan_.reset();
    wan_.reset();
    wan_.bind(1, from);
    if (wan_.step()) {
        coverage.uplink.wan_bytes = column_count(wan_, 0);
        coverage.downlink.wan_bytes = column_count(wan_, 1);
        coverage.measured = wan_.column_int(2) > 0;
    }
    wan_.reset();
    return coverage;
}

}  // namespace netmon::web
