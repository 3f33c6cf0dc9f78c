#include "neighbours.h"

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "netmon/c_handle.h"
#include "snapshot_source.h"

namespace netmon {
namespace {

[[noreturn]] void throw_errno(const std::string& what, int error) {
    throw SourceError("neighbour table: " + what + ": " + std::strerror(error));
}

// A dump of a few thousand entries is a few datagrams of this size; the kernel fills each
// up to the buffer it is given, so a larger one means fewer round trips.
constexpr std::size_t receive_buffer_size = 64 * 1024;

}  // namespace

struct NeighbourTable::Socket {
    CHandle<mnl_socket*, &mnl_socket_close> handle;
    std::unique_ptr<char[]> buffer{new char[receive_buffer_size]};
};

bool neighbour_state_usable(std::uint16_t state) {
    return (state & (NUD_FAILED | NUD_INCOMPLETE)) == 0;
}

std::optional<Neighbour> parse_neighbour_message(std::span<const std::uint8_t> message) {
    // Copied into an aligned buffer: a span from a file or a fuzzer need not be aligned for
    // nlmsghdr, and libmnl reads the headers in place.
    if (message.size() < sizeof(nlmsghdr)) return std::nullopt;
    alignas(nlmsghdr) std::uint8_t copy[1024];
    if (message.size() > sizeof copy) return std::nullopt;  // a neighbour message is ~100 bytes
    std::memcpy(copy, message.data(), message.size());
    auto* header = reinterpret_cast<nlmsghdr*>(copy);
    if (header->nlmsg_len > message.size() || header->nlmsg_type != RTM_NEWNEIGH) return std::nullopt;
    if (!mnl_nlmsg_ok(header, static_cast<int>(message.size()))) return std::nullopt;
    if (mnl_nlmsg_get_payload_len(header) < sizeof(ndmsg)) return std::nullopt;
    ndmsg info;
    std::memcpy(&info, mnl_nlmsg_get_payload(header), sizeof info);
    if (info.ndm_family != AF_INET && info.ndm_family != AF_INET6) return std::nullopt;
    if (!neighbour_state_usable(info.ndm_state)) return std::nullopt;

    const nlattr* destination = nullptr;
    const nlattr* lladdr = nullptr;
    const char* end = reinterpret_cast<const char*>(header) + header->nlmsg_len;
    for (auto* attribute = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(header, sizeof(ndmsg)));
         mnl_attr_ok(attribute, static_cast<int>(end - reinterpret_cast<const char*>(attribute)));
         attribute = mnl_attr_next(attribute)) {
        switch (mnl_attr_get_type(attribute)) {
            case NDA_DST: destination = attribute; break;
            case NDA_LLADDR: lladdr = attribute; break;
            default: break;
        }
    }
    if (destination == nullptr || lladdr == nullptr) return std::nullopt;
    const std::size_t address_length = info.ndm_family == AF_INET ? 4 : 16;
    if (mnl_attr_get_payload_len(destination) != address_length || mnl_attr_get_payload_len(lladdr) != 6)
        return std::nullopt;
    Neighbour neighbour;
    neighbour.address.family = info.ndm_family == AF_INET ? Family::v4 : Family::v6;
    std::memcpy(neighbour.address.bytes.data(), mnl_attr_get_payload(destination), address_length);
    std::memcpy(neighbour.mac.bytes.data(), mnl_attr_get_payload(lladdr), 6);
    if (neighbour.mac.is_zero() || neighbour.mac.is_multicast()) return std::nullopt;
    return neighbour;
}

NeighbourTable::NeighbourTable() : socket_(std::make_unique<Socket>()) {
    socket_->handle.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!socket_->handle) throw_errno("cannot open a NETLINK_ROUTE socket", errno);
    if (mnl_socket_bind(socket_->handle.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        throw_errno("cannot bind the netlink socket", errno);
    // A kernel that never answers must not hold the cycle: the dump fails instead.
    timeval timeout{2, 0};
    if (::setsockopt(mnl_socket_get_fd(socket_->handle.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
        throw_errno("cannot set a receive timeout", errno);
}

NeighbourTable::~NeighbourTable() = default;

void NeighbourTable::dump(std::vector<Neighbour>& out) {
    out.clear();
    mnl_socket* socket = socket_->handle.get();
    alignas(nlmsghdr) char request[256];
    nlmsghdr* header = mnl_nlmsg_put_header(request);
    header->nlmsg_type = RTM_GETNEIGH;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    header->nlmsg_seq = ++sequence_;
    auto* info = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(header, sizeof(ndmsg)));
    info->ndm_family = AF_UNSPEC;  // IPv4 and IPv6 in one dump
    if (mnl_socket_sendto(socket, header, header->nlmsg_len) < 0) throw_errno("cannot ask for a dump", errno);

    const unsigned portid = mnl_socket_get_portid(socket);
    auto on_message = [](const nlmsghdr* message, void* data) -> int {
        auto* list = static_cast<std::vector<Neighbour>*>(data);
        if (auto neighbour = parse_neighbour_message(
                {reinterpret_cast<const std::uint8_t*>(message), static_cast<std::size_t>(message->nlmsg_len)}))
            list->push_back(*neighbour);
        return MNL_CB_OK;
    };
    for (;;) {
        ssize_t length = mnl_socket_recvfrom(socket, socket_->buffer.get(), receive_buffer_size);
        if (length < 0 && errno == EINTR) continue;
        if (length < 0) throw_errno(errno == EAGAIN ? "the kernel did not answer" : "cannot read the dump", errno);
        int result = mnl_cb_run(socket_->buffer.get(), static_cast<std::size_t>(length), sequence_, portid,
                                on_message, &out);
        if (result == MNL_CB_STOP) return;
        if (result < 0) {
            // A stale reply of an earlier, abandoned dump carries another sequence: skip it.
            if (errno == EPROTO) continue;
            throw_errno("the dump failed", errno);
        }
    }
}

}  // namespace netmon
