#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli.h"
#include "netmon/command_line.h"
#include "netmon/config.h"

using namespace netmon;

namespace {

std::vector<std::string> walk(std::vector<const char*> argv) {
    argv.insert(argv.begin(), "prog");
    ArgumentReader args(static_cast<int>(argv.size()), argv.data());
    std::vector<std::string> seen;
    while (args.next()) {
        std::string name(args.name());
        if (name == "--config" || name == "--limit") name += "=" + std::string(args.value());
        else args.no_value();
        seen.push_back(name);
    }
    return seen;
}

}  // namespace

TEST_CASE("options take their value after '=' or as the next argument", "[command_line]") {
    CHECK(walk({"--config", "a.yml", "run", "--limit=5"}) ==
          std::vector<std::string>{"--config=a.yml", "run", "--limit=5"});
    CHECK(walk({"--config=", "-v"}) == std::vector<std::string>{"--config=", "-v"});
    CHECK(walk({"--config=x=y"}) == std::vector<std::string>{"--config=x=y"});
    CHECK(walk({}).empty());
}

TEST_CASE("a missing value, or a value for a flag, is a usage error", "[command_line]") {
    CHECK_THROWS_WITH(walk({"run", "--config"}), "--config needs a value");
    CHECK_THROWS_WITH(walk({"--json=yes"}), "--json takes no value");
    // A single dash never carries "=value".
    CHECK(walk({"-v=1"}) == std::vector<std::string>{"-v=1"});
}

TEST_CASE("the command line's interval wins over the file's, and says so when they differ", "[command_line]") {
    Config config;
    config.path = "/etc/netmon/netmon.yml";
    config.interval = 2.5;
    IngestCommand command;
    CHECK_FALSE(apply_command_line(command, config));  // no --interval: the file's stays
    CHECK(config.interval == 2.5);
    command.interval = 0.1;
    auto warning = apply_command_line(command, config);
    CHECK(config.interval == 0.1);
    REQUIRE(warning);
    CHECK(*warning ==
          "interval: 2.5 in /etc/netmon/netmon.yml is overridden by --interval 0.1 on the command line; the loop "
          "keeps running every 0.1 s");
    CHECK_FALSE(apply_command_line(command, config));  // the same: nothing to say
    Config defaults;
    auto from_defaults = apply_command_line(command, defaults);
    REQUIRE(from_defaults);
    CHECK(from_defaults->starts_with("interval: 1 in the built-in defaults is overridden by --interval 0.1"));
}
