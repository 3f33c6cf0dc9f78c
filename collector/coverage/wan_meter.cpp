#include "wan_meter.h"

namespace netmon {
namespace {

// Bytes of IP packets: the link-layer bytes less a header per packet (never below 0: a counter
// of packets without bytes is the interface's business, not ours).
std::uint64_t ip_bytes(std::uint64_t bytes, std::uint64_t packets, std::uint32_t header_bytes) {
    const std::uint64_t headers = packets > UINT64_MAX / (header_bytes ? header_bytes : 1) ? UINT64_MAX
                                                                                           : packets * header_bytes;
    return bytes > headers ? bytes - headers : 0;
}

}  // namespace

std::optional<TrafficSums> WanMeter::read(const InterfaceCounters& counters, std::uint32_t header_bytes) {
    const std::optional<InterfaceCounters> last = last_;
    last_ = counters;
    if (!last) return std::nullopt;
    if (counters.rx_bytes < last->rx_bytes || counters.tx_bytes < last->tx_bytes ||
        counters.rx_packets < last->rx_packets || counters.tx_packets < last->tx_packets)
        return std::nullopt;
    TrafficSums sums;
    sums.uplink_packets = counters.tx_packets - last->tx_packets;
    sums.downlink_packets = counters.rx_packets - last->rx_packets;
    sums.uplink_bytes = ip_bytes(counters.tx_bytes - last->tx_bytes, sums.uplink_packets, header_bytes);
    sums.downlink_bytes = ip_bytes(counters.rx_bytes - last->rx_bytes, sums.downlink_packets, header_bytes);
    return sums;
}

}  // namespace netmon
