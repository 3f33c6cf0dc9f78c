#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "db_support.h"
#include "netmon/connection_search.h"
#include "netmon/database.h"
#include "netmon/schema.h"

using namespace netmon;
using netmon::test::TempDir;

namespace {

// What a reader finds for q: the index's rows, and the rows not indexed yet from the table,
// each checked against the text; and what the table alone holds.
std::set<std::int64_t> found(const Database& db, const std::string& q) {
    std::set<std::int64_t> ids;
    Statement indexed = db.prepare(
        "SELECT c.id FROM connection_search AS s JOIN connections AS c ON c.id = s.rowid"
        " WHERE s.connection_search MATCH ?1 AND instr(c.search, ?2) > 0");
    indexed.bind(1, std::string_view(trigram_query(q))).bind(2, std::string_view(q));
    while (indexed.step()) ids.insert(indexed.column_int(0));
    Statement pending = db.prepare(
        "SELECT c.id FROM search_added AS a JOIN connections AS c ON c.id = a.id WHERE instr(c.search, ?1) > 0");
    pending.bind(1, std::string_view(q));
    while (pending.step()) ids.insert(pending.column_int(0));
    return ids;
}

std::set<std::int64_t> expected(const Database& db, const std::string& q) {
    std::set<std::int64_t> ids;
    Statement s = db.prepare("SELECT id FROM connections WHERE instr(search, ?1) > 0");
    s.bind(1, std::string_view(q));
    while (s.step()) ids.insert(s.column_int(0));
    return ids;
}

}  // namespace

TEST_CASE("trigram_query ANDs the distinct three-character pieces of q") {
    CHECK(trigram_query("").empty());
    CHECK(trigram_query("44").empty());
    CHECK(trigram_query("443") == "\"443\"");
    CHECK(trigram_query("0.2.1") == "\".2.\" AND \"0.2\" AND \"2.1\"");
    CHECK(trigram_query("0000") == "\"000\"");
    CHECK(trigram_query("db8::") == "\"8::\" AND \"b8:\" AND \"db8\"");
}

TEST_CASE("inserts, deletes, re-keyed rows and reused ids, indexed a batch at a time, find what the table holds") {
    TempDir dir;
    Database db(dir.file("netmon.db"), Database::Mode::read_write_create);
    migrate(db);
    SearchIndexer indexer(db);
    Statement insert = db.prepare(
        "INSERT INTO connections (proto, family, src_ip, src_port, dst_ip, dst_port, flags, first_seen_at,"
        " last_seen_at, sampled_at) VALUES ('tcp', 4, ?1, ?2, ?3, ?4, '', 1, 1, 1)");
    std::mt19937 random(42);
    auto address = [&] {
        return "20" + std::to_string(random() % 4) + "." + std::to_string(random() % 3) + ".113." +
               std::to_string(random() % 40);
    };
    const std::vector<std::string> queries = {"203.1", "113.1", "0.0.1", "443", "5353", "10.0", ".113.", "3.7",
                                              "201.2.113.39", "0.113.3"};
    for (int round = 0; round < 40; ++round) {
        Transaction transaction(db);
        for (int i = 0; i < 50; ++i) {
            const unsigned what = random() % 10;
            if (what < 5) {
                insert.bind(1, std::string_view("10.0.0." + std::to_string(random() % 20)))
                    .bind(2, static_cast<int>(random() % 60000))
                    .bind(3, std::string_view(address()))
                    .bind(4, static_cast<int>(random() % 2 ? 443 : 5353));
                insert.run();
            } else if (what < 7) {
                db.execute("DELETE FROM connections WHERE id = (SELECT id FROM connections ORDER BY random() LIMIT 1)");
            } else if (what < 8) {
                // The newest row: its id comes back with the next insert.
                db.execute("DELETE FROM connections WHERE id = (SELECT max(id) FROM connections)");
            } else if (what < 9) {
                db.execute("UPDATE connections SET dst_port = dst_port + 1"
                           " WHERE id = (SELECT id FROM connections ORDER BY random() LIMIT 1)");
            } else {
                db.execute("UPDATE connections SET uplink_bytes = uplink_bytes + 10"
                           " WHERE id = (SELECT id FROM connections ORDER BY random() LIMIT 1)");
            }
        }
        if (round % 3 != 2) indexer.run(random() % 40);
        transaction.commit();
        for (const std::string& q : queries) {
            INFO("round " << round << " q=" << q);
            CHECK(found(db, q) == expected(db, q));
        }
    }
    // Everything indexed: the index alone answers, and FTS5 finds its structures sound.
    indexer.run(UINT64_MAX);
    CHECK(netmon::test::query_int(db, "SELECT count(*) FROM search_added") == 0);
    CHECK(netmon::test::query_int(db, "SELECT count(*) FROM search_removed") == 0);
    for (const std::string& q : queries) CHECK(found(db, q) == expected(db, q));
    CHECK_NOTHROW(db.execute("INSERT INTO connection_search (connection_search, rank) VALUES ('integrity-check', 0)"));
    // Every row is found by its own text, and nothing else is in the index.
    Statement rows = db.prepare("SELECT id, search FROM connections");
    std::size_t rows_seen = 0;
    while (rows.step()) {
        ++rows_seen;
        CHECK(found(db, rows.column_text(1)).count(rows.column_int(0)) == 1);
    }
    CHECK(rows_seen > 100);
    CHECK(netmon::test::query_int(db, "SELECT count(*) FROM connection_search WHERE connection_search MATCH '\"113\"'") ==
          netmon::test::query_int(db, "SELECT count(*) FROM connections"));
}
