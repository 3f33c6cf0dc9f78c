#include "history_page_routes.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "api_json.h"
#include "history_pages.h"
#include "host_page_queries.h"
#include "netmon/database.h"
#include "queries.h"
#include "request_params.h"

namespace netmon::web {
namespace {

Response reply(int status, std::string body, std::string type) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    response.set("Content-Type", std::move(type));
    return response;
}

constexpr const char* html_type = "text/html; charset=utf-8";
constexpr const char* json_type = "application/json";

// The query is the page script's (?window=7d picks the chart's window): the server ignores it.
Response page(const PageRequest& asked) {
    // A device's page is also its MAC's: /device/aa:bb:cc:dd:ee:ff.
    if (asked.page == HistoryPage::device) {
        if (auto mac = parse_page_mac(asked.address_text)) return reply(200, render_device_page(*mac), html_type);
    }
    auto address = parse_page_address(asked.address_text);
    if (!address) return reply(400, render_bad_address_page(asked.page, asked.address_text), html_type);
    return reply(200, render_history_page(asked.page, *address), html_type);
}

template <class Read>
Response address_json(const Request& request, std::string_view name, const ReadJson& read_json, Read read) {
    std::string error;
    std::optional<QueryParams> params = parse_query_string(request.query(), error);
    std::optional<IpAddress> address;
    if (params) address = parse_address_parameter(*params, name, error);
    if (!address) return reply(400, error_json(error), json_type);
    return read_json([&](Reader& reader) { return read(reader, *address); });
}

}  // namespace

Response chart_library(const Request& request, const std::string& library_path) {
    struct stat status {};
    std::ifstream file(library_path, std::ios::binary);
    if (!file || ::stat(library_path.c_str(), &status) != 0) {
        return reply(404, "/static/chart.js: cannot read " + library_path + ": install Debian's libjs-chart.js\n",
                     "text/plain; charset=utf-8");
    }
    const std::string etag = "\"chartjs-" + std::to_string(status.st_size) + "-" +
                             std::to_string(status.st_mtim.tv_sec) + "." + std::to_string(status.st_mtim.tv_nsec) +
                             "\"";
    Response response;
    response.set("Cache-Control", "no-cache");
    response.set("ETag", etag);
    const std::string* match = request.header("If-None-Match");
    if (match != nullptr && *match == etag) {
        response.status = 304;
        return response;
    }
    std::ostringstream body;
    body << file.rdbuf();
    response.body = std::move(body).str();
    response.set("Content-Type", "text/javascript; charset=utf-8");
    return response;
}

std::optional<Response> route_history_pages(const Request& request, const ReadJson& read_json,
                                            const ReverseLookup& reverse) {
    const std::string_view path = request.path();
    if (auto asked = match_history_page(path)) return page(*asked);
    if (path == "/static/chart.js") return chart_library(request, std::string(chart_library_path));
    if (path == "/device.json") {
        std::string error;
        std::optional<QueryParams> params = parse_query_string(request.query(), error);
        std::optional<DeviceRef> ref;
        if (params) ref = parse_device_parameter(*params, error);
        if (!ref) return reply(400, error_json(error), json_type);
        return read_json([&](Reader& reader) {
            Transaction snapshot(reader.database(), Transaction::Kind::deferred);
            const Device device = reader.names().resolve(*ref);
            return device_record_json(*ref, device, read_device_record(reader.database(), device.addresses));
        });
    }
    if (path == "/host.json") {
        return address_json(request, "host", read_json, [&reverse](Reader& reader, const IpAddress& host) {
            // Both tables from one snapshot.
            Transaction snapshot(reader.database(), Transaction::Kind::deferred);
            HostRecord record = read_host_record(reader.database(), host);
            NameLookup names(reader.names(), reverse);
            group_host_devices(record, names);
            record.remote_name = names.host(host);
            return host_record_json(host, record);
        });
    }
    return std::nullopt;
}

}  // namespace netmon::web
