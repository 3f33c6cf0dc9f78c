#include "snapshot_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netmon/config.h"

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

std::string read_whole_file(const std::string& path) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw SourceError("cannot open " + path + ": " + std::strerror(errno));
    std::string text;
    // /proc files report size 0, so read until end of file rather than trusting fstat.
    std::size_t used = 0;
    text.resize(1 << 16);
    for (;;) {
        if (used == text.size()) text.resize(text.size() * 2);
        ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SourceError("cannot read " + path + ": " + std::strerror(errno));
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    text.resize(used);
    return text;
}

TextFileSource::TextFileSource(std::string path) : path_(std::move(path)) {}

Snapshot TextFileSource::read(const OutboundFilter& filter) {
    return parse_snapshot(read_whole_file(path_), &filter);
}

std::string TextFileSource::describe() const { return "file " + path_; }

std::unique_ptr<SnapshotSource> make_source(const Config& config) {
    switch (config.source) {
        case SourceKind::file:
            if (config.input_file.empty())
                throw SourceError("source: file needs CONNTRACK_INPUT_FILE to name the file");
            return std::make_unique<TextFileSource>(config.input_file);
        case SourceKind::automatic:
            if (!config.input_file.empty()) return std::make_unique<TextFileSource>(config.input_file);
            return std::make_unique<TextFileSource>(proc_conntrack_path);
        case SourceKind::proc:
            return std::make_unique<TextFileSource>(proc_conntrack_path);
        case SourceKind::netlink:
            throw SourceError("source: netlink is not available in this build");
    }
    throw SourceError("unknown source");
}

}  // namespace netmon
