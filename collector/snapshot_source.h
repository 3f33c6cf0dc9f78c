#pragma once
// Where a snapshot of the conntrack table comes from.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "netmon/snapshot.h"

namespace netmon {

class OutboundFilter;
struct Config;

// The table could not be read this time (missing file, permission, netlink failure).
class SourceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A read given up part way because the process was asked to stop (SIGTERM, SIGINT): nothing of
// it may be written. Not a failure of the source.
class Interrupted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Receives the entries of one read, in order.
using EntrySink = std::function<void(Entry&&)>;
// Asked often during a read (every MiB of text, every datagram of a dump, every fraction of a
// second of waiting): true when the read must stop.
using StopRequested = std::function<bool()>;

class SnapshotSource {
public:
    virtual ~SnapshotSource() = default;
    // Reads the whole table once and hands every entry, outbound or not, to sink as it goes, so
    // that a table of any size never sits in memory. Returns the line counts (a netlink source
    // counts entries). Throws SourceError when the table cannot be read, Interrupted when the
    // stop check (stop_when) said so; sink may have seen part of it then.
    virtual ParseStats read_entries(const EntrySink& sink) = 0;
    // "file tests/fixtures/conntrack/router_extended.txt", for log lines.
    virtual std::string describe() const = 0;
    // About how many entries a read will give, to size tables before a first read; 0 unknown.
    virtual std::size_t size_hint() const { return 0; }
    // Whether this reads this machine's table (netlink or /proc), not a replayed capture: only
    // then does the kernel's nf_conntrack_acct say something about what it reads.
    virtual bool reads_kernel_table() const { return false; }
    // Whether the kernel's conntrack events (over netlink) fill in between reads: only for a
    // netlink dump. /proc is read where there is no conntrack netlink, or when asked for by name.
    virtual bool has_events() const { return false; }

    // read_entries folded into a Snapshot of the outbound flows. Throws SourceError.
    Snapshot read(const OutboundFilter& filter);

    // From now on, reads ask requested() as they go and throw Interrupted when it says true;
    // none by default.
    void stop_when(StopRequested requested) { stop_requested_ = std::move(requested); }

protected:
    // Throws Interrupted when the stop check says so.
    void check_stop() const;

private:
    StopRequested stop_requested_;
};

// Text in any of the formats the parser reads, re-read from the start on every call: a replay
// file (CONNTRACK_INPUT_FILE) or /proc/net/nf_conntrack. Reads in chunks of a MiB. Only a
// regular file is read (files under /proc are regular): a device, a FIFO or a socket could
// never end, so it is refused with SourceError. A read stops at max_bytes: a table larger than
// that fails the cycle (a part of it would delete the rest); a line longer than max_line_length
// is counted as too long and skipped.
class TextFileSource final : public SnapshotSource {
public:
    // About 4 million lines of /proc/net/nf_conntrack, 16 times a full table of 262,144 flows.
    static constexpr std::uint64_t default_max_bytes = std::uint64_t{1} << 30;

    // Throws SourceError when path exists and is not a regular file; a missing file is only
    // an error when it is read.
    explicit TextFileSource(std::string path, std::uint64_t max_bytes = default_max_bytes);
    ParseStats read_entries(const EntrySink& sink) override;
    std::string describe() const override;
    std::size_t size_hint() const override;
    // True for /proc/net/nf_conntrack.
    bool reads_kernel_table() const override;

private:
    std::string path_;
    std::uint64_t max_bytes_;
};

// The kernel's count of conntrack entries (/proc/sys/net/netfilter/nf_conntrack_count), 0 when
// it cannot be read.
std::size_t kernel_conntrack_count();

inline constexpr const char* proc_conntrack_path = "/proc/net/nf_conntrack";

// The source the configuration asks for. source: auto is the replay file when
// CONNTRACK_INPUT_FILE is set, else the kernel over netlink, else (when the kernel has no
// conntrack netlink) /proc/net/nf_conntrack. Throws SourceError when the configured source
// cannot be used, NetlinkPermissionError without CAP_NET_ADMIN.
std::unique_ptr<SnapshotSource> make_source(const Config& config);

}  // namespace netmon
