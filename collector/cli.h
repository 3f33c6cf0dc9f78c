#pragma once
// The netmon-ingest command line.

#include <cstddef>
#include <optional>
#include <string>

#include "netmon/command_line.h"

namespace netmon {

enum class IngestAction { print_outbound, once, run, help, version };

struct IngestCommand {
    IngestAction action = IngestAction::help;
    std::string config_path;  // --config FILE
    std::size_t limit = 20;   // print-outbound --limit N
    bool json = false;        // print-outbound --json
    std::optional<double> interval;  // run --interval SECONDS
    bool verbose = false;     // -v: debug messages too
};

// Parses argv. Options may come before or after the command. Throws UsageError.
IngestCommand parse_ingest_command_line(int argc, const char* const* argv);

extern const char* const ingest_usage;

}  // namespace netmon
