// netmon-web: the dashboard and the JSON API over netmon-ingest's database, read-only, on the
// LAN address.
#include <malloc.h>

#include <cstdlib>
#include <iostream>

#include "listen.h"
#include "netmon/config.h"
#include "netmon/log.h"
#include "shutdown_signals.h"
#include "web_cli.h"
#include "web_server.h"

using namespace netmon;
using namespace netmon::web;

int main(int argc, char** argv) {
    WebCommand command;
    try {
        command = parse_web_command_line(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "netmon-web: " << e.what() << "\n\n" << web_usage;
        return 2;
    }
    if (command.action == WebAction::help) {
        std::cout << web_usage;
        return 0;
    }
    if (command.action == WebAction::version) {
        std::cout << "netmon-web " NETMON_VERSION "\n";
        return 0;
    }
    StderrLogger log("netmon-web", std::getenv("JOURNAL_STREAM") != nullptr,
                     command.verbose ? Priority::debug : Priority::info);
    // Two malloc arenas rather than one per server thread, each keeping what its thread freed:
    // keeps RSS near what is in use (docs/PERFORMANCE.md). Without it netmon-web only uses more,
    // and a malloc other than glibc's (the sanitizers') refuses it: so a failure is a debug line.
    if (mallopt(M_ARENA_MAX, 2) != 1) log.debug("mallopt(M_ARENA_MAX, 2) failed: one malloc arena per thread");
    try {
        block_shutdown_signals();  // before any thread exists
        Config config = load_config(command.config_path, process_environment());
        if (command.listen) config.web_listen = *command.listen;
        WebServer server(config, log);
        check_listen_address(config.web_listen, command.allow_any_address,
                             config.web_listen.is_wildcard() ? std::vector<IpAddress>{} : host_addresses());
        server.bind(config.web_listen);
        ShutdownSignals signals([&](int) { server.stop(); }, [&] {
            log.info("SIGHUP ignored: restart netmon-web to read its configuration again");
        });
        log.info("serving http://" + config.web_listen.to_string() + "/ from " + config.database +
                 (config.web_auth ? " (basic authentication on)" : ""));
        if (!server.run()) {
            log.error("the server stopped on an error");
            return 1;
        }
        log.info("stopped");
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        log.error(e.what());
        return 1;
    }
}
