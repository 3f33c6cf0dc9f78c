#include "database_access.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace netmon {
namespace {

int writable(const std::string& path) { return ::access(path.c_str(), W_OK) == 0 ? 0 : errno; }

std::string directory_of(const std::string& path) {
    std::string directory = std::filesystem::path(path).parent_path().string();
    return directory.empty() ? "." : directory;
}

std::string who(const DatabaseAccess& access) {
    std::string text = "uid " + std::to_string(access.uid);
    if (!access.user.empty()) text += " (" + access.user + ")";
    return text;
}

// How to make what is named writable, and the way out of it.
std::string remedy(const DatabaseAccess& access, const std::string& what) {
    const std::string owner = access.user.empty() ? std::to_string(access.uid) : access.user;
    return "make it writable for that user (chown " + owner + " " + what +
           "; the unit's StateDirectory=netmon does so for /var/lib/netmon), or set database: in netmon.yml "
           "to a writable place";
}

}  // namespace

DatabaseAccess check_database_access(const std::string& path) {
    DatabaseAccess access;
    access.directory = writable(directory_of(path));
    access.file = writable(path);
    access.wal = writable(path + "-wal");
    access.shm = writable(path + "-shm");
    access.uid = ::geteuid();
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwuid_r(access.uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr)
        access.user = found->pw_name;
    return access;
}

std::string explain_database_access(const std::string& path, const DatabaseAccess& access,
                                    const std::string& sqlite_message) {
    const std::string directory = directory_of(path);
    const std::string prefix = "cannot write " + path + ": ";
    if (access.directory == ENOENT || access.directory == ENOTDIR)
        return prefix + "its directory " + directory + " does not exist; create it for " + who(access) +
               ", or set database: in netmon.yml to a file in a directory that exists";
    if (access.directory == EROFS)
        return prefix + "its directory " + directory +
               " is on a read-only file system; set database: in netmon.yml to a file on a writable one";
    // A new database, and the -wal and -shm files of any, are created in the directory.
    const bool creates = access.file == ENOENT || access.wal == ENOENT || access.shm == ENOENT;
    if (access.directory != 0 && creates)
        return prefix + "its directory " + directory + " is not writable by " + who(access) +
               ", and netmon-ingest creates the database and its -wal and -shm files there; " +
               remedy(access, directory);
    for (const auto& [name, error] : {std::pair{path, access.file}, std::pair{path + "-wal", access.wal},
                                      std::pair{path + "-shm", access.shm}}) {
        if (error != 0 && error != ENOENT)
            return prefix + name + " is not writable by " + who(access) + " (" + std::strerror(error) + "); " +
                   remedy(access, name);
    }
    return sqlite_message;
}

}  // namespace netmon
