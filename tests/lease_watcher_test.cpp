// The lease files watched with a real inotify: a file that appears later, one replaced by a
// rename, one rewritten in place, one too large.
#include <catch2/catch.hpp>

#include <poll.h>

#include <filesystem>
#include <fstream>

#include "db_support.h"
#include "names/lease_watcher.h"

using namespace netmon;
using namespace netmon::test;
namespace fs = std::filesystem;

namespace {

// Waits up to a second for the watcher's descriptor, then reads its events.
bool wait_for_events(LeaseWatcher& watcher) {
    pollfd poller{watcher.fd(), POLLIN, 0};
    const bool ready = ::poll(&poller, 1, 1000) > 0;
    watcher.handle_events();
    return ready;
}

std::string hostnames(const LeaseWatcher& watcher) {
    std::string out;
    for (const Lease& lease : watcher.leases()) out += (out.empty() ? "" : ",") + lease.hostname;
    return out;
}

}  // namespace

TEST_CASE("lease watcher: a file created later, replaced by a rename, rewritten in place", "[leases]") {
    TempDir dir;
    const std::string path = dir.file("dnsmasq.leases");
    LeaseWatcher watcher({{path, LeaseFormat::dnsmasq}}, true);
    std::vector<std::string> warnings;
    CHECK_FALSE(watcher.refresh(warnings));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("is not there (yet)") != std::string::npos);
    CHECK_FALSE(watcher.refresh(warnings));  // nothing changed: not read again
    CHECK(warnings.size() == 1);

    std::ofstream(path) << "1764700000 3c:22:fb:00:00:01 10.0.0.11 first *\nbad line\n";
    CHECK(wait_for_events(watcher));
    CHECK(watcher.refresh(warnings));
    CHECK(hostnames(watcher) == "first");
    CHECK(watcher.take_skipped() == 1);
    CHECK(watcher.take_skipped() == 0);

    // dnsmasq's way: a new file renamed over the old one.
    std::ofstream(dir.file("tmp")) << "1764700000 3c:22:fb:00:00:01 10.0.0.11 second *\n";
    fs::rename(dir.file("tmp"), path);
    CHECK(wait_for_events(watcher));
    CHECK(watcher.refresh(warnings));
    CHECK(hostnames(watcher) == "second");

    // Rewritten in place; another file of the directory changing is not a reason to read.
    std::ofstream(path, std::ios::trunc) << "1764700000 3c:22:fb:00:00:01 10.0.0.11 third *\n";
    CHECK(wait_for_events(watcher));
    CHECK(watcher.refresh(warnings));
    CHECK(hostnames(watcher) == "third");
    std::ofstream(dir.file("other")) << "x\n";
    wait_for_events(watcher);
    CHECK_FALSE(watcher.refresh(warnings));

    // Removed: its leases go.
    fs::remove(path);
    CHECK(wait_for_events(watcher));
    CHECK(watcher.refresh(warnings));
    CHECK(watcher.leases().empty());
}

TEST_CASE("lease watcher: a file over 16 MiB is refused with a warning, an appended line waits for its end", "[leases]") {
    TempDir dir;
    const std::string big = dir.file("big.leases");
    const std::string kea = dir.file("kea-leases4.csv");
    {
        std::ofstream out(big);
        const std::string line = "1764700000 3c:22:fb:00:00:01 10.0.0.11 name *\n";
        for (std::uint64_t written = 0; written <= LeaseWatcher::max_file_bytes; written += line.size()) out << line;
    }
    std::ofstream(kea) << "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n"
                          "10.0.0.31,3c:22:fb:00:00:31,,4000,1764704000,1,0,0,printer,0\n"
                          "10.0.0.32,3c:22:fb:00:00:32,,4000,17647";
    LeaseWatcher watcher({{big, LeaseFormat::detect}, {kea, LeaseFormat::detect}}, true);
    std::vector<std::string> warnings;
    CHECK(watcher.refresh(warnings));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("larger than 16 MiB") != std::string::npos);
    CHECK(hostnames(watcher) == "printer");
    CHECK(watcher.take_skipped() == 0);  // the cut line was not read
    std::ofstream(kea, std::ios::app) << "04000,1,0,0,tv,0\n";
    CHECK(wait_for_events(watcher));
    CHECK(watcher.refresh(warnings));
    CHECK(hostnames(watcher) == "printer,tv");
}

TEST_CASE("lease watcher: default files that are not there are not watched nor warned about", "[leases]") {
    TempDir dir;
    LeaseWatcher watcher({{dir.file("missing/none.leases"), LeaseFormat::dnsmasq}}, false);
    std::vector<std::string> warnings;
    watcher.refresh(warnings);
    CHECK(warnings.empty());
    CHECK(watcher.leases().empty());
    // A reload to a file that is there: read at once, on the same descriptor.
    const int fd = watcher.fd();
    std::ofstream(dir.file("now.leases")) << "1764700000 3c:22:fb:00:00:01 10.0.0.11 now *\n";
    watcher.set_files({{dir.file("now.leases"), LeaseFormat::detect}}, true);
    CHECK(watcher.fd() == fd);
    CHECK(watcher.refresh(warnings));
    CHECK(hostnames(watcher) == "now");
}

TEST_CASE("lease watcher: a directory that appears later is watched then", "[leases]") {
    TempDir dir;
    const std::string path = dir.file("later/dhcp.leases");
    LeaseWatcher watcher({{path, LeaseFormat::dnsmasq}}, true);
    std::vector<std::string> warnings;
    watcher.refresh(warnings);
    fs::create_directory(dir.file("later"));
    std::ofstream(path) << "1764700000 3c:22:fb:00:00:01 10.0.0.11 late *\n";
    CHECK(watcher.refresh(warnings));  // the watch is added and the file read at the next cycle
    CHECK(hostnames(watcher) == "late");
}
