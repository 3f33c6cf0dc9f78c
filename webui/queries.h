#pragma once
// The SQL netmon-web runs, on one read-only connection with its statements prepared once. Every
// value reaches SQLite as a bound parameter.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connections_cache.h"
#include "coverage.h"
#include "history_queries.h"
#include "ingest_health.h"
#include "name_queries.h"
#include "netmon/database.h"
#include "request_params.h"
#include "rows.h"

namespace netmon::web {

class Reader {
public:
    // Takes an open connection (read-only), checks that its schema is the one this netmon knows
    // and prepares the statements. Throws SchemaError (no netmon schema, or another version) or
    // DatabaseError (unreadable, not a database).
    explicit Reader(Database db);

    Database& database() { return db_; }
    // Changes whenever another connection (the ingest) commits: PRAGMA data_version, which
    // only compares with earlier values of this same connection.
    std::int64_t data_version();
    // True when a migration (or anything else) changed the schema since this connection was
    // opened and checked: its statements may no longer fit, so open a new one.
    bool schema_changed();
    // The last /connections.json this connection made, for data_version to vouch for.
    ConnectionsCache& cache() { return cache_; }
    // The statements of the history endpoints, on this connection.
    HistoryQueries& history() { return history_; }
    // The statements of the names tables, on this connection.
    NameQueries& names() { return names_; }
    // How much of the WAN's traffic the flows account for (coverage.h).
    CoverageQueries& coverage() { return coverage_; }

    IngestStatus ingest_status();
    // Calls row for each connection that matches filter, by total_bytes descending, at most
    // filter.limit. The row is only valid during the call. Its host_first_seen_at is exact for
    // connections first seen within new_host_window_ms of now_ms, and for older ones at most
    // their own first_seen_at: enough for seen_before. Its names are looked up (reverse names
    // through reverse, when given).
    void connections(const ConnectionFilter& filter, std::int64_t now_ms,
                     const std::function<void(const ConnectionRow&)>& row, const ReverseLookup& reverse = {});
    // Hosts by first_seen_at descending (the newest first).
    std::vector<HostRow> hosts(const HostFilter& filter, std::int64_t now_ms, const ReverseLookup& reverse = {});
    // Kept while no commit and no clock tick can change it. Call it outside a transaction of
    // the caller's, so that the data_version it checks is the one its query reads.
    Summary summary(std::int64_t now_ms);
    // SQLite's plans for the statements of connections() with filter (see queries.cpp), one
    // line per step, for the tests that make sure an index serves each.
    std::vector<std::vector<std::string>> connections_plans(const ConnectionFilter& filter);
    // The same for the statements that find the connections of names (q= matching names):
    // the remote hosts' through connections_by_key, the devices' from it alone.
    std::vector<std::vector<std::string>> name_plans();
    // The same for the hosts query and the summary: each step must read an index.
    std::vector<std::string> hosts_plan();
    std::vector<std::string> summary_plan();

private:
    // A filter with what it names looked up: src's addresses, and the names q matches.
    struct BoundFilter {
        const ConnectionFilter& filter;
        std::optional<std::string> src_addresses;  // a JSON array; none: any device
        NameMatches names;
        std::string devices = "[]", hosts = "[]", pairs = "[]";  // names' JSON arrays
    };
    BoundFilter bound(const ConnectionFilter& filter, std::int64_t now_ms, const ReverseLookup& reverse = {});
    std::int64_t schema_version();
    void bind_filter(Statement& statement, const BoundFilter& filter, std::int64_t now_ms);
    // The three steps of connections() with a filter (see queries.cpp). The first answers when
    // the first rows of the order hold all it needs, and says whether it did.
    bool answered_by_first_rows(const BoundFilter& filter, std::int64_t now_ms,
                                const std::function<void(const ConnectionRow&)>& row);
    std::vector<std::int64_t> matching_ids(const BoundFilter& filter);
    // The ids of the connections of the names the filter's q matched (a superset, as above).
    std::vector<std::int64_t> names_ids(const BoundFilter& filter);
    void rows_of_ids(const BoundFilter& filter, std::int64_t now_ms, std::vector<std::int64_t> ids,
                     const std::function<void(const ConnectionRow&)>& row);

    Database db_;
    Statement meta_;
    Statement connections_;
    Statement nth_total_;
    Statement matching_ids_;
    Statement unindexed_matching_ids_;
    Statement matching_ids_by_key_;
    Statement ids_of_hosts_;
    Statement ids_of_devices_;
    Statement ordered_ids_;
    Statement rows_by_id_;
    Statement hosts_;
    Statement summary_;
    Statement data_version_;
    Statement schema_version_;
    HistoryQueries history_;
    NameQueries names_;
    CoverageQueries coverage_;
    std::int64_t opened_schema_version_ = 0;
    ConnectionsCache cache_;
    struct CachedSummary {
        std::int64_t data_version = 0;
        std::int64_t made_at = 0;
        std::int64_t valid_until = 0;
        Summary summary;
    };
    std::optional<CachedSummary> summary_cache_;
};

}  // namespace netmon::web
