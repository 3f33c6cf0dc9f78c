#pragma once
// How much of the WAN's traffic netmon accounts for (schema/007_coverage.sql): the LAN's bytes
// (traffic rows of device X'') over the WAN interface's IP bytes (wan_traffic) in the last hour,
// each way, and the causes the ingest found for what it misses (meta coverage_causes).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/database.h"

namespace netmon::web {

struct CoverageDirection {
    std::uint64_t seen_bytes = 0;  // the outbound flows' bytes
    std::uint64_t wan_bytes = 0;   // the WAN interface's, as IP packets
    // seen / wan; none without WAN bytes.
    std::optional<double> ratio() const;
};

struct Coverage {
    static constexpr std::int64_t window_ms = 3'600'000;  // "this hour": the last 60 minutes
    CoverageDirection uplink;
    CoverageDirection downlink;
    bool measured = false;  // the window has rows of the WAN's counters
    // Both ways together.
    CoverageDirection total() const;
};

// A cause the ingest named, from meta's JSON (collector/coverage/coverage_causes.h).
struct CoverageCause {
    std::string id;
    std::string text;
    std::string fix;
};
// Nothing for text that is not such an array (an older ingest, a value being written).
std::vector<CoverageCause> parse_causes(std::string_view json);

// "98.7%", at most one decimal, "100%" above 99.95%; ratios above 1 shown as they are.
std::string percent_text(double ratio);

class CoverageQueries {
public:
    explicit CoverageQueries(const Database& db);
    // The last hour at now: the minutes from the one 59 minutes before now's to now's.
    Coverage last_hour(std::int64_t now_ms);

private:
    Statement lan_;
    Statement wan_;
};

}  // namespace netmon::web
