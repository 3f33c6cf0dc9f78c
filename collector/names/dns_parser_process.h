#pragma once
// The privilege boundary of DNS parsing: the DNS answers the router observes are untrusted
// packets, so netmon-ingest (which holds CAP_NET_ADMIN) does not parse them itself. A child,
// `netmon-ingest dns-parser` exec'd afresh from the ingest's own binary, drops every capability,
// sets no_new_privs, closes every other file descriptor and parses one packet per message of a
// SOCK_SEQPACKET socket pair with parse_dns_packet, answering with one message of fixed-format
// answers per packet. The parent checks every length and name it reads back: the child is
// untrusted too once it has parsed a hostile packet.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "dns_answers.h"
#include "netmon/c_handle.h"

#include <unistd.h>

namespace netmon {

// The descriptor the child finds its end of the socket pair on.
inline constexpr int dns_parser_fd = 3;

class DnsParserProcess {
public:
    struct Options {
        // The longest one parse() waits for all of its replies.
        std::chrono::milliseconds timeout{1000};
        // After a restart, the next one waits at least this long, doubling up to max_backoff
        // while the child keeps dying; a batch answered in full resets it.
        std::chrono::milliseconds backoff{100};
        std::chrono::milliseconds max_backoff{10000};
    };

    // Starts the child: `<executable> dns-parser` with its socket on dns_parser_fd. Throws
    // std::system_error when the socket pair or the fork fails (a failed exec shows as a child
    // that dies at once: parse() counts it and restarts it with a backoff).
    explicit DnsParserProcess(std::string executable = "/proc/self/exe");
    DnsParserProcess(std::string executable, Options options);
    // Closes the socket, kills the child and reaps it.
    ~DnsParserProcess();
    DnsParserProcess(const DnsParserProcess&) = delete;
    DnsParserProcess& operator=(const DnsParserProcess&) = delete;

    // Sends each packet, then waits (at most options.timeout in all) for all of their answers,
    // appended to out in the packets' order. A dead, hung or misbehaving child is killed, reaped
    // and restarted (stats().restarts); the packets it had not answered are counted malformed.
    // Packets longer than max_dns_packet_bytes are counted malformed without being sent.
    // Never throws for what the child does; never blocks longer than the timeout.
    void parse(std::span<const std::span<const std::uint8_t>> packets, std::vector<DnsAnswer>& out);
    void parse(const std::vector<std::vector<std::uint8_t>>& packets, std::vector<DnsAnswer>& out);

    struct Stats {
        std::uint64_t packets = 0, answers = 0, malformed = 0, not_dns = 0, restarts = 0;
    };
    const Stats& stats() const { return stats_; }

    // The child's process id, or -1 while none runs (waiting out a backoff). For tests.
    pid_t child_pid() const { return child_; }

private:
    using Fd = CHandle<int, &::close, -1>;
    bool ensure_child();
    void start_child();
    void stop_child();
    void restart_child(std::size_t lost);

    std::string executable_;
    Options options_;
    Fd socket_;
    pid_t child_ = -1;
    std::chrono::steady_clock::time_point next_start_{};
    std::chrono::milliseconds current_backoff_{0};
    std::vector<std::uint8_t> reply_;
    Stats stats_;
};

// The child's side, called by `netmon-ingest dns-parser`: closes every descriptor but stderr and
// dns_parser_fd, drops every capability (all sets, the ambient set and, when allowed, the bounding
// set), sets no_new_privs, enters strict seccomp (read, write and exit only; not in sanitizer
// builds), then answers each packet message until the socket closes, and ends the process itself
// (0 at end of file, 1 when the socket failed). Returns 1 when a step before serving failed,
// with the one line saying why in errors.
int run_dns_parser_child(std::ostream& errors);

// Whether the child enters strict seccomp in this build (not under ASan or TSan). For tests.
bool dns_parser_is_strict();

}  // namespace netmon
