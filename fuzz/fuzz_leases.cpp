// libFuzzer harness: DHCP lease files (collector/names/dhcp_leases.h parse_leases), in every format
// and detected. The input is the file's text. A lease file is written by a DHCP server from
// what clients send (their hostnames), so it is input from the LAN.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "names/dhcp_leases.h"
#include "fuzz_check.h"
#include "netmon/utf8.h"

using netmon::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (netmon::LeaseFormat format : {netmon::LeaseFormat::detect, netmon::LeaseFormat::dnsmasq,
                                       netmon::LeaseFormat::isc, netmon::LeaseFormat::kea,
                                       netmon::LeaseFormat::odhcpd}) {
        // Nothing may escape: parse_leases never throws on content.
        const netmon::LeaseFileContents contents = netmon::parse_leases(text, format);
        check(contents.leases.size() <= size, "no more leases than bytes");
        for (const netmon::Lease& lease : contents.leases) {
            check(lease.hostname.size() <= netmon::max_name_length, "a hostname is at most 64 bytes");
            check(netmon::is_printable_utf8(lease.hostname, false), "a hostname is printable UTF-8");
        }
    }
    const std::string name = netmon::clean_name(text);
    check(name.size() <= netmon::max_name_length && netmon::is_printable_utf8(name, false), "clean_name cleans");
    return 0;
}
