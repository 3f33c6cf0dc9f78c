#pragma once
// Helpers for the tests that use a real SQLite file: a temporary directory of their own, and a
// snapshot source over text in memory.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "netmon/database.h"
#include "netmon/parser.h"
#include "snapshot_source.h"

namespace netmon::test {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "netmon-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

// A source whose table is the text it is given (the parser's formats), or that fails.
class TextSource final : public SnapshotSource {
public:
    explicit TextSource(std::string text = "") : text_(std::move(text)) {}
    void set(std::string text) { text_ = std::move(text); }
    // Fails after handing over this many entries (0: before any), until cleared.
    void fail_after(std::size_t entries) { fail_after_ = entries; }
    void heal() { fail_after_ = static_cast<std::size_t>(-1); }

    ParseStats read_entries(const EntrySink& sink) override {
        ParseStats stats;
        std::size_t given = 0;
        if (fail_after_ == 0) throw SourceError("the source fails on purpose");
        parse_text(text_, stats, [&](Entry&& entry) {
            sink(std::move(entry));
            if (++given == fail_after_) throw SourceError("the source fails on purpose, midway");
        });
        return stats;
    }
    std::string describe() const override { return "test text"; }

private:
    std::string text_;
    std::size_t fail_after_ = static_cast<std::size_t>(-1);
};

inline std::int64_t query_int(Database& db, const std::string& sql) {
    Statement statement = db.prepare(sql);
    return statement.step() ? statement.column_int(0) : -1;
}

inline std::string query_text(Database& db, const std::string& sql) {
    Statement statement = db.prepare(sql);
    return statement.step() ? statement.column_text(0) : std::string("<no row>");
}

}  // namespace netmon::test
