#include "netmon/entry_json.h"

#include <nlohmann/json.hpp>

#include "netmon/entry.h"

namespace netmon {

nlohmann::ordered_json entry_json(const Entry& entry) {
    nlohmann::ordered_json flags = nlohmann::ordered_json::array();
    for_each_flag(entry.flags, [&](std::string_view name) { flags.push_back(name); });
    return {
        {"proto", protocol_label(entry.protocol)},
        {"src_ip", entry.original.src.to_string()},
        {"src_port", entry.original.sport},
        {"dst_ip", entry.original.dst.to_string()},
        {"dst_port", entry.original.dport},
        {"state", entry.state.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(entry.state.view())},
        {"flags", std::move(flags)},
        {"uplink_packets", entry.original.packets},
        {"uplink_bytes", entry.original.bytes},
        {"downlink_packets", entry.reply.packets},
        {"downlink_bytes", entry.reply.bytes},
        {"total_bytes", entry.total_bytes()},
    };
}

}  // namespace netmon
