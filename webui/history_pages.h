#pragma once
// The history pages: /device/ADDR (a LAN device) and /host/ADDR (a remote host). The server
// sends a page that names the address and has empty places for the figures; assets/device.js
// and assets/host.js fill them from the JSON endpoints (docs/API.md) and draw the charts with
// Debian's Chart.js, which netmon-web serves at /static/chart.js from the installed file. Pure:
// no database, no clock.

#include <optional>
#include <string>
#include <string_view>

#include "netmon/address.h"
#include "netmon/mac.h"

namespace netmon::web {

enum class HistoryPage { device, host };

// Where Debian's libjs-chart.js installs the library (a UMD build that defines window.Chart).
inline constexpr std::string_view chart_library_path = "/usr/share/javascript/chart.js/chart.min.js";

// The page a path asks for, when it starts with "/device/" or "/host/": which one, and the text
// after the prefix (still percent-encoded). Nothing for any other path.
struct PageRequest {
    HistoryPage page;
    std::string_view address_text;
};
std::optional<PageRequest> match_history_page(std::string_view path);

// The address of a page's path segment: percent-escapes decoded ("fd00%3A10%3A%3A2"), then
// IpAddress::parse. Nothing for anything else (an empty segment, a '/', a bad escape).
std::optional<IpAddress> parse_page_address(std::string_view segment);

// The same for a device page's MAC ("aa:bb:cc:dd:ee:ff", '-' too, percent-encoded or not).
std::optional<MacAddress> parse_page_mac(std::string_view segment);

// The whole page for a well-formed address (any address: whether it has history is the
// script's to say, from the data).
std::string render_history_page(HistoryPage page, const IpAddress& address);
// A device's page by its MAC.
std::string render_device_page(const MacAddress& mac);
// The 400 page for a segment that is not an address: says so, and links to the dashboard.
std::string render_bad_address_page(HistoryPage page, std::string_view segment);

}  // namespace netmon::web
