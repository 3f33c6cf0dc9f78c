#include "cli.h"

#include <charconv>
#include <string_view>

#include "netmon/config.h"
#include "netmon/quote.h"

namespace netmon {

const char* const ingest_usage =
    "usage: netmon-ingest [--config FILE] [-v] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  print-outbound [--limit N] [--json]\n"
    "      read the conntrack table once and print the N (20) outbound flows with the most bytes\n"
    "  once\n"
    "      read the table once and bring the database in line with it\n"
    "  run [--interval SECONDS]\n"
    "      keep the database in line with the table, a cycle every interval (1.0 s); SIGTERM or\n"
    "      SIGINT stop it (a cycle under way is given up), SIGHUP reloads the configuration\n"
    "\n"
    "options:\n"
    "  --config FILE   configuration file (default: $NETMON_CONFIG, /etc/netmon/netmon.yml,\n"
    "                  ./config/netmon.yml, else built-in defaults)\n"
    "  -v, --verbose   also log debug messages\n"
    "  -h, --help      this text\n"
    "  --version       the version\n"
    "\n"
    "environment: CONNTRACK_INPUT_FILE (replay a conntrack text file), NETMON_CONFIG, NETMON_DB,\n"
    "             NETMON_LOCAL_SUBNETS, NETMON_INTERFACES\n";

namespace {

IngestCommand only(IngestAction action) {
    IngestCommand command;
    command.action = action;
    return command;
}

std::size_t parse_count(std::string_view option, std::string_view text) {
    std::size_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0)
        throw UsageError(std::string(option) + ": \"" + std::string(text) + "\" is not a positive number");
    return value;
}

double parse_seconds(std::string_view text) {
    auto value = parse_interval(text);
    if (!value) throw UsageError("--interval: " + quoted(text) + " " + std::string(interval_rule));
    return *value;
}

// The shortest text that reads back as the same number: 0.1, 2.5, 1.
std::string number_text(double value) {
    char text[32];
    auto [end, error] = std::to_chars(text, text + sizeof text, value);
    return error == std::errc{} ? std::string(text, end) : std::to_string(value);
}

}  // namespace

std::optional<std::string> apply_command_line(const IngestCommand& command, Config& config) {
    if (!command.interval) return std::nullopt;
    std::optional<std::string> warning;
    if (config.interval != *command.interval) {
        warning = "interval: " + number_text(config.interval) + " in " +
                  (config.path.empty() ? std::string("the built-in defaults") : config.path) +
                  " is overridden by --interval " + number_text(*command.interval) +
                  " on the command line; the loop keeps running every " + number_text(*command.interval) + " s";
    }
    config.interval = *command.interval;
    return warning;
}

IngestCommand parse_ingest_command_line(int argc, const char* const* argv) {
    IngestCommand command;
    std::optional<IngestAction> action;
    bool print_options = false;
    bool run_options = false;
    ArgumentReader args(argc, argv);
    while (args.next()) {
        const std::string_view arg = args.name();
        if (arg == "--config") command.config_path = args.value();
        else if (arg == "--limit") { command.limit = parse_count("--limit", args.value()); print_options = true; }
        else if (arg == "--json") { args.no_value(); command.json = true; print_options = true; }
        else if (arg == "--interval") { command.interval = parse_seconds(args.value()); run_options = true; }
        else if (arg == "-v" || arg == "--verbose") { args.no_value(); command.verbose = true; }
        else if (arg == "-h" || arg == "--help") return only(IngestAction::help);
        else if (arg == "--version") return only(IngestAction::version);
        else if (!arg.starts_with("-") && !action) {
            if (arg == "print-outbound") action = IngestAction::print_outbound;
            else if (arg == "once") action = IngestAction::once;
            else if (arg == "run") action = IngestAction::run;
            else if (arg == "dns-parser") action = IngestAction::dns_parser;
            else if (arg == "help") return only(IngestAction::help);
            else throw UsageError("unknown command \"" + std::string(arg) + "\"");
        } else {
            throw UsageError("unknown argument \"" + std::string(args.whole()) + "\"");
        }
    }
    if (!action) throw UsageError("no command given");
    if (print_options && *action != IngestAction::print_outbound)
        throw UsageError("--limit and --json belong to print-outbound");
    if (run_options && *action != IngestAction::run) throw UsageError("--interval belongs to run");
    command.action = *action;
    return command;
}

}  // namespace netmon
