#include "http_api.h"

#include <chrono>
#include <cmath>

#include "api_json.h"
#include "assets.h"
#include "coverage_page.h"
#include "dashboard.h"
#include "history_json.h"
#include "history_page_routes.h"
#include "netmon/clock.h"
#include "netmon/database.h"
#include "netmon/log.h"
#include "prometheus.h"
#include "queries.h"

namespace netmon::web {
namespace {

constexpr const char* json_type = "application/json";
constexpr const char* html_type = "text/html; charset=utf-8";
constexpr const char* text_type = "text/plain; charset=utf-8";

Response reply(int status, std::string body, std::string_view type) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    response.set("Content-Type", std::string(type));
    return response;
}

Response reply_error(int status, std::string_view message) { return reply(status, error_json(message), json_type); }

// Errors are JSON for the JSON endpoints and text for the rest.
Response reply_error_for(std::string_view path, int status, std::string_view message) {
    if (path.ends_with(".json")) return reply_error(status, message);
    return reply(status, std::string(message) + "\n", text_type);
}

// retention.traffic_* and host_traffic_* of netmon.yml: which step of traffic, and of the pairs'
// host_traffic, a window can read. Pairs with no rows kept (host_traffic_max_rows 0) keep no step.
HistoryRetention history_retention(const Retention& retention) {
    return {retention.traffic_per_minute_hours, retention.traffic_per_hour_days, retention.traffic_per_day_days,
            retention.host_minute_hours(), retention.host_hour_days(), retention.host_day_days()};
}

constexpr std::pair<const char*, const char*> security_headers[] = {
    {"Content-Security-Policy", content_security_policy.data()},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Cache-Control", "no-store"},
};

}  // namespace

HttpApi::HttpApi(const Config& config, Logger& log, bool cache_responses)
    : config_(config),
      log_(log),
      default_interval_ms_(static_cast<std::int64_t>(std::llround(config.interval * 1000))),
      history_retention_(history_retention(config.retention)),
      allowed_hosts_(config.web_listen, config.web_hostnames),
      pool_(config.database),
      metrics_(config.monitor_interfaces),
      cache_responses_(cache_responses) {
    if (config.web_auth) auth_.emplace(*config.web_auth);
    if (config.names.ptr) {
        try {
            reverse_dns_ = std::make_unique<ReverseDns>(ReverseDns::Options{});
            ReverseDns* dns = reverse_dns_.get();
            reverse_.name = [dns](const IpAddress& host) { return dns->name(host); };
            reverse_.matching = [dns](std::string_view q) { return dns->matching(q); };
        } catch (const std::exception& e) {
            log_.warning(std::string(e.what()) + ": remote hosts no DNS answer named stay addresses");
        }
    }
    // A first sample, so that the first page already has rates a second later.
    metrics_.sample(unix_ms_now());
}

HttpApi::~HttpApi() = default;

void HttpApi::note_database(const std::string& error) {
    std::lock_guard lock(state_mutex_);
    if (last_database_error_ && *last_database_error_ == error) return;
    if (!error.empty()) log_.warning("no data: " + error);
    else if (last_database_error_) log_.info("reading " + config_.database + " again");
    last_database_error_ = error;
}

template <class Read>
std::string HttpApi::with_reader(Read&& read) {
    std::string error;
    for (int attempt = 0; attempt < 2; ++attempt) {
        ReaderPool::Lease reader = pool_.acquire();
        if (!reader) {
            error = reader.error();
            break;
        }
        try {
            read(*reader);
            error.clear();
            break;
        } catch (const DatabaseError& e) {
            // A file replaced or removed under the connection, a broken WAL: try a new one.
            reader.discard();
            error = "cannot read " + config_.database + ": " + e.what();
        }
    }
    note_database(error);
    return error;
}

template <class Read>
Response HttpApi::json_from_reader(Read&& read) {
    std::string body;
    const std::string error = with_reader([&](Reader& reader) { body = read(reader); });
    if (!error.empty()) return reply_error(503, error);
    return reply(200, std::move(body), json_type);
}

IngestView HttpApi::ingest_view(std::int64_t now) {
    IngestView view;
    view.database_error = with_reader([&](Reader& reader) {
        view.summary = reader.summary(now);
        view.status = reader.ingest_status();
        view.coverage = reader.coverage().last_hour(now);
    });
    view.health = evaluate_ingest(view.status, now, default_interval_ms_);
    return view;
}

void HttpApi::add_route(std::string path, Route route) { extra_routes_.emplace(std::move(path), std::move(route)); }

Response HttpApi::handle(const Request& request) {
    Response response;
    try {
        response = checked(request);
    } catch (const std::exception& e) {
        log_.error(request.method + " " + std::string(request.path()) + ": " + e.what());
        response = reply_error(500, "internal error");
    }
    for (const auto& [name, value] : security_headers)
        if (response.header(name) == nullptr) response.set(name, value);
    return response;
}

std::optional<Response> HttpApi::authenticate(const Request& request, std::int64_t now) {
    std::optional<std::int64_t> wait;
    {
        std::lock_guard lock(throttle_mutex_);
        wait = throttle_.wait_ms(request.peer, now);
    }
    if (wait) {
        // Not even checked: hashing is slow on purpose, and a guess now tells nothing.
        Response response = reply_error(429, "too many wrong passwords from this address: try again in " +
                                                 std::to_string((*wait + 999) / 1000) + " s");
        response.set("Retry-After", std::to_string((*wait + 999) / 1000));
        response.close = true;
        return response;
    }
    const std::string* authorization = request.header("Authorization");
    const bool ok = auth_->check(authorization != nullptr ? std::string_view(*authorization) : std::string_view());
    {
        std::lock_guard lock(throttle_mutex_);
        if (ok) throttle_.succeeded(request.peer);
        // A header that is not even Basic credentials is no guess, and cost no hashing.
        else if (authorization != nullptr && parse_basic_authorization(*authorization)) throttle_.failed(request.peer, now);
    }
    if (ok) return std::nullopt;
    Response response = reply_error(401, "authentication required");
    response.set("WWW-Authenticate", std::string(auth_challenge));
    response.close = request.has_body;
    return response;
}

Response HttpApi::checked(const Request& request) {
    if (!allowed_hosts_.allows(request.header("Host"))) {
        // Also what a browser sees after DNS rebinding: a name of the attacker's for our address.
        Response response = reply_error(421, "this server does not answer for that Host: use its address (" +
                                                 config_.web_listen.to_string() +
                                                 ") or a name listed in web.hostnames");
        response.close = true;
        return response;
    }
    if (auth_) {
        if (auto refused = authenticate(request, unix_ms_now())) return std::move(*refused);
    }
    if (request.method != "GET" && request.method != "HEAD") {
        Response response = reply_error(405, "method " + request.method + " not allowed: only GET and HEAD");
        response.set("Allow", "GET, HEAD");
        response.close = true;
        return response;
    }
    if (request.has_body) {
        Response response = reply_error(413, "a GET or HEAD request has no body");
        response.close = true;
        return response;
    }
    if (request.target.empty() || request.target.front() != '/')
        return reply_error(400, "the request target must be a path (\"/connections.json\")");
    return route(request);
}

Response HttpApi::route(const Request& request) {
    const std::string_view path = request.path();
    // The history pages, their two JSON endpoints and /static/chart.js (history_page_routes.h).
    auto read_json = [this](const std::function<std::string(Reader&)>& read) { return json_from_reader(read); };
    if (auto page = route_history_pages(request, read_json, reverse_)) return std::move(*page);
    if (path.starts_with("/static/")) return asset(request, path);
    // Browsers ask for it whatever the page's <link rel="icon"> says (a JSON view, an error page).
    if (path == "/favicon.ico") return asset(request, "/static/icon.svg");
    if (auto extra = extra_routes_.find(path); extra != extra_routes_.end()) return extra->second(request);

    using Handler = Response (HttpApi::*)(const QueryParams&);
    static constexpr std::pair<std::string_view, Handler> routes[] = {
        {"/connections.json", &HttpApi::connections}, {"/hosts.json", &HttpApi::hosts},
        {"/metrics.json", &HttpApi::metrics_json},    {"/healthz", &HttpApi::healthz},
        {"/metrics", &HttpApi::prometheus},           {"/devices.json", &HttpApi::devices},
        {"/history.json", &HttpApi::history},         {"/flows.json", &HttpApi::flows},
        {"/coverage", &HttpApi::coverage_page},
    };
    std::string error;
    std::optional<QueryParams> params = parse_query_string(request.query(), error);
    if (path == "/") return dashboard(request, params, error);
    for (const auto& [route_path, handler] : routes) {
        if (route_path != path) continue;
        if (!params) return reply_error_for(path, 400, error);
        return (this->*handler)(*params);
    }
    return reply_error_for(path, 404, "not found: " + std::string(path));
}

Response HttpApi::dashboard(const Request&, const std::optional<QueryParams>& params, const std::string& query_error) {
    const std::int64_t now = unix_ms_now();
    DashboardView view;
    view.lan_interface = config_.lan_interface;
    view.wan_interface = config_.wan_interface;
    view.now_ms = now;
    view.system = metrics_.sample(now);
    std::optional<ConnectionFilter> filter;
    if (params) filter = parse_connection_filter(*params, view.filter_error);
    else view.filter_error = query_error;
    if (filter) view.filter = *filter;
    view.ingest.database_error = with_reader([&](Reader& reader) {
        view.rows.clear();
        view.ingest.summary = reader.summary(now);
        // The state of the ingest and the table from one snapshot.
        Transaction snapshot(reader.database(), Transaction::Kind::deferred);
        view.ingest.status = reader.ingest_status();
        view.ingest.coverage = reader.coverage().last_hour(now);
        if (filter) reader.connections(
                *filter, now, [&](const ConnectionRow& row) { view.rows.push_back(row); }, reverse_);
    });
    view.ingest.health = evaluate_ingest(view.ingest.status, now, default_interval_ms_);
    int status = !view.filter_error.empty() ? 400 : !view.ingest.database_error.empty() ? 503 : 200;
    return reply(status, render_dashboard(view), html_type);
}

Response HttpApi::connections(const QueryParams& params) {
    std::string error;
    auto filter = parse_connection_filter(params, error);
    if (!filter) return reply_error(400, error);
    const std::int64_t now = unix_ms_now();
    return json_from_reader([&](Reader& reader) {
        // Read before the query: a commit in between makes the next request query again.
        const std::int64_t version = reader.data_version();
        if (const std::string* cached = reader.cache().find(*filter, version, now)) return *cached;
        ConnectionsJson json(now, filter->limit < 1000 ? filter->limit : 1000);
        reader.connections(*filter, now, [&](const ConnectionRow& row) { json.add(row); }, reverse_);
        const std::int64_t valid_until = json.valid_until();
        std::string body = json.finish();
        if (cache_responses_) reader.cache().store(*filter, version, now, valid_until, body);
        return body;
    });
}

Response HttpApi::hosts(const QueryParams& params) {
    if (names_device(params)) return device_hosts(params);
    std::string error;
    auto filter = parse_host_filter(params, error);
    if (!filter) return reply_error(400, error);
    const std::int64_t now = unix_ms_now();
    return json_from_reader([&](Reader& reader) { return hosts_json(reader.hosts(*filter, now, reverse_), now); });
}

Response HttpApi::device_hosts(const QueryParams& params) {
    std::string error;
    auto request = parse_device_hosts_request(params, error);
    if (!request) return reply_error(400, error);
    const WindowPlan plan = plan_host_window(request->window, unix_ms_now(), history_retention_);
    return json_from_reader([&](Reader& reader) {
        Transaction snapshot(reader.database(), Transaction::Kind::deferred);
        NameLookup names(reader.names(), reverse_);
        const Device device = reader.names().resolve(request->device);
        std::vector<DeviceHostRow> rows = reader.history().device_hosts(device.addresses, plan, request->limit);
        for (DeviceHostRow& row : rows)
            row.remote_name = names.remote(device, row.host, row.first_seen_at.value_or(INT64_MIN));
        return device_hosts_json(*request, plan, rows, &device);
    });
}

Response HttpApi::devices(const QueryParams& params) {
    std::string error;
    auto request = parse_devices_request(params, error);
    if (!request) return reply_error(400, error);
    const WindowPlan plan = plan_window(request->window, unix_ms_now(), history_retention_);
    return json_from_reader([&](Reader& reader) {
        // The traffic and the devices' rows from one snapshot.
        Transaction snapshot(reader.database(), Transaction::Kind::deferred);
        NameQueries& names = reader.names();
        // One entry per device: a MAC's addresses together.
        std::vector<DeviceRow> rows = group_devices(reader.history().devices(plan),
                                                    [&](const IpAddress& address) { return names.mac_of(address); });
        for (DeviceRow& row : rows)
            row.name = names.device_name(row.mac, row.mac ? std::nullopt : std::optional<IpAddress>(row.device));
        return devices_json(request->window, plan, rows);
    });
}

Response HttpApi::history(const QueryParams& params) {
    std::string error;
    auto request = parse_history_request(params, error);
    if (!request) return reply_error(400, error);
    auto range = resolve_history_range(*request, unix_ms_now(), error);
    if (!range) return reply_error(400, error);
    return json_from_reader([&](Reader& reader) {
        Transaction snapshot(reader.database(), Transaction::Kind::deferred);
        std::optional<Device> device;
        if (request->device) device = reader.names().resolve(*request->device);
        RemoteName host_name;
        NameLookup names(reader.names(), reverse_);
        if (request->host) {
            host_name = device ? names.remote(*device, *request->host, INT64_MIN) : names.host(*request->host);
        }
        std::vector<HistoryPoint> points =
            device ? reader.history().history(*request, *range, device->addresses) : reader.history().history(*request, *range);
        return history_json(*request, *range, points, device ? &*device : nullptr, host_name);
    });
}

Response HttpApi::flows(const QueryParams& params) {
    std::string error;
    auto request = parse_flow_log_request(params, error);
    if (!request) return reply_error(400, error);
    return json_from_reader([&](Reader& reader) {
        Transaction snapshot(reader.database(), Transaction::Kind::deferred);
        std::vector<IpAddress> addresses;
        if (request->device) addresses = reader.names().resolve(*request->device).addresses;
        FlowLogJson json;
        NameLookup names(reader.names(), reverse_);
        reader.history().flows(
            *request,
            [&](const FlowLogRow& row) {
                const Device& device = names.device_of(row.device);
                json.add(row, device.name, names.remote(device, row.host, row.first_seen_at));
            },
            addresses);
        return json.finish();
    });
}

Response HttpApi::metrics_json(const QueryParams& params) {
    std::string error;
    if (!check_no_params(params, error)) return reply_error(400, error);
    const std::int64_t now = unix_ms_now();
    SystemSample system = metrics_.sample(now);
    IngestView ingest = ingest_view(now);
    // Without the database still the system's figures, for the tiles, but 503 and an "error".
    return reply(ingest.database_error.empty() ? 200 : 503, web::metrics_json(system, ingest, now), json_type);
}

Response HttpApi::healthz(const QueryParams& params) {
    std::string error;
    if (!check_no_params(params, error)) return reply_error(400, error);
    const std::int64_t now = unix_ms_now();
    IngestView ingest = ingest_view(now);
    const bool healthy = ingest.database_error.empty() && ingest.health.fresh;
    return reply(healthy ? 200 : 503, health_json(ingest, now), json_type);
}

Response HttpApi::coverage_page(const QueryParams& params) {
    std::string error;
    if (!check_no_params(params, error)) return reply_error(400, error);
    const std::int64_t now = unix_ms_now();
    IngestView ingest = ingest_view(now);
    return reply(ingest.database_error.empty() ? 200 : 503, render_coverage_page(ingest, now), html_type);
}

Response HttpApi::prometheus(const QueryParams& params) {
    std::string error;
    if (!check_no_params(params, error)) return reply_error(400, error);
    MetricsInput input;
    input.now_ms = unix_ms_now();
    input.system = metrics_.sample(input.now_ms);
    IngestView ingest = ingest_view(input.now_ms);
    input.database_up = ingest.database_error.empty();
    input.summary = ingest.summary;
    input.ingest = ingest.status;
    input.health = ingest.health;
    input.coverage = ingest.coverage;
    if (input.database_up) {
        const std::string devices_error =
            with_reader([&](Reader& reader) {
                Transaction snapshot(reader.database(), Transaction::Kind::deferred);
                input.devices = reader.history().device_totals();
                NameLookup names(reader.names(), reverse_);
                for (const DeviceTotalsRow& row : input.devices) {
                    auto address = IpAddress::parse(row.device);
                    if (address) input.device_names.emplace(row.device, names.device_of(*address).name);
                }
            });
        input.database_up = devices_error.empty();
    }
    return reply(200, render_prometheus(input), prometheus_content_type);
}

Response HttpApi::asset(const Request& request, std::string_view path) {
    const Asset* asset = find_asset(path);
    if (asset == nullptr) return reply_error_for(path, 404, "not found: " + std::string(path));
    Response response;
    // Revalidated each time: a new netmon-web has new assets under the same names.
    response.set("Cache-Control", "no-cache");
    response.set("ETag", std::string(asset->etag));
    const std::string* match = request.header("If-None-Match");
    if (match != nullptr && *match == asset->etag) {
        response.status = 304;
        return response;
    }
    response.body = std::string(asset->body);
    response.set("Content-Type", std::string(asset->content_type));
    return response;
}

}  // namespace netmon::web
