#pragma once
// Read-only connections to the database, kept between requests and opened again when the file
// changes (a new inode), disappears or breaks. netmon-web never writes the database.
//
// SQLite and a read-only WAL database (what we found, SQLite 3.40, tested in
// tests/web_http_test.py as user nobody): a reader needs the -wal and -shm files next to the
// database. While netmon-ingest runs they exist, and a reader that may read but not write them
// works: SQLite then keeps the WAL index in the reader's own memory. SQLite creates both with the
// database file's mode and owner, so a database readable by netmon-web's group is enough. When
// netmon-ingest stops cleanly and no other connection is open, it checkpoints and deletes them
// (a reader connected at that moment keeps them from being deleted); a reader that opens after
// that and cannot create them (no write access to the directory) fails with "attempt to write a
// readonly database". In that one case, with no -wal file, the database file holds everything,
// and the pool opens it with immutable=1 (no locks, no WAL), one connection per request, never
// kept, so that the next request sees netmon-ingest's files as soon as it starts again. So
// netmon-web's user needs read access to the directory and the three files, and no write access
// anywhere.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netmon::web {

class Reader;

class ReaderPool {
public:
    // Opens nothing yet. keep: how many idle connections to keep (one per server thread).
    explicit ReaderPool(std::string path, std::size_t keep = 4);
    ~ReaderPool();
    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;

    class Lease;
    // A reader, or (when the lease is false) why there is none: a sentence that says what to do.
    Lease acquire();
    const std::string& path() const { return path_; }

private:
    struct Entry;
    void release(std::unique_ptr<Entry> entry);

    std::string path_;
    std::size_t keep_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Entry>> idle_;
};

class ReaderPool::Lease {
public:
    Lease(Lease&&) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    explicit operator bool() const { return entry_ != nullptr; }
    Reader& operator*() const;
    Reader* operator->() const;
    const std::string& error() const { return error_; }
    // The connection failed: close it rather than keep it.
    void discard();

private:
    friend class ReaderPool;
    Lease(ReaderPool* pool, std::unique_ptr<Entry> entry, std::string error);

    ReaderPool* pool_;
    std::unique_ptr<Entry> entry_;
    std::string error_;
};

}  // namespace netmon::web
