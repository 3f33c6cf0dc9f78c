#pragma once
// The DNS answers that table inet netmon (dns_ruleset.h) or the admin's drop-in log, read from
// their NFLOG group with libnetfilter_log: each a copy of the IP packet, from its IP header. The
// packets are untrusted and not looked at here: they go to the DNS parser's child as they are.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

struct nflog_handle;
struct nflog_g_handle;
struct nflog_data;
struct nfgenmsg;

namespace netmon {

class NflogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The packets of one drain, back to back in one buffer kept from drain to drain: no allocation
// per packet once it has grown to a burst's size.
class PacketBatch {
public:
    void clear() {
        bytes_.clear();
        ends_.clear();
    }
    void add(std::span<const std::uint8_t> packet) {
        bytes_.insert(bytes_.end(), packet.begin(), packet.end());
        ends_.push_back(bytes_.size());
    }
    std::size_t size() const { return ends_.size(); }
    bool empty() const { return ends_.empty(); }
    std::span<const std::uint8_t> operator[](std::size_t i) const {
        const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
        return {bytes_.data() + begin, ends_[i] - begin};
    }
    // Every packet, as spans into the buffer (valid until the next clear or add).
    const std::vector<std::span<const std::uint8_t>>& spans() {
        spans_.clear();
        for (std::size_t i = 0; i < size(); ++i) spans_.push_back((*this)[i]);
        return spans_;
    }

private:
    std::vector<std::uint8_t> bytes_;
    std::vector<std::size_t> ends_;
    std::vector<std::span<const std::uint8_t>> spans_;
};

class NflogSource {
public:
    // Binds group in copy-packet mode with snaplen bytes of each packet, and asks for a receive
    // buffer of receive_buffer bytes (SO_RCVBUFFORCE, which needs CAP_NET_ADMIN; else what
    // net.core.rmem_max allows). Throws NflogError naming the step that failed (no CAP_NET_ADMIN,
    // no nfnetlink_log in the kernel, the group bound by another program).
    NflogSource(std::uint16_t group, std::uint32_t snaplen, std::size_t receive_buffer = 8u << 20);
    ~NflogSource();
    NflogSource(const NflogSource&) = delete;
    NflogSource& operator=(const NflogSource&) = delete;

    // The socket's descriptor for poll().
    int fd() const;
    // Reads the packets waiting, without blocking, appending them to out: at most about the
    // receive buffer's worth, so that a flood cannot hold the loop. Returns how many it added.
    // A kernel that dropped packets (the buffer overflowed: ENOBUFS) is counted in lost().
    // Throws NflogError when the socket fails otherwise.
    std::size_t drain(PacketBatch& out);

    // How often the kernel reported lost packets (ENOBUFS) since the start.
    std::uint64_t lost() const { return lost_; }
    std::size_t receive_buffer() const { return receive_buffer_; }
    bool receive_buffer_forced() const { return forced_; }
    std::uint16_t group() const { return group_; }

private:
    static int on_packet(nflog_g_handle*, nfgenmsg*, nflog_data* data, void* self);
    struct CloseHandle {
        void operator()(nflog_handle* handle) const noexcept;
    };
    struct UnbindGroup {
        void operator()(nflog_g_handle* group) const noexcept;
    };

    std::uint16_t group_;
    std::unique_ptr<nflog_handle, CloseHandle> handle_;
    std::unique_ptr<nflog_g_handle, UnbindGroup> group_handle_;  // after handle_: unbound first
    std::vector<char> buffer_;
    PacketBatch* out_ = nullptr;  // while drain runs
    std::size_t receive_buffer_ = 0;
    bool forced_ = false;
    std::uint64_t lost_ = 0;
};

}  // namespace netmon
