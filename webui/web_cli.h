#pragma once
// The netmon-web command line.

#include <optional>
#include <string>

#include "netmon/command_line.h"
#include "netmon/config.h"

namespace netmon::web {

enum class WebAction { serve, help, version };

struct WebCommand {
    WebAction action = WebAction::serve;
    std::string config_path;              // --config FILE
    std::optional<ListenAddress> listen;  // --listen ADDRESS:PORT, over web.listen
    bool allow_any_address = false;       // --allow-any-address
    bool verbose = false;                 // -v
};

// Parses argv. Throws UsageError.
WebCommand parse_web_command_line(int argc, const char* const* argv);

extern const char* const web_usage;

}  // namespace netmon::web
