#include "device_tracker.h"

#include <chrono>

#include "netmon/log.h"
#include "snapshot_source.h"

namespace netmon {

DeviceTracker::DeviceTracker(const Config& config, bool live, Logger& log)
    : log_(log),
      watcher_(config.names.dhcp_leases, config.names.dhcp_leases_given),
      directory_(config.local_subnets),
      dump_log_(std::chrono::seconds(60)) {
    if (live) {
        try {
            neighbours_.emplace();
        } catch (const SourceError& e) {
            log_.warning(std::string(e.what()) + ": LAN devices are known by their DHCP leases only");
        }
    }
    load_oui(config.names.oui_file);
    namer_ = std::make_unique<DeviceNamer>(config.names, &oui_);
}

DeviceTracker::~DeviceTracker() = default;

void DeviceTracker::load_oui(const std::string& path) {
    std::string warning;
    oui_ = OuiRegistry::load(path, warning);
    oui_path_ = path;
    if (!warning.empty()) log_.warning(warning);
    else if (!path.empty()) log_.debug(path + ": " + std::to_string(oui_.size()) + " MAC prefixes");
}

void DeviceTracker::reload(const Config& config) {
    if (config.names.oui_file != oui_path_) load_oui(config.names.oui_file);
    namer_ = std::make_unique<DeviceNamer>(config.names, &oui_);
    namer_->set_leases(watcher_.leases());
    watcher_.set_files(config.names.dhcp_leases, config.names.dhcp_leases_given);
    directory_.set_local_subnets(config.local_subnets);
}

DeviceChanges DeviceTracker::collect(std::int64_t now) {
    table_.clear();
    if (neighbours_) {
        try {
            neighbours_->dump(table_);
        } catch (const SourceError& e) {
            table_.clear();
            if (auto count = dump_log_.note(1, std::chrono::steady_clock::now()))
                log_.warning(std::string(e.what()) + " (" + std::to_string(*count) +
                             " times); MACs come from the leases meanwhile");
        }
    }
    std::vector<std::string> warnings;
    if (watcher_.refresh(warnings)) namer_->set_leases(watcher_.leases());
    for (const std::string& warning : warnings) log_.warning(warning);
    DeviceChanges changes = directory_.changes(table_, watcher_.leases(), *namer_, now);
    changes.lease_lines_skipped = watcher_.take_skipped();
    return changes;
}

}  // namespace netmon
