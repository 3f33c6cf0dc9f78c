#pragma once

#include <string>
#include <string_view>

namespace netmon::web {

// The FTS5 query that finds, through the trigram index connection_search
// (schema/003_connection_search.sql), every connection whose search text holds q: its distinct
// three-character pieces, ANDed, each a quoted string ("192" AND "92." AND "2.0"). What it finds
// is a superset (each piece may sit elsewhere in the text); the caller checks q itself. Empty
// when q is shorter than three characters, which no trigram can find.
//
// q is what parse_q accepts (hex digits, '.' and ':'), so it never holds a quote to escape.
std::string trigram_query(std::string_view q);

}  // namespace netmon::web
