#include "netmon/entry_json.h"

#include "netmon/entry.h"
#include "netmon/json_writer.h"

namespace netmon {

void write_flow_members(JsonWriter& w, const FlowJson& flow) {
    w.field("proto", flow.proto);
    w.field("src_ip", flow.src_ip);
    w.field("src_port", flow.src_port);
    w.field("dst_ip", flow.dst_ip);
    w.field("dst_port", flow.dst_port);
    w.key("state");
    if (flow.state) w.value(*flow.state);
    else w.null();
    w.key("flags");
    w.words(flow.flags);
    w.field("uplink_packets", flow.uplink_packets);
    w.field("uplink_bytes", flow.uplink_bytes);
    w.field("downlink_packets", flow.downlink_packets);
    w.field("downlink_bytes", flow.downlink_bytes);
    w.field("total_bytes", flow.total_bytes);
}

std::string entry_json(const Entry& entry) {
    const std::string proto = protocol_label(entry.protocol);
    const std::string src_ip = entry.original.src.to_string();
    const std::string dst_ip = entry.original.dst.to_string();
    const std::string flags = flags_text(entry.flags);
    FlowJson flow;
    flow.proto = proto;
    flow.src_ip = src_ip;
    flow.src_port = entry.original.sport;
    flow.dst_ip = dst_ip;
    flow.dst_port = entry.original.dport;
    if (!entry.state.empty()) flow.state = entry.state.view();
    flow.flags = flags;
    flow.uplink_packets = entry.original.packets;
    flow.uplink_bytes = entry.original.bytes;
    flow.downlink_packets = entry.reply.packets;
    flow.downlink_bytes = entry.reply.bytes;
    flow.total_bytes = entry.total_bytes();
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    write_flow_members(w, flow);
    w.end_object();
    return out;
}

}  // namespace netmon
