#include "coverage_monitor.h"

#include <algorithm>

#include "netmon/kernel_files.h"
#include "netmon/log.h"
#include "netmon/meta_keys.h"
#include "reconciler.h"
#include "ruleset_scan.h"
#include "store.h"

namespace netmon {
namespace {

// How often the ruleset is read again: a cause it holds shows, and goes, within half a minute.
constexpr std::int64_t ruleset_period_ms = 30'000;
constexpr std::int64_t ruleset_retry_ms = 5'000;

// nf_conntrack_events: 0 off, 1 on, 2 (newer kernels) on while a program listens.
std::optional<bool> events_enabled(const char* path) {
    std::string error;
    std::optional<std::string> text = read_small_file(path, error);
    std::optional<std::uint64_t> value = text ? parse_counter(*text) : std::nullopt;
    if (!value) return std::nullopt;
    return *value != 0;
}

}  // namespace

void CoverageMonitor::before_cycle(Reconciler& reconciler, Store& store, std::int64_t now_ms) {
    offload_.begin(now_ms);
    without_counters_ = 0;
    flows_ = 0;
    std::string error;
    std::optional<InterfaceCounters> counters;
    std::optional<std::uint32_t> header;
    if (!wan_.empty()) {
        counters = read_interface_counters("/", wan_, error);
        if (counters) header = interface_header_bytes("/", wan_, error);
    } else {
        error = "interfaces.wan is not set";
    }
    if (counters && header) {
        if (std::optional<TrafficSums> added = meter_.read(*counters, *header)) reconciler.add_wan(*added);
        error.clear();
    } else {
        meter_.forget();
        if (wan_log_.note(1, LogThrottle::Clock::now()))
            log_.warning("cannot read the WAN's counters (" + error + "): netmon cannot say how much of its traffic "
                         "it sees; set interfaces.wan in netmon.yml");
    }
    if (!wan_meta_written_ || error != wan_error_) {
        store.write([&] {
            store.set_meta(meta::wan_interface, wan_);
            if (error.empty()) store.delete_meta(meta::wan_error);
            else store.set_meta(meta::wan_error, error);
        });
        wan_error_ = error;
        wan_meta_written_ = true;
    }
}

void CoverageMonitor::see(const Entry& entry) {
    ++flows_;
    if (!entry.has_counters) ++without_counters_;
    offload_.see(entry);
}

void CoverageMonitor::after_cycle(Store& store, const CycleResult& result, std::optional<bool> accounting,
                                  bool listens_to_events, std::int64_t now_ms) {
    offload_.end();
    CycleObservation o;
    o.now_ms = now_ms;
    o.accounting = accounting;
    o.events_on = events_enabled(events_path);
    o.listens_to_events = listens_to_events;
    o.flows = flows_;
    // Without accounting no flow has counters: that cause is accounting_off, not this one.
    o.without_counters = accounting.value_or(true) ? without_counters_ : 0;
    o.resets = result.resets;
    o.found_by_read = first_cycle_ ? 0 : result.inserted;
    o.events = std::exchange(events_, 0);
    o.overruns_total = overruns_;
    o.offload_frozen = offload_.frozen();
    if (!ruleset_read_at_ || now_ms - *ruleset_read_at_ >= ruleset_period_ms || now_ms < *ruleset_read_at_) {
        ruleset_read_at_ = now_ms;
        try {
            o.ruleset = read_ruleset_findings();
        } catch (const std::exception& e) {
            // A dump the ruleset's own change interrupted (EINTR) is worth another try soon.
            ruleset_read_at_ = now_ms - ruleset_period_ms + ruleset_retry_ms;
            if (ruleset_log_.note(1, LogThrottle::Clock::now()))
                log_.warning(std::string("cannot read the nftables ruleset (") + e.what() +
                             "): flowtables without counter and notrack rules are not looked for");
        }
    }
    first_cycle_ = false;
    const std::vector<Cause> before = causes_.causes();
    const bool changed = causes_.observe(o);
    if (!changed && causes_written_) return;
    // The journal says when a cause comes and goes, not each time its count moves.
    auto has = [](const std::vector<Cause>& list, const std::string& id) {
        return std::any_of(list.begin(), list.end(), [&](const Cause& c) { return c.id == id; });
    };
    for (const Cause& cause : causes_.causes())
        if (!has(before, cause.id)) log_.warning(cause.text + " Fix: " + cause.fix);
    for (const Cause& cause : before)
        if (!has(causes_.causes(), cause.id)) log_.info("no longer: " + cause.text);
    store.write([&] { store.set_meta(meta::coverage_causes, causes_json(causes_.causes())); });
    causes_written_ = true;
}

void CoverageMonitor::reload(const Config& config) {
    if (config.wan_interface != wan_) {
        wan_ = config.wan_interface;
        meter_.forget();
        wan_meta_written_ = false;
    }
}

void CoverageMonitor::forget() {
    meter_.forget();
    wan_meta_written_ = false;
    causes_written_ = false;
    first_cycle_ = true;
}

}  // namespace netmon
