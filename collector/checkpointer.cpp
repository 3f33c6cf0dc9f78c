#include "checkpointer.h"

#include <sys/stat.h>

namespace netmon {

Checkpointer::Checkpointer(const std::string& path)
    : wal_path_(path + "-wal"), db_(path, Database::Mode::read_write_create), thread_([this] { loop(); }) {
    db_.set_busy_timeout(1000);
    // The ingest's own connection outlives this one and decides what becomes of the -wal and
    // -shm files (Store::reopen); this one never deletes them by name.
    db_.keep_wal_on_close();
}

Checkpointer::~Checkpointer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    checkpoint("TRUNCATE");
}

void Checkpointer::request() {
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    wake_.notify_one();
}

void Checkpointer::loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return requested_ || stopping_; });
            if (stopping_) return;
            requested_ = false;
        }
        checkpoint("PASSIVE");
    }
}

bool Checkpointer::limit_wal(std::uint64_t limit) {
    struct stat wal {};
    if (::stat(wal_path_.c_str(), &wal) != 0 || static_cast<std::uint64_t>(wal.st_size) <= limit) return false;
    checkpoint("RESTART");
    return true;
}

void Checkpointer::checkpoint(const char* mode) {
    std::lock_guard lock(checkpointing_);
    try {
        db_.execute(std::string("PRAGMA wal_checkpoint(") + mode + ")");
    } catch (const DatabaseError&) {
        // Busy or failed: the WAL only grows until the next request succeeds. Readers and the
        // writer are never affected by a checkpoint that did not happen.
    }
}

}  // namespace netmon
