#pragma once
// Copies the write-ahead log back into the database on a thread of its own, so that a cycle's
// commit does not wait for it (after a cold start the WAL holds the whole table). The ingest's
// own connection turns automatic checkpoints off (see Store); this one, a second connection to
// the same file, runs a PASSIVE checkpoint after every commit it is told of, and a TRUNCATE one
// when it stops.
//
// A passive checkpoint never waits, and SQLite starts the WAL over only once all of it has been
// copied back: writes that come back to back (an event storm) leave no such moment, and the WAL
// would grow for as long as they last (16 GB in ten minutes, on a clock that did not wait). A
// checkpoint that waits cannot be had from this thread: the writer, retaking its lock at once,
// always wins it. So the writer, between two of its writes, calls limit_wal: past the limit, it
// runs a RESTART checkpoint itself (waiting for readers up to the busy timeout), after which its
// next write starts the WAL over, cut back to half the limit (journal_size_limit).

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "netmon/database.h"

namespace netmon {

class Checkpointer {
public:
    // Opens its own connection to path and starts the thread. Throws DatabaseError.
    explicit Checkpointer(const std::string& path);
    // Stops the thread after the checkpoint under way, then truncates the WAL.
    ~Checkpointer();
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // A commit happened: checkpoint soon. Never blocks.
    void request();
    // On the writer's thread, between its writes: when the WAL is past limit bytes, checkpoints
    // all of it before returning (blocks for the checkpoint under way and for the readers'
    // snapshots). Returns whether it did.
    bool limit_wal(std::uint64_t limit);

private:
    void loop();
    void checkpoint(const char* mode);

    std::string wal_path_;
    Database db_;
    std::mutex checkpointing_;  // held around each checkpoint: db_ is used by one thread at a time
    std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace netmon
