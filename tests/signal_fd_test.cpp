#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include "signal_fd.h"

using namespace netmon;

TEST_CASE("stop_pending sees a waiting SIGTERM or SIGINT without taking it, and not SIGHUP", "[signal_fd]") {
    SignalFd signals;
    CHECK_FALSE(signals.stop_pending());
    ::kill(::getpid(), SIGHUP);
    CHECK_FALSE(signals.stop_pending());
    CHECK(signals.take() == SIGHUP);
    ::kill(::getpid(), SIGTERM);
    CHECK(signals.stop_pending());
    CHECK(signals.stop_pending());  // still there for the loop
    CHECK(signals.take() == SIGTERM);
    CHECK_FALSE(signals.stop_pending());
    ::kill(::getpid(), SIGINT);
    CHECK(signals.stop_pending());
    CHECK(signals.take() == SIGINT);
}
