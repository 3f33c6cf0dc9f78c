// A device's name, first match wins: names.devices by MAC, then by address; the lease's
// hostname by MAC, then by address; the OUI vendor. Random MACs have no vendor.
#include <catch2/catch.hpp>

#include "names/device_namer.h"
#include "names/oui_registry.h"

using namespace netmon;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
MacAddress mac(const char* text) { return *MacAddress::parse(text); }

OuiRegistry registry() {
    OuiRegistry oui;
    oui.add_text("3C-22-FB   (hex)\t\tApple, Inc.\n");
    oui.finish();
    return oui;
}

}  // namespace

TEST_CASE("device names: config by MAC, config by address, lease by MAC, lease by address, vendor", "[names]") {
    const OuiRegistry oui = registry();
    Names names;
    names.device_by_mac = {{mac("3c:22:fb:00:00:01"), "Alice's laptop"}};
    names.device_by_address = {{ip("10.0.0.12"), "Printer"}};
    DeviceNamer namer(names, &oui);
    const std::vector<Lease> leases = {
        {ip("10.0.0.11"), mac("3c:22:fb:00:00:01"), "lease-name"},
        {ip("10.0.0.13"), mac("3c:22:fb:00:00:03"), "bobs-phone"},
        {ip("10.0.0.14"), std::nullopt, "by-address"},
        {ip("10.0.0.15"), mac("3c:22:fb:00:00:05"), ""},
    };
    namer.set_leases(leases);
    const std::vector<IpAddress> none;

    DeviceName n = namer.name(mac("3c:22:fb:00:00:01"), std::vector{ip("10.0.0.11"), ip("10.0.0.12")});
    CHECK(n == DeviceName{"Alice's laptop", DeviceNameSource::config, "Apple, Inc."});
    n = namer.name(mac("3c:22:fb:00:00:02"), std::vector{ip("fd00::2"), ip("10.0.0.12")});
    CHECK(n == DeviceName{"Printer", DeviceNameSource::config, "Apple, Inc."});
    n = namer.name(mac("3c:22:fb:00:00:03"), std::vector{ip("10.0.0.13")});
    CHECK(n == DeviceName{"bobs-phone", DeviceNameSource::dhcp, "Apple, Inc."});
    n = namer.name(mac("3c:22:fb:00:00:04"), std::vector{ip("10.0.0.14")});
    CHECK(n == DeviceName{"by-address", DeviceNameSource::dhcp, "Apple, Inc."});
    n = namer.name(mac("3c:22:fb:00:00:05"), std::vector{ip("10.0.0.15")});  // a lease without a name
    CHECK(n == DeviceName{"Apple, Inc.", DeviceNameSource::oui, "Apple, Inc."});
    n = namer.name(mac("00:11:22:33:44:55"), none);  // no vendor known
    CHECK(n == DeviceName{});
    // A device known by its address only.
    n = namer.name(std::nullopt, std::vector{ip("10.0.0.14")});
    CHECK(n == DeviceName{"by-address", DeviceNameSource::dhcp, std::nullopt});
    CHECK(namer.configured_addresses() == std::vector{ip("10.0.0.12")});
    CHECK(device_name_source_name(DeviceNameSource::oui) == "oui");
}

TEST_CASE("device names: a random MAC has no vendor and no oui name, but a lease names it", "[names]") {
    const OuiRegistry oui = registry();
    DeviceNamer namer(Names{}, &oui);
    CHECK(namer.name(mac("3e:22:fb:00:00:01"), std::vector<IpAddress>{}) == DeviceName{});
    const std::vector<Lease> leases = {{ip("10.0.0.20"), mac("3e:22:fb:00:00:01"), "randomised"}};
    namer.set_leases(leases);
    CHECK(namer.name(mac("3e:22:fb:00:00:01"), std::vector<IpAddress>{}) ==
          DeviceName{"randomised", DeviceNameSource::dhcp, std::nullopt});
    // No registry at all: no vendors.
    DeviceNamer bare(Names{}, nullptr);
    CHECK(bare.name(mac("3c:22:fb:00:00:01"), std::vector<IpAddress>{}) == DeviceName{});
}

TEST_CASE("device names: of leases repeating a MAC, the first with a hostname counts", "[names]") {
    DeviceNamer namer(Names{}, nullptr);
    const std::vector<Lease> leases = {
        {ip("10.0.0.30"), mac("3c:22:fb:00:00:30"), ""},
        {ip("fd00::30"), mac("3c:22:fb:00:00:30"), "first"},
        {ip("10.0.0.31"), mac("3c:22:fb:00:00:30"), "second"},
    };
    namer.set_leases(leases);
    CHECK(namer.name(mac("3c:22:fb:00:00:30"), std::vector<IpAddress>{}).name == "first");
}
