#pragma once
// netmon-web's server: cpp-httplib with a fixed pool of threads, bound to one address, serving
// HttpApi's routes.

#include <cstddef>
#include <ctime>
#include <memory>

#include "netmon/config.h"

namespace httplib {
class Server;
}

namespace netmon {
class Logger;
}

namespace netmon::web {

class HttpApi;

struct ServerOptions {
    // Each thread serves one connection at a time, keep-alive included: a router needs few.
    std::size_t threads = 4;
    // One request per connection. cpp-httplib gives a kept-alive connection its thread until
    // the connection ends, so with keep-alive a few idle browser tabs hold every thread, and
    // busy clients wait behind whole connections rather than requests (p99 4-5x worse under
    // wrk, see docs/PERFORMANCE.md). On a LAN a new TCP connection costs less than that.
    std::size_t keep_alive_requests = 1;
    std::time_t keep_alive_seconds = 2;
    std::time_t read_timeout_seconds = 5;
    // See connections_cache.h; the benchmark turns it off to measure the query itself.
    bool cache_responses = true;
};

class WebServer {
public:
    // Throws ConfigError (a web.auth hash libcrypt cannot use).
    WebServer(const Config& config, Logger& log, ServerOptions options = {});
    ~WebServer();
    WebServer(const WebServer&) = delete;
    WebServer& operator=(const WebServer&) = delete;

    // Binds to listen; no check of the address here (see listen.h). Throws ListenError naming
    // the address and the reason.
    void bind(const ListenAddress& listen);
    // Serves until stop(). Returns false when the server failed.
    bool run();
    // From any thread: finishes the requests under way, then run() returns.
    void stop();

    // The benchmark adds its route for the static peer response here.
    httplib::Server& http() { return *server_; }

private:
    std::unique_ptr<httplib::Server> server_;
    std::unique_ptr<HttpApi> api_;
};

}  // namespace netmon::web
