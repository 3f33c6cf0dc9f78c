#include "ingest_service.h"

#include <unistd.h>

#include <chrono>
#include <cmath>

#include "cli.h"
#include "coverage/coverage_monitor.h"
#include "names/device_tracker.h"
#include "names/dns_names.h"
#include "netlink_source.h"
#include "netmon/clock.h"
#include "netmon/database.h"
#include "netmon/log.h"
#include "reload.h"
#include "snapshot_source.h"

namespace netmon {

const char* const needs_net_admin_message =
    "netmon-ingest needs CAP_NET_ADMIN to read conntrack (run as root or with "
    "AmbientCapabilities=CAP_NET_ADMIN)";

namespace {

constexpr auto repeated_warning_every = std::chrono::seconds(60);

}  // namespace

IngestService::IngestService(Config config, Logger& log, bool with_events)
    : config_(std::move(config)),
      log_(log),
      started_at_(unix_ms_now()),
      source_(make_source(config_)),
      store_(config_.database),
      reconciler_(store_, OutboundFilter(config_.local_subnets)),
      devices_(std::make_unique<DeviceTracker>(config_, source_->reads_kernel_table(), log)),
      coverage_(source_->reads_kernel_table() ? std::make_unique<CoverageMonitor>(config_, log) : nullptr),
      overrun_log_(repeated_warning_every),
      skipped_events_log_(repeated_warning_every) {
    reconciler_.set_retention(config_.retention);
    if (coverage_) reconciler_.observe_reads([this](const Entry& entry) { coverage_->see(entry); });
    if (with_events && source_->has_events()) {
        try {
            events_ = std::make_unique<NetlinkEventSource>(config_.event_buffer);
            if (!events_->receive_buffer_forced())
                log_.warning("the event buffer is " + std::to_string(events_->receive_buffer()) +
                             " bytes, capped by net.core.rmem_max (SO_RCVBUFFORCE needs CAP_NET_ADMIN)");
        } catch (const NetlinkPermissionError&) {
            throw;
        } catch (const SourceError& e) {
            log_.warning(std::string("no conntrack events (") + e.what() + "): new flows show at the next cycle");
        }
    }
    start_dns_names(with_events);
    write_start_meta();
}

void IngestService::start_dns_names(bool with_events) {
    // A replay has no live answers to match, `once` no time to see any.
    if (!with_events || !source_->reads_kernel_table() || config_.names.dns_ruleset == DnsRuleset::off) return;
    try {
        dns_names_ = std::make_unique<DnsNames>(config_.names, config_.local_subnets, log_);
    } catch (const std::exception& e) {
        log_.warning(std::string("no names from DNS answers (") + e.what() +
                     "): remote hosts are shown by address; the ingest goes on");
        return;
    }
    // A flow and the name its device resolved just before commit together.
    reconciler_.also_write([this] {
        if (dns_names_) dns_names_->write(store_);
    });
    log_.info(std::string("names from DNS answers: NFLOG group ") + std::to_string(config_.names.dns_nflog_group) +
              (dns_names_->manages_ruleset() ? ", logged by table inet netmon" : ", logged by the admin's ruleset"));
}

int IngestService::dns_fd() const { return dns_names_ ? dns_names_->fd() : -1; }

void IngestService::handle_dns() {
    if (!dns_names_) return;
    try {
        dns_names_->read(unix_ms_now());
    } catch (const std::exception& e) {
        log_.warning(std::string("DNS answers: ") + e.what());
    }
}

void IngestService::write_start_meta() {
    store_.write([&] {
        store_.set_meta(meta::ingest_version, NETMON_VERSION);
        store_.set_meta(meta::ingest_pid, static_cast<std::int64_t>(::getpid()));
        store_.set_meta(meta::started_at, started_at_);
        store_.set_meta(meta::source, source_->describe() + (events_ ? " with events" : ""));
        store_.set_meta(meta::interval_ms, static_cast<std::int64_t>(interval().count()));
        store_.set_meta(meta::accounting, "unknown");
    });
    accounting_.reset();  // written again by the next check
}

void IngestService::follow_database_file() {
    const FileChange change = store_.file_change();
    if (change == FileChange::same) return;
    if (!reopen_failed_) {
        log_.warning(store_.path() +
                     (change == FileChange::missing ? " was deleted" : " was replaced by another file") +
                     " while netmon-ingest had it open; " +
                     (change == FileChange::missing ? "creating it again" : "opening the new one") +
                     " and writing every current flow into it");
    }
    // A failed reopen leaves the store closed: this cycle fails with the reason, the next tries again.
    reopen_failed_ = true;
    store_.reopen();
    reconciler_.forget();
    devices_->forget();
    if (coverage_) coverage_->forget();
    write_start_meta();
    reopen_failed_ = false;
}

IngestService::~IngestService() = default;

std::chrono::milliseconds IngestService::interval() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(config_.interval * 1000)));
}

int IngestService::event_fd() const { return events_ ? events_->fd() : -1; }

int IngestService::lease_fd() const { return devices_->fd(); }

void IngestService::handle_lease_events() { devices_->handle_events(); }

void IngestService::check_accounting() {
    if (!source_->reads_kernel_table()) return;  // a replayed capture says nothing about this kernel
    std::optional<bool> now = conntrack_accounting_enabled();
    if (now == accounting_) return;
    accounting_ = now;
    if (now && !*now) {
        log_.warning("net.netfilter.nf_conntrack_acct is 0: the kernel counts no bytes, so every flow shows 0. "
                     "Turn it on with: sysctl -w net.netfilter.nf_conntrack_acct=1 (and in /etc/sysctl.d/ to keep it)");
    } else if (now) {
        log_.info("net.netfilter.nf_conntrack_acct is 1: byte counters are on");
    }
    store_.write([&] { store_.set_meta(meta::accounting, now ? (*now ? "on" : "off") : "unknown"); });
}

void IngestService::stop_when(StopRequested requested) { source_->stop_when(std::move(requested)); }

std::optional<CycleResult> IngestService::cycle() {
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t now = unix_ms_now();
    try {
        follow_database_file();
    } catch (const std::exception& e) {
        record_failure(e.what(), unix_ms_now());  // in the file only if it could be opened after all
        throw;
    }
    check_accounting();
    // An answer is logged before its device even has it, so before the device's connection: read
    // now, its name is written with the flow.
    handle_dns();
    CycleResult result;
    const DeviceChanges devices = devices_->collect(now);
    try {
        if (coverage_) coverage_->before_cycle(reconciler_, store_, now);
        result = reconciler_.run_cycle(*source_, now, [&] { store_.write_devices(devices); });
        devices_->written(devices);
    } catch (const Interrupted& e) {
        log_.info(std::string(e.what()) + "; nothing of this cycle was written");
        return std::nullopt;
    } catch (const DatabaseError& e) {
        if (!e.statement().empty()) log_.debug("the statement that failed: " + e.statement());
        record_failure(e.what(), unix_ms_now());  // when it ended, as a good cycle's time
        throw;
    } catch (const std::exception& e) {
        record_failure(e.what(), unix_ms_now());
        throw;
    }
    std::string summary = source_->describe() + ": " + std::to_string(result.flows) + " outbound flows (" +
                          std::to_string(result.inserted) + " new, " + std::to_string(result.updated) +
                          " changed, " + std::to_string(result.deleted) + " gone), " +
                          std::to_string(result.entries_seen) + " entries, " +
                          std::to_string(result.stats.skipped) + " lines skipped";
    // The whole cycle, names included (the DNS answers drained, the neighbours read and written):
    // last_cycle_ms in meta is the read and the write alone.
    summary += ", " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - started).count()) + " ms";
    if (result.stats.skipped > 0 && result.stats.skipped != last_skipped_) {
        log_.warning(summary + " (first: line " + std::to_string(result.stats.first_skipped_line) + ", " +
                     std::string(describe(result.stats.first_error)) + ")");
    } else if (first_cycle_) {
        log_.info(summary);
    } else {
        log_.debug(summary);
    }
    if (result.resets > 0)
        log_.info(std::to_string(result.resets) + " flows had their kernel counters reset; totals kept");
    if (coverage_) {
        try {
            coverage_->after_cycle(store_, result, accounting_, events_ != nullptr, unix_ms_now());
        } catch (const std::exception& e) {
            log_.warning(std::string("could not write the coverage's causes: ") + e.what());
        }
    }
    last_skipped_ = result.stats.skipped;
    first_cycle_ = false;
    return result;
}

std::optional<CycleResult> IngestService::only_cycle() {
    std::optional<CycleResult> result = cycle();
    if (result) store_.complete_search_index();
    finish();
    return result;
}

void IngestService::finish() {
    try {
        reconciler_.flush_history(unix_ms_now());
    } catch (const std::exception& e) {
        log_.warning(std::string("could not write the last ") + std::to_string(TrafficLedger::flush_period_ms / 1000) +
                     " s of history: " + e.what());
    }
}

bool IngestService::handle_events() {
    if (!events_) return false;
    event_batch_.clear();
    bool lost = false;
    events_->drain(event_batch_, lost);
    note_skipped_events();
    if (coverage_) coverage_->events(event_batch_.size());
    if (!event_batch_.empty()) {
        handle_dns();  // as in cycle(): the names before the flows they name
        EventResult result = reconciler_.apply_events(event_batch_, unix_ms_now());
        if (result.inserted + result.deleted > 0)
            log_.debug("events: " + std::to_string(result.inserted) + " new flows, " +
                       std::to_string(result.deleted) + " gone");
    }
    if (!lost) return false;
    if (coverage_) coverage_->overrun();
    // One line per burst of losses, however many reads report them.
    if (auto overruns = overrun_log_.note(1, std::chrono::steady_clock::now())) {
        log_.warning("the kernel dropped conntrack events (" + std::to_string(*overruns) + " overruns of a " +
                     std::to_string(events_->receive_buffer()) +
                     "-byte buffer); reading the whole table now. If this repeats, raise netlink.event_buffer");
    }
    store_.write([&] {
        store_.add_meta(meta::event_overruns_total, 1);
        store_.add_meta(meta::resyncs_total, 1);
    });
    return true;
}

void IngestService::note_skipped_events() {
    const std::uint64_t skipped = events_->skipped();
    if (skipped == skipped_events_) return;
    const std::uint64_t more = skipped - skipped_events_;
    skipped_events_ = skipped;
    store_.write([&] { store_.add_meta(meta::event_messages_skipped_total, static_cast<std::int64_t>(more)); });
    if (auto count = skipped_events_log_.note(more, std::chrono::steady_clock::now())) {
        log_.warning(std::to_string(*count) + " conntrack event messages could not be read and were skipped " +
                     "(the last: " + std::string(describe(events_->last_skip_error())) +
                     "); their flows are read with the table at the next cycle");
    }
}

void IngestService::record_failure(const std::string& error, std::int64_t now) {
    try {
        store_.write([&] {
            store_.set_meta(meta::last_cycle_at, now);
            store_.set_meta(meta::last_cycle_ok, 0);
            store_.set_meta(meta::last_error, error);
            store_.set_meta(meta::last_error_at, now);
            store_.add_meta(meta::cycle_errors_total, 1);
        });
    } catch (const std::exception& e) {
        // The database itself is what fails (locked, full): the log is all that is left.
        log_.debug(std::string("could not record the failure in meta: ") + e.what());
    }
}

std::chrono::milliseconds IngestService::reload(const IngestCommand& command, const Environment& environment) {
    Reload reload = plan_reload(config_, load_config(command.config_path, environment), command);
    for (const std::string& warning : reload.warnings) log_.warning(warning);
    Config fresh = std::move(reload.config);
    reconciler_.set_filter(OutboundFilter(fresh.local_subnets));
    reconciler_.set_retention(fresh.retention);
    devices_->reload(fresh);
    if (coverage_) coverage_->reload(fresh);
    if (dns_names_ && fresh.local_subnets != config_.local_subnets) {
        try {
            dns_names_->set_lan(fresh.local_subnets);
        } catch (const std::exception& e) {
            log_.warning(std::string("table inet netmon still logs towards the old local_subnets: ") + e.what());
        }
    }
    config_ = std::move(fresh);
    store_.write([&] { store_.set_meta(meta::interval_ms, static_cast<std::int64_t>(interval().count())); });
    log_.info("configuration reloaded from " + (config_.path.empty() ? std::string("built-in defaults") : config_.path));
    return interval();
}

}  // namespace netmon
