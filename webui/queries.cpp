#include "queries.h"

#include <string_view>

#include "netmon/counters.h"
#include "netmon/schema.h"

namespace netmon::web {
namespace {

// INDEXED BY: the walk down connections_by_total_bytes is the order, whatever the filter, so
// that no filter can make SQLite sort the whole table instead (a filter that matches few rows
// walks the whole index, but without a sort, and stops at the limit).
//
// The remote host's first_seen_at (for seen_before) is looked up only for connections first
// seen within the window (?5 is now - 60 s): a host is never younger than its connections, so
// an older connection's host is older too, and the connection's own time says as much. This
// spares most rows a lookup of a second table.
constexpr std::string_view connections_sql =
    "SELECT c.proto, c.src_ip, c.src_port, c.dst_ip, c.dst_port, c.state, c.flags,"
    " c.uplink_packets, c.uplink_bytes, c.downlink_packets, c.downlink_bytes, c.total_bytes,"
    " c.uplink_rate, c.downlink_rate, c.first_seen_at, c.last_seen_at,"
    " CASE WHEN c.first_seen_at < ?5 THEN c.first_seen_at"
    "      ELSE (SELECT h.first_seen_at FROM remote_hosts AS h WHERE h.ip = c.dst_ip) END"
    " FROM connections AS c INDEXED BY connections_by_total_bytes"
    " WHERE (?1 = '' OR c.proto = ?1)"
    " AND (?2 = '' OR c.src_ip = ?2)"
    " AND (?3 = '' OR instr(c.src_ip, ?3) > 0 OR instr(c.dst_ip, ?3) > 0"
    "      OR instr(c.src_port, ?3) > 0 OR instr(c.dst_port, ?3) > 0)"
    " ORDER BY c.total_bytes DESC, c.id"
    " LIMIT ?4";

// The hosts first, then the active connections of those hosts only: connections has no index
// on dst_ip, and grouping all of it would cost more than scanning it. Their bytes are summed in two halves, the high 32 bits and
// the low, which cannot overflow (sum() fails when a sum does); active_bytes puts them together,
// saturating.
constexpr std::string_view hosts_sql =
    "WITH h AS (SELECT id, ip, family, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
    "           downlink_bytes FROM remote_hosts WHERE first_seen_at >= ?1"
    "           ORDER BY first_seen_at DESC, id DESC LIMIT ?2),"
    " a AS (SELECT dst_ip, count(*) AS n, sum(total_bytes >> 32) AS high, sum(total_bytes & 4294967295) AS low"
    "       FROM connections WHERE dst_ip IN (SELECT ip FROM h) GROUP BY dst_ip)"
    " SELECT h.ip, h.family, h.first_seen_at, h.last_seen_at, h.connections_seen, h.uplink_bytes,"
    " h.downlink_bytes, coalesce(a.n, 0), coalesce(a.high, 0), coalesce(a.low, 0)"
    " FROM h LEFT JOIN a ON a.dst_ip = h.ip ORDER BY h.first_seen_at DESC, h.id DESC";

// high * 2^32 + low, at most 2^63 - 1.
std::int64_t from_halves(std::int64_t high, std::int64_t low) {
    if (high > (INT64_MAX >> 32)) return INT64_MAX;
    return saturating_add(high << 32, low);
}

// count(DISTINCT dst_ip) sorts all of connections (no index on dst_ip): tens of ms at 100,000
// rows, which is why summary() keeps its answer while it holds.
constexpr std::string_view summary_sql =
    "SELECT (SELECT count(*) FROM connections), (SELECT count(DISTINCT dst_ip) FROM connections),"
    " (SELECT count(*) FROM remote_hosts), (SELECT count(*) FROM remote_hosts WHERE first_seen_at >= ?1),"
    " (SELECT min(first_seen_at) FROM remote_hosts WHERE first_seen_at >= ?1)";

constexpr std::string_view meta_sql =
    "SELECT key, CASE WHEN typeof(value) = 'integer' THEN value END, CAST(value AS TEXT) FROM meta";

Database checked(Database db) {
    int version = check_schema(db);  // throws for a newer version or a foreign database
    if (version == 0)
        throw SchemaError(db.path() + " has no tables yet: netmon-ingest creates them when it starts");
    if (version != latest_schema_version())
        throw SchemaError(db.path() + ": database schema version " + std::to_string(version) +
                          " is older than this netmon-web reads (" + std::to_string(latest_schema_version()) +
                          "); start the new netmon-ingest, which upgrades it");
    return db;
}

}  // namespace

Reader::Reader(Database db) : db_(checked(std::move(db))) {
    // 1 MiB of page cache per connection (SQLite's default is 2): the pages a dashboard reads
    // stay in the kernel's cache anyway, and RSS counts every connection's.
    db_.execute("PRAGMA cache_size = -1024");
    meta_ = db_.prepare(meta_sql);
    connections_ = db_.prepare(connections_sql);
    hosts_ = db_.prepare(hosts_sql);
    summary_ = db_.prepare(summary_sql);
    data_version_ = db_.prepare("PRAGMA data_version");
}

std::int64_t Reader::data_version() {
    data_version_.reset();
    std::int64_t version = data_version_.step() ? data_version_.column_int(0) : -1;
    data_version_.reset();
    return version;
}

IngestStatus Reader::ingest_status() {
    IngestStatus status;
    meta_.reset();
    while (meta_.step()) {
        std::optional<std::int64_t> integer;
        if (!meta_.column_is_null(1)) integer = meta_.column_int(1);
        status.set(meta_.column_text(0), integer, meta_.column_text(2));
    }
    meta_.reset();
    return status;
}

void Reader::bind_filter(Statement& statement, const ConnectionFilter& filter, std::int64_t now_ms) {
    statement.bind(1, std::string_view(filter.proto));
    statement.bind(2, std::string_view(filter.src));
    statement.bind(3, std::string_view(filter.q));
    statement.bind(4, static_cast<std::int64_t>(filter.limit));
    statement.bind(5, now_ms - new_host_window_ms);
}

void Reader::connections(const ConnectionFilter& filter, std::int64_t now_ms,
                         const std::function<void(const ConnectionRow&)>& row) {
    Statement& s = connections_;
    s.reset();
    bind_filter(s, filter, now_ms);
    ConnectionRow r;
    while (s.step()) {
        r.proto = s.column_text(0);
        r.src_ip = s.column_text(1);
        r.src_port = s.column_int(2);
        r.dst_ip = s.column_text(3);
        r.dst_port = s.column_int(4);
        if (s.column_is_null(5)) r.state.reset();
        else r.state = s.column_text(5);
        r.flags = s.column_text(6);
        r.uplink_packets = s.column_int(7);
        r.uplink_bytes = s.column_int(8);
        r.downlink_packets = s.column_int(9);
        r.downlink_bytes = s.column_int(10);
        r.total_bytes = s.column_int(11);
        r.uplink_rate = s.column_double(12);
        r.downlink_rate = s.column_double(13);
        r.first_seen_at = s.column_int(14);
        r.last_seen_at = s.column_int(15);
        r.host_first_seen_at = s.column_is_null(16) ? r.first_seen_at : s.column_int(16);
        row(r);
    }
    s.reset();
}

std::vector<HostRow> Reader::hosts(const HostFilter& filter, std::int64_t now_ms) {
    Statement& s = hosts_;
    s.reset();
    s.bind(1, filter.since_seconds ? now_ms - *filter.since_seconds * 1000 : INT64_MIN);
    s.bind(2, static_cast<std::int64_t>(filter.limit));
    std::vector<HostRow> rows;
    while (s.step()) {
        HostRow& h = rows.emplace_back();
        h.ip = s.column_text(0);
        h.family = static_cast<int>(s.column_int(1));
        h.first_seen_at = s.column_int(2);
        h.last_seen_at = s.column_int(3);
        h.connections_seen = s.column_int(4);
        h.uplink_bytes = s.column_int(5);
        h.downlink_bytes = s.column_int(6);
        h.active_connections = s.column_int(7);
        h.active_bytes = from_halves(s.column_int(8), s.column_int(9));
    }
    s.reset();
    return rows;
}

Summary Reader::summary(std::int64_t now_ms) {
    const std::int64_t version = data_version();
    if (summary_cache_ && summary_cache_->data_version == version && now_ms >= summary_cache_->made_at &&
        now_ms <= summary_cache_->valid_until)
        return summary_cache_->summary;
    Statement& s = summary_;
    s.reset();
    s.bind(1, now_ms - new_host_window_ms);
    Summary summary;
    // new_remote_hosts falls when its oldest host leaves the window.
    std::int64_t valid_until = INT64_MAX;
    if (s.step()) {
        summary.active_connections = s.column_int(0);
        summary.active_remote_hosts = s.column_int(1);
        summary.known_remote_hosts = s.column_int(2);
        summary.new_remote_hosts = s.column_int(3);
        if (!s.column_is_null(4)) valid_until = s.column_int(4) + new_host_window_ms;
    }
    s.reset();
    summary_cache_ = CachedSummary{version, now_ms, valid_until, summary};
    return summary;
}

std::vector<std::string> Reader::connections_plan(const ConnectionFilter& filter) {
    Statement plan = db_.prepare("EXPLAIN QUERY PLAN " + std::string(connections_sql));
    bind_filter(plan, filter, 0);
    std::vector<std::string> lines;
    while (plan.step()) lines.push_back(plan.column_text(3));
    return lines;
}

}  // namespace netmon::web
