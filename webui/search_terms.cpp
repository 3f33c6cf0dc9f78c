#include "search_terms.h"

#include <algorithm>
#include <vector>

namespace netmon::web {

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

}  // namespace netmon::web
