#pragma once
// The netmon-ingest command line.

#include <cstddef>
#include <optional>
#include <string>

#include "netmon/command_line.h"

namespace netmon {

struct Config;

// dns_parser: the hidden `dns-parser` command, the capability-less child that parses DNS answers
// for the ingest (dns_parser_process.h); no one runs it by hand.
enum class IngestAction { print_outbound, once, run, help, version, dns_parser };

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

// Puts the command line's settings over config's: --interval wins over interval:. Returns a
// warning naming both values when config asked for another interval, for a reload (SIGHUP)
// to log, since a changed interval: would otherwise be ignored without a word.
std::optional<std::string> apply_command_line(const IngestCommand& command, Config& config);

extern const char* const ingest_usage;

}  // namespace netmon
