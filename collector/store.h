#pragma once
// The ingest's side of the database: the only writer. Opens (creating if needed) and migrates
// the file, sets WAL, keeps one prepared statement per write, reused every cycle, and has the
// WAL checkpointed on a thread of its own (see Checkpointer).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checkpointer.h"
#include "names/device_directory.h"
#include "flow_changes.h"
#include "netmon/counters.h"
#include "netmon/database.h"
#include "netmon/key.h"
#include "netmon/meta_keys.h"
#include "names/remote_name_cache.h"
#include "retention.h"
#include "traffic_ledger.h"

namespace netmon {

// Whether the path a store opened still names the file it has open.
enum class FileChange {
    same,      // or it cannot be told (stat failed for another reason than a missing file)
    missing,   // deleted (or its directory is gone)
    replaced,  // another file under the name (a restore, a mv)
};

// The file a path named when it was looked at: device and inode.
struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// What became of the file opened as opened, now that path names now (nothing when missing). Pure.
FileChange compare_file(const FileIdentity& opened, const std::optional<FileIdentity>& now);

class Store {
public:
    // Opens path for writing. A write that finds the database locked by another connection
    // waits up to busy_timeout_ms before it fails. Throws DatabaseError or SchemaError with the
    // file's name; when it may not be created or written, with the file or directory at fault
    // (explain_database_access).
    explicit Store(const std::string& path, int busy_timeout_ms = 2000);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::string& path() const { return path_; }
    // Whether path still names the database open here (a closed store: missing). One stat.
    FileChange file_change() const;
    // Closes the database and opens path again, creating and migrating it: for a file deleted
    // or replaced under a running ingest. The old file's -wal and -shm are removed first
    // (they would otherwise be read as the new file's), unless they were replaced too. Throws
    // DatabaseError or SchemaError, and is then closed: every use throws DatabaseError until a
    // reopen succeeds.
    void reopen();

    // The database, for reading (tests, benchmarks); writes go through write. Throws
    // DatabaseError when closed (a failed reopen).
    Database& database();
    // Calls f(const StoredConnection&) for every connections row, one at a time (a table of
    // 262,144 rows never sits in memory twice). Returns how many rows there are, for sizing,
    // before the first call.
    std::size_t count_connections();
    void for_each_connection(const std::function<void(const StoredConnection&)>& f);

    // Runs f, whose writes (the calls below) land together or not at all: when f or the commit
    // throws, none of them is kept and the exception propagates. After the commit the WAL is
    // copied back into the database on another thread. Not nested.
    void write(const std::function<void()>& f);
    // How large the WAL may grow before a write waits for all of it to be copied back, so that
    // it starts over (Checkpointer::limit_wal: writes back to back leave the checkpointer no gap).
    static constexpr std::uint64_t default_wal_limit = 128ull << 20;
    void set_wal_limit(std::uint64_t bytes);

    // Writes a batch of changes (in a write): counter offsets, then updates in row order,
    // samples, deletes, inserts near the order of the connections key index, and remote hosts
    // in the order of theirs, so that each visits its pages once and in turn. Returns the new
    // rows' ids, one for each of changes.inserted, in its order. Throws DatabaseError, a
    // constraint error when a new row's connection is already there.
    std::vector<std::int64_t> apply(const FlowChanges& changes);
    // Whether apply writes each ended flow to flow_log (retention.flow_log_*; on by default).
    void keep_flow_log(bool keep) { keep_flow_log_ = keep; }

    // History (in a write): adds a row's sums to traffic (a device's or the LAN's) or
    // host_traffic (a pair's), or to devices or device_hosts.
    void add_traffic(const TrafficRow& row);
    void add_contact(const ContactRow& row);
    // Says in meta (history_flushed_at) that the history was written at now.
    void history_flushed(std::int64_t now);
    // Each device's rows in connections now (devices.active_connections).
    void set_active_connections(const std::vector<std::pair<IpAddress, std::int64_t>>& counts, std::int64_t now);
    // Rows the flow log has (counted once when the store opens, then kept).
    std::uint64_t flow_log_rows() const { return flow_log_rows_; }
    // The rows of the history's capped tables: the flow log's as kept, the others from the
    // counts their triggers keep (a few rows read).
    HistoryRowCounts history_row_counts();
    // Deletes what pruning says, at most pruning.batch rows of each table (in a write).
    // Returns how many rows went, all tables together.
    std::uint64_t prune_history(const HistoryPruning& pruning);

    // Names (schema/006_names.sql), in a write: each LAN address's MAC (first_seen_at kept
    // when the row is there) and each device's name as DeviceDirectory decided them, and the
    // lease lines skipped in meta. Pruned with the history (prune_history).
    void write_devices(const DeviceChanges& changes);
    // DNS names (schema/006_names.sql), in a write: each row's pair into remote_names (the latest
    // answer per device and host) and its host into host_names (the latest name of the host from
    // any device). A row older than the one stored (answered before it) changes neither.
    void write_remote_names(std::span<const RemoteNameRow> rows);

    void prune_samples(std::int64_t before);
    // remote_hosts rows (reads an index: a few ms at 300,000).
    std::uint64_t count_hosts();
    // Deletes up to pruning.batch remote hosts, the longest without contact first: first the
    // pruning.over_limit oldest, then those last seen before pruning.forget_before_ms. Never
    // one with an active connection. Returns how many went.
    std::uint64_t prune_hosts(const HostPruning& pruning);

    // Brings connection_search (the trigram index of ?q=, schema/003_connection_search.sql)
    // up to date with the rows deleted and re-keyed since, and with up to limit of the rows
    // added, the oldest first; the rest wait for the next call, and readers read those from
    // the table meanwhile. Returns how many rows it indexed.
    std::uint64_t index_search(std::uint64_t limit);
    // All the rest of them, in a write of its own: for an ingest that runs one cycle and no
    // more (`once`).
    void complete_search_index();

    // In a write.
    void set_meta(std::string_view key, std::int64_t value);
    void set_meta(std::string_view key, std::string_view value);
    // Adds to an integer meta value (0 when absent).
    void add_meta(std::string_view key, std::int64_t amount);
    void delete_meta(std::string_view key);
    // Whether meta has key (outside a write too).
    bool has_meta(std::string_view key);

private:
    struct Open;  // the connection, its statements and its checkpointer
    Open& open();
    // A new Open at path_; an access failure says which file or directory, and what to do.
    std::unique_ptr<Open> open_file() const;
    void remember_files();
    void count_flow_log();
    // The writes apply is made of, in the order it makes them.
    void set_offset(std::int64_t connection_id, const Counters& offset);
    void update_connection(std::int64_t id, std::string_view state, std::uint8_t flags, const Counters& totals,
                           std::int64_t now);
    void update_state(std::int64_t id, std::string_view state, std::uint8_t flags, std::int64_t now);
    void sample(std::int64_t id, std::int64_t now, bool moved);
    void delete_connection(std::int64_t id, bool has_offset);
    std::int64_t insert_connection(const FlowChanges::Inserted& row, std::int64_t now);
    void record_host(std::string_view ip, Family family, const HostActivity& activity, std::int64_t now);
    void log_ended(const FlowChanges::Ended& ended, std::int64_t now, std::int64_t last_read_at);

    std::string path_;
    int busy_timeout_ms_;
    std::unique_ptr<Open> open_;  // null after a failed reopen
    bool keep_flow_log_ = true;
    std::uint64_t flow_log_rows_ = 0;
    std::uint64_t wal_limit_ = default_wal_limit;
    // The files opened, as path, path-wal and path-shm named them then.
    FileIdentity file_;
    std::optional<FileIdentity> wal_;
    std::optional<FileIdentity> shm_;
};

}  // namespace netmon
