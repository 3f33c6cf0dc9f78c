#include "lease_watcher.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace netmon {

namespace {

// What changes a lease file: a rename over it (dnsmasq, odhcpd, Kea's cleanup), a write in
// place (an append by dhcpd or Kea, which keep the file open), its creation or removal.
constexpr std::uint32_t watched_events =
    IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;

}  // namespace

LeaseWatcher::LeaseWatcher(std::vector<LeaseFile> files, bool given)
    : inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), given_(given) {
    if (!inotify_) throw std::runtime_error(std::string("cannot watch the lease files (inotify): ") + std::strerror(errno));
    set_files(std::move(files), given);
    reset_ = false;  // nothing was read before: the first refresh tells whether there are leases
}

void LeaseWatcher::set_files(std::vector<LeaseFile> files, bool given) {
    for (const File& file : files_)
        if (file.watch >= 0) ::inotify_rm_watch(inotify_.get(), file.watch);  // EINVAL for a shared one: harmless
    files_.clear();
    given_ = given;
    leases_.clear();
    reset_ = true;
    for (LeaseFile& config : files) {
        struct stat status {};
        if (!given && ::stat(config.path.c_str(), &status) != 0) continue;
        File file;
        const std::size_t slash = config.path.rfind('/');
        file.directory = slash == 0 ? "/" : config.path.substr(0, slash);
        file.name = config.path.substr(slash + 1);
        file.config = std::move(config);
        files_.push_back(std::move(file));
    }
    for (File& file : files_) add_watch(file);
}

void LeaseWatcher::add_watch(File& file) {
    // Two files of one directory share its watch: inotify gives the same descriptor.
    file.watch = ::inotify_add_watch(inotify_.get(), file.directory.c_str(), watched_events | IN_ONLYDIR);
}

void LeaseWatcher::handle_events() {
    alignas(inotify_event) char buffer[8192];
    for (;;) {
        const ssize_t length = ::read(inotify_.get(), buffer, sizeof buffer);
        if (length <= 0) return;  // EAGAIN: all read
        for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= length;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            const std::string_view name = event->len > 0 ? std::string_view(event->name) : std::string_view{};
            for (File& file : files_) {
                if (file.watch != event->wd) continue;
                if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                    file.watch = -1;  // the directory went: watched again when it is back
                    file.changed = true;
                } else if (name == file.name || (event->mask & IN_Q_OVERFLOW)) {
                    file.changed = true;
                }
            }
            if (event->mask & IN_Q_OVERFLOW)
                for (File& file : files_) file.changed = true;
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
    }
}

bool LeaseWatcher::read(File& file, std::vector<std::string>& warnings) {
    auto warn = [&](std::string problem) {
        if (problem != file.problem && (given_ || problem.find("cannot be read") == std::string::npos))
            warnings.push_back(problem);
        file.problem = std::move(problem);
    };
    std::vector<Lease> leases;
    const int fd = ::open(file.config.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    CHandle<int, &::close, -1> handle(fd);
    struct stat status {};
    if (!handle) {
        if (errno == ENOENT) {
            if (given_) warn(file.config.path + " is not there (yet): its leases are read when it appears");
        } else {
            warn(file.config.path + " cannot be read: " + std::strerror(errno));
        }
    } else if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        warn(file.config.path + " is not a regular file: its leases are not read");
    } else if (static_cast<std::uint64_t>(status.st_size) > max_file_bytes) {
        warn(file.config.path + " is larger than " + std::to_string(max_file_bytes >> 20) +
             " MiB: its leases are not read");
    } else {
        std::string text;
        text.resize(static_cast<std::size_t>(status.st_size));
        std::size_t got = 0;
        // The size it had when it was opened, at most: an appender cannot make the read grow.
        while (got < text.size()) {
            const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        text.resize(got);
        const LeaseFormat format =
            file.config.format == LeaseFormat::detect ? detect_lease_format(text) : file.config.format;
        // Kea and dhcpd append in place and may be part way through a line: a last line
        // without its '\n' waits for the next read.
        if ((format == LeaseFormat::kea || format == LeaseFormat::isc) && !text.empty() && text.back() != '\n') {
            const std::size_t end = text.rfind('\n');
            text.resize(end == std::string::npos ? 0 : end + 1);
        }
        LeaseFileContents contents = parse_leases(text, format);
        skipped_ += contents.skipped;
        leases = std::move(contents.leases);
        file.problem.clear();
    }
    if (leases == file.leases) return false;
    file.leases = std::move(leases);
    return true;
}

bool LeaseWatcher::refresh(std::vector<std::string>& warnings) {
    bool changed = std::exchange(reset_, false);
    for (File& file : files_) {
        if (file.watch < 0) {
            add_watch(file);
            if (file.watch >= 0) file.changed = true;
        }
        if (!file.changed) continue;
        file.changed = false;
        changed = read(file, warnings) || changed;
    }
    if (changed) {
        leases_.clear();
        for (const File& file : files_) leases_.insert(leases_.end(), file.leases.begin(), file.leases.end());
    }
    return changed;
}

}  // namespace netmon
