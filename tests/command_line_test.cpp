#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "netmon/command_line.h"

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
