#pragma once
// SIGTERM, SIGINT and SIGHUP as a file descriptor, for the ingest loop's poll().

namespace netmon {

// SIGTERM, SIGINT and SIGHUP as a file descriptor (signalfd): blocked for the whole process
// while it exists, so that they arrive only where the loop reads them. Restores the old signal
// mask when destroyed. Throws std::system_error when it cannot be set up.
class SignalFd {
public:
    SignalFd();
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    int fd() const { return fd_; }
    // Reads one pending signal without blocking; 0 when none.
    int take();
    // Whether SIGTERM or SIGINT is waiting to be read, without reading it: asked during a
    // cycle, so that a long read stops part way (SnapshotSource::stop_when).
    bool stop_pending() const;

private:
    int fd_ = -1;
    unsigned char old_mask_[128];  // a sigset_t, kept opaque here
};

}  // namespace netmon
