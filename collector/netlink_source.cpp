#include "netlink_source.h"

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "conntrack_object.h"
#include "netmon/c_handle.h"
#include "netmon/kernel_files.h"

namespace netmon {
namespace {

using Socket = CHandle<mnl_socket*, &mnl_socket_close>;

[[noreturn]] void throw_errno(std::string what, int error) {
    what += ": ";
    what += std::strerror(error);
    if (error == EPERM) throw NetlinkPermissionError(what);
    throw SourceError(what);
}

// A bound NETLINK_NETFILTER socket in the calling thread's network namespace.
Socket open_socket(int flags, const char* user) {
    Socket socket(mnl_socket_open2(NETLINK_NETFILTER, flags | SOCK_CLOEXEC));
    if (!socket) throw_errno(std::string(user) + ": cannot open a NETLINK_NETFILTER socket", errno);
    if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        throw_errno(std::string(user) + ": cannot bind the netlink socket", errno);
    return socket;
}

// A receive buffer for netlink messages: operator new aligns it for nlmsghdr.
class MessageBuffer {
public:
    explicit MessageBuffer(std::size_t size) : data_(new char[size]), size_(size) {}
    char* data() { return data_.get(); }
    const char* data() const { return data_.get(); }
    std::size_t size() const { return size_; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_;
};

// Reads one datagram, retrying when a signal interrupts. Returns -1 with errno set on failure.
ssize_t receive(const mnl_socket* socket, MessageBuffer& buffer) {
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
        if (n >= 0 || errno != EINTR) return n;
    }
}

// The error an NLMSG_ERROR message carries, as a positive errno (0 for an acknowledgement).
int netlink_error(const nlmsghdr* message) {
    if (mnl_nlmsg_get_payload_len(message) < sizeof(nlmsgerr)) return EBADMSG;
    nlmsgerr error;
    std::memcpy(&error, mnl_nlmsg_get_payload(message), sizeof error);
    return -error.error;
}

// How long a dump may wait for the kernel's next datagram before it fails, and how often a
// wait looks whether it should stop.
constexpr auto reply_timeout = std::chrono::seconds(10);
constexpr auto wait_slice = std::chrono::milliseconds(100);

// One datagram of a dump, as the receiving thread read it.
struct Chunk {
    explicit Chunk(std::size_t size) : buffer(size) {}
    MessageBuffer buffer;
    ssize_t length = 0;
    int error = 0;  // errno when length < 0
};

// Whether the datagram holds the end of dump sequence: NLMSG_DONE or an error.
bool ends_dump(const char* data, ssize_t length, std::uint32_t sequence, std::uint32_t portid) {
    int remaining = static_cast<int>(length);
    for (auto* message = reinterpret_cast<const nlmsghdr*>(data); netlink_message_ok(message, remaining);
         message = mnl_nlmsg_next(message, &remaining)) {
        if (message->nlmsg_seq != sequence || message->nlmsg_pid != portid) continue;
        if (message->nlmsg_type == NLMSG_DONE) return true;
        if (message->nlmsg_type == NLMSG_ERROR && netlink_error(message) != 0) return true;
    }
    return false;
}

// Reads a dump on a thread of its own, into a few chunks, while the caller parses the chunks
// already read. The kernel builds each datagram of a dump inside the recvmsg that asks for it,
// so one thread would alternate between waiting for the kernel and parsing; two overlap them
// (docs/PERFORMANCE.md). The destructor stops and joins the thread.
class DumpReceiver {
public:
    DumpReceiver(const mnl_socket* socket, std::uint32_t sequence, std::vector<Chunk>& chunks)
        : socket_(socket), sequence_(sequence), portid_(mnl_socket_get_portid(socket)), chunks_(chunks) {
        for (std::size_t i = 0; i < chunks_.size(); ++i) free_.push_back(i);
        thread_ = std::thread([this] { run(); });
    }

    ~DumpReceiver() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }

    DumpReceiver(const DumpReceiver&) = delete;
    DumpReceiver& operator=(const DumpReceiver&) = delete;

    // The next datagram, in order, once the thread has read it; nullptr when the thread stopped
    // without one (the dump ended without NLMSG_DONE). While it waits, calls while_waiting
    // every wait_slice, which may throw to give up (a stop request).
    const Chunk* next(const std::function<void()>& while_waiting) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (current_ < chunks_.size()) free_.push_back(current_);  // the caller is done with it
        current_ = chunks_.size();
        changed_.notify_all();
        while (!changed_.wait_for(lock, wait_slice, [this] { return !filled_.empty() || finished_; })) {
            lock.unlock();
            while_waiting();
            lock.lock();
        }
        if (filled_.empty()) return nullptr;
        current_ = filled_.front();
        filled_.pop_front();
        return &chunks_[current_];
    }

private:
    void run() {
        for (bool last = false; !last;) {
            std::size_t index;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                changed_.wait(lock, [this] { return stop_ || !free_.empty(); });
                if (stop_) break;
                index = free_.front();
                free_.pop_front();
            }
            Chunk& chunk = chunks_[index];
            // The socket times out every wait_slice (SO_RCVTIMEO), so that a stop is seen soon;
            // the kernel is given up on only after reply_timeout without a datagram.
            const auto waiting_since = std::chrono::steady_clock::now();
            for (;;) {
                chunk.length = receive(socket_, chunk.buffer);
                chunk.error = chunk.length < 0 ? errno : 0;
                if (chunk.length >= 0 || (chunk.error != EAGAIN && chunk.error != EWOULDBLOCK)) break;
                if (std::chrono::steady_clock::now() - waiting_since >= reply_timeout) break;
                std::lock_guard<std::mutex> lock(mutex_);
                if (stop_) break;
            }
            last = chunk.length <= 0 || ends_dump(chunk.buffer.data(), chunk.length, sequence_, portid_);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                filled_.push_back(index);
            }
            changed_.notify_all();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_ = true;
        }
        changed_.notify_all();
    }

    const mnl_socket* socket_;
    const std::uint32_t sequence_;
    const std::uint32_t portid_;
    std::vector<Chunk>& chunks_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::size_t> free_;    // chunks the thread may read into
    std::deque<std::size_t> filled_;  // chunks read, in order, for the caller
    std::size_t current_ = SIZE_MAX;  // the chunk the caller has
    bool stop_ = false;
    bool finished_ = false;
    std::thread thread_;  // last: starts once everything above exists
};

constexpr const char* dump_name = "netlink conntrack dump";
constexpr const char* events_name = "netlink conntrack events";

}  // namespace

struct NetlinkDumpSource::State {
    // The receiving thread may run this many datagrams ahead of the parsing one.
    static constexpr std::size_t chunk_count = 4;

    explicit State(std::size_t buffer_size) {
        chunks.reserve(chunk_count);
        for (std::size_t i = 0; i < chunk_count; ++i) chunks.emplace_back(std::max(buffer_size, min_buffer_size));
    }

    void open() {
        socket = open_socket(0, dump_name);
        // A dump that stops halfway must not block the daemon forever, nor a stop wait for it:
        // the receiver wakes every wait_slice and gives up after reply_timeout (DumpReceiver).
        timeval timeout{0, static_cast<suseconds_t>(std::chrono::microseconds(wait_slice).count())};
        if (::setsockopt(mnl_socket_get_fd(socket.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
            throw_errno(std::string(dump_name) + ": cannot set SO_RCVTIMEO", errno);
    }

    void send_request(std::uint32_t sequence) {
        alignas(nlmsghdr) char request[MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(nfgenmsg))] = {};
        nlmsghdr* message = mnl_nlmsg_put_header(request);
        message->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
        message->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        message->nlmsg_seq = sequence;
        auto* header = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(nfgenmsg)));
        header->nfgen_family = AF_UNSPEC;  // both IPv4 and IPv6
        header->version = NFNETLINK_V0;
        header->res_id = 0;
        for (;;) {
            ssize_t sent = mnl_socket_sendto(socket.get(), message, message->nlmsg_len);
            if (sent == static_cast<ssize_t>(message->nlmsg_len)) return;
            if (sent < 0 && errno == EINTR) continue;
            throw_errno(std::string(dump_name) + ": cannot send the request", sent < 0 ? errno : EMSGSIZE);
        }
    }

    // Parses the replies to request sequence, as the receiver reads them, until NLMSG_DONE.
    // check_stop is called before each datagram and while waiting for one; it may throw.
    ParseStats read_replies(std::uint32_t sequence, const EntrySink& sink, const std::function<void()>& check_stop) {
        ParseStats stats;
        const std::uint32_t portid = mnl_socket_get_portid(socket.get());
        DumpReceiver receiver(socket.get(), sequence, chunks);
        for (;;) {
            check_stop();
            const Chunk* chunk = receiver.next(check_stop);
            if (chunk == nullptr) throw SourceError(std::string(dump_name) + ": the dump ended without NLMSG_DONE");
            if (chunk->length < 0) {
                if (chunk->error == EAGAIN || chunk->error == EWOULDBLOCK)
                    throw SourceError(std::string(dump_name) + ": no reply from the kernel for 10 s (" +
                                      std::strerror(chunk->error) + ")");
                throw_errno(std::string(dump_name) + ": cannot read", chunk->error);
            }
            if (chunk->length == 0) throw SourceError(std::string(dump_name) + ": the socket was closed");
            int remaining = static_cast<int>(chunk->length);
            for (auto* message = reinterpret_cast<const nlmsghdr*>(chunk->buffer.data());
                 netlink_message_ok(message, remaining); message = mnl_nlmsg_next(message, &remaining)) {
                if (message->nlmsg_seq != sequence || message->nlmsg_pid != portid) continue;
                if (message->nlmsg_type == NLMSG_DONE) {
                    // The kernel ends a dump that failed halfway with the error in NLMSG_DONE.
                    int done = 0;
                    if (mnl_nlmsg_get_payload_len(message) >= sizeof done)
                        std::memcpy(&done, mnl_nlmsg_get_payload(message), sizeof done);
                    if (done < 0) throw_errno(dump_name, -done);
                    return stats;
                }
                if (message->nlmsg_type == NLMSG_ERROR) {
                    if (int error = netlink_error(message); error != 0) throw_errno(dump_name, error);
                    continue;
                }
                if (conntrack_event_type(message).has_value()) {
                    ParseResult result = parser.parse(message, EventType::snapshot);
                    stats.count(result);
                    if (result.entry) sink(std::move(*result.entry));
                }
            }
        }
    }

    Socket socket;
    std::vector<Chunk> chunks;
    ConntrackParser parser;
    std::uint32_t last_sequence = 0;
};

NetlinkDumpSource::NetlinkDumpSource(std::size_t buffer_size) : state_(std::make_unique<State>(buffer_size)) {
    state_->open();
}

NetlinkDumpSource::~NetlinkDumpSource() = default;

ParseStats NetlinkDumpSource::read_entries(const EntrySink& sink) {
    State& state = *state_;
    if (!state.socket) state.open();
    const std::uint32_t sequence = ++state.last_sequence;
    try {
        state.send_request(sequence);
        return state.read_replies(sequence, sink, [this] { check_stop(); });
    } catch (...) {
        // The rest of the dump may still be queued on this socket: start the next read afresh.
        state.socket.reset();
        throw;
    }
}

std::string NetlinkDumpSource::describe() const { return "netlink (NETLINK_NETFILTER conntrack dump)"; }

std::size_t NetlinkDumpSource::size_hint() const { return kernel_conntrack_count(); }

struct NetlinkEventSource::State {
    // Events are one small message per datagram; this is room for any of them.
    static constexpr std::size_t message_buffer_size = std::size_t{64} << 10;

    Socket socket;
    MessageBuffer buffer{message_buffer_size};
    ConntrackParser parser;
    std::size_t receive_buffer = 0;
    bool forced = false;
    std::uint64_t overruns = 0;
    std::uint64_t skipped = 0;
    ParseError last_skip_error = ParseError::none;
};

NetlinkEventSource::NetlinkEventSource(std::size_t receive_buffer) : state_(std::make_unique<State>()) {
    State& state = *state_;
    state.socket = open_socket(SOCK_NONBLOCK, events_name);
    const mnl_socket* socket = state.socket.get();
    const int fd = mnl_socket_get_fd(socket);

    // Large bursts of events (a flush, a scan) overflow the default buffer of about 200 KiB.
    const int asked = static_cast<int>(std::min<std::size_t>(receive_buffer, INT_MAX / 2));
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &asked, sizeof asked) == 0) {
        state.forced = true;
    } else if (errno == EPERM) {
        if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &asked, sizeof asked) < 0)
            throw_errno(std::string(events_name) + ": cannot set SO_RCVBUF", errno);
    } else {
        throw_errno(std::string(events_name) + ": cannot set SO_RCVBUFFORCE", errno);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length) < 0)
        throw_errno(std::string(events_name) + ": cannot read SO_RCVBUF", errno);
    state.receive_buffer = static_cast<std::size_t>(granted);

    // Deliberately no NETLINK_NO_ENOBUFS: lost events must be known, so that the caller resyncs.
    for (int group : {NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY}) {
        if (mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
            throw_errno(std::string(events_name) + ": cannot subscribe to group " + std::to_string(group), errno);
    }
}

NetlinkEventSource::~NetlinkEventSource() = default;

int NetlinkEventSource::fd() const { return mnl_socket_get_fd(state_->socket.get()); }

std::size_t NetlinkEventSource::drain(std::vector<Entry>& out, bool& events_lost) {
    State& state = *state_;
    events_lost = false;
    const std::size_t before = out.size();
    std::size_t bytes = 0;
    while (bytes < state.receive_buffer) {
        ssize_t n = receive(state.socket.get(), state.buffer);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == ENOBUFS) {
                // The kernel dropped events; what is still queued remains readable.
                events_lost = true;
                ++state.overruns;
                continue;
            }
            throw_errno(std::string(events_name) + ": cannot read", errno);
        }
        bytes += static_cast<std::size_t>(n);
        int remaining = static_cast<int>(n);
        for (auto* message = reinterpret_cast<const nlmsghdr*>(state.buffer.data()); netlink_message_ok(message, remaining);
             message = mnl_nlmsg_next(message, &remaining)) {
            if (message->nlmsg_type == NLMSG_ERROR) {
                if (int error = netlink_error(message); error != 0) throw_errno(events_name, error);
                continue;
            }
            std::optional<EventType> event = conntrack_event_type(message);
            if (!event) continue;
            ParseResult result = state.parser.parse(message, *event);
            if (result.entry) {
                out.push_back(std::move(*result.entry));
            } else {
                ++state.skipped;
                state.last_skip_error = result.error;
            }
        }
    }
    return out.size() - before;
}

std::size_t NetlinkEventSource::receive_buffer() const { return state_->receive_buffer; }
bool NetlinkEventSource::receive_buffer_forced() const { return state_->forced; }
std::uint64_t NetlinkEventSource::overruns() const { return state_->overruns; }
std::uint64_t NetlinkEventSource::skipped() const { return state_->skipped; }
ParseError NetlinkEventSource::last_skip_error() const { return state_->last_skip_error; }

std::optional<bool> conntrack_accounting_enabled(const std::string& path) { return read_sysctl_flag(path); }

}  // namespace netmon
