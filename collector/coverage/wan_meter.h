#pragma once
// The WAN interface's counters from one reading to the next, as the bytes conntrack would
// count for the same packets: the interface's bytes less its link-layer header per packet.
// Pure: the readings are passed in (the ingest reads them with read_interface_counters).

#include <cstdint>
#include <optional>

#include "netmon/kernel_files.h"
#include "traffic_ledger.h"

namespace netmon {

class WanMeter {
public:
    // What the counters added since the last reading, uplink (tx) and downlink (rx), each
    // interface byte count less header_bytes times its packets. Nothing at the first reading
    // and when a counter went back (the interface was made again, a driver reset them): that
    // reading is the new start.
    std::optional<TrafficSums> read(const InterfaceCounters& counters, std::uint32_t header_bytes);
    // The interface is gone (or its reading failed): the next reading starts again.
    void forget() { last_.reset(); }

private:
    std::optional<InterfaceCounters> last_;
};

}  // namespace netmon
