#include "shutdown_signals.h"

#include <pthread.h>

#include "netmon/signals.h"

namespace netmon::web {
namespace {

sigset_t shutdown_set() {
    sigset_t set = daemon_signals();
    sigaddset(&set, SIGUSR1);  // the destructor's wake-up call
    return set;
}

}  // namespace

void block_shutdown_signals() { block_signals(shutdown_set()); }

ShutdownSignals::ShutdownSignals(std::function<void(int)> on_signal, std::function<void()> on_hangup)
    : thread_([on_signal = std::move(on_signal), on_hangup = std::move(on_hangup)] {
          sigset_t set = shutdown_set();
          for (;;) {
              int number = 0;
              if (sigwait(&set, &number) != 0) return;
              if (number == SIGHUP) {
                  on_hangup();
                  continue;
              }
              if (is_stop_signal(number)) on_signal(number);
              return;
          }
      }) {}

ShutdownSignals::~ShutdownSignals() {
    // Harmless when the thread has already returned: the signal stays pending, and blocked.
    // It cannot fail otherwise (the thread is joinable, SIGUSR1 is valid), so nothing is checked.
    (void)pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
}

}  // namespace netmon::web
