#pragma once
// Network namespaces for the tests that read the real kernel (netlink, nftables, NFLOG).

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace netmon::test {

// Runs f on a thread that entered network namespace name (made with `ip netns add`), so that
// the sockets f opens belong to it. No Catch2 assertions inside f: they are not thread-safe.
inline void in_namespace(const std::string& name, const std::function<void()>& f) {
    std::exception_ptr failure;
    std::thread thread([&] {
        try {
            const int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw std::runtime_error("cannot open namespace " + name);
            const int entered = ::setns(fd, CLONE_NEWNET);
            ::close(fd);
            if (entered != 0) throw std::runtime_error("cannot enter namespace " + name);
            f();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    thread.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace netmon::test
