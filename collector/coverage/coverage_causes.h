#pragma once
// Why netmon may see less than the router forwards, decided from what each full cycle observed:
// accounting off, flows without counters, offloaded flows whose counters froze, a flowtable
// without `counter`, notrack rules, another reader that zeroes the counters, events off or not
// arriving, event overruns. Each cause has its one-line fix. Pure: observations and times are
// passed in; netmon-ingest writes the list into meta (coverage_causes) when it changes, and
// netmon-web shows it on the dashboard and in /healthz's body.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "netmon/entry.h"
#include "netmon/key.h"

namespace netmon {

// What the ruleset holds that hides traffic from conntrack's counters (ruleset_scan.h).
struct RulesetFindings {
    std::vector<std::string> flowtables_without_counter;  // "inet filter f"
    std::vector<std::string> notrack_chains;              // "inet raw prerouting": chains with a notrack rule
    friend bool operator==(const RulesetFindings&, const RulesetFindings&) = default;
};

// One full cycle, as the ingest saw it.
struct CycleObservation {
    std::int64_t now_ms = 0;
    std::optional<bool> accounting;   // net.netfilter.nf_conntrack_acct; none: unknown
    std::optional<bool> events_on;    // net.netfilter.nf_conntrack_events; none: unknown
    bool listens_to_events = false;   // the ingest reads the event groups
    std::uint64_t flows = 0;          // outbound flows the read listed
    std::uint64_t without_counters = 0;  // of them, those the kernel gave no counters
    std::uint64_t resets = 0;         // of them, those whose counters went down since the last read
    std::uint64_t found_by_read = 0;  // flows the read found first (an event should have told of them)
    std::uint64_t events = 0;         // event messages since the last cycle
    std::uint64_t overruns_total = 0; // event overruns so far
    std::uint64_t offload_frozen = 0; // OffloadWatch::frozen()
    std::optional<RulesetFindings> ruleset;  // none: not read (yet, or it failed)
};

struct Cause {
    std::string id;    // stable, for machines: "accounting_off", "zero_on_read", ...
    std::string text;  // what is wrong, with its count
    std::string fix;   // the one line that fixes it
    friend bool operator==(const Cause&, const Cause&) = default;
};

class CoverageCauses {
public:
    // How long a burst of resets, a cycle that found flows no event told of, or an overrun
    // keeps its cause up after it.
    static constexpr std::int64_t window_ms = 60'000;
    // Resets in one read that are another reader's zeroing rather than a reused tuple: at least
    // this many flows, and at least a tenth of those read.
    static constexpr std::uint64_t min_reset_burst = 3;
    // Flows found by reads within the window, with no event at all, that mean events do not arrive.
    static constexpr std::uint64_t min_found_without_events = 5;

    // Folds in one cycle; returns whether the causes changed.
    bool observe(const CycleObservation& observation);
    const std::vector<Cause>& causes() const { return causes_; }

private:
    std::vector<Cause> causes_;
    struct Burst {
        std::int64_t at = 0;
        std::uint64_t count = 0;
    };
    std::deque<Burst> reset_bursts_;  // within the window
    std::deque<Burst> found_;         // flows found by reads, per cycle, within the window
    std::deque<Burst> events_;        // events per cycle, within the window
    std::deque<Burst> overruns_;      // overruns per cycle, within the window
    std::optional<std::uint64_t> last_overruns_;
    std::optional<RulesetFindings> ruleset_;
};

// The causes as meta keeps them: a JSON array of {"id", "text", "fix"}.
std::string causes_json(const std::vector<Cause>& causes);

// Offloaded flows (OFFLOAD or HW_OFFLOAD) whose counters stopped while they stay offloaded. A
// flowtable evicts a flow that carries nothing for 30 s, so a flow still flagged after
// frozen_after_ms with counters that never moved is carrying traffic its counters miss.
class OffloadWatch {
public:
    static constexpr std::int64_t frozen_after_ms = 60'000;

    // A full read begins at now: entries not seen again by end() are gone.
    void begin(std::int64_t now_ms);
    void see(const Entry& entry);  // an outbound entry of the read
    void end();
    // Flows offloaded for at least frozen_after_ms whose counters did not move in that time.
    std::uint64_t frozen() const { return frozen_; }

private:
    struct Watched {
        std::uint64_t bytes = 0;      // both ways, as last read
        std::int64_t moved_at = 0;    // when they last changed, or the flow was first seen offloaded
        std::int64_t seen_in = 0;     // the read that last listed it
    };
    std::unordered_map<Key, Watched, KeyHash> flows_;
    std::int64_t now_ = 0;
    std::uint64_t frozen_ = 0;
};

}  // namespace netmon
