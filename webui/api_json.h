#pragma once
// The JSON of the API: field names, types and time formats in one place. Pure: the current
// time is passed in.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coverage.h"
#include "ingest_health.h"
#include "netmon/json_writer.h"
#include "rows.h"
#include "system_metrics.h"

namespace netmon::web {

// /connections.json, a row at a time: "[", the rows, "]".
class ConnectionsJson {
public:
    ConnectionsJson(std::int64_t now_ms, std::size_t expected_rows);
    ConnectionsJson(const ConnectionsJson&) = delete;  // writer_ writes to this one's out_
    ConnectionsJson& operator=(const ConnectionsJson&) = delete;
    void add(const ConnectionRow& row);
    // The array; the object is spent.
    std::string finish();
    // The last ms at which the rows added so far read the same: the earliest time one of
    // their NEW hosts turns SEEN (INT64_MAX when none is NEW).
    std::int64_t valid_until() const { return valid_until_; }

private:
    std::string out_;
    JsonWriter writer_{out_};
    std::int64_t now_ms_;
    std::int64_t valid_until_ = INT64_MAX;
};

std::string hosts_json(const std::vector<HostRow>& rows, std::int64_t now_ms);

// The database side of /metrics.json: the summary line, the ingest's state and the notices.
struct IngestView {
    std::string database_error;  // empty when the database was read
    Summary summary;
    IngestStatus status;
    IngestHealth health;
    Coverage coverage;  // the last hour's
};

// With a database error, also {"error": ...} at the top, as every JSON endpoint gives then.
std::string metrics_json(const SystemSample& system, const IngestView& ingest, std::int64_t now_ms);
// /healthz: 200 with this when fresh, else 503 with an "error".
std::string health_json(const IngestView& ingest, std::int64_t now_ms);
// {"error": message}
std::string error_json(std::string_view message);

}  // namespace netmon::web
