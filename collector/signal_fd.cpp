#include "signal_fd.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "netmon/signals.h"

namespace netmon {
namespace {

// Puts the mask back. It can only fail for an invalid first argument, which SIG_SETMASK is not,
// so there is nothing to report (and a destructor could not report it anyway).
void restore_mask(const sigset_t& old) { (void)pthread_sigmask(SIG_SETMASK, &old, nullptr); }

}  // namespace

SignalFd::SignalFd() {
    static_assert(sizeof(sigset_t) <= sizeof(old_mask_));
    const sigset_t set = daemon_signals();
    const sigset_t old = block_signals(set);
    std::memcpy(old_mask_, &old, sizeof old);
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) {
        int error = errno;
        restore_mask(old);
        throw std::system_error(error, std::generic_category(), "signalfd");
    }
}

SignalFd::~SignalFd() {
    // Signals that arrived after the loop's last look would kill the process once unblocked.
    while (take() != 0) {
    }
    ::close(fd_);
    sigset_t old;
    std::memcpy(&old, old_mask_, sizeof old);
    restore_mask(old);
}

int SignalFd::take() {
    signalfd_siginfo info;
    for (;;) {
        ssize_t n = ::read(fd_, &info, sizeof info);
        if (n == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
        if (n < 0 && errno == EINTR) continue;
        return 0;
    }
}

bool SignalFd::stop_pending() const {
    // Blocked signals stay pending until the loop reads them from the descriptor.
    sigset_t pending;
    if (sigpending(&pending) != 0) return false;
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

}  // namespace netmon
