#pragma once
// The dashboard's HTML, rendered on the server so that the page is complete without JavaScript;
// assets/app.js then keeps it live. Every value is escaped. Pure: the current time is passed in.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api_json.h"
#include "request_params.h"
#include "rows.h"
#include "system_metrics.h"

namespace netmon::web {

struct DashboardView {
    std::string lan_interface;
    std::string wan_interface;
    ConnectionFilter filter;
    std::string filter_error;  // a bad query parameter: said above an empty table
    IngestView ingest;         // ingest.database_error: the database could not be read
    std::vector<ConnectionRow> rows;
    SystemSample system;
    std::int64_t now_ms = 0;
};

std::string render_dashboard(const DashboardView& view);

// Text for HTML content and quoted attribute values: & < > " ' escaped.
void append_html(std::string& out, std::string_view text);
std::string escape_html(std::string_view text);

}  // namespace netmon::web
