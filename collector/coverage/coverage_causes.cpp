#include "coverage_causes.h"

#include <algorithm>

#include "netmon/json_writer.h"

namespace netmon {
namespace {

std::string count_of(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out;
}

}  // namespace

bool CoverageCauses::observe(const CycleObservation& o) {
    // The windows: what happened in the last window_ms (a clock stepped back clears them).
    auto slide = [&](std::deque<Burst>& list, std::uint64_t count) {
        while (!list.empty() && (list.front().at <= o.now_ms - window_ms || list.front().at > o.now_ms))
            list.pop_front();
        if (count > 0) list.push_back({o.now_ms, count});
        std::uint64_t sum = 0;
        for (const Burst& b : list) sum += b.count;
        return sum;
    };
    const bool burst = o.resets >= min_reset_burst && o.resets * 10 >= o.flows;
    const std::uint64_t resets = slide(reset_bursts_, burst ? o.resets : 0);
    const std::uint64_t found = slide(found_, o.found_by_read);
    const std::uint64_t events = slide(events_, o.events);
    const std::uint64_t new_overruns =
        last_overruns_ && o.overruns_total >= *last_overruns_ ? o.overruns_total - *last_overruns_ : 0;
    last_overruns_ = o.overruns_total;
    const std::uint64_t overruns = slide(overruns_, new_overruns);
    if (o.ruleset) ruleset_ = o.ruleset;

    std::vector<Cause> now;
    if (o.accounting && !*o.accounting) {
        now.push_back({"accounting_off",
                       "Connection accounting is off (net.netfilter.nf_conntrack_acct = 0): the kernel counts no bytes, "
                       "so every flow shows 0.",
                       "sysctl -w net.netfilter.nf_conntrack_acct=1, and a line net.netfilter.nf_conntrack_acct=1 in "
                       "/etc/sysctl.d/netmon.conf to keep it"});
    } else if (o.without_counters > 0) {
        now.push_back({"flows_without_counters",
                       count_of(o.without_counters, "flow", "flows") +
                           " began before accounting was turned on and have no counters: their bytes are not counted.",
                       "nothing to do: they end in time, and every flow opened since is counted"});
    }
    if (o.offload_frozen > 0) {
        now.push_back({"offload_frozen",
                       count_of(o.offload_frozen, "offloaded flow", "offloaded flows") +
                           " (OFFLOAD, HW_OFFLOAD) have counters that stopped moving while they stay offloaded: "
                           "the flowtable forwards their packets without conntrack counting them.",
                       "add the counter keyword to the flowtable (flowtable f { hook ingress priority 0; devices = "
                       "{ ... }; counter; }), or turn hardware offload off"});
    }
    if (ruleset_ && !ruleset_->flowtables_without_counter.empty()) {
        now.push_back({"flowtable_without_counter",
                       "The flowtable " + joined(ruleset_->flowtables_without_counter) +
                           " has no counter: the flows it offloads stop counting.",
                       "add counter; to its definition in the ruleset (nft list flowtables shows it)"});
    }
    if (ruleset_ && !ruleset_->notrack_chains.empty()) {
        now.push_back({"notrack",
                       "The ruleset has notrack rules (in " + joined(ruleset_->notrack_chains) +
                           "): conntrack never sees the packets they match.",
                       "remove the notrack rules for forwarded traffic (nft -a list ruleset shows their handles)"});
    }
    if (resets > 0) {
        now.push_back({"zero_on_read",
                       "Another program reads the conntrack counters and zeroes them (conntrack -L -z, nlbwmon): " +
                           count_of(resets, "flow's counters were", "flows' counters were") +
                           " reset at once in the last minute. netmon repairs its own totals, but that program sees "
                           "only a slice.",
                       "stop the other program's zeroing, or let one program read the counters"});
    }
    if (o.events_on && !*o.events_on) {
        now.push_back({"events_off",
                       "Conntrack events are off (net.netfilter.nf_conntrack_events = 0): flows that start and end "
                       "between two reads are missed, and the last bytes of every flow with them.",
                       "sysctl -w net.netfilter.nf_conntrack_events=1, and keep it in /etc/sysctl.d/netmon.conf"});
    } else if (o.listens_to_events && events == 0 && found >= min_found_without_events) {
        now.push_back({"events_missing",
                       "No conntrack events arrive while the table changes (" +
                           count_of(found, "flow was", "flows were") +
                           " found by full reads in the last minute): short flows are missed.",
                       "check net.netfilter.nf_conntrack_events and that nothing else holds the events"});
    }
    if (overruns > 0) {
        now.push_back({"event_overruns",
                       count_of(overruns, "event overrun", "event overruns") +
                           " in the last minute: the kernel dropped events netmon could not read in time (each was "
                           "followed by a full read, but flows that ended meanwhile lost their last bytes).",
                       "raise netlink.event_buffer in netmon.yml"});
    }
    if (now == causes_) return false;
    causes_ = std::move(now);
    return true;
}

std::string causes_json(const std::vector<Cause>& causes) {
    std::string out = "[";
    for (const Cause& cause : causes) {
        if (out.size() > 1) out += ',';
        out += "{\"id\":";
        append_json_string(out, cause.id);
        out += ",\"text\":";
        append_json_string(out, cause.text);
        out += ",\"fix\":";
        append_json_string(out, cause.fix);
        out += '}';
    }
    return out + "]";
}

void OffloadWatch::begin(std::int64_t now_ms) { now_ = now_ms; }

void OffloadWatch::see(const Entry& entry) {
    if (!(entry.flags & (flag::offload | flag::hw_offload))) return;
    const std::uint64_t bytes = entry.total_bytes();
    auto [it, inserted] = flows_.try_emplace(Key::from_entry(entry), Watched{bytes, now_, now_});
    Watched& w = it->second;
    if (!inserted && w.bytes != bytes) {
        w.bytes = bytes;
        w.moved_at = now_;
    }
    w.seen_in = now_;
}

void OffloadWatch::end() {
    frozen_ = 0;
    for (auto it = flows_.begin(); it != flows_.end();) {
        // Gone from the read, or no longer offloaded: forgotten (back to conntrack, it counts).
        if (it->second.seen_in != now_) {
            it = flows_.erase(it);
            continue;
        }
        if (now_ - it->second.moved_at >= frozen_after_ms) ++frozen_;
        ++it;
    }
}

}  // namespace netmon
