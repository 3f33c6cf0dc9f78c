#pragma once
// DHCP servers' lease files as (address, MAC, hostname): dnsmasq's, ISC dhcpd's dhcpd.leases,
// Kea's memfile CSV and odhcpd's state file (OpenWrt). Pure: text in, leases out. A line (or an
// ISC block) that does not parse is skipped and counted, never thrown about.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netmon/address.h"
#include "netmon/config.h"
#include "netmon/mac.h"

namespace netmon {

struct Lease {
    IpAddress address;
    std::optional<MacAddress> mac;  // none: a DHCPv6 lease whose DUID carries no MAC
    std::string hostname;           // cleaned (clean_name); empty: none
    friend bool operator==(const Lease&, const Lease&) = default;
};

struct LeaseFileContents {
    LeaseFormat format = LeaseFormat::detect;  // the format read (detect: none could be told)
    std::vector<Lease> leases;                 // one per address: the last the file gives
    std::uint64_t skipped = 0;                 // lines (ISC: lease blocks) that did not parse
};

// The format text is written in, from its first lines; detect when empty or unknown.
LeaseFormat detect_lease_format(std::string_view text);

// The active leases of text in format (detect: detect_lease_format first). Leases that are
// free, expired, released or declined are left out; for an address given more than once, the
// last one counts (ISC and Kea append).
LeaseFileContents parse_leases(std::string_view text, LeaseFormat format);

// A name from outside (a lease's hostname) as netmon stores it: invalid UTF-8 and control
// characters dropped, spaces at either end trimmed, at most max_bytes (cut at a character's
// boundary). "*" and "-" (the servers' "no name") give "".
std::string clean_name(std::string_view raw, std::size_t max_bytes = max_name_length);

// The MAC inside a DHCPv6 DUID given as hex ("00010001..." or "00:01:00:01:..."): DUID-LLT
// (type 1) and DUID-LL (type 3) of Ethernet (hardware type 1) carry one; others do not.
std::optional<MacAddress> mac_from_duid(std::string_view hex);

}  // namespace netmon
