#include "coverage_page.h"

#include "dashboard.h"
#include "units.h"

namespace netmon::web {
namespace {

void row(std::string& out, std::string_view name, const CoverageDirection& d) {
    out += "<tr><th scope=\"row\">";
    out += name;
    out += "</th><td class=\"num\">";
    append_html(out, format_bytes(d.seen_bytes));
    out += "</td><td class=\"num\">";
    append_html(out, format_bytes(d.wan_bytes));
    out += "</td><td class=\"num\"><strong>";
    auto ratio = d.ratio();
    append_html(out, ratio ? percent_text(*ratio) : std::string("-"));
    out += "</strong></td></tr>\n";
}

}  // namespace

std::string render_coverage_page(const IngestView& ingest, std::int64_t now_ms) {
    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Coverage \u00b7 netmon</title>\n"
           "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n"
           "<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n<body>\n"
           "<header class=\"top\"><h1><a class=\"home\" href=\"/\"><img src=\"/static/icon.svg\" alt=\"\" "
           "width=\"22\" height=\"22\"> netmon</a></h1><p class=\"where\">How much of the WAN's traffic netmon "
           "sees</p></header>\n<main>\n";
    if (!ingest.database_error.empty()) {
        out += "<p class=\"notice error\">";
        append_html(out, "No data: " + ingest.database_error);
        out += "</p>\n</main>\n</body>\n</html>\n";
        return out;
    }
    const Coverage& c = ingest.coverage;
    out += "<section class=\"panel\"><h2>The last hour</h2>\n";
    if (!ingest.status.wan_error.empty()) {
        out += "<p class=\"notice warning\">";
        append_html(out, "The WAN's counters cannot be read: " + ingest.status.wan_error +
                             ". Set interfaces.wan in netmon.yml to the router's WAN interface.");
        out += "</p>\n";
    }
    if (!c.measured) {
        out += "<p>No WAN counters for this hour yet";
        if (!ingest.status.wan_interface.empty()) {
            out += " (interface <code>";
            append_html(out, ingest.status.wan_interface);
            out += "</code>)";
        }
        out += ": netmon-ingest writes them with the history, every 10 seconds.</p>\n";
    } else {
        out += "<table class=\"coverage\"><thead><tr><th></th><th scope=\"col\">netmon's outbound flows</th>"
               "<th scope=\"col\">the WAN interface";
        if (!ingest.status.wan_interface.empty()) {
            out += " <code>";
            append_html(out, ingest.status.wan_interface);
            out += "</code>";
        }
        out += "</th><th scope=\"col\">seen</th></tr></thead>\n<tbody>\n";
        row(out, "uplink (sent)", c.uplink);
        row(out, "downlink (received)", c.downlink);
        row(out, "both", c.total());
        out += "</tbody></table>\n";
    }
    out += "</section>\n<section class=\"panel\"><h2>What netmon found</h2>\n";
    const std::vector<CoverageCause> causes = parse_causes(ingest.status.coverage_causes);
    if (causes.empty()) {
        out += "<p>Nothing that hides traffic from conntrack's counters: accounting and events are on, no flow "
               "lacks counters or froze in a flowtable, no notrack rule, no other program zeroes the counters.</p>\n";
    } else {
        out += "<ul class=\"causes\">\n";
        for (const CoverageCause& cause : causes) {
            out += "<li><p>";
            append_html(out, cause.text);
            out += "</p><p>Fix: <code>";
            append_html(out, cause.fix);
            out += "</code></p></li>\n";
        }
        out += "</ul>\n";
    }
    out += "</section>\n<section class=\"panel\"><h2>What is never counted</h2>\n<ul>\n"
           "<li>The router's own traffic: its resolver's queries upstream, NTP, updates. It leaves from the "
           "router, not from a LAN device.</li>\n"
           "<li>Connections opened from the internet (port forwards): netmon counts outbound flows only.</li>\n"
           "<li>Traffic to addresses that are not public, over the WAN (the modem's own page).</li>\n"
           "<li>Link-layer bytes: already taken out (14 bytes a packet on Ethernet), so the figures compare IP "
           "packets with IP packets.</li>\n</ul>\n"
           "<p>On the lab's clean traffic netmon sees 99 to 100% each way; see docs/ARCHITECTURE.md, "
           "\"Coverage\".</p>\n</section>\n";
    out += "<p class=\"sub\">";
    append_html(out, "As of " + format_time(now_ms) + ".");
    out += " <a href=\"/metrics.json\">metrics.json</a> has the same figures.</p>\n</main>\n</body>\n</html>\n";
    return out;
}

}  // namespace netmon::web
