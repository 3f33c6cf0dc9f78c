#pragma once
// The JSON shape of a flow, shared by `netmon-ingest print-outbound --json` and tests.

#include <nlohmann/json_fwd.hpp>

namespace netmon {

struct Entry;

// {"proto", "src_ip", "src_port", "dst_ip", "dst_port", "state", "flags", "uplink_packets",
//  "uplink_bytes", "downlink_packets", "downlink_bytes", "total_bytes"}: uplink is the original
// direction, downlink the reply; state is null for protocols without one; flags is a list such as
// ["ASSURED"]; ports follow the key's rules (see key.h).
nlohmann::ordered_json entry_json(const Entry& entry);

}  // namespace netmon
