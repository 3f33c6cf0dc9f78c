#pragma once
// `netmon-ingest print-outbound`: the current outbound flows, largest first.

#include <cstddef>
#include <iosfwd>
#include <vector>

#include "netmon/entry.h"

namespace netmon {

class Logger;
class OutboundFilter;
class SnapshotSource;

// Reads one snapshot, prints the top limit flows as a table or JSON to out and logs the line
// counts. Throws SourceError when the table cannot be read.
void print_outbound(SnapshotSource& source, const OutboundFilter& filter, std::size_t limit,
                    bool json, std::ostream& out, Logger& log);

// Sorts by total bytes, descending (ties by key, so the order is stable), and keeps limit.
std::vector<Entry> top_by_total_bytes(std::vector<Entry> entries, std::size_t limit);

// An aligned text table with a header line.
void print_table(std::ostream& out, const std::vector<Entry>& entries);
// A JSON array of entry_json objects (netmon/entry_json.h), one per line.
void print_json(std::ostream& out, const std::vector<Entry>& entries);

}  // namespace netmon
