#include <catch2/catch.hpp>

#include <algorithm>

#include "listen.h"
#include "web_cli.h"

using namespace netmon;
using namespace netmon::web;

namespace {

ListenAddress at(const char* text) {
    auto listen = ListenAddress::parse(text);
    if (!listen) throw std::runtime_error(std::string("bad test address ") + text);
    return *listen;
}

std::string refusal(const char* address, bool allow_any, const std::vector<IpAddress>& host) {
    try {
        check_listen_address(at(address), allow_any, host);
    } catch (const ListenError& e) {
        return e.what();
    }
    return "accepted";
}

WebCommand parse(std::vector<const char*> args) {
    args.insert(args.begin(), "netmon-web");
    return parse_web_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("an address of this host is accepted") {
    const std::vector<IpAddress> host = {*IpAddress::parse("127.0.0.1"), *IpAddress::parse("10.0.0.1"),
                                         *IpAddress::parse("fd00:10::1")};
    CHECK(refusal("10.0.0.1:8080", false, host) == "accepted");
    CHECK(refusal("[fd00:10::1]:8080", false, host) == "accepted");
}

TEST_CASE("an address that is not on this host is refused, by name") {
    const std::vector<IpAddress> host = {*IpAddress::parse("127.0.0.1")};
    std::string message = refusal("10.0.0.1:8080", false, host);
    CHECK(message.starts_with("cannot listen on 10.0.0.1:8080: 10.0.0.1 is not an address of this host"));
    CHECK(message.find("127.0.0.1") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("wildcards only when allowed") {
    CHECK(refusal("0.0.0.0:8080", false, {}).starts_with("refusing to listen on 0.0.0.0:8080"));
    CHECK(refusal("[::]:8080", false, {}).starts_with("refusing to listen on [::]:8080"));
    CHECK(refusal("0.0.0.0:8080", false, {}).find("--allow-any-address") != std::string::npos);
    CHECK(refusal("0.0.0.0:8080", true, {}) == "accepted");
}

TEST_CASE("this host has its loopback address") {
    auto addresses = host_addresses();
    CHECK(std::find(addresses.begin(), addresses.end(), *IpAddress::parse("127.0.0.1")) != addresses.end());
}

TEST_CASE("the command line") {
    CHECK(parse({}).action == WebAction::serve);
    WebCommand command = parse({"--config", "/etc/x.yml", "--listen", "127.0.0.1:8080", "--allow-any-address", "-v"});
    CHECK(command.config_path == "/etc/x.yml");
    REQUIRE(command.listen);
    CHECK(command.listen->to_string() == "127.0.0.1:8080");
    CHECK(command.allow_any_address);
    CHECK(command.verbose);
    CHECK(parse({"--listen=[::1]:9000"}).listen->to_string() == "[::1]:9000");
    CHECK(parse({"--help"}).action == WebAction::help);
    CHECK(parse({"--version"}).action == WebAction::version);
    CHECK_THROWS_AS(parse({"--listen", "localhost:8080"}), UsageError);
    CHECK_THROWS_AS(parse({"--listen", "10.0.0.1"}), UsageError);
    CHECK_THROWS_AS(parse({"--listen"}), UsageError);
    CHECK_THROWS_AS(parse({"serve"}), UsageError);
    CHECK_THROWS_AS(parse({"--allow-any-address=yes"}), UsageError);
}
