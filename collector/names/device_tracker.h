#pragma once
// The ingest's view of the LAN's devices: each full cycle, the kernel's neighbour table (live
// only) and the lease files that changed (LeaseWatcher), joined by DeviceDirectory into the
// rows the cycle's write adds (Store::write_devices). Nothing here fails a cycle: a neighbour
// dump or a lease file that cannot be read is a warning, and the rest goes on.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "device_directory.h"
#include "device_namer.h"
#include "lease_watcher.h"
#include "log_throttle.h"
#include "neighbours.h"
#include "netmon/config.h"
#include "oui_registry.h"

namespace netmon {

class Logger;

class DeviceTracker {
public:
    // live: the ingest reads this kernel's conntrack table, so its neighbour table tells the
    // MACs; a replay (CONNTRACK_INPUT_FILE) has the leases only. Throws std::runtime_error when
    // inotify cannot be had.
    DeviceTracker(const Config& config, bool live, Logger& log);
    ~DeviceTracker();

    // The lease watcher's descriptor, for poll(), and what to do when it is readable.
    int fd() const { return watcher_.fd(); }
    void handle_events() { watcher_.handle_events(); }

    // The rows of the cycle at now (neighbours read, changed lease files read).
    DeviceChanges collect(std::int64_t now);
    // They are in the database.
    void written(const DeviceChanges& changes) { directory_.written(changes); }
    // The database is another file: everything is written again.
    void forget() { directory_.forget(); }
    // A reloaded configuration: names.devices, names.dhcp_leases, names.oui_file and
    // local_subnets.
    void reload(const Config& config);

private:
    void load_oui(const std::string& path);

    Logger& log_;
    std::optional<NeighbourTable> neighbours_;
    std::vector<Neighbour> table_;
    OuiRegistry oui_;
    std::string oui_path_;
    std::unique_ptr<DeviceNamer> namer_;
    LeaseWatcher watcher_;
    DeviceDirectory directory_;
    LogThrottle dump_log_;
};

}  // namespace netmon
