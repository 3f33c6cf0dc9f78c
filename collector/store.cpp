#include "store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "database_access.h"
#include "netmon/entry.h"
#include "netmon/protocol.h"
#include "netmon/connection_search.h"
#include "netmon/schema.h"

namespace netmon {
namespace {

// ?1-?6: state, flags and counters, as insert_connection_ and update_connection_ take them.
void bind_row(Statement& statement, std::string_view state, std::uint8_t flags, const Counters& totals) {
    if (state.empty()) statement.bind_null(1);
    else statement.bind(1, state);
    statement.bind(2, flags_text(flags));
    statement.bind(3, totals.uplink_packets);
    statement.bind(4, totals.uplink_bytes);
    statement.bind(5, totals.downlink_packets);
    statement.bind(6, totals.downlink_bytes);
}

// The file path names now; nothing when there is none. A stat that fails otherwise (EACCES)
// cannot tell, and gives nothing as well: callers compare with what they opened.
std::optional<FileIdentity> identify(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return std::nullopt;
    return FileIdentity{static_cast<std::uint64_t>(status.st_dev), static_cast<std::uint64_t>(status.st_ino)};
}

// SQL for column + excluded.column, at most 2^63 - 1; both are never negative.
std::string saturating_sum(std::string_view column) {
    const std::string c(column);
    return "CASE WHEN " + c + " > 9223372036854775807 - excluded." + c + " THEN 9223372036854775807 ELSE " + c +
           " + excluded." + c + " END";
}

// SQL for column + ?param, at most 2^63 - 1; both are never negative.
std::string saturating_plus(std::string_view column, int param) {
    const std::string c(column), p = "?" + std::to_string(param);
    return c + " = CASE WHEN " + c + " > 9223372036854775807 - " + p + " THEN 9223372036854775807 ELSE " + c + " + " +
           p + " END";
}

// ?first-?first+4: the sums of a history row, as upsert_traffic and upsert_contact take them.
void bind_sums(Statement& statement, int first, const TrafficSums& sums) {
    statement.bind(first, sums.uplink_bytes).bind(first + 1, sums.downlink_bytes);
    statement.bind(first + 2, sums.uplink_packets).bind(first + 3, sums.downlink_packets);
    statement.bind(first + 4, sums.flows);
}

std::string_view blob_of(const std::optional<IpAddress>& address) {
    return address ? address->blob() : std::string_view{};
}

}  // namespace

FileChange compare_file(const FileIdentity& opened, const std::optional<FileIdentity>& now) {
    if (!now) return FileChange::missing;
    return *now == opened ? FileChange::same : FileChange::replaced;
}

struct Store::Open {
    Open(const std::string& path, int busy_timeout_ms);

    Database db;
    Statement insert_connection;
    Statement update_connection;
    Statement update_state;
    Statement set_offset;
    Statement delete_offset;
    Statement update_rates;
    Statement delete_connection;
    Statement upsert_host;
    Statement insert_sample;
    Statement prune_samples;
    Statement count_hosts;
    Statement prune_hosts;
    std::unique_ptr<SearchIndexer> search_indexer;
    // History (schema/004_history.sql).
    Statement log_ended;
    Statement log_late_end;
    Statement upsert_traffic;
    Statement upsert_wan_traffic;
    Statement prune_wan_traffic;
    Statement upsert_host_traffic;
    Statement upsert_device;
    Statement upsert_device_host;
    Statement set_active;
    Statement next_traffic_device;
    Statement prune_traffic;
    Statement next_host_traffic_device;
    Statement prune_host_traffic;
    Statement oldest_host_bucket;
    Statement count_host_traffic;
    Statement count_device_hosts;
    Statement oldest_contact_day;
    Statement prune_flow_log;
    Statement next_contact_device;
    Statement prune_device_hosts;
    Statement prune_devices;
    // Names (schema/006_names.sql).
    Statement upsert_lan_address;
    Statement upsert_device_name;
    Statement prune_lan_addresses;
    Statement prune_device_names;
    // DNS names (schema/006_names.sql).
    Statement upsert_remote_name;
    Statement upsert_host_name;
    Statement count_remote_names;
    Statement count_host_names;
    Statement prune_remote_names;
    Statement prune_host_names;
    Statement set_meta;
    Statement add_meta;
    Statement delete_meta;
    std::unique_ptr<Checkpointer> checkpointer;  // last: stops first
};

Store::Open::Open(const std::string& path, int busy_timeout_ms) : db(path, Database::Mode::read_write_create) {
    // Another writer (sqlite3 by hand) holding a lock makes writes wait, not fail at once.
    db.set_busy_timeout(busy_timeout_ms);
    db.execute("PRAGMA journal_mode = WAL");
    db.execute("PRAGMA synchronous = NORMAL");
    // Checkpoints run on their own thread and connection (Checkpointer), not in our commits.
    db.execute("PRAGMA wal_autocheckpoint = 0");
    // When this connection starts the WAL over, it cuts the file back to this (Checkpointer).
    db.execute("PRAGMA journal_size_limit = " + std::to_string(default_wal_limit / 2));
    // 8 MiB of page cache: a cold start inserts every flow in one transaction.
    db.execute("PRAGMA cache_size = -8192");
    migrate(db);
    // OR IGNORE, and a row that is not inserted is an error all the same (insert_connection):
    // a statement that may abort halfway through its writes (the trigger of
    // schema/003_connection_search.sql writes a second table) keeps a statement journal, which
    // made a cold start's inserts twice as slow.
    insert_connection = db.prepare(
        "INSERT OR IGNORE INTO connections (state, flags, uplink_packets, uplink_bytes, downlink_packets, downlink_bytes,"
        " first_seen_at, last_seen_at, sampled_at, sampled_uplink_bytes, sampled_downlink_bytes, proto, family,"
        " src_ip, src_port, dst_ip, dst_port)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?4, ?6, ?8, ?9, ?10, ?11, ?12, ?13)");
    update_connection = db.prepare(
        "UPDATE connections SET state = ?1, flags = ?2, uplink_packets = ?3, uplink_bytes = ?4,"
        " downlink_packets = ?5, downlink_bytes = ?6, last_seen_at = ?7 WHERE id = ?8");
    update_state = db.prepare("UPDATE connections SET state = ?1, flags = ?2, last_seen_at = ?3 WHERE id = ?4");
    set_offset = db.prepare(
        "INSERT OR REPLACE INTO counter_offsets (connection_id, uplink_packets, uplink_bytes, downlink_packets,"
        " downlink_bytes) VALUES (?1, ?2, ?3, ?4, ?5)");
    delete_offset = db.prepare("DELETE FROM counter_offsets WHERE connection_id = ?1");
    update_rates = db.prepare(
        "UPDATE connections SET"
        " uplink_rate = (uplink_bytes - sampled_uplink_bytes) * 1000.0 / max(?2 - sampled_at, 1),"
        " downlink_rate = (downlink_bytes - sampled_downlink_bytes) * 1000.0 / max(?2 - sampled_at, 1),"
        " sampled_at = ?2, sampled_uplink_bytes = uplink_bytes, sampled_downlink_bytes = downlink_bytes"
        " WHERE id = ?1");
    delete_connection = db.prepare("DELETE FROM connections WHERE id = ?1");
    // The sums saturate at 2^63 - 1 (see counters.h): SQLite's + would turn them into REALs.
    upsert_host = db.prepare(
        "INSERT INTO remote_hosts (ip, family, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
        " downlink_bytes) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (ip) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at),"
        " connections_seen = " + saturating_sum("connections_seen") + ","
        " uplink_bytes = " + saturating_sum("uplink_bytes") + ","
        " downlink_bytes = " + saturating_sum("downlink_bytes"));
    insert_sample = db.prepare(
        "INSERT OR REPLACE INTO connection_samples (sampled_at, connection_id, uplink_bytes, downlink_bytes)"
        " SELECT ?2, id, uplink_bytes, downlink_bytes FROM connections WHERE id = ?1");
    prune_samples = db.prepare("DELETE FROM connection_samples WHERE sampled_at < ?1");
    count_hosts = db.prepare("SELECT count(*) FROM remote_hosts");
    // Down remote_hosts_by_last_seen from its oldest end, each host's active connections
    // looked up in connections_by_key (remote host first); the batch is the LIMIT.
    prune_hosts = db.prepare(
        "DELETE FROM remote_hosts WHERE id IN (SELECT h.id FROM remote_hosts AS h INDEXED BY remote_hosts_by_last_seen"
        " WHERE h.last_seen_at < ?1"
        " AND NOT EXISTS (SELECT 1 FROM connections AS c INDEXED BY connections_by_key WHERE c.dst_ip = h.ip)"
        " ORDER BY h.last_seen_at LIMIT ?2)");
    search_indexer = std::make_unique<SearchIndexer>(db);
    // An ended flow's times and state come from its row while it is still there (it goes
    // right after); one without a row (born and gone in one batch) began and ended now. It ended
    // at its last activity, not when conntrack let it go (a UDP flow lingers 30 to 180 s): its
    // last change of counters or state, or now when its final counters moved since.
    // A flow no full read saw (born after the last one, ?16) has no counters of its own before
    // its DESTROY: its last event (the reply, a state) is the best there is of its last activity.
    const std::string last_activity =
        "CASE WHEN c.last_seen_at IS NULL THEN ?1 WHEN ?7 AND c.first_seen_at <= ?16 THEN ?1 ELSE c.last_seen_at END";
    log_ended = db.prepare(
        "INSERT INTO flow_log (ended_at, device, host, proto, src_port, dst_port, first_seen_at, last_seen_at, state,"
        " flags, uplink_packets, uplink_bytes, downlink_packets, downlink_bytes, ended_by)"
        " SELECT " + last_activity + ", ?2, ?3, ?4, ?5, ?6, coalesce(c.first_seen_at, ?1), " + last_activity +
        ", ?8, ?9, ?10, ?11, ?12, ?13, ?14"
        " FROM (SELECT ?15 AS id) AS ended LEFT JOIN connections AS c ON c.id = ended.id");
    // A DESTROY after a read found the flow gone: the flow logged then gets its final counters.
    log_late_end = db.prepare(
        "UPDATE flow_log SET " + saturating_plus("uplink_packets", 6) + ", " + saturating_plus("uplink_bytes", 7) +
        ", " + saturating_plus("downlink_packets", 8) + ", " + saturating_plus("downlink_bytes", 9) +
        ", state = coalesce(?10, state), ended_by = 1,"
        " last_seen_at = CASE WHEN ?11 THEN max(last_seen_at, ?12) ELSE last_seen_at END"
        " WHERE id = (SELECT id FROM flow_log INDEXED BY flow_log_by_device WHERE device = ?1 AND host = ?2"
        " AND proto = ?3 AND src_port = ?4 AND dst_port = ?5 AND ended_by = 2 ORDER BY ended_at DESC LIMIT 1)");
    const std::string traffic_sums = "uplink_bytes = " + saturating_sum("uplink_bytes") +
                                     ", downlink_bytes = " + saturating_sum("downlink_bytes") +
                                     ", uplink_packets = " + saturating_sum("uplink_packets") +
                                     ", downlink_packets = " + saturating_sum("downlink_packets") +
                                     ", flows = " + saturating_sum("flows");
    upsert_traffic = db.prepare(
        "INSERT INTO traffic (device, step, bucket, uplink_bytes, downlink_bytes, uplink_packets, downlink_packets,"
        " flows) VALUES (?1, ?2, ?3, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (device, step, bucket) DO UPDATE SET " +
        traffic_sums);
    upsert_wan_traffic = db.prepare(
        "INSERT INTO wan_traffic (step, bucket, uplink_bytes, downlink_bytes, uplink_packets, downlink_packets)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (step, bucket) DO UPDATE SET uplink_bytes = " +
        saturating_sum("uplink_bytes") + ", downlink_bytes = " + saturating_sum("downlink_bytes") +
        ", uplink_packets = " + saturating_sum("uplink_packets") +
        ", downlink_packets = " + saturating_sum("downlink_packets"));
    prune_wan_traffic = db.prepare(
        "DELETE FROM wan_traffic WHERE (step, bucket) IN (SELECT step, bucket FROM wan_traffic"
        " WHERE step = ?1 AND bucket < ?2 ORDER BY bucket LIMIT ?3)");
    upsert_host_traffic = db.prepare(
        "INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes, downlink_bytes, uplink_packets,"
        " downlink_packets, flows) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (device, step, bucket, host) DO UPDATE SET " + traffic_sums);
    const std::string contact_sums = "connections_seen = " + saturating_sum("connections_seen") +
                                     ", uplink_bytes = " + saturating_sum("uplink_bytes") +
                                     ", downlink_bytes = " + saturating_sum("downlink_bytes") +
                                     ", uplink_packets = " + saturating_sum("uplink_packets") +
                                     ", downlink_packets = " + saturating_sum("downlink_packets") +
                                     ", first_seen_at = min(first_seen_at, excluded.first_seen_at)"
                                     ", last_seen_at = max(last_seen_at, excluded.last_seen_at)";
    upsert_device = db.prepare(
        "INSERT INTO devices (address, first_seen_at, last_seen_at, uplink_bytes, downlink_bytes, uplink_packets,"
        " downlink_packets, connections_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (address) DO UPDATE SET " + contact_sums);
    upsert_device_host = db.prepare(
        "INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at, uplink_bytes, downlink_bytes,"
        " uplink_packets, downlink_packets, connections_seen) VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (device, host) DO UPDATE SET " + contact_sums);
    set_active = db.prepare(
        "INSERT INTO devices (address, first_seen_at, last_seen_at, active_connections) VALUES (?1, ?2, ?2, ?3)"
        " ON CONFLICT (address) DO UPDATE SET active_connections = excluded.active_connections");
    // Pruning walks the devices of a table one seek at a time (the LAN's X'' first), and
    // deletes the oldest rows of each from the front of its range of the key.
    next_traffic_device = db.prepare("SELECT device FROM traffic WHERE device > ?1 ORDER BY device LIMIT 1");
    prune_traffic = db.prepare(
        "DELETE FROM traffic WHERE (device, step, bucket) IN (SELECT device, step, bucket FROM traffic"
        " WHERE device = ?1 AND step = ?2 AND bucket < ?3 ORDER BY bucket LIMIT ?4)");
    next_host_traffic_device =
        db.prepare("SELECT device FROM host_traffic WHERE device > ?1 ORDER BY device LIMIT 1");
    prune_host_traffic = db.prepare(
        "DELETE FROM host_traffic WHERE (device, step, bucket, host) IN (SELECT device, step, bucket, host"
        " FROM host_traffic WHERE device = ?1 AND step = ?2 AND bucket < ?3 ORDER BY bucket LIMIT ?4)");
    oldest_host_bucket =
        db.prepare("SELECT bucket FROM host_traffic WHERE device = ?1 AND step = ?2 ORDER BY bucket LIMIT 1");
    // Both kept by triggers (schema/005_history_size.sql): a few rows, not millions.
    count_host_traffic = db.prepare("SELECT coalesce(sum(rows), 0) FROM host_traffic_rows");
    count_device_hosts = db.prepare("SELECT coalesce(sum(hosts), 0) FROM device_host_days");
    oldest_contact_day = db.prepare("SELECT min(day) FROM device_host_days");
    prune_flow_log = db.prepare(
        "DELETE FROM flow_log WHERE id IN (SELECT id FROM flow_log INDEXED BY flow_log_by_end WHERE ended_at < ?1"
        " ORDER BY ended_at LIMIT ?2)");
    next_contact_device = db.prepare("SELECT device FROM device_hosts WHERE device > ?1 ORDER BY device LIMIT 1");
    prune_device_hosts = db.prepare(
        "DELETE FROM device_hosts WHERE (device, host) IN (SELECT device, host FROM device_hosts"
        " INDEXED BY device_hosts_by_last_seen WHERE device = ?1 AND last_seen_at < ?2 LIMIT ?3)");
    prune_devices = db.prepare(
        "DELETE FROM devices WHERE address IN (SELECT address FROM devices WHERE last_seen_at < ?1"
        " AND active_connections = 0 LIMIT ?2)");
    upsert_lan_address = db.prepare(
        "INSERT INTO lan_addresses (address, mac, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)"
        " ON CONFLICT (address) DO UPDATE SET mac = excluded.mac, last_seen_at = excluded.last_seen_at");
    upsert_device_name = db.prepare(
        "INSERT INTO device_names (device, name, source, vendor, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (device) DO UPDATE SET name = excluded.name, source = excluded.source,"
        " vendor = excluded.vendor, updated_at = excluded.updated_at");
    // lan_addresses is small (the LAN's neighbours over the retention): a scan a minute.
    prune_lan_addresses = db.prepare(
        "DELETE FROM lan_addresses WHERE address IN (SELECT address FROM lan_addresses WHERE last_seen_at < ?1"
        " LIMIT ?2)");
    // A name whose device is gone: no address of it (as a MAC or as an address) and no history.
    prune_device_names = db.prepare(
        "DELETE FROM device_names WHERE device IN (SELECT d.device FROM device_names d WHERE d.updated_at < ?1"
        " AND NOT EXISTS (SELECT 1 FROM lan_addresses l WHERE l.mac = d.device)"
        " AND NOT EXISTS (SELECT 1 FROM lan_addresses l WHERE l.address = d.device)"
        " AND NOT EXISTS (SELECT 1 FROM devices v WHERE v.address = d.device) LIMIT ?2)");
    // A repeat of an older answer (a batch written again after a failed one) changes nothing.
    upsert_remote_name = db.prepare(
        "INSERT INTO remote_names (device, host, name, answered_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (device, host) DO UPDATE SET name = excluded.name, answered_at = excluded.answered_at,"
        " expires_at = excluded.expires_at WHERE excluded.answered_at >= remote_names.answered_at");
    upsert_host_name = db.prepare(
        "INSERT INTO host_names (host, name, resolved_at, expires_at) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (host) DO UPDATE SET name = excluded.name, resolved_at = excluded.resolved_at,"
        " expires_at = excluded.expires_at WHERE excluded.resolved_at >= host_names.resolved_at");
    count_remote_names = db.prepare("SELECT count(*) FROM remote_names");
    count_host_names = db.prepare("SELECT count(*) FROM host_names");
    prune_remote_names = db.prepare(
        "DELETE FROM remote_names WHERE (device, host) IN (SELECT device, host FROM remote_names"
        " INDEXED BY remote_names_by_answered_at WHERE answered_at < ?1 ORDER BY answered_at LIMIT ?2)");
    prune_host_names = db.prepare(
        "DELETE FROM host_names WHERE host IN (SELECT host FROM host_names INDEXED BY host_names_by_resolved_at"
        " WHERE resolved_at < ?1 ORDER BY resolved_at LIMIT ?2)");
    set_meta = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
    add_meta = db.prepare(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)"
        " ON CONFLICT (key) DO UPDATE SET value = coalesce(value, 0) + excluded.value");
    delete_meta = db.prepare("DELETE FROM meta WHERE key = ?1");
    set_meta.bind(1, meta::schema_version).bind(2, static_cast<std::int64_t>(latest_schema_version()));
    set_meta.run();
    checkpointer = std::make_unique<Checkpointer>(path);
}

std::unique_ptr<Store::Open> Store::open_file() const {
    try {
        return std::make_unique<Open>(path_, busy_timeout_ms_);
    } catch (const DatabaseError& e) {
        if (!e.access_denied()) throw;
        throw DatabaseError(explain_database_access(path_, check_database_access(path_), e.what()), e.kind(),
                            e.statement());
    }
}

Store::Store(const std::string& path, int busy_timeout_ms) : path_(path), busy_timeout_ms_(busy_timeout_ms) {
    open_ = open_file();
    remember_files();
    count_flow_log();
    set_wal_limit(wal_limit_);
}

void Store::count_flow_log() {
    // Once per open (a read of its smallest index); the store keeps the count from then on.
    Statement count = open().db.prepare("SELECT count(*) FROM flow_log");
    flow_log_rows_ = count.step() ? static_cast<std::uint64_t>(count.column_int(0)) : 0;
}

Store::~Store() = default;

Store::Open& Store::open() {
    if (!open_) throw DatabaseError::closed(path_);
    return *open_;
}

Database& Store::database() { return open().db; }

void Store::remember_files() {
    // Open has written to the database, so its -wal and -shm exist and stay while it is open.
    file_ = identify(path_).value_or(FileIdentity{});
    wal_ = identify(path_ + "-wal");
    shm_ = identify(path_ + "-shm");
}

FileChange Store::file_change() const {
    if (!open_) return FileChange::missing;
    return compare_file(file_, identify(path_));
}

void Store::reopen() {
    if (open_) {
        // Closing would let SQLite delete path-wal and path-shm by name, and the names may be
        // the new file's by now: it keeps them, and the old ones are removed below by identity.
        open_->db.keep_wal_on_close();
        open_.reset();
    }
    for (const auto& [side, identity] : {std::pair{path_ + "-wal", wal_}, std::pair{path_ + "-shm", shm_}}) {
        if (identity && identify(side) == identity) ::unlink(side.c_str());
    }
    wal_.reset();
    shm_.reset();
    open_ = open_file();
    remember_files();
    count_flow_log();
    set_wal_limit(wal_limit_);
}

void Store::set_wal_limit(std::uint64_t bytes) {
    wal_limit_ = bytes;
    open().db.execute("PRAGMA journal_size_limit = " + std::to_string(bytes / 2));
}

void Store::write(const std::function<void()>& f) {
    Open& o = open();
    Transaction transaction(o.db);
    f();
    transaction.commit();
    // Automatic checkpoints are off (Open): without this the WAL would only grow.
    o.checkpointer->request();
    o.checkpointer->limit_wal(wal_limit_);
}

std::vector<std::int64_t> Store::apply(const FlowChanges& changes) {
    const std::int64_t now = changes.now;
    for (const FlowChanges::Reset& reset : changes.resets) set_offset(reset.id, reset.offset);

    // The updates in row order: the rows they rewrite are then visited page by page, not in
    // the kernel's order, which is random to the rows' (a warm cycle over 262,144 flows, 5% of
    // them changed: 0.26 s, not 0.40 s). A row changed twice keeps the order of its changes.
    // Before the deletes and inserts: a row deleted in this batch gives its id to the next
    // insert (INTEGER PRIMARY KEY), and an update of the deleted row must not land on the new one.
    std::vector<std::pair<std::int64_t, std::size_t>> updates;
    updates.reserve(changes.updated.size());
    for (std::size_t i = 0; i < changes.updated.size(); ++i) updates.emplace_back(changes.updated[i].id, i);
    std::sort(updates.begin(), updates.end());
    for (const auto& [id, i] : updates) {
        const FlowChanges::Updated& u = changes.updated[i];
        if (u.counters_moved) update_connection(id, u.state, u.flags, u.totals, now);
        else update_state(id, u.state, u.flags, now);
    }
    // After the updates: a sample reads the counters they wrote.
    for (const FlowChanges::Sample& s : changes.samples) sample(s.id, now, s.moved);
    // Before the deletes: an ended flow's log row reads its connections row.
    if (keep_flow_log_)
        for (const FlowChanges::Ended& ended : changes.ended) log_ended(ended, now, changes.last_read_at);
    for (const FlowChanges::Ended& ended : changes.ended)
        if (ended.id != 0) delete_connection(ended.id, ended.has_offset);

    // The new rows in about the order of the connections key index (remote address, port,
    // protocol, LAN address, port), not in the kernel's, which is random to it: the index then
    // grows at a few places instead of everywhere (a first cycle over 262,144 flows in a
    // kernel's order: 1.3 s, not 1.9 s, when the key index began with the LAN address and this
    // order did too). By the address's bytes, not its text: only the order of the writes
    // depends on this, and neighbours in one order are near in the other.
    // ids holds each row's place in that order until it holds its id: a cold start's 262,144
    // new rows need no more room than that and their sequence.
    const std::size_t count = changes.inserted.size();
    std::vector<std::int64_t> ids(count);
    std::vector<std::uint32_t> sequence(count);
    for (std::size_t i = 0; i < count; ++i) {
        const Key& key = *changes.inserted[i].key;
        std::uint64_t order = 0;
        for (std::size_t b = 0; b < 6; ++b) order = order << 8 | key.dst.bytes[b];
        ids[i] = static_cast<std::int64_t>(order << 16 | key.dport);
        sequence[i] = static_cast<std::uint32_t>(i);
    }
    std::sort(sequence.begin(), sequence.end(), [&](std::uint32_t a, std::uint32_t b) {
        const auto order_a = static_cast<std::uint64_t>(ids[a]), order_b = static_cast<std::uint64_t>(ids[b]);
        return order_a != order_b ? order_a < order_b : a < b;
    });
    for (std::uint32_t i : sequence) ids[i] = insert_connection(changes.inserted[i], now);

    // In the order of the remote_hosts index (the address's text), for the same reason.
    struct Host {
        std::string ip;
        Family family;
        const HostActivity* activity;
    };
    std::vector<Host> hosts;
    hosts.reserve(changes.hosts.size());
    for (const auto& [ip, activity] : changes.hosts) hosts.push_back({ip.to_string(), ip.family, &activity});
    std::sort(hosts.begin(), hosts.end(), [](const Host& a, const Host& b) { return a.ip < b.ip; });
    for (const Host& host : hosts) record_host(host.ip, host.family, *host.activity, now);
    return ids;
}

std::size_t Store::count_connections() {
    Open& o = open();
    Statement count = o.db.prepare("SELECT count(*) FROM connections");
    return count.step() ? static_cast<std::size_t>(count.column_int(0)) : 0;
}

void Store::for_each_connection(const std::function<void(const StoredConnection&)>& f) {
    Open& o = open();
    Statement select = o.db.prepare(
        "SELECT c.id, c.proto, c.src_ip, c.src_port, c.dst_ip, c.dst_port, c.state, c.flags, c.uplink_packets,"
        " c.uplink_bytes, c.downlink_packets, c.downlink_bytes, o.connection_id, o.uplink_packets,"
        " o.uplink_bytes, o.downlink_packets, o.downlink_bytes, c.uplink_rate != 0 OR c.downlink_rate != 0"
        " FROM connections c LEFT JOIN counter_offsets o ON o.connection_id = c.id");
    auto counters_at = [&](int first) {
        return Counters{static_cast<std::uint64_t>(select.column_int(first)),
                        static_cast<std::uint64_t>(select.column_int(first + 1)),
                        static_cast<std::uint64_t>(select.column_int(first + 2)),
                        static_cast<std::uint64_t>(select.column_int(first + 3))};
    };
    StoredConnection row;
    while (select.step()) {
        row = StoredConnection{};
        row.id = select.column_int(0);
        auto src = IpAddress::parse(select.column_text(2));
        auto dst = IpAddress::parse(select.column_text(4));
        if (!src || !dst) continue;  // not written by netmon; the next cycle replaces it
        row.key.protocol = parse_protocol_label(select.column_text(1)).value_or(0);
        row.key.src = *src;
        row.key.sport = static_cast<std::uint16_t>(select.column_int(3));
        row.key.dst = *dst;
        row.key.dport = static_cast<std::uint16_t>(select.column_int(5));
        row.state = select.column_text(6);
        row.flags = flags_from_text(select.column_text(7));
        row.totals = counters_at(8);
        row.has_offset = !select.column_is_null(12);
        if (row.has_offset) row.offset = counters_at(13);
        row.moving = select.column_int(17) != 0;
        f(row);
    }
}

std::int64_t Store::insert_connection(const FlowChanges::Inserted& row, std::int64_t now) {
    const Key& key = *row.key;
    Open& o = open();
    Statement& s = o.insert_connection;
    bind_row(s, *row.state, row.flow->flags, row.flow->raw);
    s.bind(7, now);
    s.bind(8, protocol_label(key.protocol));
    s.bind(9, static_cast<int>(key.src.family));
    s.bind(10, key.src.to_string());
    s.bind(11, static_cast<int>(key.sport));
    s.bind(12, key.dst.to_string());
    s.bind(13, static_cast<int>(key.dport));
    s.run();
    if (o.db.changes() != 1)
        throw DatabaseError::constraint(path_ + ": the connection " + key.str() +
                                        " is already in the connections table, or its row is not valid");
    return o.db.last_insert_id();
}

void Store::update_connection(std::int64_t id, std::string_view state, std::uint8_t flags, const Counters& totals,
                              std::int64_t now) {
    Open& o = open();
    Statement& s = o.update_connection;
    bind_row(s, state, flags, totals);
    s.bind(7, now).bind(8, id);
    s.run();
}

void Store::sample(std::int64_t id, std::int64_t now, bool moved) {
    Open& o = open();
    if (moved) {
        o.insert_sample.bind(1, id).bind(2, now);
        o.insert_sample.run();
    }
    o.update_rates.bind(1, id).bind(2, now);
    o.update_rates.run();
}

void Store::delete_connection(std::int64_t id, bool has_offset) {
    Open& o = open();
    o.delete_connection.bind(1, id);
    o.delete_connection.run();
    if (!has_offset) return;
    o.delete_offset.bind(1, id);
    o.delete_offset.run();
}

void Store::set_offset(std::int64_t connection_id, const Counters& offset) {
    Open& o = open();
    o.set_offset.bind(1, connection_id).bind(2, offset.uplink_packets).bind(3, offset.uplink_bytes);
    o.set_offset.bind(4, offset.downlink_packets).bind(5, offset.downlink_bytes);
    o.set_offset.run();
}

void Store::record_host(std::string_view ip, Family family, const HostActivity& activity, std::int64_t now) {
    Open& o = open();
    Statement& s = o.upsert_host;
    s.bind(1, ip).bind(2, static_cast<int>(family)).bind(3, now);
    s.bind(4, static_cast<std::int64_t>(activity.new_connections));
    s.bind(5, activity.uplink_bytes).bind(6, activity.downlink_bytes);
    s.run();
}

void Store::log_ended(const FlowChanges::Ended& ended, std::int64_t now, std::int64_t last_read_at) {
    Open& o = open();
    const Key& key = ended.key;
    const bool moved = ended.delta != Counters{};
    if (ended.end == FlowChanges::End::late) {
        // Logged already, as gone; a late DESTROY without new bytes changes nothing but its end.
        Statement& s = o.log_late_end;
        s.bind_blob(1, key.src.blob()).bind_blob(2, key.dst.blob()).bind(3, static_cast<int>(key.protocol));
        s.bind(4, static_cast<int>(key.sport)).bind(5, static_cast<int>(key.dport));
        s.bind(6, ended.delta.uplink_packets).bind(7, ended.delta.uplink_bytes);
        s.bind(8, ended.delta.downlink_packets).bind(9, ended.delta.downlink_bytes);
        if (ended.state.empty()) s.bind_null(10);
        else s.bind(10, ended.state);
        s.bind(11, moved ? 1 : 0).bind(12, now);
        s.run();
        return;
    }
    Statement& s = o.log_ended;
    s.bind(1, now).bind_blob(2, key.src.blob()).bind_blob(3, key.dst.blob());
    s.bind(4, static_cast<int>(key.protocol)).bind(5, static_cast<int>(key.sport)).bind(6, static_cast<int>(key.dport));
    s.bind(7, moved ? 1 : 0);
    if (ended.state.empty()) s.bind_null(8);
    else s.bind(8, ended.state);
    s.bind(9, static_cast<int>(ended.flags));
    s.bind(10, ended.totals.uplink_packets).bind(11, ended.totals.uplink_bytes);
    s.bind(12, ended.totals.downlink_packets).bind(13, ended.totals.downlink_bytes);
    s.bind(14, ended.end == FlowChanges::End::destroyed ? 1 : 2);
    s.bind(15, ended.id).bind(16, last_read_at);
    s.run();
    ++flow_log_rows_;
}

void Store::add_traffic(const TrafficRow& row) {
    Open& o = open();
    if (row.wan) {
        Statement& w = o.upsert_wan_traffic;
        w.bind(1, row.step).bind(2, row.bucket).bind(3, row.sums.uplink_bytes).bind(4, row.sums.downlink_bytes);
        w.bind(5, row.sums.uplink_packets).bind(6, row.sums.downlink_packets);
        w.run();
        return;
    }
    Statement& s = row.host ? o.upsert_host_traffic : o.upsert_traffic;
    s.bind_blob(1, blob_of(row.device)).bind(2, row.step).bind(3, row.bucket);
    if (row.host) s.bind_blob(4, row.host->blob());
    bind_sums(s, 5, row.sums);
    s.run();
}

void Store::add_contact(const ContactRow& row) {
    Open& o = open();
    Statement& s = row.host ? o.upsert_device_host : o.upsert_device;
    s.bind_blob(1, row.device.blob()).bind(2, row.first_at).bind(3, row.last_at);
    bind_sums(s, 4, row.sums);
    if (row.host) s.bind_blob(9, row.host->blob());
    s.run();
}

void Store::history_flushed(std::int64_t now) { set_meta(meta::history_flushed_at, now); }

void Store::set_active_connections(const std::vector<std::pair<IpAddress, std::int64_t>>& counts, std::int64_t now) {
    Open& o = open();
    for (const auto& [device, count] : counts) {
        o.set_active.bind_blob(1, device.blob()).bind(2, now).bind(3, count);
        o.set_active.run();
    }
}

HistoryRowCounts Store::history_row_counts() {
    Open& o = open();
    HistoryRowCounts counts;
    counts.flow_log = flow_log_rows_;
    auto count = [](Statement& s) {
        const std::uint64_t n = s.step() ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.column_int(0))) : 0;
        s.reset();
        return n;
    };
    counts.host_traffic = count(o.count_host_traffic);
    counts.device_hosts = count(o.count_device_hosts);
    counts.remote_names = count(o.count_remote_names);
    counts.host_names = count(o.count_host_names);
    return counts;
}

namespace {

// Calls f(device) for each device of a table in key order, the LAN's X'' (which sorts first)
// included, one seek each (next: the first device after ?1), while f says to go on.
void for_each_device(Statement& next, const std::function<bool(std::string_view)>& f) {
    std::string device;  // X''
    while (f(device)) {
        next.bind_blob(1, device);
        const bool more = next.step();
        if (more) device = std::string(next.column_blob(0));
        next.reset();
        if (!more) return;
    }
}

}  // namespace

std::uint64_t Store::prune_history(const HistoryPruning& pruning) {
    Open& o = open();
    std::uint64_t deleted = 0;
    auto changed = [&] { return static_cast<std::uint64_t>(o.db.changes()); };
    // Deletes, device by device, the rows of (step, bucket before) of a traffic table, at most
    // limit rows; returns how many went.
    auto prune_steps = [&](Statement& next, Statement& prune, std::initializer_list<std::pair<int, std::int64_t>> steps,
                           std::uint64_t limit) {
        std::uint64_t left = limit;
        for_each_device(next, [&](std::string_view device) {
            for (auto [step, before] : steps) {
                if (left == 0) break;
                prune.bind_blob(1, device).bind(2, step).bind(3, before).bind(4, left);
                prune.run();
                left -= std::min(left, changed());
            }
            return left > 0;
        });
        return limit - left;
    };
    deleted += prune_steps(o.next_traffic_device, o.prune_traffic,
                           {{60, pruning.minute_before}, {3600, pruning.hour_before}, {86400, pruning.day_before}},
                           pruning.batch);
    // The WAN's rows as long as the LAN's they are compared with.
    for (auto [step, before] : {std::pair<int, std::int64_t>{60, pruning.minute_before},
                                {3600, pruning.hour_before}, {86400, pruning.day_before}}) {
        o.prune_wan_traffic.bind(1, step).bind(2, before).bind(3, pruning.batch);
        o.prune_wan_traffic.run();
        deleted += changed();
    }
    std::uint64_t pairs_left = pruning.batch;
    const std::uint64_t pairs_aged = prune_steps(o.next_host_traffic_device, o.prune_host_traffic,
                                                 {{60, pruning.host_minute_before},
                                                  {3600, pruning.host_hour_before},
                                                  {86400, pruning.host_day_before}},
                                                 pairs_left);
    pairs_left -= pairs_aged;
    // Past host_traffic_max_rows (counted before the rows that just went by age): the oldest
    // bucket of any step, over all devices, goes.
    const std::uint64_t pairs_over = pruning.host_traffic_over - std::min(pruning.host_traffic_over, pairs_aged);
    if (const std::uint64_t over = std::min(pairs_over, pairs_left); over > 0) {
        std::optional<std::pair<int, std::int64_t>> oldest;  // (step, bucket)
        for_each_device(o.next_host_traffic_device, [&](std::string_view device) {
            for (int step : {60, 3600, 86400}) {
                Statement& s = o.oldest_host_bucket;
                s.bind_blob(1, device).bind(2, step);
                if (s.step() && (!oldest || s.column_int(0) < oldest->second)) oldest = {step, s.column_int(0)};
                s.reset();
            }
            return true;
        });
        if (oldest)
            pairs_left -= prune_steps(o.next_host_traffic_device, o.prune_host_traffic,
                                      {{oldest->first, oldest->second + oldest->first * 1000LL}}, over);
    }
    deleted += pruning.batch - pairs_left;

    auto prune_log = [&](std::int64_t before, std::uint64_t limit) {
        if (limit == 0) return;
        o.prune_flow_log.bind(1, before).bind(2, limit);
        o.prune_flow_log.run();
        const std::uint64_t gone = changed();
        flow_log_rows_ -= std::min(flow_log_rows_, gone);
        deleted += gone;
    };
    prune_log(INT64_MAX, std::min(pruning.flow_log_over, pruning.batch));
    prune_log(pruning.flow_log_before, pruning.batch);

    std::uint64_t contacts_left = pruning.batch;
    auto prune_contacts = [&](std::int64_t before, std::uint64_t limit) {
        std::uint64_t left = limit;
        for_each_device(o.next_contact_device, [&](std::string_view device) {
            if (device.empty()) return true;  // device_hosts has no LAN row
            o.prune_device_hosts.bind_blob(1, device).bind(2, before).bind(3, left);
            o.prune_device_hosts.run();
            left -= std::min(left, changed());
            return left > 0;
        });
        return limit - left;
    };
    const std::uint64_t contacts_aged = prune_contacts(pruning.device_hosts_before, contacts_left);
    contacts_left -= contacts_aged;
    // Past device_hosts_max (as above): the pairs of the oldest day of last contact go first.
    const std::uint64_t contacts_over =
        pruning.device_hosts_over - std::min(pruning.device_hosts_over, contacts_aged);
    if (const std::uint64_t over = std::min(contacts_over, contacts_left); over > 0) {
        Statement& s = o.oldest_contact_day;
        const bool found = s.step() && !s.column_is_null(0);
        const std::int64_t day = found ? s.column_int(0) : 0;
        s.reset();
        if (found) contacts_left -= prune_contacts(day + 86'400'000, over);
    }
    deleted += pruning.batch - contacts_left;

    o.prune_devices.bind(1, pruning.devices_before).bind(2, pruning.batch);
    o.prune_devices.run();
    deleted += changed();

    // Names: after the devices, whose rows keep their names.
    o.prune_lan_addresses.bind(1, pruning.lan_addresses_before).bind(2, pruning.batch);
    o.prune_lan_addresses.run();
    deleted += changed();
    o.prune_device_names.bind(1, pruning.lan_addresses_before).bind(2, pruning.batch);
    o.prune_device_names.run();
    deleted += changed();
    // DNS names: past the row cap the oldest answers, then those older than the retention.
    auto prune_names = [&](Statement& prune, std::uint64_t over, std::int64_t before) {
        std::uint64_t left = pruning.batch;
        for (auto [until, limit] : {std::pair{INT64_MAX, std::min(over, left)}, std::pair{before, left}}) {
            limit = std::min(limit, left);
            if (limit == 0) continue;
            prune.bind(1, until).bind(2, static_cast<std::int64_t>(limit));
            prune.run();
            left -= std::min(left, changed());
        }
        deleted += pruning.batch - left;
    };
    prune_names(o.prune_remote_names, pruning.remote_names_over, pruning.names_before);
    prune_names(o.prune_host_names, pruning.host_names_over, pruning.names_before);
    return deleted;
}

void Store::write_devices(const DeviceChanges& changes) {
    Open& o = open();
    for (const LanAddressRow& row : changes.addresses) {
        o.upsert_lan_address.bind_blob(1, row.address.blob()).bind_blob(2, row.mac.blob()).bind(3, row.seen_at);
        o.upsert_lan_address.run();
    }
    for (const DeviceNameRow& row : changes.names) {
        Statement& s = o.upsert_device_name;
        s.bind_blob(1, row.device);
        if (row.name.name) s.bind(2, std::string_view(*row.name.name));
        else s.bind_null(2);
        if (row.name.source) s.bind(3, device_name_source_name(*row.name.source));
        else s.bind_null(3);
        if (row.name.vendor) s.bind(4, std::string_view(*row.name.vendor));
        else s.bind_null(4);
        s.bind(5, row.updated_at);
        s.run();
    }
    if (changes.lease_lines_skipped > 0)
        add_meta(meta::lease_lines_skipped_total, static_cast<std::int64_t>(changes.lease_lines_skipped));
}

void Store::write_remote_names(std::span<const RemoteNameRow> rows) {
    Open& o = open();
    for (const RemoteNameRow& row : rows) {
        o.upsert_remote_name.bind_blob(1, row.client.blob())
            .bind_blob(2, row.address.blob())
            .bind(3, row.name)
            .bind(4, row.answered_at)
            .bind(5, row.expires_at);
        o.upsert_remote_name.run();
        o.upsert_host_name.bind_blob(1, row.address.blob())
            .bind(2, row.name)
            .bind(3, row.answered_at)
            .bind(4, row.expires_at);
        o.upsert_host_name.run();
    }
}

void Store::update_state(std::int64_t id, std::string_view state, std::uint8_t flags, std::int64_t now) {
    Open& o = open();
    Statement& s = o.update_state;
    if (state.empty()) s.bind_null(1);
    else s.bind(1, state);
    s.bind(2, flags_text(flags)).bind(3, now).bind(4, id);
    s.run();
}


void Store::prune_samples(std::int64_t before) {
    Open& o = open();
    o.prune_samples.bind(1, before);
    o.prune_samples.run();
}

std::uint64_t Store::index_search(std::uint64_t limit) { return open().search_indexer->run(limit); }

void Store::complete_search_index() {
    write([&] { index_search(UINT64_MAX); });
}

std::uint64_t Store::count_hosts() {
    Open& o = open();
    std::uint64_t count = o.count_hosts.step() ? static_cast<std::uint64_t>(o.count_hosts.column_int(0)) : 0;
    o.count_hosts.reset();
    return count;
}

std::uint64_t Store::prune_hosts(const HostPruning& pruning) {
    Open& o = open();
    auto run = [&](std::int64_t before, std::uint64_t limit) -> std::uint64_t {
        if (limit == 0) return 0;
        o.prune_hosts.bind(1, before).bind(2, limit);
        o.prune_hosts.run();
        return static_cast<std::uint64_t>(o.db.changes());
    };
    std::uint64_t deleted = run(INT64_MAX, std::min(pruning.over_limit, pruning.batch));
    deleted += run(pruning.forget_before_ms, pruning.batch - deleted);
    return deleted;
}

void Store::set_meta(std::string_view key, std::int64_t value) {
    Open& o = open();
    o.set_meta.bind(1, key).bind(2, value);
    o.set_meta.run();
}

void Store::set_meta(std::string_view key, std::string_view value) {
    Open& o = open();
    o.set_meta.bind(1, key).bind(2, value);
    o.set_meta.run();
}

void Store::add_meta(std::string_view key, std::int64_t amount) {
    Open& o = open();
    o.add_meta.bind(1, key).bind(2, amount);
    o.add_meta.run();
}

bool Store::has_meta(std::string_view key) {
    Statement select = open().db.prepare("SELECT 1 FROM meta WHERE key = ?1");
    select.bind(1, key);
    return select.step();
}

void Store::delete_meta(std::string_view key) {
    Open& o = open();
    o.delete_meta.bind(1, key);
    o.delete_meta.run();
}

}  // namespace netmon
