#pragma once
// The JSON shape of a flow: what `netmon-ingest print-outbound --json` writes for each flow, and
// the members every row of the web's /connections.json starts with (docs/API.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netmon {

class JsonWriter;
struct Entry;

// A flow's members as they are written; the views must outlive the call. Uplink is the original
// direction, downlink the reply; ports follow the key's rules (see key.h).
struct FlowJson {
    std::string_view proto;
    std::string_view src_ip;
    std::int64_t src_port = 0;
    std::string_view dst_ip;
    std::int64_t dst_port = 0;
    std::optional<std::string_view> state;  // none (null) for protocols without one
    std::string_view flags;                 // space-separated, written as a list: ["ASSURED"]
    std::uint64_t uplink_packets = 0;
    std::uint64_t uplink_bytes = 0;
    std::uint64_t downlink_packets = 0;
    std::uint64_t downlink_bytes = 0;
    std::uint64_t total_bytes = 0;
};

// "proto", "src_ip", "src_port", "dst_ip", "dst_port", "state", "flags", "uplink_packets",
// "uplink_bytes", "downlink_packets", "downlink_bytes", "total_bytes", in this order, into the
// object the writer is in (the caller opens and closes it, and may add members after them).
void write_flow_members(JsonWriter& writer, const FlowJson& flow);

// The flow as one JSON object of those members, on one line.
std::string entry_json(const Entry& entry);

}  // namespace netmon
