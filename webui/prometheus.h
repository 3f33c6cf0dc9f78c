#pragma once
// /metrics: the Prometheus text exposition format, version 0.0.4, so that one Prometheus can
// scrape a fleet of routers. Pure.

#include <cstdint>
#include <string>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "coverage.h"
#include "history_rows.h"
#include "ingest_health.h"
#include "rows.h"
#include "system_metrics.h"

namespace netmon::web {

inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

// Builds the text a metric family at a time: HELP and TYPE once, then its samples.
class PrometheusText {
public:
    // type: "gauge" or "counter".
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const Labels& labels, double value);
    void sample(std::string_view name, double value) { sample(name, {}, value); }
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

// A label value with '\', '"' and line feeds escaped.
std::string escape_label_value(std::string_view value);
// A HELP text with '\' and line feeds escaped.
std::string escape_help(std::string_view help);

// What /metrics shows. database_up false leaves out the database's figures.
struct MetricsInput {
    bool database_up = false;
    Summary summary;
    IngestStatus ingest;
    IngestHealth health;
    SystemSample system;
    std::int64_t now_ms = 0;
    std::vector<DeviceTotalsRow> devices;  // the devices table, by address
    // Their names (netmon_device_info), by device's text; a device without a MAC or a name has none.
    std::map<std::string, DeviceName, std::less<>> device_names;
    Coverage coverage;  // the last hour's
};

std::string render_prometheus(const MetricsInput& input);

}  // namespace netmon::web
