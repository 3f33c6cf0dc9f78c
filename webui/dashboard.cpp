#include "dashboard.h"

#include <array>
#include <cstdio>

#include "netmon/counters.h"
#include "netmon/entry.h"
#include "netmon/protocol.h"
#include "units.h"

namespace netmon::web {
namespace {

class Page {
public:
    // Markup we write ourselves, never data.
    Page& raw(std::string_view markup) {
        out_ += markup;
        return *this;
    }
    Page& text(std::string_view value) {
        append_html(out_, value);
        return *this;
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// "10.0.0.11:51234", "[fd00:10::2]:443", "198.51.100.1 type 8 code 0": the endpoint as the
// table shows it; assets/app.js does the same. It opens a link to its history page
// (history_pages.h), the LAN side's to /device/, the remote side's to /host/, which the caller
// closes (after the NEW/SEEN badge of a remote host).
//
// With a name (the device's, or the one the remote host was asked for), the name comes first
// and the address follows in a muted line of its own (class "named"); the link's title says the
// address, and a device's MAC. Names are the ingest's text from leases and DNS answers:
// escaped like all data.
void endpoint(Page& page, std::string_view ip, std::int64_t port, std::string_view label, bool remote,
              const std::optional<std::string>& name = std::nullopt, std::string_view title = {}) {
    const bool v6 = ip.find(':') != std::string_view::npos;
    const std::uint8_t proto = parse_protocol_label(label).value_or(0);
    page.raw(name ? "<a class=\"history-link named\"" : "<a class=\"history-link\"");
    if (!title.empty()) page.raw(" title=\"").text(title).raw("\"");
    page.raw(remote ? " href=\"/host/" : " href=\"/device/").text(ip).raw("\">");
    if (name) page.raw("<span class=\"name\">").text(*name).raw("</span><span class=\"address\">");
    page.raw("<span class=\"addr\">");
    if (has_ports(proto) && v6) page.raw("[").text(ip).raw("]");
    else page.text(ip);
    page.raw("</span>");
    if (has_ports(proto)) {
        page.raw("<span class=\"port\">:").text(std::to_string(port)).raw("</span>");
    } else if (is_icmp(proto) && remote) {
        page.raw("<span class=\"port\"> type ")
            .text(std::to_string(port >> 8))
            .raw(" code ")
            .text(std::to_string(port & 255))
            .raw("</span>");
    }
    if (name) page.raw("</span>");
}

// The hover text of a side: its address (and port), then a device's MAC and vendor.
std::string endpoint_title(std::string_view ip, std::int64_t port, bool ports, const DeviceName* device) {
    std::string title(ip);
    if (ports) title += " port " + std::to_string(port);
    if (device != nullptr && device->mac) {
        title += " \u00b7 MAC " + device->mac->to_string();
        if (device->mac_random()) title += " (random)";
        if (device->vendor) title += " \u00b7 " + *device->vendor;
    }
    return title;
}

// What the device's cell says below its address: the vendor, or that its MAC is random.
void device_details(Page& page, const DeviceName& device) {
    if (device.mac_random()) {
        page.raw(" <span class=\"vendor random\" title=\"a locally administered (random) MAC: no vendor\">"
                 "random MAC</span>");
    } else if (device.vendor && device.source != std::optional<std::string>("oui")) {
        // A name from the OUI is the vendor already.
        page.raw(" <span class=\"vendor\">").text(*device.vendor).raw("</span>");
    }
}

void bytes_cell(Page& page, std::int64_t bytes, std::int64_t packets) {
    page.raw("<td class=\"num\" title=\"")
        .text(std::to_string(bytes) + " bytes, " + std::to_string(packets) + " packets")
        .raw("\">")
        .text(format_bytes(static_cast<std::uint64_t>(bytes < 0 ? 0 : bytes)))
        .raw("</td>");
}

void time_cell(Page& page, std::int64_t at, std::int64_t now) {
    page.raw("<td class=\"time\"><time datetime=\"")
        .text(format_time(at))
        .raw("\" title=\"")
        .text(format_time(at))
        .raw("\">")
        .text(format_duration(now - at) + " ago")
        .raw("</time></td>");
}

void connection_row(Page& page, const ConnectionRow& row, std::int64_t now) {
    const bool is_new = !seen_before(row.host_first_seen_at, now);
    page.raw(is_new ? "<tr class=\"new\">" : "<tr>");
    page.raw("<td class=\"proto\">").text(row.proto).raw("</td>");
    const bool ports = has_ports(parse_protocol_label(row.proto).value_or(0));
    page.raw("<td class=\"endpoint\">");
    endpoint(page, row.src_ip, row.src_port, row.proto, false, row.device_name.name,
             endpoint_title(row.src_ip, row.src_port, ports, &row.device_name));
    page.raw("</a>");
    device_details(page, row.device_name);
    page.raw("</td><td class=\"endpoint\">");
    endpoint(page, row.dst_ip, row.dst_port, row.proto, true, row.remote_name.name,
             row.remote_name.name ? endpoint_title(row.dst_ip, row.dst_port, ports, nullptr) +
                                        " \u00b7 name from " + (row.remote_name.source == "ptr" ? "reverse DNS" : "DNS")
                                  : std::string());
    page.raw(is_new ? " <span class=\"badge new\" title=\"first seen less than 60 s ago\">NEW</span>"
                    : " <span class=\"badge seen\" title=\"first seen more than 60 s ago\">SEEN</span>");
    page.raw("</a></td><td class=\"state\">");
    if (row.state) page.text(*row.state);
    else page.raw("<span class=\"none\">&mdash;</span>");
    for_each_flag_name(row.flags,
                       [&](std::string_view flag) { page.raw(" <span class=\"flag\">").text(flag).raw("</span>"); });
    page.raw("</td>");
    bytes_cell(page, row.uplink_bytes, row.uplink_packets);
    bytes_cell(page, row.downlink_bytes, row.downlink_packets);
    bytes_cell(page, row.total_bytes, saturating_add(row.uplink_packets, row.downlink_packets));
    page.raw("<td class=\"num rate\">");
    if (row.uplink_rate > 0 || row.downlink_rate > 0)
        page.text("\u2191 " + format_rate(row.uplink_rate) + " \u2193 " + format_rate(row.downlink_rate));
    else page.raw("<span class=\"none\">idle</span>");
    page.raw("</td>");
    time_cell(page, row.first_seen_at, now);
    time_cell(page, row.last_seen_at, now);
    page.raw("</tr>\n");
}

void message_row(Page& page, std::string_view message) {
    page.raw("<tr class=\"message\"><td colspan=\"10\">").text(message).raw("</td></tr>\n");
}

void notices(Page& page, const DashboardView& view) {
    std::vector<Notice> list;
    if (!view.ingest.database_error.empty()) list.push_back(database_notice(view.ingest.database_error));
    else list = view.ingest.health.notices;
    page.raw("<div id=\"notices\" class=\"notices\" aria-live=\"polite\">");
    for (const auto& notice : list)
        page.raw(notice.level == Notice::Level::error ? "<p class=\"notice error\">" : "<p class=\"notice warning\">")
            .text(notice.text)
            .raw("</p>");
    page.raw("</div>\n");
}

void tiles(Page& page, const DashboardView& view) {
    const SystemSample& system = view.system;
    page.raw("<section class=\"tiles\" id=\"tiles\">\n");
    page.raw("<div class=\"tile\"><h2>Load average</h2><p class=\"big\" id=\"load\">");
    if (system.load) {
        char text[64];
        std::snprintf(text, sizeof text, "%.2f %.2f %.2f", system.load->one, system.load->five, system.load->fifteen);
        page.text(text);
    } else {
        page.raw("&mdash;");
    }
    page.raw("</p><p class=\"sub\">1, 5 and 15 minutes</p></div>\n");

    page.raw("<div class=\"tile\"><h2>Memory</h2><p class=\"big\" id=\"memory\">");
    if (system.memory) {
        page.text(format_bytes(system.memory->used_bytes))
            .raw(" <span class=\"of\">of ")
            .text(format_bytes(system.memory->total_bytes))
            .raw("</span>");
    } else {
        page.raw("&mdash;");
    }
    page.raw("</p><meter id=\"memory-meter\" min=\"0\" max=\"1\" low=\"0.7\" high=\"0.9\" optimum=\"0\" value=\"");
    if (system.memory && system.memory->total_bytes > 0) {
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.3f",
                      static_cast<double>(system.memory->used_bytes) / static_cast<double>(system.memory->total_bytes));
        page.text(ratio);
    } else {
        page.raw("0");
    }
    page.raw("\"></meter><p class=\"sub\">used (MemTotal &minus; MemAvailable)</p></div>\n");

    for (const InterfaceSample& interface : system.interfaces) {
        page.raw("<div class=\"tile interface\" data-interface=\"").text(interface.name).raw("\"><h2>");
        page.text(interface.name);
        if (interface.name == view.wan_interface) page.raw(" <span class=\"role\">WAN</span>");
        if (interface.name == view.lan_interface) page.raw(" <span class=\"role\">LAN</span>");
        page.raw("</h2>");
        page.raw("<p class=\"error\">");
        if (!interface.counters) page.text(interface.error);
        page.raw("</p>");
        for (const bool rx : {true, false}) {
            page.raw(rx ? "<p class=\"direction rx\"><span class=\"label\">\u2193 in</span> "
                        : "<p class=\"direction tx\"><span class=\"label\">\u2191 out</span> ");
            page.raw("<span class=\"rate\">");
            if (interface.rates) page.text(format_rate(rx ? interface.rates->rx_bytes : interface.rates->tx_bytes));
            else page.raw("&mdash;");
            page.raw("</span> <span class=\"total\">");
            if (interface.counters) {
                const auto& c = *interface.counters;
                page.text(format_bytes(rx ? c.rx_bytes : c.tx_bytes) + ", " +
                          format_count(rx ? c.rx_packets : c.tx_packets) + " packets");
            }
            page.raw("</span></p>");
        }
        page.raw("</div>\n");
    }
    page.raw("</section>\n");
}

void summary(Page& page, const DashboardView& view) {
    page.raw("<p class=\"summary\" id=\"summary\">");
    if (view.ingest.database_error.empty()) {
        const Summary& s = view.ingest.summary;
        page.raw("<strong>").text(std::to_string(s.active_connections)).raw("</strong> active connections to ");
        page.raw("<strong>").text(std::to_string(s.active_remote_hosts)).raw("</strong> remote hosts &middot; ");
        page.raw("<strong>").text(std::to_string(s.new_remote_hosts));
        page.raw("</strong> hosts new in the last 60 s &middot; ");
        page.raw("last ingest cycle ");
        if (view.ingest.health.last_cycle_age_ms)
            page.raw("<strong>").text(format_duration(*view.ingest.health.last_cycle_age_ms)).raw("</strong> ago");
        else page.raw("<strong>never</strong>");
        // How much of the WAN's traffic that is, and a way to why not all.
        if (auto ratio = view.ingest.coverage.total().ratio()) {
            page.raw(" &middot; netmon sees <strong>").text(percent_text(*ratio)).raw("</strong> of the WAN's bytes ");
            page.raw("this hour (<a href=\"/coverage\">why not all</a>)");
        }
    }
    page.raw("</p>\n");
}

void filter_form(Page& page, const DashboardView& view) {
    const ConnectionFilter& f = view.filter;
    page.raw("<form class=\"filter\" method=\"get\" action=\"/\" role=\"search\">");
    page.raw("<label>Address, port or name <input type=\"search\" name=\"q\" maxlength=\"45\" "
             "placeholder=\"e.g. 443 or 192.0.2\" value=\"")
        .text(f.q)
        .raw("\"></label>");
    page.raw("<label>Protocol <select name=\"proto\"><option value=\"\">any</option>");
    bool listed = f.proto.empty();
    for (std::uint8_t number : protocol::named) {
        const std::string_view proto = protocol_name(number);
        page.raw("<option");
        if (proto == f.proto) {
            page.raw(" selected");
            listed = true;
        }
        page.raw(">").text(proto).raw("</option>");
    }
    if (!listed) page.raw("<option selected>").text(f.proto).raw("</option>");
    page.raw("</select></label>");
    page.raw("<label>LAN device <input type=\"text\" name=\"src\" maxlength=\"45\" "
             "placeholder=\"an address or a MAC\" value=\"")
        .text(f.src)
        .raw("\"></label>");
    if (f.limit != default_limit)
        page.raw("<input type=\"hidden\" name=\"limit\" value=\"").text(std::to_string(f.limit)).raw("\">");
    page.raw("<button type=\"submit\">Filter</button>");
    if (f.q.size() + f.proto.size() + f.src.size() > 0 || f.limit != default_limit || !view.filter_error.empty())
        page.raw("<a class=\"clear\" href=\"/\">Clear</a>");
    page.raw("</form>\n");
    if (!view.filter_error.empty()) page.raw("<p class=\"notice error\">").text(view.filter_error).raw("</p>\n");
}

}  // namespace

void append_html(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

std::string escape_html(std::string_view text) {
    std::string out;
    append_html(out, text);
    return out;
}

std::string render_dashboard(const DashboardView& view) {
    Page page;
    page.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.raw("<title>netmon</title>\n");
    page.raw("<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n");
    page.raw("<link rel=\"stylesheet\" href=\"/static/app.css\">\n");
    page.raw("<script src=\"/static/format.js\" defer></script>\n");
    page.raw("<script src=\"/static/app.js\" defer></script>\n</head>\n");
    page.raw("<body data-now=\"").text(format_time(view.now_ms)).raw("\">\n");
    page.raw("<header class=\"top\">"
             "<h1><img src=\"/static/icon.svg\" alt=\"\" width=\"22\" height=\"22\"> netmon</h1>");
    page.raw("<p class=\"where\">Outbound connections through this router &middot; LAN ")
        .text(view.lan_interface)
        .raw(" &middot; WAN ")
        .text(view.wan_interface)
        .raw("</p>");
    page.raw("<p class=\"live\" id=\"live\">"
             "<noscript>Without JavaScript this page does not update: reload it.</noscript></p>");
    page.raw("</header>\n<main>\n");
    notices(page, view);
    tiles(page, view);
    summary(page, view);
    filter_form(page, view);
    page.raw("<div class=\"table-wrap\"><table class=\"connections\">\n<caption>Active connections by total bytes");
    if (!view.rows.empty() && view.rows.size() == view.filter.limit)
        page.raw(", the first ").text(std::to_string(view.filter.limit));
    page.raw("</caption>\n<thead><tr><th>Proto</th><th>LAN device</th><th>Remote host</th><th>State</th>"
             "<th class=\"num\">Up</th><th class=\"num\">Down</th><th class=\"num\">Total</th>"
             "<th class=\"num\">Rate</th><th>First seen</th><th>Last seen</th></tr></thead>\n");
    page.raw("<tbody id=\"connections\" data-query=\"").text(view.filter.query_string()).raw("\">\n");
    if (!view.filter_error.empty()) message_row(page, "No connections: " + view.filter_error);
    else if (!view.ingest.database_error.empty()) message_row(page, "No data: the database cannot be read.");
    else if (view.rows.empty()) message_row(page, "No active connections match.");
    for (const auto& row : view.rows) connection_row(page, row, view.now_ms);
    page.raw("</tbody>\n</table></div>\n</main>\n");
    page.raw("<footer>netmon &middot; <a href=\"/connections.json\">connections.json</a> &middot; "
             "<a href=\"/hosts.json\">hosts.json</a> &middot; <a href=\"/metrics.json\">metrics.json</a> &middot; "
             "<a href=\"/metrics\">Prometheus</a> &middot; <a href=\"/healthz\">healthz</a></footer>\n");
    page.raw("</body>\n</html>\n");
    return page.take();
}

}  // namespace netmon::web
