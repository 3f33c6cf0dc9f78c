#include "netmon/connection_search.h"

#include <algorithm>
#include <vector>

namespace netmon {

// The forgotten first (an id may be in both: a row deleted, its id reused), then the oldest
// added, in rowid order: FTS5's fast path.
SearchIndexer::SearchIndexer(const Database& db)
    : db_(db),
      forget_(db.prepare("INSERT INTO connection_search (connection_search, rowid, search)"
                         " SELECT 'delete', id, search FROM search_removed")),
      clear_removed_(db.prepare("DELETE FROM search_removed")),
      index_(db.prepare("INSERT INTO connection_search (rowid, search) SELECT c.id, c.search"
                        " FROM search_added AS a CROSS JOIN connections AS c ON c.id = a.id ORDER BY a.id LIMIT ?1")),
      clear_added_(db.prepare("DELETE FROM search_added WHERE id IN (SELECT id FROM search_added ORDER BY id LIMIT ?1)")) {}

std::uint64_t SearchIndexer::run(std::uint64_t limit) {
    forget_.run();
    clear_removed_.run();
    const auto bounded = static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX));
    index_.bind(1, bounded);
    index_.run();
    clear_added_.bind(1, bounded);
    clear_added_.run();
    return static_cast<std::uint64_t>(db_.changes());
}

std::string trigram_query(std::string_view q) {
    if (q.size() < 3) return {};
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0; i + 3 <= q.size(); ++i) pieces.push_back(q.substr(i, 3));
    std::sort(pieces.begin(), pieces.end());
    pieces.erase(std::unique(pieces.begin(), pieces.end()), pieces.end());
    std::string query;
    for (std::string_view piece : pieces) {
        if (!query.empty()) query += " AND ";
        query += '"';
        query += piece;
        query += '"';
    }
    return query;
}

}  // namespace netmon
