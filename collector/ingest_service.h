#pragma once
// netmon-ingest's parts put together: the store, the table source, the event stream, the
// reconciler, and what they record in meta and in the log. `once` runs one cycle; `run` runs
// cycles from IngestLoop and feeds it the events in between.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "log_throttle.h"
#include "netmon/config.h"
#include "netmon/entry.h"
#include "reconciler.h"
#include "snapshot_source.h"
#include "store.h"

namespace netmon {

class CoverageMonitor;
class DeviceTracker;
class DnsNames;
class Logger;
class NetlinkEventSource;
struct IngestCommand;

class IngestService {
public:
    // Opens the database (creating and migrating it) and the source the configuration asks
    // for; with events, also the event socket (when the source is the kernel over netlink).
    // Throws DatabaseError, SchemaError, or SourceError (NetlinkPermissionError without
    // CAP_NET_ADMIN) with the file or source named.
    IngestService(Config config, Logger& log, bool with_events);
    ~IngestService();

    // One cycle at the current time. When the database file was deleted or replaced since the
    // last cycle, it is first opened again (created, migrated) and the cycle writes every flow
    // into it. On failure the error is recorded in meta (when the database can be written) and
    // rethrown; the last good state stays. Returns nothing when the stop check (stop_when)
    // ended the read part way: nothing was written, nothing failed.
    std::optional<CycleResult> cycle();
    // One cycle and nothing after it (`once`): also indexes for ?q= the rows a cycle leaves to
    // the next ones.
    std::optional<CycleResult> only_cycle();
    // The ingest stops: writes what it holds in memory (the history's latest sums). Logs a
    // failure rather than throwing: they are lost then, and the log says how much.
    void finish();
    // Asked during every read of the table: when it says true, the cycle under way stops.
    void stop_when(StopRequested requested);
    // A reload (SIGHUP): reads the configuration again as main read it at start (the file the
    // command names or NETMON_CONFIG, then environment, then the command line) and applies what
    // plan_reload keeps of it: the outbound filter, the retention and the interval change at once;
    // a new database path or source needs a restart and is only warned about. Returns the
    // interval from now on. Throws ConfigError, and then changes nothing.
    std::chrono::milliseconds reload(const IngestCommand& command, const Environment& environment);

    // The event socket's descriptor for poll(), or -1 without events.
    int event_fd() const;
    // Reads the events waiting and applies them. Returns true when the kernel dropped events
    // (the socket's buffer overflowed): the caller must run a full cycle at once to resync.
    bool handle_events();

    std::chrono::milliseconds interval() const;

    // The lease files' watch (DeviceTracker), for poll(), and what to do when it is readable.
    int lease_fd() const;
    void handle_lease_events();
    // DNS names (dns_names.h): the NFLOG socket's descriptor for poll(), or -1 when names are
    // off (names.dns.ruleset off, a replay, no CAP_NET_ADMIN or no nftables: warned at start).
    int dns_fd() const;
    // Reads the DNS answers waiting into memory; they are written with the next cycle or event
    // batch. Logs a failure of the socket rather than throwing.
    void handle_dns();

private:
    void record_failure(const std::string& error, std::int64_t now);
    void check_accounting();
    void write_start_meta();
    // When the database file was deleted or replaced under us: logs it, opens the path again
    // (creating it) and has the next read insert every flow. Throws when it cannot be opened.
    void follow_database_file();
    // Counts in meta the event messages that did not parse since the last call, and logs them
    // once a minute with what was wrong with the last one.
    void note_skipped_events();

    Config config_;
    Logger& log_;
    std::int64_t started_at_;
    std::unique_ptr<SnapshotSource> source_;  // before the store: a bad source creates no database
    Store store_;
    std::unique_ptr<NetlinkEventSource> events_;
    Reconciler reconciler_;
    std::unique_ptr<DeviceTracker> devices_;  // the LAN's MACs and names
    std::unique_ptr<CoverageMonitor> coverage_;  // the WAN's counters and the causes; live only
    std::vector<Entry> event_batch_;
    std::optional<bool> accounting_;  // nf_conntrack_acct as last seen; none for replays
    std::uint64_t last_skipped_ = 0;
    bool first_cycle_ = true;
    bool reopen_failed_ = false;  // the last reopen threw: its warning was logged
    LogThrottle overrun_log_;
    LogThrottle skipped_events_log_;
    std::uint64_t skipped_events_ = 0;  // events_->skipped() already counted in meta
    // DNS names: started after the store (its counters go there), stopped before it.
    void start_dns_names(bool with_events);
    std::unique_ptr<DnsNames> dns_names_;
};

// The message for a missing CAP_NET_ADMIN, as README.md gives it.
extern const char* const needs_net_admin_message;

}  // namespace netmon
