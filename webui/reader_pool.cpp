#include "reader_pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netmon/database.h"
#include "netmon/schema.h"
#include "queries.h"

namespace netmon::web {
namespace {

// How long a read waits for a lock (WAL recovery after a crash of the ingest) before failing.
constexpr int busy_timeout_ms = 1000;

struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

bool exists(const std::string& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0;
}

std::string describe(const DatabaseError& e, const std::string& path) {
    switch (e.kind()) {
        case DatabaseError::Kind::not_a_database:
            return path + " is not an SQLite database; is database: in netmon.yml right?";
        case DatabaseError::Kind::corrupt: return path + " is damaged (" + std::string(e.what()) + ")";
        case DatabaseError::Kind::cannot_open:
        case DatabaseError::Kind::read_only:
        case DatabaseError::Kind::denied:
            return "cannot read " + path + " (" + e.what() +
                   "): netmon-web's user needs read access to it, to its -wal and -shm files and to its directory";
        default: return "cannot read " + path + ": " + e.what();
    }
}

}  // namespace

struct ReaderPool::Entry {
    FileIdentity identity;
    bool immutable = false;
    std::unique_ptr<Reader> reader;
};

ReaderPool::ReaderPool(std::string path, std::size_t keep) : path_(std::move(path)), keep_(keep) {}

ReaderPool::~ReaderPool() = default;

ReaderPool::Lease ReaderPool::acquire() {
    struct stat status {};
    if (::stat(path_.c_str(), &status) != 0) {
        int error = errno;
        {
            std::lock_guard lock(mutex_);
            idle_.clear();
        }
        if (error == ENOENT)
            return Lease(this, nullptr,
                         "there is no database at " + path_ +
                             " yet. netmon-ingest creates it: start it (systemctl start netmon-ingest), or set "
                             "database: in netmon.yml to the file it writes");
        return Lease(this, nullptr,
                     "cannot read " + path_ + ": " + std::strerror(error) +
                         "; netmon-web's user needs read access to it and to its directory");
    }
    const FileIdentity identity{status.st_dev, status.st_ino};
    for (;;) {
        std::unique_ptr<Entry> entry;
        {
            std::lock_guard lock(mutex_);
            if (idle_.empty()) break;
            entry = std::move(idle_.back());
            idle_.pop_back();
        }
        // Another file under the same name now: every idle connection is to the old one.
        if (entry->identity != identity) continue;
        // A migration since it was opened: a new connection checks the version again.
        try {
            if (!entry->reader->schema_changed()) return Lease(this, std::move(entry), {});
        } catch (const DatabaseError&) {
        }
    }
    auto entry = std::make_unique<Entry>();
    entry->identity = identity;
    try {
        try {
            Database db(path_, Database::Mode::read_only);
            db.set_busy_timeout(busy_timeout_ms);
            entry->reader = std::make_unique<Reader>(std::move(db));
        } catch (const DatabaseError& e) {
            bool cannot_create_wal_files =
                e.kind() == DatabaseError::Kind::read_only || e.kind() == DatabaseError::Kind::cannot_open;
            if (!cannot_create_wal_files || exists(path_ + "-wal")) throw;
            // See the header: the ingest has stopped and its files are gone.
            Database db(path_, Database::Mode::immutable);
            entry->reader = std::make_unique<Reader>(std::move(db));
            entry->immutable = true;
        }
    } catch (const DatabaseError& e) {
        return Lease(this, nullptr, describe(e, path_));
    } catch (const SchemaError& e) {
        return Lease(this, nullptr, e.what());
    }
    return Lease(this, std::move(entry), {});
}

void ReaderPool::release(std::unique_ptr<Entry> entry) {
    if (entry->immutable) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < keep_) idle_.push_back(std::move(entry));
}

ReaderPool::Lease::Lease(ReaderPool* pool, std::unique_ptr<Entry> entry, std::string error)
    : pool_(pool), entry_(std::move(entry)), error_(std::move(error)) {}

ReaderPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), entry_(std::move(other.entry_)), error_(std::move(other.error_)) {}

ReaderPool::Lease::~Lease() {
    if (!entry_) return;
    try {
        pool_->release(std::move(entry_));
    } catch (...) {
        // Out of memory for the idle list: the connection closes instead.
    }
}

Reader& ReaderPool::Lease::operator*() const { return *entry_->reader; }
Reader* ReaderPool::Lease::operator->() const { return entry_->reader.get(); }

void ReaderPool::Lease::discard() { entry_.reset(); }

}  // namespace netmon::web
