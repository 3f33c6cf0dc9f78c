#include "reload.h"

#include <utility>

#include "cli.h"

namespace netmon {

Reload plan_reload(const Config& running, Config fresh, const IngestCommand& command) {
    Reload reload;
    if (auto overridden = apply_command_line(command, fresh)) reload.warnings.push_back(std::move(*overridden));
    if (fresh.database != running.database)
        reload.warnings.push_back("database changed to " + fresh.database + ": restart netmon-ingest to use it");
    if (fresh.source != running.source || fresh.input_file != running.input_file)
        reload.warnings.push_back("source changed: restart netmon-ingest to use it");
    if (fresh.event_buffer != running.event_buffer)
        reload.warnings.push_back("netlink.event_buffer changed: restart netmon-ingest to use it");
    // names.dns.*: the NFLOG group, the table and the cache are made at start.
    const Names& was = running.names;
    Names& now = fresh.names;
    if (now.dns_ruleset != was.dns_ruleset || now.dns_nflog_group != was.dns_nflog_group ||
        now.dns_grace_seconds != was.dns_grace_seconds || now.dns_max_names != was.dns_max_names)
        reload.warnings.push_back("names.dns changed: restart netmon-ingest to use it");
    now.dns_ruleset = was.dns_ruleset;
    now.dns_nflog_group = was.dns_nflog_group;
    now.dns_grace_seconds = was.dns_grace_seconds;
    now.dns_max_names = was.dns_max_names;
    fresh.database = running.database;
    fresh.source = running.source;
    fresh.input_file = running.input_file;
    fresh.event_buffer = running.event_buffer;
    reload.config = std::move(fresh);
    return reload;
}

}  // namespace netmon
