#include "snapshot_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "netlink_source.h"
#include "netmon/config.h"
#include "netmon/outbound.h"

namespace netmon {
namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// What a file that is not regular is, for the message that refuses it; nullptr when it is regular.
const char* irregular_kind(mode_t mode) {
    if (S_ISREG(mode)) return nullptr;
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a file";
}

[[noreturn]] void refuse_irregular(const std::string& path, const char* kind) {
    throw SourceError("cannot read " + path + ": it is " + kind +
                      ", not a regular file (netmon reads a conntrack text file or /proc/net/nf_conntrack)");
}

std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace

void SnapshotSource::check_stop() const {
    if (stop_requested_ && stop_requested_()) throw Interrupted(describe() + ": read stopped part way, as asked");
}

Snapshot SnapshotSource::read(const OutboundFilter& filter) {
    Snapshot snapshot;
    SnapshotBuilder builder;
    snapshot.stats = read_entries([&](Entry&& entry) {
        ++snapshot.entries_seen;
        if (filter.is_outbound(entry)) builder.add(std::move(entry));
    });
    snapshot.entries = builder.take();
    return snapshot;
}

TextFileSource::TextFileSource(std::string path, std::uint64_t max_bytes)
    : path_(std::move(path)), max_bytes_(max_bytes) {
    struct stat info {};
    if (::stat(path_.c_str(), &info) == 0)
        if (const char* kind = irregular_kind(info.st_mode)) refuse_irregular(path_, kind);
}

ParseStats TextFileSource::read_entries(const EntrySink& sink) {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, before fstat could refuse it.
    FileDescriptor fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) throw SourceError("cannot open " + path_ + ": " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) throw SourceError("cannot stat " + path_ + ": " + std::strerror(errno));
    if (const char* kind = irregular_kind(info.st_mode)) refuse_irregular(path_, kind);
    constexpr std::size_t chunk = 1 << 20;
    std::string buffer(chunk, '\0');
    std::size_t used = 0;       // bytes in buffer
    bool skipping_long = false;  // inside a line longer than the buffer: drop it up to its end
    ParseStats stats;
    auto parse = [&](std::string_view line) {
        ParseResult result = parse_line(line);
        stats.count(result);
        if (result.entry) sink(std::move(*result.entry));
    };
    std::uint64_t total = 0;
    for (bool end_of_file = false; !end_of_file;) {
        check_stop();
        ssize_t n = ::read(fd.get(), buffer.data() + used, buffer.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SourceError("cannot read " + path_ + ": " + std::strerror(errno));
        }
        end_of_file = n == 0;
        total += static_cast<std::uint64_t>(n);
        if (total > max_bytes_)
            throw SourceError("cannot read " + path_ + ": larger than " + size_text(max_bytes_) +
                              ", more than any conntrack table");
        used += static_cast<std::size_t>(n);
        std::string_view data(buffer.data(), used);
        std::size_t start = 0;
        for (std::size_t end; (end = data.find('\n', start)) != std::string_view::npos; start = end + 1) {
            if (skipping_long) skipping_long = false;
            else parse(data.substr(start, end - start));
        }
        if (end_of_file && start < used && !skipping_long) {
            parse(data.substr(start));  // a last line without a newline
            start = used;
        }
        if (start == 0 && used == buffer.size()) {
            // A line longer than the whole buffer cannot be an entry: count it once and skip it.
            if (!skipping_long) stats.count(ParseResult{std::nullopt, ParseError::too_long});
            skipping_long = true;
            start = used;
        }
        std::memmove(buffer.data(), buffer.data() + start, used - start);
        used -= start;
    }
    return stats;
}

std::string TextFileSource::describe() const { return "file " + path_; }

std::size_t TextFileSource::size_hint() const {
    if (path_ == proc_conntrack_path) return kernel_conntrack_count();
    struct stat info {};
    if (::stat(path_.c_str(), &info) != 0) return 0;
    // A line of `conntrack -L -o extended` is about 200 bytes; a read ends at max_bytes_.
    const auto readable = std::min<std::uint64_t>(static_cast<std::uint64_t>(info.st_size), max_bytes_);
    return static_cast<std::size_t>(readable / 200);
}

bool TextFileSource::reads_kernel_table() const { return path_ == proc_conntrack_path; }

std::size_t kernel_conntrack_count() {
    std::ifstream file("/proc/sys/net/netfilter/nf_conntrack_count");
    std::size_t count = 0;
    file >> count;
    return file ? count : 0;
}

std::unique_ptr<SnapshotSource> make_source(const Config& config) {
    switch (config.source) {
        case SourceKind::file:
            if (config.input_file.empty())
                throw SourceError("source: file needs CONNTRACK_INPUT_FILE to name the file");
            return std::make_unique<TextFileSource>(config.input_file);
        case SourceKind::automatic:
            if (!config.input_file.empty()) return std::make_unique<TextFileSource>(config.input_file);
            try {
                return std::make_unique<NetlinkDumpSource>();
            } catch (const NetlinkPermissionError&) {
                throw;  // /proc/net/nf_conntrack would refuse us too
            } catch (const SourceError&) {
                return std::make_unique<TextFileSource>(proc_conntrack_path);  // no ctnetlink here
            }
        case SourceKind::proc:
            return std::make_unique<TextFileSource>(proc_conntrack_path);
        case SourceKind::netlink:
            return std::make_unique<NetlinkDumpSource>();
    }
    throw SourceError("unknown source");
}

}  // namespace netmon
