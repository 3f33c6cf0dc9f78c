#pragma once
// The kernel's conntrack table over netlink (NETLINK_NETFILTER, through libmnl and
// libnetfilter_conntrack): a dump of the whole table for snapshots, and the NEW, UPDATE and
// DESTROY event groups between dumps. A netlink socket belongs to the network namespace of the
// thread that opens it, whichever thread reads it later.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netmon/parser.h"
#include "snapshot_source.h"

namespace netmon {

// The kernel refused for lack of CAP_NET_ADMIN (EPERM). what() carries the errno text.
class NetlinkPermissionError : public SourceError {
public:
    using SourceError::SourceError;
};

// Dumps the whole table (IPv4 and IPv6, with counters when nf_conntrack_acct is on) on every
// read, through one socket kept open between reads. A second thread receives the dump while the
// calling thread parses it (the kernel builds each part of a dump inside the read that asks for
// it, so one thread would wait for the kernel and parse in turn). One read at a time.
class NetlinkDumpSource final : public SnapshotSource {
public:
    // Each of the four receive buffers. The kernel puts at most about 32 KiB of a dump in one
    // datagram, so larger buffers read no faster (docs/PERFORMANCE.md); smaller sizes are
    // raised to min_buffer_size.
    static constexpr std::size_t min_buffer_size = std::size_t{32} << 10;
    static constexpr std::size_t default_buffer_size = std::size_t{64} << 10;

    // Opens and binds the socket. Throws SourceError with the errno text.
    explicit NetlinkDumpSource(std::size_t buffer_size = default_buffer_size);
    ~NetlinkDumpSource() override;
    NetlinkDumpSource(const NetlinkDumpSource&) = delete;
    NetlinkDumpSource& operator=(const NetlinkDumpSource&) = delete;

    // Dumps the table and hands every entry to sink (event = snapshot, on the calling thread),
    // exactly as parse_line reads the same flow from `conntrack -L -o extended`. The counts are
    // of conntrack messages; a message that does not convert is counted as skipped. Throws
    // NetlinkPermissionError without CAP_NET_ADMIN and SourceError for every other failure
    // (a netlink error, ENOBUFS, a read that waited 10 s); an exception from sink passes
    // through. The stop check (stop_when) is asked before each datagram and every 100 ms of
    // waiting for one; Interrupted follows within about 100 ms. After any of these the next
    // read starts over on a new socket, opened in the namespace of the thread that calls it.
    ParseStats read_entries(const EntrySink& sink) override;
    std::string describe() const override;
    // nf_conntrack_count, of the calling thread's network namespace.
    std::size_t size_hint() const override;
    bool reads_kernel_table() const override { return true; }
    // NetlinkEventSource reads them.
    bool has_events() const override { return true; }

private:
    struct State;
    std::unique_ptr<State> state_;
};

// The conntrack event groups, read without blocking whenever fd() polls readable.
class NetlinkEventSource {
public:
    static constexpr std::size_t default_receive_buffer = std::size_t{8} << 20;

    // Opens a non-blocking socket subscribed to NFNLGRP_CONNTRACK_NEW, _UPDATE and _DESTROY
    // (IPv4 and IPv6) with a kernel receive buffer of receive_buffer bytes: set with
    // SO_RCVBUFFORCE when allowed (CAP_NET_ADMIN), else with SO_RCVBUF, which
    // net.core.rmem_max caps. Throws NetlinkPermissionError when subscribing is refused (EPERM,
    // it needs CAP_NET_ADMIN) and SourceError for every other failure, with the errno text.
    explicit NetlinkEventSource(std::size_t receive_buffer = default_receive_buffer);
    ~NetlinkEventSource();
    NetlinkEventSource(const NetlinkEventSource&) = delete;
    NetlinkEventSource& operator=(const NetlinkEventSource&) = delete;

    // For poll(): readable when events wait. Owned by this object.
    int fd() const;

    // Reads the events waiting now, without blocking, and appends one Entry per event to out,
    // with event = created, updated or destroyed (NEW and UPDATE carry no counters; DESTROY
    // carries the final ones when nf_conntrack_acct is on). Returns how many it appended.
    // events_lost becomes true when the kernel dropped events because the receive buffer was
    // full (ENOBUFS) since the previous call; the table must then be read again in full.
    // Returns after about one receive buffer's worth, so that a flood cannot hold it: poll
    // again. Throws SourceError on a socket error or a netlink error message.
    std::size_t drain(std::vector<Entry>& out, bool& events_lost);

    // The receive buffer the kernel granted, as SO_RCVBUF reports it (twice what was asked:
    // the kernel counts its bookkeeping too), and whether SO_RCVBUFFORCE could set it.
    std::size_t receive_buffer() const;
    bool receive_buffer_forced() const;
    // Totals since construction: ENOBUFS reports, and messages that did not parse.
    std::uint64_t overruns() const;
    std::uint64_t skipped() const;
    // Why the last message counted in skipped() did not parse; none before the first.
    ParseError last_skip_error() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

inline constexpr const char* conntrack_acct_path = "/proc/sys/net/netfilter/nf_conntrack_acct";

// Whether the kernel counts packets and bytes per flow (net.netfilter.nf_conntrack_acct), in
// the network namespace of the calling thread; nothing when the file cannot be read.
std::optional<bool> conntrack_accounting_enabled(const std::string& path = conntrack_acct_path);

}  // namespace netmon
