#pragma once
// netmon-web's server: Boost.Beast over Boost.Asio, one listening socket on one address, a few
// threads running an event loop. A connection costs a socket and a small buffer, not a thread:
// a thread is taken only while a complete request header is being answered, so slow or idle
// clients cannot starve the others. See docs/ARCHITECTURE.md for why not cpp-httplib.

#include <chrono>
#include <cstddef>
#include <memory>

#include "http_api.h"
#include "netmon/config.h"

namespace netmon {
class Logger;
}

namespace netmon::web {

struct ServerOptions {
    // Threads that answer requests; each request is answered from the database in a few ms.
    std::size_t threads = 4;
    // Open connections in all, and from one client address (an IPv6 address counts alone).
    // When a new one comes past a limit, the oldest connection not being answered, of the same
    // address or else of the most crowded one, is closed (connection_limits.h).
    std::size_t max_connections = 512;
    std::size_t max_connections_per_address = 32;
    // A whole request header, from the moment the connection is accepted (or the previous
    // response was sent) to its last byte, however slowly it trickles in.
    std::chrono::milliseconds request_timeout{5000};
    // Sending a whole response.
    std::chrono::milliseconds write_timeout{10000};
    // Requests on one connection before it closes; keep-alive costs no thread.
    std::size_t keep_alive_requests = 1000;
    // The request line and headers together.
    std::size_t max_header_bytes = 8192;
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

    // Binds to listen and listens; no check of the address here (see listen.h). Only one
    // process can listen on an address and port (no SO_REUSEPORT). Throws ListenError naming
    // the address and the reason.
    void bind(const ListenAddress& listen);
    // Serves until stop(). Returns false when the server failed.
    bool run();
    // From any thread: stops accepting, lets the requests under way finish (for at most a
    // second or two), then run() returns.
    void stop();

    // The benchmark adds its route for the static peer response here.
    HttpApi& api();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace netmon::web
