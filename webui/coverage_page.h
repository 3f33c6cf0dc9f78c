#pragma once
// GET /coverage, the dashboard's "why not all": the last hour's coverage each way, the causes
// the ingest found with their fixes, and what legitimately sits outside netmon's count. Made
// on the server whole: it needs no script.

#include <cstdint>
#include <string>

#include "api_json.h"

namespace netmon::web {

std::string render_coverage_page(const IngestView& ingest, std::int64_t now_ms);

}  // namespace netmon::web
