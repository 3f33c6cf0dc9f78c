#pragma once
// Network namespaces for the tests that read the real kernel (netlink, nftables, NFLOG).

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
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

// Runs a shell command, its stdout and stderr together.
inline std::string run_command(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run " + command);
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    ::pclose(pipe);
    return output;
}

// A network namespace of this process's own (prefix and the pid), deleted at the end.
struct TestNamespace {
    std::string name;
    explicit TestNamespace(const std::string& prefix) : name(prefix + "-" + std::to_string(::getpid())) {
        run_command("ip netns add " + name);
    }
    ~TestNamespace() { run_command("ip netns del " + name); }
    TestNamespace(const TestNamespace&) = delete;
    TestNamespace& operator=(const TestNamespace&) = delete;
    std::string exec(const std::string& command) const { return run_command("ip netns exec " + name + " " + command); }
    // Runs f on a thread that entered the namespace, so that the sockets it opens are there.
    void in(const std::function<void()>& f) const { in_namespace(name, f); }
};

}  // namespace netmon::test
