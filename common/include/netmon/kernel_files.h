#pragma once
// The small files of /proc and /sys both binaries read: sysctls, an interface's counters and
// link type. One page at most each; every read says why it failed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netmon {

// The file's text (at most 1 MiB: a /proc or /sys file is a page). Nothing when it cannot be
// read; error then says why ("PATH: strerror").
std::optional<std::string> read_small_file(const std::string& path, std::string& error);

// A counter or sysctl file: a decimal number, then a newline. Nothing when it is not one.
std::optional<std::uint64_t> parse_counter(std::string_view text);

// A 0/1 sysctl (net.netfilter.nf_conntrack_acct, ..._events): nothing when it cannot be read
// or holds another value.
std::optional<bool> read_sysctl_flag(const std::string& path);

// An interface's counters (/sys/class/net/NAME/statistics/), as the kernel counts them: frames
// with their link-layer header, without the FCS.
struct InterfaceCounters {
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_bytes = 0;
    std::uint64_t rx_packets = 0;
    std::uint64_t tx_packets = 0;
    friend bool operator==(const InterfaceCounters&, const InterfaceCounters&) = default;
};

// root is "/" on a router; tests give a directory with sys/class/net/ in it. Nothing when the
// interface or a file is missing, or a file is not a counter; error then says which.
std::optional<InterfaceCounters> read_interface_counters(const std::string& root, std::string_view name,
                                                         std::string& error);

// The bytes of link-layer header the interface's counters carry beyond each IP packet, by
// /sys/class/net/NAME/type: 14 for Ethernet (ARPHRD_ETHER: veth, VLANs and bridges too), 0 for
// the rest (PPP, tun, WireGuard count the IP packet). Nothing when the type cannot be read.
std::optional<std::uint32_t> interface_header_bytes(const std::string& root, std::string_view name,
                                                    std::string& error);

}  // namespace netmon
