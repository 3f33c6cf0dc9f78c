#pragma once
// The HTTP side of netmon-web: the routes, what each answers, the security headers, basic
// authentication and the error responses. Only GET and HEAD; every dynamic response is
// Cache-Control: no-store; nothing is read from a path a request names.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "allowed_hosts.h"
#include "auth.h"
#include "auth_throttle.h"
#include "history_queries.h"
#include "http_message.h"
#include "netmon/config.h"
#include "reader_pool.h"
#include "name_queries.h"
#include "reverse_dns.h"
#include "request_params.h"
#include "system_metrics.h"

namespace netmon {
class Logger;
}

namespace netmon::web {

struct IngestView;

inline constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

class HttpApi {
public:
    // Keeps what it needs of config. Throws ConfigError for a web.auth hash libcrypt cannot use.
    // cache_responses: see connections_cache.h (off only to measure what it saves).
    HttpApi(const Config& config, Logger& log, bool cache_responses = true);
    ~HttpApi();

    // Answers one request, in this order: a Host that is not ours 421 (DNS rebinding), missing
    // or wrong credentials 401 (429 while an address that guessed wrong must wait), a method
    // other than GET and HEAD 405, a body 413, then the route (404 when none). HEAD gets GET's
    // response: the server leaves the body out. Thread-safe; never throws.
    Response handle(const Request& request);

    using Route = std::function<Response(const Request&)>;
    // A route of the caller's (the benchmark's static peer), before serving starts.
    void add_route(std::string path, Route route);

private:
    Response checked(const Request& request);
    Response route(const Request& request);

    Response dashboard(const Request& request, const std::optional<QueryParams>& params, const std::string& error);
    Response connections(const QueryParams& params);
    Response hosts(const QueryParams& params);
    Response device_hosts(const QueryParams& params);
    Response devices(const QueryParams& params);
    Response history(const QueryParams& params);
    Response flows(const QueryParams& params);
    Response metrics_json(const QueryParams& params);
    Response healthz(const QueryParams& params);
    Response coverage_page(const QueryParams& params);
    Response prometheus(const QueryParams& params);
    // The asset at path (under /static/), with the request's If-None-Match.
    Response asset(const Request& request, std::string_view path);

    // Runs read with a reader from the pool; on an SQLite error the connection is dropped and
    // read runs once more on a new one. Returns the reason there is no data, or "".
    template <class Read>
    std::string with_reader(Read&& read);
    // 200 with the JSON body read returns (through with_reader), or 503 with the database's error.
    template <class Read>
    Response json_from_reader(Read&& read);
    // The summary, the ingest's state and its health, or the database's error.
    IngestView ingest_view(std::int64_t now_ms);
    // Logs when the database becomes unreadable (with why) and when it is back, once each.
    void note_database(const std::string& error);
    // 401 or 429, or nothing when the credentials are right.
    std::optional<Response> authenticate(const Request& request, std::int64_t now_ms);

    Config config_;
    Logger& log_;
    std::int64_t default_interval_ms_;
    HistoryRetention history_retention_;
    AllowedHosts allowed_hosts_;
    std::optional<BasicAuth> auth_;
    std::mutex throttle_mutex_;
    AuthThrottle throttle_;
    ReaderPool pool_;
    SystemMetrics metrics_;
    bool cache_responses_;
    std::map<std::string, Route, std::less<>> extra_routes_;
    std::mutex state_mutex_;
    std::optional<std::string> last_database_error_;  // nothing until the first request
    // names.ptr: reverse names of the hosts no DNS answer named (reverse_dns.h); empty when off.
    std::unique_ptr<ReverseDns> reverse_dns_;
    ReverseLookup reverse_;
};

}  // namespace netmon::web
