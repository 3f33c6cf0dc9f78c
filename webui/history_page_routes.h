#pragma once
// The routes of the history pages (history_pages.h), apart from HttpApi so that HttpApi only
// hands them requests: /device/ADDR and /host/ADDR (HTML), /device.json and /host.json
// (host_page_queries.h), and /static/chart.js, Debian's Chart.js read from the installed file
// on each request (ETag from its size and time: a 304 reads nothing), so that an upgrade of
// libjs-chart.js is served at once. The file's path is fixed: no request names a file.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http_message.h"

#include "name_queries.h"

namespace netmon::web {

class Reader;

// Runs a read on a reader of the pool and answers 200 with the JSON it returns, or 503 with
// the database's error (HttpApi::json_from_reader).
using ReadJson = std::function<Response(const std::function<std::string(Reader&)>&)>;

// The response for a path of the history pages, or nothing for any other path.
// reverse names the hosts no DNS answer named (empty: none).
std::optional<Response> route_history_pages(const Request& request, const ReadJson& read_json,
                                            const ReverseLookup& reverse);

// /static/chart.js from library_path: 200 (or 304 for a matching If-None-Match), or 404 saying
// which package to install when the file cannot be read.
Response chart_library(const Request& request, const std::string& library_path);

}  // namespace netmon::web
