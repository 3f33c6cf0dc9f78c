#pragma once
// SIGTERM and SIGINT stop the server cleanly: they are blocked in every thread and a thread of
// their own waits for them (sigwait), so that nothing runs in a signal handler.

#include <csignal>
#include <functional>
#include <thread>

namespace netmon::web {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and in the threads it starts later:
// call it first in main, before any thread exists. Throws std::system_error.
void block_shutdown_signals();

class ShutdownSignals {
public:
    // Calls on_signal(signal number) from its own thread at the first SIGTERM or SIGINT;
    // SIGHUP is logged by the caller's on_hangup and otherwise ignored.
    ShutdownSignals(std::function<void(int)> on_signal, std::function<void()> on_hangup);
    // Stops waiting (without calling on_signal when no signal came) and joins the thread.
    ~ShutdownSignals();
    ShutdownSignals(const ShutdownSignals&) = delete;
    ShutdownSignals& operator=(const ShutdownSignals&) = delete;

private:
    std::thread thread_;
};

}  // namespace netmon::web
