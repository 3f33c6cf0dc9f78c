#include "web_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api_json.h"
#include "connection_limits.h"
#include "listen.h"
#include "netmon/log.h"

namespace netmon::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

IpAddress address_of(const asio::ip::address& address) {
    IpAddress out;
    if (address.is_v4()) {
        out.family = Family::v4;
        auto bytes = address.to_v4().to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
    } else {
        out.family = Family::v6;
        auto bytes = address.to_v6().to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
    }
    return out.unmapped();
}

tcp::endpoint endpoint_of(const ListenAddress& listen) {
    if (listen.address.family == Family::v4) {
        asio::ip::address_v4::bytes_type bytes;
        std::copy_n(listen.address.bytes.begin(), 4, bytes.begin());
        return {asio::ip::address_v4(bytes), listen.port};
    }
    asio::ip::address_v6::bytes_type bytes;
    std::copy_n(listen.address.bytes.begin(), 16, bytes.begin());
    return {asio::ip::address_v6(bytes), listen.port};
}

bool is_parse_error(const error_code& error) {
    return error.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

class Session;

// What the listener and the sessions share: the routes, the limits and the open sessions.
struct Shared {
    using Strand = asio::strand<asio::io_context::executor_type>;
    Shared(const Strand& strand, const Config& config, Logger& logger, const ServerOptions& server_options)
        : api(config, logger, server_options.cache_responses),
          stop_deadline(strand),
          log(logger),
          options(server_options),
          limits(server_options.max_connections_per_address, server_options.max_connections) {}

    HttpApi api;
    // After stop(): how long the last sessions may take; cancelled when the last one ends. On
    // the listener's strand, like everything stop() does.
    asio::steady_timer stop_deadline;
    Logger& log;
    ServerOptions options;
    std::atomic<bool> stopping{false};
    std::mutex mutex;  // guards limits and sessions
    ConnectionLimits limits;
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Shared& shared, std::uint64_t id, IpAddress peer)
        : stream_(std::move(socket)),
          buffer_(shared.options.max_header_bytes + 1024),
          shared_(shared),
          id_(id),
          peer_(peer) {}

    ~Session() {
        std::lock_guard lock(shared_.mutex);
        shared_.limits.release(id_);
        shared_.sessions.erase(id_);
        if (shared_.stopping && shared_.sessions.empty())
            asio::post(shared_.stop_deadline.get_executor(), [&timer = shared_.stop_deadline] { timer.cancel(); });
    }

    void start() { read_request(); }

    // From any thread: close this connection, unless it is sending a response (then after it).
    void close_soon() {
        asio::post(stream_.get_executor(), [self = shared_from_this()] {
            self->closing_ = true;
            if (!self->writing_) self->close();
        });
    }

private:
    void read_request() {
        if (closing_ || shared_.stopping) return close();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
        // The whole header by then, however slowly it comes.
        stream_.expires_after(shared_.options.request_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::on_header, shared_from_this()));
    }

    void on_header(error_code error, std::size_t) {
        if (error == http::error::header_limit || error == http::error::buffer_overflow)
            return send_error(431, "the request's header is larger than " +
                                       std::to_string(shared_.options.max_header_bytes) + " bytes");
        if (error == http::error::body_limit) return send_error(413, "a GET or HEAD request has no body");
        if (error && is_parse_error(error) && error != http::error::end_of_stream && error != http::error::partial_message)
            return send_error(400, "malformed request: " + error.message());
        if (error) return close();  // timed out, closed, reset: nothing to answer

        const auto& message = parser_->get();
        Request request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.peer = peer_;
        request.has_body = !parser_->is_done();
        for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());

        {
            std::lock_guard lock(shared_.mutex);
            shared_.limits.set_busy(id_, true);
        }
        Response response = shared_.api.handle(request);
        {
            std::lock_guard lock(shared_.mutex);
            shared_.limits.set_busy(id_, false);
        }
        ++requests_;
        const bool keep_alive = message.keep_alive() && !response.close && !request.has_body &&
                                requests_ < shared_.options.keep_alive_requests && !shared_.stopping;
        send(std::move(response), message.version(), request.method == "HEAD", keep_alive);
    }

    void send_error(int status, const std::string& text) {
        Response response;
        response.status = status;
        response.body = error_json(text);
        response.set("Content-Type", "application/json");
        send(std::move(response), 11, false, false);
    }

    void send(Response response, unsigned version, bool head, bool keep_alive) {
        auto out = std::make_shared<http::response<http::string_body>>();
        out->version(version == 10 ? 10 : 11);
        out->result(static_cast<unsigned>(response.status));
        for (auto& [name, value] : response.headers) out->set(name, value);
        out->body() = std::move(response.body);
        out->keep_alive(keep_alive);
        if (response.status != 304) out->prepare_payload();
        if (head) out->body().clear();  // Content-Length stays that of the GET
        keep_alive_ = keep_alive;
        writing_ = true;
        stream_.expires_after(shared_.options.write_timeout);
        http::async_write(stream_, *out, [self = shared_from_this(), out](error_code error, std::size_t) {
            self->writing_ = false;
            if (error || !self->keep_alive_ || self->closing_) return self->close();
            self->read_request();
        });
    }

    void close() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    Shared& shared_;
    std::uint64_t id_;
    IpAddress peer_;
    std::size_t requests_ = 0;
    bool keep_alive_ = false;
    bool writing_ = false;
    bool closing_ = false;
};

class WebServer::Impl {
public:
    Impl(const Config& config, Logger& log, const ServerOptions& options)
        : threads_(options.threads > 0 ? options.threads : 1),
          io_(static_cast<int>(threads_)),
          strand_(asio::make_strand(io_)),
          shared_(strand_, config, log, options),
          acceptor_(strand_),
          retry_(strand_) {}

    void bind(const ListenAddress& listen) {
        const tcp::endpoint endpoint = endpoint_of(listen);
        error_code error;
        acceptor_.open(endpoint.protocol(), error);
        // Lets a restart bind while old connections linger in TIME_WAIT; on Linux it never
        // lets two listeners share the port (SO_REUSEPORT would).
        if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
        if (!error && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), error);
        if (!error) acceptor_.bind(endpoint, error);
        if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
        if (error) {
            error_code ignored;
            acceptor_.close(ignored);
            throw ListenError("cannot listen on " + listen.to_string() + ": " + error.message());
        }
    }

    bool run() {
        accept();
        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < threads_; ++i) threads.emplace_back([this] { run_loop(); });
        run_loop();
        for (auto& thread : threads) thread.join();
        return !failed_;
    }

    void stop() {
        asio::post(acceptor_.get_executor(), [this] {
            if (shared_.stopping.exchange(true)) return;
            error_code ignored;
            acceptor_.close(ignored);
            retry_.cancel();
            std::vector<std::shared_ptr<Session>> open;
            {
                std::lock_guard lock(shared_.mutex);
                for (auto& [id, weak] : shared_.sessions)
                    if (auto session = weak.lock()) open.push_back(std::move(session));
            }
            if (open.empty()) return;
            // A client that does not read its response holds run() up for no longer than this.
            shared_.stop_deadline.expires_after(std::chrono::seconds(2));
            shared_.stop_deadline.async_wait([this](error_code error) {
                if (!error) io_.stop();
            });
            for (auto& session : open) session->close_soon();
        });
    }

    HttpApi& api() { return shared_.api; }

private:
    void run_loop() {
        for (;;) {
            try {
                io_.run();
                return;
            } catch (const std::exception& e) {
                shared_.log.error(std::string("server: ") + e.what());
            }
        }
    }

    void accept() {
        acceptor_.async_accept(asio::make_strand(io_), [this](error_code error, tcp::socket socket) {
            if (shared_.stopping || !acceptor_.is_open()) return;
            if (error) {
                // Out of file descriptors, most likely: try again shortly rather than spin.
                if (!accept_error_logged_) shared_.log.warning("cannot accept connections: " + error.message());
                accept_error_logged_ = true;
                retry_.expires_after(std::chrono::milliseconds(100));
                retry_.async_wait([this](error_code wait_error) {
                    if (!wait_error) accept();
                });
                return;
            }
            accept_error_logged_ = false;
            admit(std::move(socket));
            accept();
        });
    }

    void admit(tcp::socket socket) {
        error_code error;
        const tcp::endpoint remote = socket.remote_endpoint(error);
        if (error) return;
        socket.set_option(tcp::no_delay(true), error);
        const IpAddress peer = address_of(remote.address());
        const std::uint64_t id = ++next_id_;
        std::shared_ptr<Session> victim;
        std::shared_ptr<Session> session;
        {
            std::lock_guard lock(shared_.mutex);
            ConnectionLimits::Admission admission = shared_.limits.admit(id, peer);
            if (admission.evict) {
                auto found = shared_.sessions.find(*admission.evict);
                if (found != shared_.sessions.end()) {
                    victim = found->second.lock();
                    shared_.sessions.erase(found);
                }
            }
            if (!admission.admitted) return;  // every connection of the crowd is being answered
            session = std::make_shared<Session>(std::move(socket), shared_, id, peer);
            shared_.sessions.emplace(id, session);
        }
        if (victim) victim->close_soon();
        session->start();
    }

    std::size_t threads_;
    asio::io_context io_;
    Shared::Strand strand_;
    Shared shared_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
    std::uint64_t next_id_ = 0;
    bool accept_error_logged_ = false;
    bool failed_ = false;
};

WebServer::WebServer(const Config& config, Logger& log, ServerOptions options)
    : impl_(std::make_unique<Impl>(config, log, options)) {}

WebServer::~WebServer() = default;

void WebServer::bind(const ListenAddress& listen) { impl_->bind(listen); }

bool WebServer::run() { return impl_->run(); }

void WebServer::stop() { impl_->stop(); }

HttpApi& WebServer::api() { return impl_->api(); }

}  // namespace netmon::web
