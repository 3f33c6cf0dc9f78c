#pragma once
// What a reload (SIGHUP) changes in a running netmon-ingest, decided apart from doing it.

#include <string>
#include <vector>

#include "netmon/config.h"

namespace netmon {

struct IngestCommand;

struct Reload {
    Config config;                      // the configuration from now on
    std::vector<std::string> warnings;  // one log line each, in order
};

// The configuration read again (fresh) put in place of the one running: the command line goes
// over fresh as it did at start (a warning when it hides another interval: of the file's); the
// database, the source and netlink.event_buffer and names.dns.* need a restart, so they stay as running has
// them, with a warning for each that changed. Pure.
Reload plan_reload(const Config& running, Config fresh, const IngestCommand& command);

}  // namespace netmon
