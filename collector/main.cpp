// netmon-ingest: reads the router's conntrack table and keeps the outbound flows in the database.
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "names/dns_parser_process.h"
#include "ingest_loop.h"
#include "ingest_service.h"
#include "netmon/config.h"
#include "netmon/log.h"
#include "netlink_source.h"
#include "netmon/outbound.h"
#include "print_outbound.h"
#include "privileges.h"
#include "signal_fd.h"
#include "snapshot_source.h"

namespace {

using namespace netmon;

// Once the sockets and the database are open, CAP_NET_ADMIN is all we keep.
void drop_privileges(Logger& log) {
    keep_only_net_admin();
    log.debug("capabilities: " + capability_summary());
}

int print_outbound_command(const IngestCommand& command, const Config& config, Logger& log) {
    auto source = make_source(config);
    drop_privileges(log);
    print_outbound(*source, OutboundFilter(config.local_subnets), command.limit, command.json, std::cout, log);
    return 0;
}

int once_command(const Config& config, Logger& log) {
    IngestService service(config, log, false);
    drop_privileges(log);
    service.only_cycle();
    return 0;
}

int run_command(const IngestCommand& command, Config config, Logger& log) {
    apply_command_line(command, config);  // at start, the command line winning is no news
    SignalFd signals;
    IngestService service(config, log, true);
    // SIGTERM and SIGINT wait in the signalfd; a long read looks for them as it goes.
    service.stop_when([&signals] { return signals.stop_pending(); });
    drop_privileges(log);
    IngestLoop loop({[&] { service.cycle(); }, [&] { return service.reload(command, process_environment()); }},
                    service.interval(), log, signals);
    if (service.event_fd() >= 0) {
        // New flows reach the database as their NEW event arrives; lost events call for a full read.
        loop.watch(service.event_fd(), [&] {
            if (service.handle_events()) loop.request_cycle();
        });
    }
    // Lease files that change are noted at once and read at the next cycle.
    loop.watch(service.lease_fd(), [&] { service.handle_lease_events(); });
    if (service.dns_fd() >= 0) loop.watch(service.dns_fd(), [&] { service.handle_dns(); });
    loop.run();
    service.finish();
    log.info("stopped after " + std::to_string(loop.cycles()) + " cycles");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
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
    // The DNS parser child reads no configuration: it has nothing to configure and must not
    // open files.
    if (command.action == IngestAction::dns_parser) return run_dns_parser_child(std::cerr);
    if (command.action == IngestAction::version) {
        std::cout << "netmon-ingest " NETMON_VERSION "\n";
        return 0;
    }
    StderrLogger log("netmon-ingest", std::getenv("JOURNAL_STREAM") != nullptr,
                     command.verbose ? Priority::debug : Priority::info);
    try {
        Config config = load_config(command.config_path, process_environment());
        switch (command.action) {
            case IngestAction::print_outbound: return print_outbound_command(command, config, log);
            case IngestAction::once: return once_command(config, log);
            case IngestAction::run: return run_command(command, std::move(config), log);
            default: return 2;
        }
    } catch (const ConfigError& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const NetlinkPermissionError& e) {
        log.error(needs_net_admin_message);
        log.debug(e.what());
        return 1;
    } catch (const std::exception& e) {
        log.error(e.what());
        return 1;
    }
}
