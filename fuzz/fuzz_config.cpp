// libFuzzer harness: netmon.yml (netmon/config.h parse_config). The input is the file's text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "netmon/config.h"

using netmon::fuzz::check;

namespace {
constexpr std::string_view label = "fuzz.yml";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // Anything but a ConfigError escapes and fails the run: parse_config promises only that.
    try {
        const netmon::Config config = netmon::parse_config(text, label);
        check(config.path == label, "the config names its file");
        check(!config.local_subnets.empty(), "at least one local subnet");
        check(config.interval >= 0.05 && config.interval <= 3600, "interval in range");
        check(config.event_buffer >= (64u << 10) && config.event_buffer <= (1u << 30), "event_buffer in range");
        check(config.web_listen.port != 0, "a listen port");
        check(!config.database.empty(), "a database path");
        for (const std::string& name : config.monitor_interfaces)
            check(netmon::valid_interface_name(name), "monitor_interfaces are interface names");
        check(netmon::valid_interface_name(config.lan_interface) && netmon::valid_interface_name(config.wan_interface),
              "interfaces.lan and .wan are interface names");
        if (config.web_auth) {
            check(!config.web_auth->user.empty() && config.web_auth->user.find(':') == std::string::npos,
                  "web.auth.user is a user name");
            check(config.web_auth->password_hash.starts_with('$'), "web.auth.password_hash is a crypt(3) hash");
        }
    } catch (const netmon::ConfigError& e) {
        // One line naming the file: it ends the program's message to the admin.
        const std::string_view message = e.what();
        check(message.starts_with(std::string(label) + ": "), "a ConfigError names the file");
        check(message.find('\n') == std::string_view::npos, "a ConfigError is one line");
    }
    return 0;
}
