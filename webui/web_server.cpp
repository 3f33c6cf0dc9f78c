#include "web_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http_api.h"
#include "listen.h"

namespace netmon::web {
namespace {

// cpp-httplib says only that binding failed: a bind of our own finds out why.
std::string bind_failure(const ListenAddress& listen) {
    const bool v6 = listen.address.family == Family::v6;
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::strerror(errno);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (v6) {
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_port = htons(listen.port);
        std::memcpy(&address.sin6_addr, listen.address.bytes.data(), 16);
        rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    } else {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(listen.port);
        std::memcpy(&address.sin_addr, listen.address.bytes.data(), 4);
        rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    }
    std::string reason = rc == 0 ? "cpp-httplib could not bind or listen" : std::strerror(errno);
    ::close(fd);
    return reason;
}

}  // namespace

WebServer::WebServer(const Config& config, Logger& log, ServerOptions options)
    : server_(std::make_unique<httplib::Server>()),
      api_(std::make_unique<HttpApi>(config, log, options.cache_responses)) {
    const std::size_t threads = options.threads > 0 ? options.threads : 1;
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Headers and body go out in two writes: without this, Nagle's algorithm holds the body
    // back until the client's delayed ACK (40 ms).
    server_->set_tcp_nodelay(true);
    server_->set_keep_alive_timeout(options.keep_alive_seconds);
    server_->set_keep_alive_max_count(options.keep_alive_requests);
    server_->set_read_timeout(options.read_timeout_seconds, 0);
    server_->set_write_timeout(options.read_timeout_seconds, 0);
    // Only GET and HEAD, which carry no body.
    server_->set_payload_max_length(4096);
    api_->install(*server_);
}

WebServer::~WebServer() = default;

void WebServer::bind(const ListenAddress& listen) {
    if (!server_->bind_to_port(listen.address.to_string(), listen.port))
        throw ListenError("cannot listen on " + listen.to_string() + ": " + bind_failure(listen));
}

bool WebServer::run() { return server_->listen_after_bind(); }

void WebServer::stop() { server_->stop(); }

}  // namespace netmon::web
