#include "snapshot_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

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

TextFileSource::TextFileSource(std::string path) : path_(std::move(path)) {}

ParseStats TextFileSource::read_entries(const EntrySink& sink) {
    FileDescriptor fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw SourceError("cannot open " + path_ + ": " + std::strerror(errno));
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
    for (bool end_of_file = false; !end_of_file;) {
        ssize_t n = ::read(fd.get(), buffer.data() + used, buffer.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SourceError("cannot read " + path_ + ": " + std::strerror(errno));
        }
        end_of_file = n == 0;
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
    // A line of `conntrack -L -o extended` is about 200 bytes.
    return static_cast<std::size_t>(info.st_size) / 200;
}

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

bool reads_kernel_table(const SnapshotSource& source) {
    if (dynamic_cast<const NetlinkDumpSource*>(&source) != nullptr) return true;
    const auto* text = dynamic_cast<const TextFileSource*>(&source);
    return text != nullptr && text->path() == proc_conntrack_path;
}

}  // namespace netmon
