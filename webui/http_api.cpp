#include "http_api.h"

#include <httplib.h>

#include <chrono>
#include <cmath>

#include "api_json.h"
#include "assets.h"
#include "dashboard.h"
#include "netmon/database.h"
#include "netmon/log.h"
#include "prometheus.h"
#include "queries.h"

namespace netmon::web {
namespace {

constexpr const char* json_type = "application/json";
constexpr const char* html_type = "text/html; charset=utf-8";
constexpr const char* text_type = "text/plain; charset=utf-8";

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

QueryParams params_of(const httplib::Request& request) {
    return QueryParams(request.params.begin(), request.params.end());
}

void reply(httplib::Response& response, int status, std::string body, std::string_view type) {
    response.status = status;
    response.body = std::move(body);
    response.set_header("Content-Type", std::string(type));
}

// For the errors cpp-httplib answers by itself.
std::string status_text(int status) {
    switch (status) {
        case 400: return "bad request";
        case 404: return "not found";
        case 413: return "request too large";
        case 414: return "request URI too long";
        case 416: return "range not satisfiable";
        default: return "HTTP status " + std::to_string(status);
    }
}

void reply_error(httplib::Response& response, int status, std::string_view message) {
    reply(response, status, error_json(message), json_type);
}

}  // namespace

HttpApi::HttpApi(const Config& config, Logger& log, bool cache_responses)
    : config_(config),
      log_(log),
      default_interval_ms_(static_cast<std::int64_t>(std::llround(config.interval * 1000))),
      pool_(config.database),
      metrics_(config.monitor_interfaces),
      cache_responses_(cache_responses) {
    if (config.web_auth) auth_.emplace(*config.web_auth);
    // A first sample, so that the first page already has rates a second later.
    metrics_.sample(now_ms());
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

IngestView HttpApi::ingest_view(std::int64_t now) {
    IngestView view;
    view.database_error = with_reader([&](Reader& reader) {
        view.summary = reader.summary(now);
        view.status = reader.ingest_status();
    });
    view.health = evaluate_ingest(view.status, now, default_interval_ms_);
    return view;
}

void HttpApi::install(httplib::Server& server) {
    server.set_default_headers({
        {"Content-Security-Policy", std::string(content_security_policy)},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Cache-Control", "no-store"},
    });
    server.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        // Answered before any body is read: such a connection must not be reused.
        if (auth_ && !auth_->check(request.get_header_value("Authorization"))) {
            response.set_header("WWW-Authenticate", std::string(auth_challenge));
            response.set_header("Connection", "close");
            reply_error(response, 401, "authentication required");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (request.method != "GET" && request.method != "HEAD") {
            response.set_header("Allow", "GET, HEAD");
            response.set_header("Connection", "close");
            reply_error(response, 405, "method " + request.method + " not allowed: only GET and HEAD");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // Errors that no handler answered (404, and cpp-httplib's own 400s) get a body; the ones our
    // handlers wrote keep theirs.
    auto error_page = [](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = response.status == 404 ? "not found: " + request.path : status_text(response.status);
        if (request.path.ends_with(".json")) reply_error(response, response.status, message);
        else reply(response, response.status, message + "\n", text_type);
        return httplib::Server::HandlerResponse::Handled;
    };
    server.set_error_handler(httplib::Server::HandlerWithResponse(error_page));
    server.set_exception_handler([this](const httplib::Request& request, httplib::Response& response,
                                        std::exception_ptr error) {
        std::string what = "unknown error";
        try {
            if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        log_.error(request.method + " " + request.path + ": " + what);
        reply_error(response, 500, "internal error");
    });

    using Handler = void (HttpApi::*)(const httplib::Request&, httplib::Response&);
    auto route = [this, &server](const char* path, Handler handler) {
        server.Get(path, [this, handler](const httplib::Request& request, httplib::Response& response) {
            (this->*handler)(request, response);
        });
    };
    route("/", &HttpApi::dashboard);
    route("/connections\\.json", &HttpApi::connections);
    route("/hosts\\.json", &HttpApi::hosts);
    route("/metrics\\.json", &HttpApi::metrics_json);
    route("/healthz", &HttpApi::healthz);
    route("/metrics", &HttpApi::prometheus);
    route("/static/[a-z]+\\.[a-z]+", &HttpApi::asset);
}

void HttpApi::dashboard(const httplib::Request& request, httplib::Response& response) {
    const std::int64_t now = now_ms();
    DashboardView view;
    view.lan_interface = config_.lan_interface;
    view.wan_interface = config_.wan_interface;
    view.now_ms = now;
    view.system = metrics_.sample(now);
    auto filter = parse_connection_filter(params_of(request), view.filter_error);
    if (filter) view.filter = *filter;
    view.ingest.database_error = with_reader([&](Reader& reader) {
        view.rows.clear();
        view.ingest.summary = reader.summary(now);
        // The state of the ingest and the table from one snapshot.
        Transaction snapshot(reader.database(), Transaction::Kind::deferred);
        view.ingest.status = reader.ingest_status();
        if (filter) reader.connections(*filter, now, [&](const ConnectionRow& row) { view.rows.push_back(row); });
    });
    view.ingest.health = evaluate_ingest(view.ingest.status, now, default_interval_ms_);
    int status = !view.filter_error.empty() ? 400 : !view.ingest.database_error.empty() ? 503 : 200;
    reply(response, status, render_dashboard(view), html_type);
}

void HttpApi::connections(const httplib::Request& request, httplib::Response& response) {
    std::string error;
    auto filter = parse_connection_filter(params_of(request), error);
    if (!filter) return reply_error(response, 400, error);
    const std::int64_t now = now_ms();
    std::string body;
    error = with_reader([&](Reader& reader) {
        // Read before the query: a commit in between makes the next request query again.
        const std::int64_t version = reader.data_version();
        if (const std::string* cached = reader.cache().find(*filter, version, now)) {
            body = *cached;
            return;
        }
        ConnectionsJson json(now, filter->limit < 1000 ? filter->limit : 1000);
        reader.connections(*filter, now, [&](const ConnectionRow& row) { json.add(row); });
        const std::int64_t valid_until = json.valid_until();
        body = json.finish();
        if (cache_responses_) reader.cache().store(*filter, version, now, valid_until, body);
    });
    if (!error.empty()) return reply_error(response, 503, error);
    reply(response, 200, std::move(body), json_type);
}

void HttpApi::hosts(const httplib::Request& request, httplib::Response& response) {
    std::string error;
    auto filter = parse_host_filter(params_of(request), error);
    if (!filter) return reply_error(response, 400, error);
    const std::int64_t now = now_ms();
    std::string body;
    error = with_reader([&](Reader& reader) { body = hosts_json(reader.hosts(*filter, now), now); });
    if (!error.empty()) return reply_error(response, 503, error);
    reply(response, 200, std::move(body), json_type);
}

void HttpApi::metrics_json(const httplib::Request& request, httplib::Response& response) {
    std::string error;
    if (!check_no_params(params_of(request), error)) return reply_error(response, 400, error);
    const std::int64_t now = now_ms();
    SystemSample system = metrics_.sample(now);
    IngestView ingest = ingest_view(now);
    // Without the database still the system's figures, for the tiles, but 503 and an "error".
    reply(response, ingest.database_error.empty() ? 200 : 503, web::metrics_json(system, ingest, now), json_type);
}

void HttpApi::healthz(const httplib::Request& request, httplib::Response& response) {
    std::string error;
    if (!check_no_params(params_of(request), error)) return reply_error(response, 400, error);
    const std::int64_t now = now_ms();
    IngestView ingest = ingest_view(now);
    const bool healthy = ingest.database_error.empty() && ingest.health.fresh;
    reply(response, healthy ? 200 : 503, health_json(ingest, now), json_type);
}

void HttpApi::prometheus(const httplib::Request& request, httplib::Response& response) {
    std::string error;
    if (!check_no_params(params_of(request), error)) return reply_error(response, 400, error);
    MetricsInput input;
    input.now_ms = now_ms();
    input.system = metrics_.sample(input.now_ms);
    IngestView ingest = ingest_view(input.now_ms);
    input.database_up = ingest.database_error.empty();
    input.summary = ingest.summary;
    input.ingest = ingest.status;
    input.health = ingest.health;
    reply(response, 200, render_prometheus(input), prometheus_content_type);
}

void HttpApi::asset(const httplib::Request& request, httplib::Response& response) {
    const Asset* asset = find_asset(request.path);
    if (asset == nullptr) {
        response.status = 404;  // the error handler writes the body
        return;
    }
    response.headers.erase("Cache-Control");
    // Revalidated each time: a new netmon-web has new assets under the same names.
    response.set_header("Cache-Control", "no-cache");
    response.set_header("ETag", std::string(asset->etag));
    if (request.get_header_value("If-None-Match") == asset->etag) {
        response.status = 304;
        return;
    }
    reply(response, 200, std::string(asset->body), asset->content_type);
}

}  // namespace netmon::web
