#include "shutdown_signals.h"

#include <pthread.h>

#include <atomic>

namespace netmon::web {
namespace {

sigset_t shutdown_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);  // the destructor's wake-up call
    return set;
}

}  // namespace

void block_shutdown_signals() {
    sigset_t set = shutdown_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

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
              if (number != SIGUSR1) on_signal(number);
              return;
          }
      }) {}

ShutdownSignals::~ShutdownSignals() {
    // Harmless when the thread has already returned: the signal stays pending, and blocked.
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
}

}  // namespace netmon::web
