#pragma once
// Where a snapshot of the conntrack table comes from.

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

// Receives the entries of one read, in order.
using EntrySink = std::function<void(Entry&&)>;

class SnapshotSource {
public:
    virtual ~SnapshotSource() = default;
    // Reads the whole table once and hands every entry, outbound or not, to sink as it goes, so
    // that a table of any size never sits in memory. Returns the line counts (a netlink source
    // counts entries). Throws SourceError when the table cannot be read; sink may have seen
    // part of it then.
    virtual ParseStats read_entries(const EntrySink& sink) = 0;
    // "file tests/fixtures/conntrack/router_extended.txt", for log lines.
    virtual std::string describe() const = 0;
    // About how many entries a read will give, to size tables before a first read; 0 unknown.
    virtual std::size_t size_hint() const { return 0; }

    // read_entries folded into a Snapshot of the outbound flows. Throws SourceError.
    Snapshot read(const OutboundFilter& filter);
};

// Text in any of the formats the parser reads, re-read from the start on every call: a replay
// file (CONNTRACK_INPUT_FILE) or /proc/net/nf_conntrack. Reads in chunks of a MiB.
class TextFileSource final : public SnapshotSource {
public:
    explicit TextFileSource(std::string path);
    ParseStats read_entries(const EntrySink& sink) override;
    std::string describe() const override;
    std::size_t size_hint() const override;
    const std::string& path() const { return path_; }

private:
    std::string path_;
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

// Whether source reads this machine's table (netlink or /proc), not a replayed capture.
bool reads_kernel_table(const SnapshotSource& source);

}  // namespace netmon
