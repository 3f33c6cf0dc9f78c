// The text source (TextFileSource): what it refuses to read, its bounds, a stop request
// ending a read part way, and which table it reads. Real files in a temporary directory of their own.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "db_support.h"
#include "netmon/config.h"
#include "snapshot_source.h"
#include "test_support.h"

using namespace netmon;
using namespace netmon::test;
using Catch::Matchers::Contains;

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
}

// A file of size bytes that takes no disk: it reads as NUL bytes and no newline, for ever.
void make_sparse(const std::string& path, off_t size) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, size) == 0);
    ::close(fd);
}

ParseStats read_all(TextFileSource& source, std::size_t* entries = nullptr) {
    return source.read_entries([&](Entry&&) {
        if (entries != nullptr) ++*entries;
    });
}

}  // namespace

TEST_CASE("a device, a FIFO or a directory is refused at once, naming it", "[text-source]") {
    CHECK_THROWS_AS(TextFileSource("/dev/zero"), SourceError);
    CHECK_THROWS_WITH(TextFileSource("/dev/zero"), Contains("/dev/zero") && Contains("a character device") &&
                                                       Contains("not a regular file"));
    CHECK_THROWS_WITH(TextFileSource("/dev/urandom"), Contains("/dev/urandom") && Contains("character device"));
    TempDir dir;
    const std::string fifo = dir.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(TextFileSource(fifo), Contains(fifo) && Contains("a FIFO"));
    CHECK_THROWS_WITH(TextFileSource(dir.path.string()), Contains("a directory"));
    // Missing is not refused: the file may come later, and each read says it is missing.
    CHECK_NOTHROW(TextFileSource(dir.file("later.txt")));
    // /proc files are regular.
    CHECK_NOTHROW(TextFileSource("/proc/self/status"));
}

TEST_CASE("a file replaced by a FIFO is refused when read, without waiting for a writer", "[text-source]") {
    TempDir dir;
    const std::string path = dir.file("conntrack.txt");
    write_file(path, read_fixture("router_extended.txt"));
    TextFileSource source(path);
    std::size_t entries = 0;
    CHECK(read_all(source, &entries).entries == entries);
    CHECK(entries > 0);
    std::filesystem::remove(path);
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(read_all(source), Contains(path) && Contains("a FIFO"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}

TEST_CASE("a read stops at its byte bound, failing rather than reading a part", "[text-source]") {
    TempDir dir;
    const std::string path = dir.file("conntrack.txt");
    const std::string text = read_fixture("router_extended.txt");
    write_file(path, text);
    TextFileSource small(path, text.size() - 1);
    std::size_t entries = 0;
    CHECK_THROWS_WITH(read_all(small, &entries),
                      "cannot read " + path + ": larger than " + std::to_string(text.size() - 1) +
                          " bytes, more than any conntrack table");
    CHECK(entries == 0);  // the bound is met before the first chunk is parsed
    TextFileSource enough(path, text.size());
    CHECK(read_all(enough).entries == 22);
    // The default: a GiB, whatever the file's size says (a sparse 2 GiB file of zeros).
    make_sparse(path, off_t{2} << 30);
    TextFileSource huge(path);
    CHECK_THROWS_WITH(read_all(huge), Contains("larger than 1024 MiB"));
    // The size hint, which tables are sized by before a first read, is bounded too.
    make_sparse(path, off_t{1} << 40);
    CHECK(TextFileSource(path).size_hint() == (std::size_t{1} << 30) / 200);
}

TEST_CASE("a line longer than the buffer is counted once as too long and skipped", "[text-source]") {
    TempDir dir;
    const std::string path = dir.file("conntrack.txt");
    const std::string line = fixture_line("router_extended.txt", "dport=443");
    write_file(path, std::string(3 << 20, 'x') + "\n" + line + "\n" + std::string(100'000, 'y') + "\n" + line + "\n");
    TextFileSource source(path);
    ParseStats stats = read_all(source);
    CHECK(stats.entries == 2);
    CHECK(stats.skipped == 2);
    CHECK(stats.by_error[static_cast<std::size_t>(ParseError::too_long)] == 2);
    CHECK(stats.first_error == ParseError::too_long);
}

TEST_CASE("a stop request ends a read part way", "[text-source]") {
    TempDir dir;
    const std::string path = dir.file("huge.txt");
    make_sparse(path, off_t{1} << 40);  // a TiB of zeros: hours to read
    TextFileSource source(path, std::uint64_t{1} << 41);
    int asked = 0;
    source.stop_when([&] { return ++asked == 5; });
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(read_all(source), Interrupted);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
    CHECK(asked == 5);  // asked once a chunk (a MiB)

    // A stop request that never comes changes nothing.
    const std::string capture = dir.file("conntrack.txt");
    write_file(capture, read_fixture("router_extended.txt"));
    TextFileSource normal(capture);
    normal.stop_when([] { return false; });
    CHECK(read_all(normal).entries == 22);
}

TEST_CASE("a text source reads the kernel's table only as /proc/net/nf_conntrack, and has no events",
          "[text-source]") {
    TempDir dir;
    const std::string path = dir.file("replay.txt");
    write_file(path, read_fixture("router_extended.txt"));
    TextFileSource replay(path);
    CHECK_FALSE(replay.reads_kernel_table());
    CHECK_FALSE(replay.has_events());
    TextFileSource proc(proc_conntrack_path);
    CHECK(proc.reads_kernel_table());
    CHECK_FALSE(proc.has_events());

    Config config;
    config.source = SourceKind::proc;
    CHECK(make_source(config)->reads_kernel_table());
    config.source = SourceKind::automatic;
    config.input_file = path;  // CONNTRACK_INPUT_FILE: a replay, whatever the kernel has
    const auto automatic = make_source(config);
    CHECK_FALSE(automatic->reads_kernel_table());
    CHECK_FALSE(automatic->has_events());
}
