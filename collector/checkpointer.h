#pragma once
// Copies the write-ahead log back into the database on a thread of its own, so that a cycle's
// commit does not wait for it (after a cold start the WAL holds the whole table). The ingest's
// own connection turns automatic checkpoints off (see Store); this one, a second connection to
// the same file, runs a PASSIVE checkpoint after every commit it is told of, and a TRUNCATE one
// when it stops.

#include <condition_variable>
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

private:
    void loop();
    void checkpoint(const char* mode);

    Database db_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace netmon
