#include "history_pages.h"

#include "dashboard.h"

namespace netmon::web {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The head and the header both pages share. Scripts are deferred: they run in this order once
// the page is parsed. chart.js first, so that window.Chart exists when the page's script starts.
void begin_page(std::string& out, std::string_view title, std::string_view script) {
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
    append_html(out, title);
    out += " \u00b7 netmon</title>\n";
    out += "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n";
    out += "<link rel=\"stylesheet\" href=\"/static/app.css\">\n";
    out += "<script src=\"/static/chart.js\" defer></script>\n";
    out += "<script src=\"/static/format.js\" defer></script>\n";
    out += "<script src=\"/static/history.js\" defer></script>\n";
    out += "<script src=\"/static/";
    out += script;
    out += "\" defer></script>\n</head>\n";
}

void header(std::string& out, std::string_view what, std::string_view address) {
    out += "<header class=\"top\"><h1><a class=\"home\" href=\"/\">"
           "<img src=\"/static/icon.svg\" alt=\"\" width=\"22\" height=\"22\"> netmon</a></h1>";
    out += "<p class=\"where\">";
    out += what;
    out += " <strong class=\"subject\">";
    append_html(out, address);
    out += "</strong> <span class=\"subject-address\" id=\"subject-address\"></span></p><p class=\"live\" id=\"live\">"
           "<noscript>This page shows its figures with JavaScript only.</noscript></p></header>\n";
}

// The window picker and the chart's canvas, the same on both pages.
void chart_panel(std::string& out, std::string_view title) {
    out += "<section class=\"panel\" id=\"traffic\"><div class=\"panel-head\"><h2>";
    out += title;
    out += "</h2><div class=\"windows\" role=\"group\" aria-label=\"Window\">";
    for (const char* window : {"1h", "24h", "7d", "30d"}) {
        out += "<button type=\"button\" data-window=\"";
        out += window;
        out += "\">";
        out += window;
        out += "</button>";
    }
    out += "<label class=\"step\">30d by <select id=\"step-30d\"><option value=\"86400\">day</option>"
           "<option value=\"3600\">hour</option></select></label>";
    out += "</div></div>\n<div class=\"chart-box\"><canvas id=\"chart\" role=\"img\" "
           "aria-label=\"Uplink and downlink bytes over time\"></canvas></div>\n"
           "<p class=\"sub\" id=\"chart-note\"></p></section>\n";
}

// when: a tile that shows a time, in smaller type than a figure.
void tile(std::string& out, std::string_view id, std::string_view title, bool when = false) {
    out += "<div class=\"tile\"><h2>";
    out += title;
    out += when ? "</h2><p class=\"big when\" id=\"" : "</h2><p class=\"big\" id=\"";
    out += id;
    out += "\">&mdash;</p><p class=\"sub\" id=\"";
    out += id;
    out += "-sub\"></p></div>\n";
}

// A table whose rows the script writes: a caption, its head, an empty body with an id.
void table(std::string& out, std::string_view id, std::string_view caption,
           std::initializer_list<std::pair<std::string_view, bool>> columns) {
    out += "<div class=\"table-wrap\"><table class=\"history\" id=\"";
    out += id;
    out += "-table\">\n<caption id=\"";
    out += id;
    out += "-caption\">";
    out += caption;
    out += "</caption>\n<thead><tr>";
    for (const auto& [name, numeric] : columns) {
        out += numeric ? "<th class=\"num\">" : "<th>";
        out += name;
        out += "</th>";
    }
    out += "</tr></thead>\n<tbody id=\"";
    out += id;
    out += "\"><tr class=\"message\"><td colspan=\"";
    out += std::to_string(columns.size());
    out += "\">Loading&hellip;</td></tr></tbody>\n</table></div>\n";
}

void end_page(std::string& out) {
    out += "</main>\n<footer><a href=\"/\">Dashboard</a> &middot; <a href=\"/devices.json\">devices.json</a>"
           " &middot; <a href=\"/hosts.json\">hosts.json</a> &middot; <a href=\"/flows.json\">flows.json</a>"
           "</footer>\n</body>\n</html>\n";
}

void device_page(std::string& out, const std::string& address) {
    begin_page(out, address, "device.js");
    out += "<body data-page=\"device\" data-address=\"";
    append_html(out, address);
    out += "\">\n";
    header(out, "LAN device", address);
    out += "<main>\n<div id=\"notices\" class=\"notices\" aria-live=\"polite\"></div>\n";
    out += "<section class=\"tiles\" id=\"totals\">\n";
    tile(out, "total-today", "Today");
    tile(out, "total-7d", "7 days");
    tile(out, "total-30d", "30 days");
    tile(out, "seen", "First seen", true);
    out += "</section>\n";
    chart_panel(out, "Traffic");
    out += "<section class=\"panel\"><h2>Top remote hosts <span class=\"sub\" id=\"hosts-window\"></span></h2>\n";
    table(out, "hosts", "Remote hosts by total bytes in the window",
          {{"Remote host", false}, {"Up", true}, {"Down", true}, {"Total", true}, {"Flows", true},
           {"First contact", false}, {"Last contact", false}});
    out += "</section>\n<section class=\"panel\"><h2>Live connections</h2>\n";
    table(out, "connections", "Active connections by total bytes",
          {{"Proto", false}, {"Remote host", false}, {"State", false}, {"Up", true}, {"Down", true},
           {"Total", true}, {"First seen", false}});
    out += "</section>\n<section class=\"panel\"><h2>Ended flows</h2>\n";
    table(out, "flows", "The newest ended flows",
          {{"Proto", false}, {"Remote host", false}, {"Up", true}, {"Down", true}, {"Began", false},
           {"Ended", false}, {"How", false}});
    out += "</section>\n";
    end_page(out);
}

void host_page(std::string& out, const std::string& address) {
    begin_page(out, address, "host.js");
    out += "<body data-page=\"host\" data-address=\"";
    append_html(out, address);
    out += "\">\n";
    header(out, "Remote host", address);
    out += "<main>\n<div id=\"notices\" class=\"notices\" aria-live=\"polite\"></div>\n";
    out += "<section class=\"tiles\" id=\"totals\">\n";
    tile(out, "seen", "First seen", true);
    tile(out, "last", "Last contact", true);
    tile(out, "device-count", "LAN devices");
    tile(out, "total", "Total since first seen");
    out += "</section>\n";
    chart_panel(out, "Traffic with it, all devices");
    out += "<section class=\"panel\"><h2>Every LAN device that talked to it</h2>\n";
    table(out, "devices", "LAN devices by total bytes with this host",
          {{"LAN device", false}, {"Up", true}, {"Down", true}, {"Total", true}, {"Flows", true},
           {"First contact", false}, {"Last contact", false}});
    out += "</section>\n<section class=\"panel\"><h2>Ended flows</h2>\n";
    table(out, "flows", "The newest ended flows",
          {{"Proto", false}, {"LAN device", false}, {"Up", true}, {"Down", true}, {"Began", false},
           {"Ended", false}, {"How", false}});
    out += "</section>\n";
    end_page(out);
}

}  // namespace

std::optional<PageRequest> match_history_page(std::string_view path) {
    constexpr std::string_view device = "/device/";
    constexpr std::string_view host = "/host/";
    if (path.starts_with(device)) return PageRequest{HistoryPage::device, path.substr(device.size())};
    if (path.starts_with(host)) return PageRequest{HistoryPage::host, path.substr(host.size())};
    return std::nullopt;
}

namespace {

std::optional<std::string> decode_segment(std::string_view segment) {
    // Longer than any address's text, escaped: not one.
    if (segment.empty() || segment.size() > 3 * 45) return std::nullopt;
    std::string text;
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] != '%') {
            text += segment[i];
            continue;
        }
        if (i + 2 >= segment.size()) return std::nullopt;
        const int high = hex_digit(segment[i + 1]);
        const int low = hex_digit(segment[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        text += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return text;
}

}  // namespace

std::optional<IpAddress> parse_page_address(std::string_view segment) {
    auto text = decode_segment(segment);
    if (!text) return std::nullopt;
    return IpAddress::parse(*text);
}

std::optional<MacAddress> parse_page_mac(std::string_view segment) {
    auto text = decode_segment(segment);
    if (!text) return std::nullopt;
    return MacAddress::parse(*text);
}

std::string render_device_page(const MacAddress& mac) {
    std::string out;
    out.reserve(6000);
    device_page(out, mac.to_string());
    return out;
}

std::string render_history_page(HistoryPage page, const IpAddress& address) {
    std::string out;
    out.reserve(6000);
    // The canonical text ("fd00:10::2" for "FD00:10:0::2"): the form the data uses.
    if (page == HistoryPage::device) device_page(out, address.to_string());
    else host_page(out, address.to_string());
    return out;
}

std::string render_bad_address_page(HistoryPage page, std::string_view segment) {
    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Not an address"
           " \u00b7 netmon</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n<body>\n";
    out += "<header class=\"top\"><h1><a class=\"home\" href=\"/\">netmon</a></h1></header>\n<main>\n";
    out += "<p class=\"notice error\" id=\"bad-address\">&ldquo;";
    append_html(out, segment);
    out += "&rdquo; is not an IP address: a ";
    out += page == HistoryPage::device ? "LAN device's page is /device/ADDR" : "remote host's page is /host/ADDR";
    out += ", with ADDR like 10.0.0.11 or 2001:db8::1.</p>\n<p><a href=\"/\">Back to the dashboard</a></p>\n"
           "</main>\n</body>\n</html>\n";
    return out;
}

}  // namespace netmon::web
