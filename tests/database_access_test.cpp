// What netmon-ingest says when it may not create or write its database: pure, on made-up
// access results (the real ones need another user than root, see tests/daemon_test.py).
#include <catch2/catch.hpp>

#include <cerrno>

#include "database_access.h"

using namespace netmon;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

DatabaseAccess netmon_user() {
    DatabaseAccess access;
    access.uid = 998;
    access.user = "netmon";
    return access;
}

const std::string path = "/var/lib/netmon/netmon.db";
const std::string sqlite = "cannot open /var/lib/netmon/netmon.db: unable to open database file";

}  // namespace

TEST_CASE("a directory that is not writable is named, with the user and what to do", "[database_access]") {
    DatabaseAccess access = netmon_user();
    access.directory = EACCES;
    access.file = access.wal = access.shm = ENOENT;
    const std::string message = explain_database_access(path, access, sqlite);
    CHECK_THAT(message, StartsWith("cannot write /var/lib/netmon/netmon.db: its directory /var/lib/netmon is not "
                                   "writable by uid 998 (netmon)"));
    CHECK_THAT(message, Contains("creates the database and its -wal and -shm files there"));
    CHECK_THAT(message, Contains("chown netmon /var/lib/netmon"));
    CHECK_THAT(message, Contains("set database: in netmon.yml"));
    CHECK(message.find("unable to open database file") == std::string::npos);

    // An existing file in it still needs the directory for its -wal and -shm.
    access.file = 0;
    CHECK_THAT(explain_database_access(path, access, sqlite), Contains("its directory /var/lib/netmon is not writable"));
}

TEST_CASE("a missing directory, a read-only file system, a file of another user", "[database_access]") {
    DatabaseAccess access = netmon_user();
    access.directory = ENOENT;
    access.file = access.wal = access.shm = ENOENT;
    CHECK_THAT(explain_database_access(path, access, sqlite),
               StartsWith("cannot write /var/lib/netmon/netmon.db: its directory /var/lib/netmon does not exist"));
    access.directory = EROFS;
    CHECK_THAT(explain_database_access(path, access, sqlite), Contains("is on a read-only file system"));

    access = netmon_user();
    access.file = EACCES;  // the directory is writable, and the -wal and -shm files are there
    CHECK_THAT(explain_database_access(path, access, sqlite),
               StartsWith("cannot write /var/lib/netmon/netmon.db: /var/lib/netmon/netmon.db is not writable by "
                          "uid 998 (netmon)") &&
                   Contains("chown netmon /var/lib/netmon/netmon.db"));
    access.file = 0;
    access.shm = EACCES;
    CHECK_THAT(explain_database_access(path, access, sqlite), Contains("/var/lib/netmon/netmon.db-shm is not writable"));

    // A user without a name is its uid.
    access.user.clear();
    CHECK_THAT(explain_database_access(path, access, sqlite), Contains("by uid 998 (Permission denied)") && Contains("chown 998 "));
}

TEST_CASE("when nothing is at fault, SQLite's message stands", "[database_access]") {
    CHECK(explain_database_access(path, netmon_user(), sqlite) == sqlite);
    DatabaseAccess access = netmon_user();
    access.file = access.wal = access.shm = ENOENT;  // a new database in a writable directory
    CHECK(explain_database_access(path, access, sqlite) == sqlite);
}

TEST_CASE("check_database_access looks at the real files", "[database_access]") {
    DatabaseAccess access = check_database_access("/nonexistent-netmon-dir/netmon.db");
    CHECK(access.directory == ENOENT);
    CHECK(access.file == ENOENT);
    access = check_database_access("/proc/self/netmon.db");
    CHECK(access.file == ENOENT);
}
