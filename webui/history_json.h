#pragma once
// The JSON of the history endpoints (docs/API.md): /devices.json, /history.json, /flows.json and
// /hosts.json?device=. Pure: what they show is passed in.

#include <cstdint>
#include <string>
#include <vector>

#include "history_queries.h"
#include "history_rows.h"
#include "name_queries.h"
#include "netmon/json_writer.h"
#include "request_params.h"

namespace netmon::web {

// {"window":"24h","from":ISO,"to":ISO,"devices":[...]}: each device's "device" is the lowest of
// its addresses (each of which device= takes for the whole device); then its "addresses" and its
// names (names.h).
std::string devices_json(const HistoryWindow& window, const WindowPlan& plan, const std::vector<DeviceRow>& rows);
// {"step":3600,"device":..|null,"host":..|null,"from":ISO,"to":ISO,"points":[...]}; from and to
// are the first and the last bucket's starts. With a device, its "addresses" and names after
// "host"; with a host, its "remote_name" and "remote_name_source".
std::string history_json(const HistoryRequest& request, const HistoryRange& range,
                         const std::vector<HistoryPoint>& points, const Device* device = nullptr,
                         const RemoteName& host_name = {});
// {"device":...,"window":"24h","from":ISO,"to":ISO,"hosts":[...]}; the device's "addresses"
// and names after "device" when given, each host's remote name.
std::string device_hosts_json(const DeviceHostsRequest& request, const WindowPlan& plan,
                              const std::vector<DeviceHostRow>& rows, const Device* device = nullptr);

// {"flows":[...]}, a row at a time.
class FlowLogJson {
public:
    FlowLogJson();
    FlowLogJson(const FlowLogJson&) = delete;  // writer_ writes to this one's out_
    FlowLogJson& operator=(const FlowLogJson&) = delete;
    // The names of both sides follow the row's members.
    void add(const FlowLogRow& row, const DeviceName& device = {}, const RemoteName& host = {});
    // The document; the object is spent.
    std::string finish();

private:
    std::string out_;
    JsonWriter writer_{out_};
};

// "destroyed" (1, the kernel's DESTROY), "gone" (2, no longer in a full read), else the number.
std::string ended_by_text(int ended_by);

}  // namespace netmon::web
