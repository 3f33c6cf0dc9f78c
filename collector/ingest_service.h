#pragma once
// netmon-ingest's parts put together: the store, the source, the reconciler, and what a cycle
// records in meta and in the log. `once` runs one cycle, `run` runs them from IngestLoop.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "netmon/config.h"
#include "reconciler.h"
#include "store.h"

namespace netmon {

class Logger;
class SnapshotSource;

class IngestService {
public:
    // Opens the database (creating and migrating it) and the source. Throws DatabaseError,
    // SchemaError or SourceError with the file or source named.
    IngestService(Config config, std::unique_ptr<SnapshotSource> source, Logger& log);
    ~IngestService();

    // One cycle at the current time. On failure the error is recorded in meta (when the
    // database can be written) and rethrown; the last good state stays.
    CycleResult cycle();
    // A new configuration (SIGHUP): the outbound filter and the interval change at once; a new
    // database path or source needs a restart and is only warned about.
    void reload(Config fresh);

    std::chrono::milliseconds interval() const;
    Store& store() { return store_; }
    Reconciler& reconciler() { return reconciler_; }

private:
    void record_failure(const std::string& error, std::int64_t now);

    Config config_;
    Logger& log_;
    Store store_;
    std::unique_ptr<SnapshotSource> source_;
    Reconciler reconciler_;
    std::uint64_t last_skipped_ = 0;
    bool first_cycle_ = true;
};

// Milliseconds since the Unix epoch, UTC: the time of every row netmon writes.
std::int64_t unix_ms_now();

}  // namespace netmon
