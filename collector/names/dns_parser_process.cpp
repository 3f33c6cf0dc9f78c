#include "dns_parser_process.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <ostream>
#include <system_error>

namespace netmon {
namespace {

// A reply: result (1 byte), answer count (1), then per answer: the client's and the address's
// families (4 or 6, a byte each), their 16 bytes each, the TTL (4, host order: both ends are this binary on this machine),
// the name's length (1) and the name. Its largest size bounds what the parent reads.
constexpr std::size_t reply_header_bytes = 2;
constexpr std::size_t answer_fixed_bytes = 1 + 1 + 16 + 16 + 4 + 1;
constexpr std::size_t max_reply_bytes =
    reply_header_bytes + max_answers_per_packet * (answer_fixed_bytes + max_dns_name_bytes);

[[noreturn]] void fail(const char* step) { throw std::system_error(errno, std::generic_category(), step); }

std::size_t encode_reply(DnsPacketResult result, const std::vector<DnsAnswer>& answers, std::uint8_t* out) {
    std::uint8_t* at = out;
    *at++ = static_cast<std::uint8_t>(result);
    *at++ = static_cast<std::uint8_t>(answers.size());
    for (const DnsAnswer& answer : answers) {
        *at++ = static_cast<std::uint8_t>(answer.client.family);
        *at++ = static_cast<std::uint8_t>(answer.address.family);
        at = std::copy(answer.client.bytes.begin(), answer.client.bytes.end(), at);
        at = std::copy(answer.address.bytes.begin(), answer.address.bytes.end(), at);
        std::memcpy(at, &answer.ttl, 4);
        at += 4;
        *at++ = static_cast<std::uint8_t>(answer.name.size());
        at = std::copy(answer.name.begin(), answer.name.end(), at);
    }
    return static_cast<std::size_t>(at - out);
}

// An address as the child sent it, checked as IpAddress needs it: an IPv4 address's other 12
// bytes are zero.
bool decode_address(Family family, const std::uint8_t* bytes, IpAddress& address) {
    address.family = family;
    std::copy_n(bytes, 16, address.bytes.begin());
    return family == Family::v6 || std::all_of(bytes + 4, bytes + 16, [](std::uint8_t b) { return b == 0; });
}

// Reads one reply into out (appended) and its result; false, with out as it was, for anything
// the child could not have sent honestly.
bool decode_reply(const std::uint8_t* data, std::size_t size, DnsPacketResult& result, std::vector<DnsAnswer>& out) {
    if (size < reply_header_bytes || size > max_reply_bytes) return false;
    if (data[0] > static_cast<std::uint8_t>(DnsPacketResult::malformed)) return false;
    result = static_cast<DnsPacketResult>(data[0]);
    const std::size_t count = data[1];
    if (count > max_answers_per_packet || (count > 0) != (result == DnsPacketResult::answers)) return false;
    const std::size_t first = out.size();
    std::size_t at = reply_header_bytes;
    for (std::size_t i = 0; i < count; ++i) {
        if (size - at < answer_fixed_bytes) break;
        const std::uint8_t client_family = data[at];
        const std::uint8_t family = data[at + 1];
        if ((client_family != 4 && client_family != 6) || (family != 4 && family != 6)) break;
        DnsAnswer answer;
        if (!decode_address(static_cast<Family>(client_family), data + at + 2, answer.client)) break;
        if (!decode_address(static_cast<Family>(family), data + at + 18, answer.address)) break;
        std::memcpy(&answer.ttl, data + at + 34, 4);
        const std::size_t name_size = data[at + 38];
        at += answer_fixed_bytes;
        if (name_size > size - at) break;
        answer.name.assign(reinterpret_cast<const char*>(data + at), name_size);
        if (!is_valid_dns_answer_name(answer.name)) break;
        at += name_size;
        out.push_back(std::move(answer));
    }
    if (out.size() - first != count || at != size) {
        out.resize(first);
        return false;
    }
    return true;
}

}  // namespace

DnsParserProcess::DnsParserProcess(std::string executable) : DnsParserProcess(std::move(executable), Options{}) {}

DnsParserProcess::DnsParserProcess(std::string executable, Options options)
    : executable_(std::move(executable)), options_(options), reply_(max_reply_bytes + 1) {
    start_child();
}

DnsParserProcess::~DnsParserProcess() { stop_child(); }

void DnsParserProcess::start_child() {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair for the DNS parser");
    Fd ours(pair[0]);
    Fd theirs(pair[1]);
    if (fcntl(ours.get(), F_SETFL, O_NONBLOCK) != 0) fail("making the DNS parser's socket non-blocking");
    // Everything the child needs is made before fork: the parent has threads, so between fork
    // and exec the child may only make async-signal-safe calls.
    const char* const argv[] = {executable_.c_str(), "dns-parser", nullptr};
    sigset_t none;
    sigemptyset(&none);
    const int child_end = theirs.get();
    const pid_t pid = fork();
    if (pid < 0) fail("fork of the DNS parser");
    if (pid == 0) {
        // The signals the parent blocks for its signalfd stay blocked through exec otherwise.
        sigprocmask(SIG_SETMASK, &none, nullptr);
        // dup2 onto itself would leave close-on-exec set; every other descriptor has it.
        if (child_end == dns_parser_fd) fcntl(dns_parser_fd, F_SETFD, 0);
        else if (dup2(child_end, dns_parser_fd) < 0) _exit(126);
        execv(argv[0], const_cast<char* const*>(argv));
        _exit(127);
    }
    child_ = pid;
    socket_ = std::move(ours);
}

void DnsParserProcess::stop_child() {
    socket_.reset();
    if (child_ < 0) return;
    kill(child_, SIGKILL);
    while (waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {}
    child_ = -1;
}

void DnsParserProcess::restart_child(std::size_t lost) {
    stop_child();
    stats_.malformed += lost;
    ++stats_.restarts;
    const auto now = std::chrono::steady_clock::now();
    next_start_ = now + current_backoff_;
    current_backoff_ = current_backoff_.count() == 0 ? options_.backoff
                                                     : std::min(current_backoff_ * 2, options_.max_backoff);
}

bool DnsParserProcess::ensure_child() {
    if (child_ >= 0) {
        // A child that died between batches is restarted before this one is sent to it.
        int status = 0;
        if (waitpid(child_, &status, WNOHANG) != child_) return true;
        child_ = -1;
        restart_child(0);
    }
    if (std::chrono::steady_clock::now() < next_start_) return false;
    try {
        start_child();
    } catch (const std::system_error&) {
        // Out of processes or descriptors: try again after the backoff.
        restart_child(0);
        return false;
    }
    return true;
}

void DnsParserProcess::parse(const std::vector<std::vector<std::uint8_t>>& packets, std::vector<DnsAnswer>& out) {
    std::vector<std::span<const std::uint8_t>> views(packets.begin(), packets.end());
    parse(views, out);
}

void DnsParserProcess::parse(std::span<const std::span<const std::uint8_t>> packets, std::vector<DnsAnswer>& out) {
    stats_.packets += packets.size();
    std::size_t to_send = 0;
    for (const auto& packet : packets) {
        if (packet.size() > max_dns_packet_bytes) ++stats_.malformed;
        else ++to_send;
    }
    if (to_send == 0) return;
    if (!ensure_child()) {
        stats_.malformed += to_send;
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    std::size_t next = 0;  // the next packet to send, an index into packets
    std::size_t sent = 0;
    std::size_t received = 0;
    bool failed = false;
    while (received < to_send && !failed) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd watch{socket_.get(), static_cast<short>(POLLIN | (sent < to_send ? POLLOUT : 0)), 0};
        const int ready = poll(&watch, 1, static_cast<int>(left.count()) + 1);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        // Replies first: they free the room in the socket that the next packets need.
        if (watch.revents & (POLLIN | POLLHUP | POLLERR)) {
            while (received < to_send) {
                const ssize_t size = recv(socket_.get(), reply_.data(), reply_.size(), 0);
                if (size < 0 && (errno == EAGAIN || errno == EINTR)) break;
                DnsPacketResult result{};
                const std::size_t before = out.size();
                if (size <= 0 || !decode_reply(reply_.data(), static_cast<std::size_t>(size), result, out)) {
                    failed = true;
                    break;
                }
                ++received;
                stats_.answers += out.size() - before;
                if (result == DnsPacketResult::malformed) ++stats_.malformed;
                else if (result == DnsPacketResult::not_dns) ++stats_.not_dns;
            }
        }
        while (!failed && sent < to_send && (watch.revents & POLLOUT)) {
            while (packets[next].size() > max_dns_packet_bytes) ++next;
            const auto& packet = packets[next];
            const ssize_t size = send(socket_.get(), packet.data(), packet.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (size < 0 && errno == EAGAIN) break;
            if (size < 0 && errno == EINTR) continue;
            if (size != static_cast<ssize_t>(packet.size())) {
                failed = true;
                break;
            }
            ++sent;
            ++next;
        }
    }
    if (received == to_send) {
        current_backoff_ = std::chrono::milliseconds{0};
        return;
    }
    // Dead, hung (the deadline passed) or lying: whatever it was, a fresh child takes the next batch.
    restart_child(to_send - received);
}

namespace {

// Every capability gone from every set, then no_new_privs: nothing this process does or runs can
// gain one back. Throws std::system_error naming the step.
void drop_every_capability() {
    using Caps = CHandle<cap_t, &cap_free>;
    Caps current(cap_get_proc());
    if (!current) fail("cap_get_proc");
    cap_flag_value_t setpcap = CAP_CLEAR;
    if (cap_get_flag(current.get(), CAP_SETPCAP, CAP_EFFECTIVE, &setpcap) != 0) fail("cap_get_flag");
    // The bounding set needs CAP_SETPCAP, which root has and the unit's user does not (its
    // bounding set is CAP_NET_ADMIN already).
    if (setpcap == CAP_SET) {
        for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; ++cap) {
            if (CAP_IS_SUPPORTED(cap) && cap_drop_bound(cap) != 0) fail("dropping the capability bounding set");
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        fail("clearing the ambient capabilities");
    Caps none(cap_init());
    if (!none) fail("cap_init");
    if (cap_set_proc(none.get()) != 0) fail("clearing the capabilities");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS");
}

// Closes every descriptor but stderr and the socket, whatever the parent left open without
// close-on-exec.
void close_other_descriptors() {
    close(0);
    close(1);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, dns_parser_fd + 1, ~0u, 0) == 0) return;
#endif
    const long limit = std::min(sysconf(_SC_OPEN_MAX), 1L << 20);
    for (int fd = dns_parser_fd + 1; fd < limit; ++fd) close(fd);
}

// Sanitizer builds allocate with mmap all the time: strict seccomp would end them at once.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif

// After this only read, write, exit and sigreturn are left (SECCOMP_MODE_STRICT): a parser
// subverted by a packet can answer wrongly and nothing else, not even open a file or signal a
// process of its user. malloc must then never ask the kernel for memory, so the heap is grown
// once here, never trimmed, and never mmap'ed: one 64 KiB packet makes ldns allocate a few MiB
// at most. Should that still not do, the kernel kills the child, and the parent restarts it.
void enter_strict_mode() {
    constexpr int heap_bytes = 64 << 20;
    if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, INT32_MAX) != 1 || mallopt(M_TOP_PAD, heap_bytes) != 1)
        throw std::runtime_error("mallopt refused the DNS parser's heap settings");
    // The heap as it is may be small: one block of it all makes brk grow it now, and freed it
    // stays as the top of the heap, since trimming is off.
    void* grow = std::malloc(heap_bytes);
    if (!grow) throw std::runtime_error("no memory for the DNS parser's heap");
    std::free(grow);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0) fail("PR_SET_SECCOMP (strict)");
}

// exit_group, glibc's _exit, is not among the strict mode's calls; exit ends the one thread.
[[noreturn]] void end_child(int status) {
    std::fflush(nullptr);
    syscall(SYS_exit, status);
    __builtin_unreachable();
}

}  // namespace

bool dns_parser_is_strict() { return !sanitized; }

int run_dns_parser_child(std::ostream& errors) {
    // Made before strict mode: nothing after it may allocate more than the heap holds.
    std::vector<std::uint8_t> packet(max_dns_packet_bytes + 1);
    std::vector<std::uint8_t> reply(max_reply_bytes);
    std::vector<DnsAnswer> answers;
    answers.reserve(max_answers_per_packet);
    try {
        close_other_descriptors();
        drop_every_capability();
        if (!sanitized) enter_strict_mode();
    } catch (const std::exception& e) {
        errors << "<3>netmon-ingest dns-parser: " << e.what() << std::endl;
        return 1;
    }
    // One packet and one reply at a time, in the buffers above: a hostile packet makes ldns
    // allocate no more than its own 64 KiB can describe, all freed before the next. read and
    // write keep a SOCK_SEQPACKET message whole, one message each.
    for (;;) {
        const ssize_t size = read(dns_parser_fd, packet.data(), packet.size());
        if (size == 0) end_child(0);
        if (size < 0) {
            if (errno == EINTR) continue;
            end_child(1);
        }
        answers.clear();
        // A message as long as the buffer was cut by read: longer than any IP packet.
        const DnsPacketResult result =
            static_cast<std::size_t>(size) > max_dns_packet_bytes
                ? DnsPacketResult::malformed
                : parse_dns_packet({packet.data(), static_cast<std::size_t>(size)}, answers);
        const std::size_t reply_size = encode_reply(result, answers, reply.data());
        // A parent gone makes this EPIPE (or SIGPIPE, which ends the child as well).
        if (write(dns_parser_fd, reply.data(), reply_size) != static_cast<ssize_t>(reply_size)) end_child(errno == EPIPE ? 0 : 1);
    }
}

}  // namespace netmon
