#pragma once
// Where a snapshot of the conntrack table comes from.

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

class SnapshotSource {
public:
    virtual ~SnapshotSource() = default;
    // Reads the whole table once and keeps the outbound flows. Throws SourceError.
    virtual Snapshot read(const OutboundFilter& filter) = 0;
    // "file tests/fixtures/conntrack/router_extended.txt", for log lines.
    virtual std::string describe() const = 0;
};

// Text in any of the formats the parser reads, re-read from the start on every call: a replay
// file (CONNTRACK_INPUT_FILE) or /proc/net/nf_conntrack.
class TextFileSource final : public SnapshotSource {
public:
    explicit TextFileSource(std::string path);
    Snapshot read(const OutboundFilter& filter) override;
    std::string describe() const override;

private:
    std::string path_;
};

// Reads a whole file into memory. Throws SourceError naming the file and the errno text.
std::string read_whole_file(const std::string& path);

inline constexpr const char* proc_conntrack_path = "/proc/net/nf_conntrack";

// The source the configuration asks for: the replay file when CONNTRACK_INPUT_FILE is set,
// else /proc/net/nf_conntrack. Throws SourceError when the configured source cannot be used.
std::unique_ptr<SnapshotSource> make_source(const Config& config);

}  // namespace netmon
