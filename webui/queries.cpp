#include "queries.h"

#include "netmon/meta_keys.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "columns.h"
#include "netmon/connection_search.h"
#include "netmon/counters.h"
#include "netmon/meta_keys.h"
#include "netmon/schema.h"

namespace netmon::web {
namespace {

// The columns of a ConnectionRow. The remote host's first_seen_at (for seen_before) is looked
// up only for connections first seen within the window (?5 is now - 60 s): a host is never
// younger than its connections, so an older connection's host is older too, and the
// connection's own time says as much. This spares most rows a lookup of a second table.
constexpr std::array<Column<ConnectionRow>, 17> connection_columns = {{
    {"c.proto", read_member<&ConnectionRow::proto>},
    {"c.src_ip", read_member<&ConnectionRow::src_ip>},
    {"c.src_port", read_member<&ConnectionRow::src_port>},
    {"c.dst_ip", read_member<&ConnectionRow::dst_ip>},
    {"c.dst_port", read_member<&ConnectionRow::dst_port>},
    {"c.state", read_member<&ConnectionRow::state>},
    {"c.flags", read_member<&ConnectionRow::flags>},
    {"c.uplink_packets", read_member<&ConnectionRow::uplink_packets>},
    {"c.uplink_bytes", read_member<&ConnectionRow::uplink_bytes>},
    {"c.downlink_packets", read_member<&ConnectionRow::downlink_packets>},
    {"c.downlink_bytes", read_member<&ConnectionRow::downlink_bytes>},
    {"c.total_bytes", read_member<&ConnectionRow::total_bytes>},
    {"c.uplink_rate", read_member<&ConnectionRow::uplink_rate>},
    {"c.downlink_rate", read_member<&ConnectionRow::downlink_rate>},
    {"c.first_seen_at", read_member<&ConnectionRow::first_seen_at>},
    {"c.last_seen_at", read_member<&ConnectionRow::last_seen_at>},
    // After first_seen_at, which it falls back on when the host has no row.
    {"CASE WHEN c.first_seen_at < ?5 THEN c.first_seen_at"
     " ELSE (SELECT h.first_seen_at FROM remote_hosts AS h WHERE h.ip = c.dst_ip) END",
     [](const Statement& s, int index, ConnectionRow& row) {
         row.host_first_seen_at = s.column_is_null(index) ? row.first_seen_at : s.column_int(index);
     }},
}};

// ?2: the LAN device's addresses (a JSON array; NULL for any device: json_each(NULL) is empty).
// q matches the text of the row, or a name (?7 the devices it matches, ?8 the hosts, ?9 the
// pairs "device host", JSON arrays: see NameMatches), each list read once per statement.
constexpr std::string_view connection_filter =
    " (?1 = '' OR c.proto = ?1) AND (?2 IS NULL OR c.src_ip IN (SELECT value FROM json_each(?2)))"
    " AND (?3 = '' OR instr(c.search, ?3) > 0 OR c.src_ip IN (SELECT value FROM json_each(?7))"
    "      OR c.dst_ip IN (SELECT value FROM json_each(?8))"
    "      OR c.src_ip || ' ' || c.dst_ip IN (SELECT value FROM json_each(?9)))";

// /connections.json is the top of connections_by_total_bytes, filtered. The index holds only
// the order (a counter update rewrites its entry: every byte in it costs the ingest), so a
// filter is checked on the table row, which is cheap for the first rows and dear for all
// 300,000 (about 1.5 us a row). Hence up to three steps, all exact (Reader::connections):
//
// 1. connections_sql() down to ?6, the total_bytes of the 2,000th row (nth_total_sql): the filter
//    over the first rows of the order only. When as many rows match as the limit asks for, they
//    are the answer: a filter that matches much (q=443, a busy device) is done here. Without a
//    filter, or over a table of fewer rows, ?6 is the lowest integer and this is all.
// 2. The ids of every matching row, and perhaps more, without touching the table: for a q of
//    three characters or more, matching_ids_sql looks q's trigrams up in connection_search
//    (schema/003_connection_search.sql, netmon/connection_search.h), whatever else the filter
//    asks; otherwise matching_ids_by_key_sql reads connections_by_key (remote host, port,
//    protocol, LAN device, port) from end to end.
// 3. rows_by_id_sql(): the rows of those ids, ordered, checked against the whole filter. When
//    there are many, the order's index is walked first, in ordered_ids_sql, keeping the ids
//    found, and their rows are read a batch at a time until the limit is filled.
//
// INDEXED BY: the walks are the order, whatever the filter, so that no filter can make SQLite
// sort the whole table instead; a test reads every plan.
std::string connections_sql() {
    return "SELECT " + select_list(connection_columns) +
           " FROM connections AS c INDEXED BY connections_by_total_bytes"
           " WHERE c.total_bytes >= ?6 AND" + std::string(connection_filter) +
           " ORDER BY c.total_bytes DESC, c.id"
           " LIMIT ?4";
}

// The total_bytes of the ?1-th row of the order, from the index alone; none when there are fewer.
constexpr std::string_view nth_total_sql =
    "SELECT total_bytes FROM connections INDEXED BY connections_by_total_bytes"
    " ORDER BY total_bytes DESC, id LIMIT 1 OFFSET ?1 - 1";

constexpr std::string_view matching_ids_sql =
    "SELECT rowid FROM connection_search WHERE connection_search MATCH ?1";
// The rows the ingest has not indexed yet (after a cold start, for a few cycles), from the
// table. CROSS JOIN: the few noted first, whatever the planner guesses, never the table whole.
constexpr std::string_view unindexed_matching_ids_sql =
    "SELECT c.id FROM search_added AS a CROSS JOIN connections AS c ON c.id = a.id WHERE instr(c.search, ?1) > 0";

// The cheap tests first: a device or a protocol leaves few rows for the substring.
// ?4, ?5, ?6: the names q matches, as in connection_filter's ?7, ?8, ?9.
constexpr std::string_view matching_ids_by_key_sql =
    "SELECT id FROM connections AS c INDEXED BY connections_by_key"
    " WHERE (?1 = '' OR c.proto = ?1) AND (?2 IS NULL OR c.src_ip IN (SELECT value FROM json_each(?2)))"
    " AND (?3 = '' OR instr(c.dst_ip, ?3) > 0 OR instr(c.src_ip, ?3) > 0 OR instr(c.dst_port, ?3) > 0"
    "      OR instr(c.src_port, ?3) > 0 OR c.src_ip IN (SELECT value FROM json_each(?4))"
    "      OR c.dst_ip IN (SELECT value FROM json_each(?5))"
    "      OR c.src_ip || ' ' || c.dst_ip IN (SELECT value FROM json_each(?6)))";

// The connections of the names a q of three characters or more matched, beside its trigrams:
// those of the remote hosts (of host_names and of the pairs: ?1) down connections_by_key,
// remote host first; those of the LAN devices (?1) from the whole of that index, which holds
// the LAN device too (no table rows are read either way).
constexpr std::string_view ids_of_hosts_sql =
    "SELECT id FROM connections INDEXED BY connections_by_key WHERE dst_ip IN (SELECT value FROM json_each(?1))";
constexpr std::string_view ids_of_devices_sql =
    "SELECT id FROM connections INDEXED BY connections_by_key WHERE src_ip IN (SELECT value FROM json_each(?1))";

constexpr std::string_view ordered_ids_sql =
    "SELECT id FROM connections INDEXED BY connections_by_total_bytes ORDER BY total_bytes DESC, id";

// ?6: the ids, a JSON array.
std::string rows_by_id_sql() {
    return "SELECT " + select_list(connection_columns) +
           " FROM connections AS c WHERE c.id IN (SELECT value FROM json_each(?6)) AND" +
           std::string(connection_filter) +
           " ORDER BY c.total_bytes DESC, c.id"
           " LIMIT ?4";
}

// Step 1 reads this many rows; only for a limit of at most a quarter of them, which they can fill.
constexpr std::size_t first_rows = 2000;
// Step 3 fetches every matching row up to this many, or twice the limit; past it, walking the
// order's index (about 0.1 us a row, no table) finds the first ones sooner than fetching all
// (1.5 us a row) would.
constexpr std::size_t fetch_all_up_to = 2000;

// high * 2^32 + low, at most 2^63 - 1.
std::int64_t from_halves(std::int64_t high, std::int64_t low) {
    if (high > (INT64_MAX >> 32)) return INT64_MAX;
    return saturating_add(high << 32, low);
}

// The columns of a HostRow, of the hosts (h) and what their active connections add up to (a).
constexpr std::array<Column<HostRow>, 9> host_columns = {{
    {"h.ip", read_member<&HostRow::ip>},
    {"h.family", read_member<&HostRow::family>},
    {"h.first_seen_at", read_member<&HostRow::first_seen_at>},
    {"h.last_seen_at", read_member<&HostRow::last_seen_at>},
    {"h.connections_seen", read_member<&HostRow::connections_seen>},
    {"h.uplink_bytes", read_member<&HostRow::uplink_bytes>},
    {"h.downlink_bytes", read_member<&HostRow::downlink_bytes>},
    {"coalesce(a.n, 0)", read_member<&HostRow::active_connections>},
    {"coalesce(a.high, 0), coalesce(a.low, 0)",
     [](const Statement& s, int index, HostRow& row) {
         row.active_bytes = from_halves(s.column_int(index), s.column_int(index + 1));
     },
     2},
}};

// The hosts first, down remote_hosts_by_first_seen, then the active connections of those hosts
// only, through connections_by_key (remote host first). Their bytes are summed in two halves, the high 32 bits and
// the low, which cannot overflow (sum() fails when a sum does); active_bytes puts them together,
// saturating.
std::string hosts_sql() {
    return "WITH h AS (SELECT id, ip, family, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
           "           downlink_bytes FROM remote_hosts WHERE first_seen_at >= ?1"
           "           ORDER BY first_seen_at DESC, id DESC LIMIT ?2),"
           " a AS (SELECT dst_ip, count(*) AS n, sum(total_bytes >> 32) AS high, sum(total_bytes & 4294967295) AS low"
           "       FROM connections WHERE dst_ip IN (SELECT ip FROM h) GROUP BY dst_ip)"
           " SELECT " + select_list(host_columns) +
           " FROM h LEFT JOIN a ON a.dst_ip = h.ip ORDER BY h.first_seen_at DESC, h.id DESC";
}

// The summary's figures, and when the newest of them changes.
struct SummaryRow : Summary {
    std::optional<std::int64_t> oldest_new_host_at;  // none when no host is new
};

// The active connections and their remote hosts are the ingest's own counts (meta, written
// with the rows): counting them here reads a whole index each, and count(DISTINCT dst_ip) all of
// connections_by_key (about 50 ms at 100,000 rows). An ingest older than them has none: then
// they are counted (coalesce evaluates its second argument only then). The other counts read an
// index each, which is why summary() keeps its answer while it holds.
static_assert(meta::active_connections == "active_connections" && meta::active_remote_hosts == "active_remote_hosts");
constexpr std::array<Column<SummaryRow>, 5> summary_columns = {{
    {"coalesce((SELECT value FROM meta WHERE key = 'active_connections'), (SELECT count(*) FROM connections))",
     read_member<&SummaryRow::active_connections, SummaryRow>},
    {"coalesce((SELECT value FROM meta WHERE key = 'active_remote_hosts'),"
     " (SELECT count(DISTINCT dst_ip) FROM connections))",
     read_member<&SummaryRow::active_remote_hosts, SummaryRow>},
    {"(SELECT count(*) FROM remote_hosts)", read_member<&SummaryRow::known_remote_hosts, SummaryRow>},
    {"(SELECT count(*) FROM remote_hosts WHERE first_seen_at >= ?1)",
     read_member<&SummaryRow::new_remote_hosts, SummaryRow>},
    {"(SELECT min(first_seen_at) FROM remote_hosts WHERE first_seen_at >= ?1)",
     read_member<&SummaryRow::oldest_new_host_at>},
}};

std::string summary_sql() { return "SELECT " + select_list(summary_columns); }

// A meta row: its value as an integer when it is one, and as text.
struct MetaRow {
    std::string key;
    std::optional<std::int64_t> integer;
    std::string text;
};

constexpr std::array<Column<MetaRow>, 3> meta_columns = {{
    {"key", read_member<&MetaRow::key>},
    {"CASE WHEN typeof(value) = 'integer' THEN value END", read_member<&MetaRow::integer>},
    {"CAST(value AS TEXT)", read_member<&MetaRow::text>},
}};

std::string meta_sql() { return "SELECT " + select_list(meta_columns) + " FROM meta"; }

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

Reader::Reader(Database db) : db_(checked(std::move(db))), history_(db_), names_(db_), coverage_(db_) {
    // 1 MiB of page cache per connection (SQLite's default is 2): the pages a dashboard reads
    // stay in the kernel's cache anyway, and RSS counts every connection's.
    db_.execute("PRAGMA cache_size = -1024");
    meta_ = db_.prepare(meta_sql());
    connections_ = db_.prepare(connections_sql());
    nth_total_ = db_.prepare(nth_total_sql);
    matching_ids_ = db_.prepare(matching_ids_sql);
    unindexed_matching_ids_ = db_.prepare(unindexed_matching_ids_sql);
    matching_ids_by_key_ = db_.prepare(matching_ids_by_key_sql);
    ids_of_hosts_ = db_.prepare(ids_of_hosts_sql);
    ids_of_devices_ = db_.prepare(ids_of_devices_sql);
    ordered_ids_ = db_.prepare(ordered_ids_sql);
    rows_by_id_ = db_.prepare(rows_by_id_sql());
    hosts_ = db_.prepare(hosts_sql());
    summary_ = db_.prepare(summary_sql());
    data_version_ = db_.prepare("PRAGMA data_version");
    schema_version_ = db_.prepare("PRAGMA schema_version");
    opened_schema_version_ = schema_version();
}

std::int64_t Reader::schema_version() {
    schema_version_.reset();
    std::int64_t version = schema_version_.step() ? schema_version_.column_int(0) : -1;
    schema_version_.reset();
    return version;
}

bool Reader::schema_changed() { return schema_version() != opened_schema_version_; }

std::int64_t Reader::data_version() {
    data_version_.reset();
    std::int64_t version = data_version_.step() ? data_version_.column_int(0) : -1;
    data_version_.reset();
    return version;
}

IngestStatus Reader::ingest_status() {
    IngestStatus status;
    meta_.reset();
    MetaRow row;
    while (meta_.step()) {
        read_columns(meta_, meta_columns, row);
        status.set(row.key, row.integer, row.text);
    }
    meta_.reset();
    return status;
}

Reader::BoundFilter Reader::bound(const ConnectionFilter& filter, std::int64_t now_ms, const ReverseLookup& reverse) {
    BoundFilter b{filter, std::nullopt, {}};
    if (!filter.src.empty()) {
        // A MAC, or an address (its MAC's device when the MAC is known): parse_connection_filter
        // let nothing else through.
        std::vector<std::string> addresses;
        if (auto ref = DeviceRef::parse(filter.src))
            for (const IpAddress& address : names_.resolve(*ref).addresses) addresses.push_back(address.to_string());
        b.src_addresses = json_strings(addresses);
    }
    if (!filter.q.empty()) {
        b.names = names_.matching(filter.q, now_ms, reverse);
        b.devices = json_strings(b.names.devices);
        b.hosts = json_strings(b.names.hosts);
        b.pairs = json_strings(b.names.pairs);
    }
    return b;
}

void Reader::bind_filter(Statement& statement, const BoundFilter& b, std::int64_t now_ms) {
    const ConnectionFilter& filter = b.filter;
    statement.bind(1, std::string_view(filter.proto));
    if (b.src_addresses) statement.bind(2, std::string_view(*b.src_addresses));
    else statement.bind_null(2);
    statement.bind(3, std::string_view(filter.q));
    statement.bind(4, static_cast<std::int64_t>(filter.limit));
    statement.bind(5, now_ms - new_host_window_ms);
    statement.bind(7, std::string_view(b.devices));
    statement.bind(8, std::string_view(b.hosts));
    statement.bind(9, std::string_view(b.pairs));
}

namespace {

void read_row(const Statement& s, ConnectionRow& row) { read_columns(s, connection_columns, row); }

std::string json_array(const std::vector<std::int64_t>& ids) {
    std::string out = "[";
    for (std::int64_t id : ids) {
        if (out.size() > 1) out += ',';
        out += std::to_string(id);
    }
    return out + "]";
}

// One read of the database for several statements, inside the caller's transaction if there
// is one. Read-only: releasing is all there is to do, also after an error.
class Snapshot {
public:
    explicit Snapshot(Database& db) : db_(db) { db_.execute("SAVEPOINT netmon_connections"); }
    ~Snapshot() {
        try {
            db_.execute("RELEASE netmon_connections");
        } catch (...) {
            // Destructors never throw; a failed release leaves a read transaction to the next one.
        }
    }
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

private:
    Database& db_;
};

}  // namespace

namespace {

// Calls row for each row of a bound statement, then resets it.
void emit_rows(Statement& s, const std::function<void(const ConnectionRow&)>& row) {
    ConnectionRow r;
    while (s.step()) {
        read_row(s, r);
        row(r);
    }
    s.reset();
}

}  // namespace

void Reader::connections(const ConnectionFilter& filter, std::int64_t now_ms,
                         const std::function<void(const ConnectionRow&)>& row, const ReverseLookup& reverse) {
    Snapshot snapshot(db_);
    // Each row's names: primary-key lookups, each device and pair once per answer.
    NameLookup lookup(names_, reverse);
    ConnectionRow named;
    const std::function<void(const ConnectionRow&)> with_names = [&](const ConnectionRow& found) {
        named = found;
        auto src = IpAddress::parse(found.src_ip);
        auto dst = IpAddress::parse(found.dst_ip);
        if (src) named.device_name = lookup.device_of(*src).name;
        if (src && dst) named.remote_name = lookup.remote(*src, *dst, found.first_seen_at);
        else if (dst) named.remote_name = lookup.host(*dst);
        row(named);
    };
    const BoundFilter b = bound(filter, now_ms, reverse);
    if (filter.proto.empty() && filter.src.empty() && filter.q.empty()) {
        connections_.reset();
        bind_filter(connections_, b, now_ms);
        connections_.bind(6, INT64_MIN);
        emit_rows(connections_, with_names);
        return;
    }
    // 1. The first rows of the order.
    if (filter.limit * 4 <= first_rows && answered_by_first_rows(b, now_ms, with_names)) return;
    // 2. Every matching id, and perhaps a few more.
    std::vector<std::int64_t> ids = matching_ids(b);
    if (ids.empty()) return;
    // 3. Their rows.
    rows_of_ids(b, now_ms, std::move(ids), with_names);
}

bool Reader::answered_by_first_rows(const BoundFilter& filter, std::int64_t now_ms,
                                    const std::function<void(const ConnectionRow&)>& row) {
    nth_total_.reset();
    nth_total_.bind(1, static_cast<std::int64_t>(first_rows));
    const bool more = nth_total_.step();
    const std::int64_t lowest = more ? nth_total_.column_int(0) : INT64_MIN;
    nth_total_.reset();
    std::vector<ConnectionRow> rows;
    Statement& s = connections_;
    s.reset();
    bind_filter(s, filter, now_ms);
    s.bind(6, lowest);
    while (s.step()) read_row(s, rows.emplace_back());
    s.reset();
    if (rows.size() != filter.filter.limit && more) return false;
    for (const ConnectionRow& found : rows) row(found);
    return true;
}

std::vector<std::int64_t> Reader::matching_ids(const BoundFilter& b) {
    const ConnectionFilter& filter = b.filter;
    // A q with a character no address or port has ("laptop", "küche") can only be a name's: no
    // text to look up (and a piece of a multibyte character is no FTS5 query).
    const bool text_can_match = std::all_of(filter.q.begin(), filter.q.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.' || c == ':';
    });
    if (!text_can_match) return names_ids(b);
    // Trigrams whenever q has three characters: what they find beyond the filter (another
    // device, protocol, or text) rows_of_ids drops, as it drops their false matches.
    const std::string trigrams = trigram_query(filter.q);
    Statement& matching = trigrams.empty() ? matching_ids_by_key_ : matching_ids_;
    matching.reset();
    if (!trigrams.empty()) {
        matching.bind(1, std::string_view(trigrams));
    } else {
        matching.bind(1, std::string_view(filter.proto));
        if (b.src_addresses) matching.bind(2, std::string_view(*b.src_addresses));
        else matching.bind_null(2);
        matching.bind(3, std::string_view(filter.q));
        matching.bind(4, std::string_view(b.devices));
        matching.bind(5, std::string_view(b.hosts));
        matching.bind(6, std::string_view(b.pairs));
    }
    std::vector<std::int64_t> ids;
    while (matching.step()) ids.push_back(matching.column_int(0));
    matching.reset();
    if (!trigrams.empty()) {
        unindexed_matching_ids_.reset();
        unindexed_matching_ids_.bind(1, std::string_view(filter.q));
        while (unindexed_matching_ids_.step()) ids.push_back(unindexed_matching_ids_.column_int(0));
        unindexed_matching_ids_.reset();
        std::vector<std::int64_t> named = names_ids(b);
        ids.insert(ids.end(), named.begin(), named.end());
    }
    return ids;
}

std::vector<std::int64_t> Reader::names_ids(const BoundFilter& b) {
    std::vector<std::int64_t> ids;
    auto add_ids = [&](Statement& s, const std::string& list) {
        s.reset();
        s.bind(1, std::string_view(list));
        while (s.step()) ids.push_back(s.column_int(0));
        s.reset();
    };
    if (!b.names.hosts.empty() || !b.names.pairs.empty()) {
        std::vector<std::string> hosts = b.names.hosts;
        for (const std::string& pair : b.names.pairs) hosts.push_back(pair.substr(pair.find(' ') + 1));
        std::sort(hosts.begin(), hosts.end());
        hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
        add_ids(ids_of_hosts_, json_strings(hosts));
    }
    if (!b.names.devices.empty()) add_ids(ids_of_devices_, b.devices);
    return ids;
}

void Reader::rows_of_ids(const BoundFilter& b, std::int64_t now_ms, std::vector<std::int64_t> ids,
                         const std::function<void(const ConnectionRow&)>& row) {
    const ConnectionFilter& filter = b.filter;
    Statement& s = rows_by_id_;
    // All at once when they are few.
    if (ids.size() <= std::max(fetch_all_up_to, filter.limit * 2)) {
        s.reset();
        bind_filter(s, b, now_ms);
        s.bind(6, std::string_view(json_array(ids)));
        emit_rows(s, row);
        return;
    }
    // Else the first ones of the order among them, a batch at a time: a batch's rows come in
    // the order's order, and every row of a batch comes before every row of the next.
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    ConnectionRow r;
    std::size_t emitted = 0;
    ordered_ids_.reset();
    bool walking = true;
    while (walking && emitted < filter.limit) {
        const std::size_t wanted = filter.limit - emitted;
        std::vector<std::int64_t> batch;
        while (batch.size() < wanted + wanted / 4 + 16 && (walking = ordered_ids_.step())) {
            const std::int64_t id = ordered_ids_.column_int(0);
            if (std::binary_search(ids.begin(), ids.end(), id)) batch.push_back(id);
        }
        if (batch.empty()) break;
        s.reset();
        bind_filter(s, b, now_ms);
        s.bind(4, static_cast<std::int64_t>(wanted));
        s.bind(6, std::string_view(json_array(batch)));
        while (s.step()) {
            read_row(s, r);
            row(r);
            ++emitted;
        }
        s.reset();
    }
    ordered_ids_.reset();
}

std::vector<HostRow> Reader::hosts(const HostFilter& filter, std::int64_t now_ms, const ReverseLookup& reverse) {
    Snapshot snapshot(db_);
    Statement& s = hosts_;
    s.reset();
    s.bind(1, filter.since_seconds ? now_ms - *filter.since_seconds * 1000 : INT64_MIN);
    s.bind(2, static_cast<std::int64_t>(filter.limit));
    std::vector<HostRow> rows;
    while (s.step()) read_columns(s, host_columns, rows.emplace_back());
    s.reset();
    NameLookup lookup(names_, reverse);
    for (HostRow& row : rows)
        if (auto host = IpAddress::parse(row.ip)) row.remote_name = lookup.host(*host);
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
    SummaryRow row;
    if (s.step()) read_columns(s, summary_columns, row);
    s.reset();
    // new_remote_hosts falls when its oldest host leaves the window.
    const std::int64_t valid_until = row.oldest_new_host_at ? *row.oldest_new_host_at + new_host_window_ms : INT64_MAX;
    const Summary summary = row;
    summary_cache_ = CachedSummary{version, now_ms, valid_until, summary};
    return summary;
}

namespace {

std::vector<std::string> plan_lines(Statement& plan) {
    std::vector<std::string> lines;
    while (plan.step()) lines.push_back(plan.column_text(3));
    return lines;
}

}  // namespace

std::vector<std::vector<std::string>> Reader::connections_plans(const ConnectionFilter& filter) {
    std::vector<std::vector<std::string>> plans;
    const BoundFilter b = bound(filter, 0);
    Statement connections = db_.prepare("EXPLAIN QUERY PLAN " + connections_sql());
    bind_filter(connections, b, 0);
    connections.bind(6, INT64_MIN);
    plans.push_back(plan_lines(connections));
    Statement nth_total = db_.prepare("EXPLAIN QUERY PLAN " + std::string(nth_total_sql));
    plans.push_back(plan_lines(nth_total));
    Statement rows_by_id = db_.prepare("EXPLAIN QUERY PLAN " + rows_by_id_sql());
    bind_filter(rows_by_id, b, 0);
    plans.push_back(plan_lines(rows_by_id));
    for (std::string_view sql :
         {matching_ids_sql, matching_ids_by_key_sql, ordered_ids_sql, unindexed_matching_ids_sql}) {
        Statement plan = db_.prepare("EXPLAIN QUERY PLAN " + std::string(sql));
        plans.push_back(plan_lines(plan));
    }
    return plans;
}

std::vector<std::vector<std::string>> Reader::name_plans() {
    std::vector<std::vector<std::string>> plans;
    for (std::string_view sql : {ids_of_hosts_sql, ids_of_devices_sql}) {
        Statement plan = db_.prepare("EXPLAIN QUERY PLAN " + std::string(sql));
        plans.push_back(plan_lines(plan));
    }
    for (auto& plan : NameQueries::plans(db_)) plans.push_back(std::move(plan));
    return plans;
}

std::vector<std::string> Reader::hosts_plan() {
    Statement plan = db_.prepare("EXPLAIN QUERY PLAN " + hosts_sql());
    plan.bind(1, INT64_MIN).bind(2, 500);
    return plan_lines(plan);
}

std::vector<std::string> Reader::summary_plan() {
    Statement plan = db_.prepare("EXPLAIN QUERY PLAN " + summary_sql());
    plan.bind(1, 0);
    return plan_lines(plan);
}

}  // namespace netmon::web
