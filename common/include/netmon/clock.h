#pragma once
// The wall clock, read in this one place of common/: everything else in common/ is given `now`.

#include <cstdint>

namespace netmon {

// Milliseconds since the Unix epoch, UTC, as the database and the API store times.
std::int64_t unix_ms_now();

}  // namespace netmon
