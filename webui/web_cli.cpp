#include "web_cli.h"

#include <string_view>

namespace netmon::web {

const char* const web_usage =
    "usage: netmon-web [--config FILE] [--listen ADDRESS:PORT] [--allow-any-address] [-v]\n"
    "\n"
    "Serves the dashboard and the JSON API over netmon-ingest's database, which it only reads.\n"
    "\n"
    "options:\n"
    "  --config FILE          configuration file (default: $NETMON_CONFIG, /etc/netmon/netmon.yml,\n"
    "                         ./config/netmon.yml, else built-in defaults)\n"
    "  --listen ADDRESS:PORT  where to listen, over web.listen (10.0.0.1:8080): an address of this\n"
    "                         host, e.g. 127.0.0.1:8080 or [fd00::1]:8080\n"
    "  --allow-any-address    allow 0.0.0.0 or [::], which include the WAN's addresses\n"
    "  -v, --verbose          also log debug messages\n"
    "  -h, --help             this text\n"
    "  --version              the version\n"
    "\n"
    "endpoints: / (dashboard), /connections.json, /hosts.json, /metrics.json, /healthz,\n"
    "           /metrics (Prometheus)\n"
    "environment: NETMON_CONFIG, NETMON_DB, NETMON_INTERFACES\n"
    "exit status: 0 after SIGTERM or SIGINT, 1 when it cannot listen or start, 2 for a bad\n"
    "             command line or configuration\n";

namespace {

WebCommand only(WebAction action) {
    WebCommand command;
    command.action = action;
    return command;
}

}  // namespace

WebCommand parse_web_command_line(int argc, const char* const* argv) {
    WebCommand command;
    ArgumentReader args(argc, argv);
    while (args.next()) {
        const std::string_view arg = args.name();
        if (arg == "--config") {
            command.config_path = args.value();
        } else if (arg == "--listen") {
            std::string_view text = args.value();
            command.listen = ListenAddress::parse(text);
            if (!command.listen)
                throw UsageError("--listen: \"" + std::string(text) +
                                 "\" is not ADDRESS:PORT (e.g. 10.0.0.1:8080 or [fd00::1]:8080)");
        } else if (arg == "--allow-any-address") {
            args.no_value();
            command.allow_any_address = true;
        } else if (arg == "-v" || arg == "--verbose") {
            args.no_value();
            command.verbose = true;
        } else if (arg == "-h" || arg == "--help") {
            return only(WebAction::help);
        } else if (arg == "--version") {
            return only(WebAction::version);
        } else {
            throw UsageError("unknown argument \"" + std::string(args.whole()) + "\"");
        }
    }
    return command;
}

}  // namespace netmon::web
