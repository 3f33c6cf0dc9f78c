#include "netmon/counters.h"

#include "netmon/entry.h"

namespace netmon {

Counters Counters::of(const Entry& entry) {
    return {entry.original.packets, entry.original.bytes, entry.reply.packets, entry.reply.bytes};
}

bool is_reset(const Counters& previous, const Counters& reading) {
    return reading.uplink_packets < previous.uplink_packets || reading.uplink_bytes < previous.uplink_bytes ||
           reading.downlink_packets < previous.downlink_packets ||
           reading.downlink_bytes < previous.downlink_bytes;
}

}  // namespace netmon
