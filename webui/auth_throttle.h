#pragma once
// Slows down password guessing: after a few wrong passwords from one client address, that
// address waits before its next try is even checked, twice as long after each further miss.
// An IPv6 address counts as its /64. Pure: the time is passed in. Bounded: it remembers at most max_addresses addresses.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "netmon/address.h"

namespace netmon::web {

class AuthThrottle {
public:
    static constexpr int free_failures = 5;               // wrong tries before any wait
    static constexpr std::int64_t max_wait_ms = 60'000;   // the longest wait
    static constexpr std::int64_t forget_after_ms = 15 * 60'000;  // a quiet address starts afresh
    static constexpr std::size_t max_addresses = 1024;

    // How long address must still wait before a try is checked, or nothing.
    std::optional<std::int64_t> wait_ms(const IpAddress& address, std::int64_t now_ms) const;
    void failed(const IpAddress& address, std::int64_t now_ms);
    void succeeded(const IpAddress& address);
    std::size_t size() const { return failures_.size(); }

private:
    struct Failures {
        int count = 0;
        std::int64_t last_ms = 0;
    };
    static std::int64_t wait_after(int count);

    std::unordered_map<IpAddress, Failures, IpAddressHash> failures_;
};

}  // namespace netmon::web
