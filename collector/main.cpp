// netmon-ingest: reads the router's conntrack table and keeps the outbound flows.
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "netmon/config.h"
#include "netmon/log.h"
#include "netmon/outbound.h"
#include "print_outbound.h"
#include "snapshot_source.h"

int main(int argc, char** argv) {
    using namespace netmon;
    IngestCommand command;
    try {
        command = parse_ingest_command_line(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "netmon-ingest: " << e.what() << "\n\n" << ingest_usage;
        return 2;
    }
    if (command.action == IngestAction::help) {
        std::cout << ingest_usage;
        return 0;
    }
    if (command.action == IngestAction::version) {
        std::cout << "netmon-ingest " NETMON_VERSION "\n";
        return 0;
    }
    StderrLogger log("netmon-ingest", std::getenv("JOURNAL_STREAM") != nullptr,
                     command.verbose ? Priority::debug : Priority::info);
    try {
        Config config = load_config(command.config_path, process_environment());
        OutboundFilter filter(config.local_subnets);
        auto source = make_source(config);
        print_outbound(*source, filter, command.limit, command.json, std::cout, log);
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        log.error(e.what());
        return 1;
    }
}
