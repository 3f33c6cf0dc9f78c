// The IEEE registry from Debian's ieee-data files: the longest prefix wins, random MACs have
// no vendor, a missing file is a warning.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "db_support.h"
#include "names/oui_registry.h"

using namespace netmon;
using namespace netmon::test;

namespace {

MacAddress mac(const char* text) { return *MacAddress::parse(text); }

// As oui.txt and mam.txt / oui36.txt write them (CRLF line ends included).
const char* const oui_text =
    "OUI/MA-L                                                    Organization\r\n"
    "company_id                                                  Organization\r\n"
    "\r\n"
    "00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp.\r\n"
    "002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.\r\n"
    "\t\t\t\t2181 Buchanan Loop\r\n"
    "\r\n"
    "70-B3-D5   (hex)\t\tIEEE Registration Authority\r\n"
    "70B3D5     (base 16)\t\tIEEE Registration Authority\r\n"
    "\r\n"
    "3C-22-FB   (hex)\t\tApple, Inc.\r\n"
    "3C22FB     (base 16)\t\tApple, Inc.\r\n"
    "ZZ-22-FB   (hex)\t\tBroken\r\n";
const char* const mam_text =
    "70-B3-D5   (hex)\t\tMedium Block Ltd\r\n"
    "900000-9FFFFF     (base 16)\t\tMedium Block Ltd\r\n";
const char* const oui36_text =
    "70-B3-D5   (hex)\t\tSmall Block GmbH\r\n"
    "F2F000-F2FFFF     (base 16)\t\tSmall Block GmbH\r\n";

}  // namespace

TEST_CASE("the OUI registry: 24-, 28- and 36-bit prefixes, the longest winning", "[oui]") {
    OuiRegistry registry;
    CHECK(registry.add_text(oui_text) == 3);
    CHECK(registry.add_text(mam_text) == 1);
    CHECK(registry.add_text(oui36_text) == 1);
    registry.finish();
    CHECK(registry.size() == 5);
    CHECK(registry.vendor(mac("00:22:72:01:02:03")) == "American Micro-Fuel Device Corp.");
    CHECK(registry.vendor(mac("3c:22:fb:00:00:01")) == "Apple, Inc.");
    CHECK(registry.vendor(mac("70:b3:d5:f2:f1:23")) == "Small Block GmbH");
    CHECK(registry.vendor(mac("70:b3:d5:9a:bc:de")) == "Medium Block Ltd");
    CHECK(registry.vendor(mac("70:b3:d5:12:34:56")) == "IEEE Registration Authority");
    CHECK_FALSE(registry.vendor(mac("00:22:73:00:00:00")));
    // Locally administered: random, registered to nobody, even when the rest matches.
    CHECK_FALSE(registry.vendor(mac("3e:22:fb:00:00:01")));
}

TEST_CASE("the OUI registry from files: the MA-M file beside oui.txt, a missing file warned about", "[oui]") {
    TempDir dir;
    std::ofstream(dir.file("oui.txt")) << oui_text;
    std::ofstream(dir.file("mam.txt")) << mam_text;
    std::string warning;
    OuiRegistry registry = OuiRegistry::load(dir.file("oui.txt"), warning);
    CHECK(warning.empty());
    CHECK(registry.size() == 4);
    CHECK(registry.vendor(mac("70:b3:d5:9a:bc:de")) == "Medium Block Ltd");
    registry = OuiRegistry::load(dir.file("missing.txt"), warning);
    CHECK(registry.size() == 0);
    CHECK(warning.find("missing.txt cannot be read") != std::string::npos);
    registry = OuiRegistry::load("", warning);
    CHECK(warning.empty());
    CHECK_FALSE(registry.vendor(mac("00:22:72:01:02:03")));
}

TEST_CASE("the OUI registry from Debian's ieee-data: its size, memory and load time", "[oui]") {
    const std::string path = "/usr/share/ieee-data/oui.txt";
    if (!std::filesystem::exists(path)) {
        WARN("skipped: " << path << " is not installed (apt install ieee-data)");
        return;
    }
    std::string warning;
    const auto started = std::chrono::steady_clock::now();
    const std::clock_t cpu_started = std::clock();
    OuiRegistry registry = OuiRegistry::load(path, warning);
    const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_started) / CLOCKS_PER_SEC;
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    CHECK(warning.empty());
    CHECK(registry.size() > 30000);
    WARN("ieee-data: " << registry.size() << " prefixes, " << registry.memory_bytes() / 1024 << " KiB, loaded in "
                       << ms << " ms (" << cpu_ms << " ms of CPU)");
    CHECK(registry.memory_bytes() < 4u << 20);
    // 00:00:0C is Cisco's, one of the first OUIs.
    auto vendor = registry.vendor(mac("00:00:0c:12:34:56"));
    REQUIRE(vendor);
    CHECK(vendor->find("Cisco") != std::string_view::npos);
}
