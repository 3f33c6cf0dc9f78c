#pragma once
// Why netmon-ingest cannot open or write its database, in words that say what to do. SQLite
// says only "unable to open database file" or "attempt to write a readonly database"; what
// matters is which of the file, its -wal and -shm, and its directory this user may not write.

#include <string>
#include <sys/types.h>

namespace netmon {

// What the file system says about a database path for the user the ingest runs as: each an
// errno of access(W_OK), 0 when writable, ENOENT when absent.
struct DatabaseAccess {
    int directory = 0;  // the directory holding the file
    int file = 0;
    int wal = 0;  // path-wal
    int shm = 0;  // path-shm
    uid_t uid = 0;
    std::string user;  // the uid's name, or "" when it has none
};

// Looks at path and its directory now (access(2), getpwuid).
DatabaseAccess check_database_access(const std::string& path);

// The message for a database that could not be opened or written (DatabaseError with
// access_denied()), naming the file or directory at fault and what to do; sqlite_message when
// access says nothing is at fault. Pure.
std::string explain_database_access(const std::string& path, const DatabaseAccess& access,
                                    const std::string& sqlite_message);

}  // namespace netmon
