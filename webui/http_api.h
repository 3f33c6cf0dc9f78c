#pragma once
// The HTTP side of netmon-web: the routes, what each answers, the security headers, basic
// authentication and the error responses. Only GET and HEAD; every dynamic response is
// Cache-Control: no-store; nothing is read from a path a request names.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth.h"
#include "netmon/config.h"
#include "reader_pool.h"
#include "system_metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

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

    // Registers the routes, headers, authentication and error handling on server.
    void install(httplib::Server& server);

private:
    void dashboard(const httplib::Request& request, httplib::Response& response);
    void connections(const httplib::Request& request, httplib::Response& response);
    void hosts(const httplib::Request& request, httplib::Response& response);
    void metrics_json(const httplib::Request& request, httplib::Response& response);
    void healthz(const httplib::Request& request, httplib::Response& response);
    void prometheus(const httplib::Request& request, httplib::Response& response);
    void asset(const httplib::Request& request, httplib::Response& response);

    // Runs read with a reader from the pool; on an SQLite error the connection is dropped and
    // read runs once more on a new one. Returns the reason there is no data, or "".
    template <class Read>
    std::string with_reader(Read&& read);
    // The summary, the ingest's state and its health, or the database's error.
    IngestView ingest_view(std::int64_t now_ms);
    // Logs when the database becomes unreadable (with why) and when it is back, once each.
    void note_database(const std::string& error);

    Config config_;
    Logger& log_;
    std::int64_t default_interval_ms_;
    std::optional<BasicAuth> auth_;
    ReaderPool pool_;
    SystemMetrics metrics_;
    bool cache_responses_;
    std::mutex state_mutex_;
    std::optional<std::string> last_database_error_;  // nothing until the first request
};

}  // namespace netmon::web
