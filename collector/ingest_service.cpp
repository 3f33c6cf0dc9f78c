#include "ingest_service.h"

#include <unistd.h>

#include <cmath>

#include "netmon/database.h"
#include "netmon/log.h"
#include "snapshot_source.h"

namespace netmon {

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

IngestService::IngestService(Config config, std::unique_ptr<SnapshotSource> source, Logger& log)
    : config_(std::move(config)),
      log_(log),
      store_(config_.database),
      source_(std::move(source)),
      reconciler_(store_, OutboundFilter(config_.local_subnets)) {
    Transaction transaction(store_.database());
    store_.set_meta(meta::ingest_version, NETMON_VERSION);
    store_.set_meta(meta::ingest_pid, static_cast<std::int64_t>(::getpid()));
    store_.set_meta(meta::started_at, unix_ms_now());
    store_.set_meta(meta::source, source_->describe());
    store_.set_meta(meta::interval_ms, static_cast<std::int64_t>(interval().count()));
    transaction.commit();
}

IngestService::~IngestService() = default;

std::chrono::milliseconds IngestService::interval() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(config_.interval * 1000)));
}

CycleResult IngestService::cycle() {
    const std::int64_t now = unix_ms_now();
    CycleResult result;
    try {
        result = reconciler_.run_cycle(*source_, now);
    } catch (const std::exception& e) {
        record_failure(e.what(), now);
        throw;
    }
    std::string summary = source_->describe() + ": " + std::to_string(result.flows) + " outbound flows (" +
                          std::to_string(result.inserted) + " new, " + std::to_string(result.updated) +
                          " changed, " + std::to_string(result.deleted) + " gone), " +
                          std::to_string(result.entries_seen) + " entries, " +
                          std::to_string(result.stats.skipped) + " lines skipped";
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
    last_skipped_ = result.stats.skipped;
    first_cycle_ = false;
    return result;
}

void IngestService::record_failure(const std::string& error, std::int64_t now) {
    try {
        Transaction transaction(store_.database());
        store_.set_meta(meta::last_cycle_at, now);
        store_.set_meta(meta::last_cycle_ok, 0);
        store_.set_meta(meta::last_error, error);
        store_.set_meta(meta::last_error_at, now);
        store_.add_meta(meta::cycle_errors_total, 1);
        transaction.commit();
        store_.committed();
    } catch (const std::exception& e) {
        // The database itself is what fails (locked, full): the log is all that is left.
        log_.debug(std::string("could not record the failure in meta: ") + e.what());
    }
}

void IngestService::reload(Config fresh) {
    if (fresh.database != config_.database)
        log_.warning("database changed to " + fresh.database + ": restart netmon-ingest to use it");
    if (fresh.source != config_.source || fresh.input_file != config_.input_file)
        log_.warning("source changed: restart netmon-ingest to use it");
    fresh.database = config_.database;
    fresh.source = config_.source;
    fresh.input_file = config_.input_file;
    reconciler_.set_filter(OutboundFilter(fresh.local_subnets));
    config_ = std::move(fresh);
    store_.set_meta(meta::interval_ms, static_cast<std::int64_t>(interval().count()));
    log_.info("configuration reloaded from " + (config_.path.empty() ? std::string("built-in defaults") : config_.path));
}

}  // namespace netmon
