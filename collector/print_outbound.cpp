#include "print_outbound.h"

#include <algorithm>
#include <array>
#include <ostream>
#include <string>

#include "netmon/entry_json.h"
#include "netmon/key.h"
#include "netmon/log.h"
#include "snapshot_source.h"

namespace netmon {
namespace {

constexpr std::size_t column_count = 12;
using Row = std::array<std::string, column_count>;

// ICMP shows its type/code where other protocols show the destination port.
std::string dport_text(const Entry& entry) {
    if (is_icmp(entry.protocol))
        return std::to_string(entry.original.dport >> 8) + "/" + std::to_string(entry.original.dport & 0xff);
    return std::to_string(entry.original.dport);
}

Row row_of(const Entry& entry) {
    std::string flags = flags_text(entry.flags);
    return {protocol_label(entry.protocol),
            entry.original.src.to_string(),
            std::to_string(entry.original.sport),
            entry.original.dst.to_string(),
            dport_text(entry),
            entry.state.empty() ? "-" : std::string(entry.state.view()),
            flags.empty() ? "-" : flags,
            std::to_string(entry.original.packets),
            std::to_string(entry.original.bytes),
            std::to_string(entry.reply.packets),
            std::to_string(entry.reply.bytes),
            std::to_string(entry.total_bytes())};
}

}  // namespace

std::vector<Entry> top_by_total_bytes(std::vector<Entry> entries, std::size_t limit) {
    auto larger = [](const Entry& a, const Entry& b) {
        if (a.total_bytes() != b.total_bytes()) return a.total_bytes() > b.total_bytes();
        return Key::from_entry(a) < Key::from_entry(b);
    };
    std::size_t keep = std::min(limit, entries.size());
    std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(keep),
                      entries.end(), larger);
    entries.resize(keep);
    return entries;
}

void print_table(std::ostream& out, const std::vector<Entry>& entries) {
    static const Row header = {"PROTO", "SRC",      "SPORT",     "DST",        "DPORT", "STATE",
                               "FLAGS", "UP_PKTS", "UP_BYTES", "DOWN_PKTS", "DOWN_BYTES", "TOTAL_BYTES"};
    // Text columns are left-aligned, numbers right-aligned.
    static constexpr bool numeric[column_count] = {false, false, true, false, true, false,
                                                   false, true,  true, true,  true, true};
    std::vector<Row> rows;
    rows.reserve(entries.size() + 1);
    rows.push_back(header);
    for (const Entry& entry : entries) rows.push_back(row_of(entry));
    std::array<std::size_t, column_count> width{};
    for (const Row& row : rows)
        for (std::size_t c = 0; c < column_count; ++c) width[c] = std::max(width[c], row[c].size());
    for (const Row& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < column_count; ++c) {
            std::string pad(width[c] - row[c].size(), ' ');
            if (c > 0) line += "  ";
            line += numeric[c] ? pad + row[c] : (c + 1 == column_count ? row[c] : row[c] + pad);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

void print_json(std::ostream& out, const std::vector<Entry>& entries) {
    out << "[";
    for (std::size_t i = 0; i < entries.size(); ++i)
        out << (i == 0 ? "\n  " : ",\n  ") << entry_json(entries[i]);
    out << (entries.empty() ? "]\n" : "\n]\n");
}

}  // namespace netmon

namespace netmon {

void print_outbound(SnapshotSource& source, const OutboundFilter& filter, std::size_t limit,
                    bool json, std::ostream& out, Logger& log) {
    Snapshot snapshot = source.read(filter);
    std::string summary = source.describe() + ": " + summarize(snapshot);
    auto top = top_by_total_bytes(std::move(snapshot.entries), limit);
    if (json) print_json(out, top);
    else print_table(out, top);
    out.flush();
    if (snapshot.stats.skipped > 0) log.warning(summary);
    else log.info(summary);
}

}  // namespace netmon
