#include "nflog_source.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

extern "C" {
#include <libnetfilter_log/libnetfilter_log.h>
}

namespace netmon {

namespace {

[[noreturn]] void fail(const std::string& what, int error) {
    throw NflogError("NFLOG: " + what + (error != 0 ? std::string(": ") + std::strerror(error) : std::string()));
}

// One netlink read: several logged packets of up to the snaplen each.
constexpr std::size_t read_buffer_bytes = 256 * 1024;

}  // namespace

void NflogSource::CloseHandle::operator()(nflog_handle* handle) const noexcept { nflog_close(handle); }
void NflogSource::UnbindGroup::operator()(nflog_g_handle* group) const noexcept { nflog_unbind_group(group); }

NflogSource::NflogSource(std::uint16_t group, std::uint32_t snaplen, std::size_t receive_buffer)
    : group_(group), handle_(nflog_open()), buffer_(read_buffer_bytes) {
    if (!handle_) fail("cannot open an nfnetlink socket", errno);
    group_handle_.reset(nflog_bind_group(handle_.get(), group));
    if (!group_handle_) {
        const int error = errno;
        fail("cannot bind group " + std::to_string(group) +
                 (error == EPERM ? " (needs CAP_NET_ADMIN)"
                                 : error == EBUSY ? " (another program, such as ulogd, has it)" : ""),
             error);
    }
    if (nflog_set_mode(group_handle_.get(), NFULNL_COPY_PACKET, snaplen) < 0)
        fail("cannot set copy-packet mode on group " + std::to_string(group), errno);
    // Answers are wanted at once (the flow that follows one is written within a cycle), not
    // after the kernel's default of a second's batching.
    nflog_set_qthresh(group_handle_.get(), 1);
    nflog_set_timeout(group_handle_.get(), 0);
    nflog_callback_register(group_handle_.get(), &NflogSource::on_packet, this);

    const int fd = nflog_fd(handle_.get());
    // A burst of answers (a page load asks dozens of names) overflows the default buffer.
    const int asked = static_cast<int>(std::min<std::size_t>(receive_buffer, INT_MAX / 2));
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &asked, sizeof asked) == 0) {
        forced_ = true;
    } else if (errno == EPERM) {
        if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &asked, sizeof asked) < 0) fail("cannot set SO_RCVBUF", errno);
    } else {
        fail("cannot set SO_RCVBUFFORCE", errno);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length) < 0) fail("cannot read SO_RCVBUF", errno);
    receive_buffer_ = static_cast<std::size_t>(granted);
}

NflogSource::~NflogSource() = default;

int NflogSource::fd() const { return nflog_fd(handle_.get()); }

int NflogSource::on_packet(nflog_g_handle*, nfgenmsg*, nflog_data* data, void* self) {
    auto& source = *static_cast<NflogSource*>(self);
    char* payload = nullptr;
    const int length = nflog_get_payload(data, &payload);
    if (length > 0 && payload != nullptr && source.out_ != nullptr)
        source.out_->add({reinterpret_cast<const std::uint8_t*>(payload), static_cast<std::size_t>(length)});
    return 0;
}

std::size_t NflogSource::drain(PacketBatch& out) {
    const std::size_t before = out.size();
    const int fd = nflog_fd(handle_.get());
    out_ = &out;
    std::size_t bytes = 0;
    while (bytes < receive_buffer_) {
        const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == ENOBUFS) {
                // The kernel dropped packets; the socket goes on with those after them.
                ++lost_;
                continue;
            }
            const int error = errno;
            out_ = nullptr;
            fail("cannot read group " + std::to_string(group_), error);
        }
        if (n == 0) break;
        bytes += static_cast<std::size_t>(n);
        // A message that does not parse is the kernel's or the library's fault, not a packet's:
        // its packets are lost, the next read goes on.
        nflog_handle_packet(handle_.get(), buffer_.data(), static_cast<int>(n));
    }
    out_ = nullptr;
    return out.size() - before;
}

}  // namespace netmon
