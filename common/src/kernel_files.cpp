#include "netmon/kernel_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "netmon/c_handle.h"

namespace netmon {

std::optional<std::string> read_small_file(const std::string& path, std::string& error) {
    CHandle<int, &::close, -1> file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    const int fd = file.get();
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = path + ": " + std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 1 << 20) break;  // not a /proc file
    }
    return text;
}

std::optional<std::uint64_t> parse_counter(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<bool> read_sysctl_flag(const std::string& path) {
    std::string error;
    std::optional<std::string> text = read_small_file(path, error);
    std::optional<std::uint64_t> value = text ? parse_counter(*text) : std::nullopt;
    if (!value || *value > 1) return std::nullopt;
    return *value == 1;
}

namespace {

std::string interface_directory(const std::string& root, std::string_view name) {
    std::string directory = root;
    if (directory.empty() || directory.back() != '/') directory += '/';
    return directory + "sys/class/net/" + std::string(name);
}

}  // namespace

std::optional<InterfaceCounters> read_interface_counters(const std::string& root, std::string_view name,
                                                         std::string& error) {
    const std::string directory = interface_directory(root, name);
    if (::access(directory.c_str(), F_OK) != 0) {
        error = "no interface " + std::string(name) + " on this host (" + directory + ": " + std::strerror(errno) + ")";
        return std::nullopt;
    }
    struct Field {
        const char* file;
        std::uint64_t InterfaceCounters::*value;
    };
    static constexpr Field fields[] = {{"rx_bytes", &InterfaceCounters::rx_bytes},
                                       {"tx_bytes", &InterfaceCounters::tx_bytes},
                                       {"rx_packets", &InterfaceCounters::rx_packets},
                                       {"tx_packets", &InterfaceCounters::tx_packets}};
    InterfaceCounters counters;
    for (const Field& field : fields) {
        const std::string path = directory + "/statistics/" + field.file;
        std::optional<std::string> text = read_small_file(path, error);
        std::optional<std::uint64_t> value = text ? parse_counter(*text) : std::nullopt;
        if (!value) {
            if (text) error = path + ": not a counter";
            return std::nullopt;
        }
        counters.*field.value = *value;
    }
    return counters;
}

std::optional<std::uint32_t> interface_header_bytes(const std::string& root, std::string_view name,
                                                    std::string& error) {
    const std::string path = interface_directory(root, name) + "/type";
    std::optional<std::string> text = read_small_file(path, error);
    std::optional<std::uint64_t> type = text ? parse_counter(*text) : std::nullopt;
    if (!type) {
        if (text) error = path + ": not a link type";
        return std::nullopt;
    }
    constexpr std::uint64_t arphrd_ether = 1;  // linux/if_arp.h
    return *type == arphrd_ether ? 14 : 0;
}

}  // namespace netmon
