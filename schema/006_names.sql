-- netmon's database, version 6 (issue 13): names. Which device (by MAC, not by address) talks
-- to which site (by the name it asked the DNS for, not by IP). Written by the ingest only;
-- netmon-web joins these to the flows and the history it shows.
--
-- Addresses are BLOBs as in 004_history.sql (4 or 16 bytes), MACs 6 bytes. Times are ms.

-- Each LAN address's MAC, from the kernel's neighbour table (or a DHCP lease, in replay): a
-- device is its MAC, with all of its addresses (its IPv4 one and its rotating IPv6 privacy
-- ones). An address whose MAC was never learnt has no row, and is a device of its own.
CREATE TABLE lan_addresses (
    address       BLOB    PRIMARY KEY,
    mac           BLOB    NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL            -- the last read that listed it
) WITHOUT ROWID;
CREATE INDEX lan_addresses_by_mac ON lan_addresses (mac);

-- Each device's name, as the ingest decides it, first match wins (collector/device_namer.h):
-- names.devices of netmon.yml, then the DHCP lease's hostname, then the vendor of the MAC's
-- OUI. device is a MAC (6 bytes), or an address (4 or 16) for a device without a known MAC.
CREATE TABLE device_names (
    device     BLOB    PRIMARY KEY,
    name       TEXT,                            -- null: none
    source     TEXT    CHECK (source IN ('config', 'dhcp', 'oui')),  -- null with name
    vendor     TEXT,                            -- the OUI's registrant; null: unknown or random MAC
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The name each LAN device asked for when the DNS answered with a remote address (CNAMEs
-- followed back to the question): "10.0.0.11 resolved video.example.net to 192.0.2.10". The
-- latest answer per pair. A flow or a pair whose contact began after expires_at (the answer's
-- TTL plus names.dns.grace) is not named by it.
CREATE TABLE remote_names (
    device      BLOB    NOT NULL,               -- the LAN address the answer went to
    host        BLOB    NOT NULL,               -- an address in the answer
    name        TEXT    NOT NULL,
    answered_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (device, host)
) WITHOUT ROWID;
CREATE INDEX remote_names_by_answered_at ON remote_names (answered_at);

-- Each remote host's latest name from any device's DNS answer: for /hosts.json, the host pages,
-- and flows whose own device did not ask (it used DoH, or a hardcoded address). Reverse (PTR)
-- names are not kept here: netmon-web looks them up and caches them itself (webui/reverse_dns.h),
-- since the ingest has no IP socket.
CREATE TABLE host_names (
    host        BLOB    PRIMARY KEY,
    name        TEXT    NOT NULL,
    resolved_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX host_names_by_resolved_at ON host_names (resolved_at);
