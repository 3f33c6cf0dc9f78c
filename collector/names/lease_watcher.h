#pragma once
// The DHCP lease files, read again when they change: inotify on their directories (a file may
// not exist yet, and servers replace theirs by a rename, or rewrite or append in place). The
// ingest loop watches fd(); handle_events() only notes which files changed, and refresh(), at
// the next cycle, reads those. A file larger than max_file_bytes is refused, with a warning.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dhcp_leases.h"
#include <unistd.h>

#include "netmon/c_handle.h"
#include "netmon/config.h"

namespace netmon {

class LeaseWatcher {
public:
    static constexpr std::uint64_t max_file_bytes = 16ull << 20;

    // Watches files (names.dhcp_leases); given false (the defaults), only those that are
    // there now, without a warning for the others. Throws std::runtime_error when inotify
    // cannot be had.
    LeaseWatcher(std::vector<LeaseFile> files, bool given);
    // Watches these files instead (a reload), with the same descriptor; all are read again.
    void set_files(std::vector<LeaseFile> files, bool given);

    // The inotify descriptor, for poll().
    int fd() const { return inotify_.get(); }
    // Reads the events waiting (never blocks) and notes the files they concern.
    void handle_events();
    // Reads the files that changed since the last call (all of them at the first), and
    // retries the watches of directories that did not exist. Returns whether leases()
    // changed. Warnings (one line each) are appended to warnings, once per problem.
    bool refresh(std::vector<std::string>& warnings);

    // Every file's leases, in the order of the files.
    const std::vector<Lease>& leases() const { return leases_; }
    // Lines skipped in the reads since the last call.
    std::uint64_t take_skipped() { return std::exchange(skipped_, 0); }

private:
    struct File {
        LeaseFile config;
        std::string directory;
        std::string name;  // within directory
        int watch = -1;    // the directory's watch, -1 while it has none
        bool changed = true;
        std::vector<Lease> leases;
        std::string problem;  // the last warning, so that it is said once
    };
    void add_watch(File& file);
    // Reads one file; returns whether its leases changed.
    bool read(File& file, std::vector<std::string>& warnings);

    CHandle<int, &::close, -1> inotify_;
    std::vector<File> files_;
    bool given_;
    bool reset_ = true;  // files were set: leases() must be taken again
    std::vector<Lease> leases_;
    std::uint64_t skipped_ = 0;
};

}  // namespace netmon
