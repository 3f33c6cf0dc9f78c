// Store's DNS names (schema/006_names.sql): remote_names and host_names written from the cache's
// changes, never an older answer over a newer one, and pruned by age and by row count.
#include <catch2/catch.hpp>

#include "db_support.h"
#include "retention.h"
#include "store.h"
#include "test_support.h"

using namespace netmon;
using netmon::test::ip;
using netmon::test::query_int;
using netmon::test::TempDir;

namespace {

RemoteNameRow row(const char* client, const char* address, std::string_view name, std::int64_t at) {
    return {ip(client), ip(address), name, at, at + 360'000};
}

std::string name_of(Database& db, const std::string& table, const std::string& where) {
    Statement s = db.prepare("SELECT name FROM " + table + " WHERE " + where);
    return s.step() ? std::string(s.column_text(0)) : std::string();
}

}  // namespace

TEST_CASE("answers are written per pair and per host, the latest winning", "[store][names]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    std::vector<RemoteNameRow> rows{row("10.0.0.11", "198.51.100.10", "www.example.test", 1'000),
                                    row("10.0.0.12", "198.51.100.10", "cdn.example.test", 2'000),
                                    row("fd00:10::11", "2001:db8::10", "www.example.test", 1'000)};
    store.write([&] { store.write_remote_names(rows); });
    Database& db = store.database();
    CHECK(query_int(db, "SELECT count(*) FROM remote_names") == 3);
    CHECK(query_int(db, "SELECT count(*) FROM host_names") == 2);
    CHECK(name_of(db, "remote_names", "device = X'0a00000b' AND host = X'c633640a'") == "www.example.test");
    CHECK(name_of(db, "host_names", "host = X'c633640a'") == "cdn.example.test");
    CHECK(query_int(db, "SELECT expires_at FROM remote_names WHERE device = X'0a00000b'") == 361'000);

    // An older answer (a batch written again) changes nothing; a newer one replaces.
    std::vector<RemoteNameRow> older{row("10.0.0.11", "198.51.100.10", "old.example.test", 500)};
    store.write([&] { store.write_remote_names(older); });
    CHECK(name_of(db, "remote_names", "device = X'0a00000b' AND host = X'c633640a'") == "www.example.test");
    CHECK(name_of(db, "host_names", "host = X'c633640a'") == "cdn.example.test");
    std::vector<RemoteNameRow> newer{row("10.0.0.11", "198.51.100.10", "new.example.test", 3'000)};
    store.write([&] { store.write_remote_names(newer); });
    CHECK(name_of(db, "remote_names", "device = X'0a00000b' AND host = X'c633640a'") == "new.example.test");
    CHECK(name_of(db, "host_names", "host = X'c633640a'") == "new.example.test");
}

TEST_CASE("names older than the retention go, and past the row cap the oldest", "[store][names][retention]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    constexpr std::int64_t day = 86'400'000;
    Retention retention;
    retention.host_traffic_per_day_days = 2;
    const std::int64_t now = 100 * day;
    std::vector<RemoteNameRow> rows{row("10.0.0.11", "192.0.2.1", "old.test", now - 3 * day),
                                    row("10.0.0.11", "192.0.2.2", "kept.test", now - day)};
    store.write([&] { store.write_remote_names(rows); });
    HistoryPruning pruning = plan_history_pruning(retention, now, store.history_row_counts());
    CHECK(pruning.names_before == now - 2 * day);
    CHECK(pruning.remote_names_over == 0);
    store.write([&] { store.prune_history(pruning); });
    Database& db = store.database();
    CHECK(query_int(db, "SELECT count(*) FROM remote_names") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM host_names") == 1);
    CHECK(name_of(db, "host_names", "1") == "kept.test");

    // Past the cap (as counted): the oldest first, at most a batch of them.
    std::vector<RemoteNameRow> more;
    std::vector<std::string> names;
    for (int i = 0; i < 10; ++i) names.push_back("n" + std::to_string(i) + ".test");
    for (int i = 0; i < 10; ++i)
        more.push_back({ip("10.0.0.12"), IpAddress::v4(192, 0, 2, static_cast<std::uint8_t>(10 + i)), names[i],
                        now - day + i, now});
    store.write([&] { store.write_remote_names(more); });
    HistoryPruning over = plan_history_pruning(retention, now, store.history_row_counts());
    CHECK(over.remote_names_over == 0);  // 11 rows: far below names_max_rows
    over.remote_names_over = 4;
    over.host_names_over = 3;
    store.write([&] { store.prune_history(over); });
    CHECK(query_int(db, "SELECT count(*) FROM remote_names") == 7);
    CHECK(query_int(db, "SELECT count(*) FROM host_names") == 8);
    CHECK(query_int(db, "SELECT min(answered_at) FROM remote_names") == now - day + 3);
}

TEST_CASE("the pruning plan caps names at names_max_rows", "[retention][names]") {
    HistoryRowCounts counts;
    counts.remote_names = names_max_rows + 17;
    counts.host_names = names_max_rows;
    HistoryPruning pruning = plan_history_pruning(Retention{}, 1'000'000'000'000, counts);
    CHECK(pruning.remote_names_over == 17);
    CHECK(pruning.host_names_over == 0);
    Retention none;
    none.host_traffic_per_day_days = 0;
    CHECK(plan_history_pruning(none, 5, counts).names_before == INT64_MAX);
}
