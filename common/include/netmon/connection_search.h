#pragma once
// connection_search, the trigram index of what /connections.json?q= looks in
// (schema/003_connection_search.sql): the ingest's side, which brings it up to date, and the
// query that reads it.

#include <cstdint>
#include <string>
#include <string_view>

#include "netmon/database.h"

namespace netmon {

// Applies what the schema's triggers noted since the last run: forgets every row deleted or
// re-keyed, then indexes up to limit of the rows added, the oldest first (the rest wait for
// the next run; readers find them in search_added). One statement each, as FTS5 wants it.
// Inside the caller's transaction; prepared once.
class SearchIndexer {
public:
    explicit SearchIndexer(const Database& db);
    // Returns how many rows it indexed.
    std::uint64_t run(std::uint64_t limit);

private:
    const Database& db_;
    Statement forget_;
    Statement clear_removed_;
    Statement index_;
    Statement clear_added_;
};

// The FTS5 query that finds every row of connection_search whose text holds q: its distinct
// three-character pieces, ANDed, each a quoted string ("192" AND "92." AND "2.0"). What it
// finds is a superset (each piece may sit elsewhere in the text); the caller checks q itself.
// Empty when q is shorter than three characters, which no trigram can find.
//
// q is what the web's parse_q accepts (hex digits, '.' and ':'), so it never holds a quote.
std::string trigram_query(std::string_view q);

}  // namespace netmon
