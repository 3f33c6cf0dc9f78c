#pragma once
// The signals both daemons take in without a handler: SIGTERM and SIGINT stop them, SIGHUP
// reloads (netmon-ingest) or is only logged (netmon-web). Each daemon blocks them and reads them
// where it is safe to act (a signalfd, a thread in sigwait).

#include <signal.h>

#include <system_error>

namespace netmon {

// SIGTERM, SIGINT and SIGHUP.
inline sigset_t daemon_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

// Whether signal asks the daemon to stop (SIGTERM or SIGINT), rather than to reload.
inline bool is_stop_signal(int signal) { return signal == SIGTERM || signal == SIGINT; }

// Blocks set in the calling thread, and so in the threads it starts from then on. Returns the
// mask it had before. Throws std::system_error.
inline sigset_t block_signals(const sigset_t& set) {
    sigset_t old;
    if (int rc = pthread_sigmask(SIG_BLOCK, &set, &old); rc != 0)
        throw std::system_error(rc, std::generic_category(), "blocking SIGTERM, SIGINT and SIGHUP");
    return old;
}

}  // namespace netmon
