-- netmon's database, version 4 (issue 12): history. What each LAN device talked to, how much and
-- when, after its connections are gone: every ended flow (flow_log), the traffic of every
-- (LAN device, remote host) per minute, hour and day (traffic), and each device and each
-- (device, remote host) pair with its first and last contact and totals (devices,
-- device_hosts). Written by the ingest (collector/traffic_ledger.h decides the rows), pruned by
-- it in small steps (retention.* of netmon.yml, collector/retention.h).
--
-- Addresses here are BLOBs, not text: 4 bytes for IPv4, 16 for IPv6, network order (the
-- bytes of netmon::IpAddress), so that the largest tables stay small (a synthetic month of a
-- busy home holds millions of these rows). Times are ms since the epoch, UTC, as everywhere.

-- Every LAN device an outbound flow came from: the one row a device has for ever (until the
-- retention of traffic_per_day_days forgets a device without contact, and without connections).
CREATE TABLE devices (
    address            BLOB    PRIMARY KEY,
    first_seen_at      INTEGER NOT NULL,          -- never moves
    last_seen_at       INTEGER NOT NULL,          -- its last traffic
    connections_seen   INTEGER NOT NULL DEFAULT 0,-- flows it began, ended ones included
    uplink_bytes       INTEGER NOT NULL DEFAULT 0,-- sent by it, all flows, since first_seen_at
    downlink_bytes     INTEGER NOT NULL DEFAULT 0,
    uplink_packets     INTEGER NOT NULL DEFAULT 0,
    downlink_packets   INTEGER NOT NULL DEFAULT 0,
    active_connections INTEGER NOT NULL DEFAULT 0 -- its rows in connections, kept by the ingest
) WITHOUT ROWID;

-- Every remote host each device talked to: "who has ever talked to 203.0.113.7, and when?"
-- Forgotten after traffic_per_hour_days without contact.
CREATE TABLE device_hosts (
    device           BLOB    NOT NULL,
    host             BLOB    NOT NULL,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    connections_seen INTEGER NOT NULL DEFAULT 0,
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    uplink_packets   INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device, host)
) WITHOUT ROWID;
CREATE INDEX device_hosts_by_host ON device_hosts (host);
-- A device's remote hosts in a window (/devices.json), and the retention's order.
CREATE INDEX device_hosts_by_last_seen ON device_hosts (device, last_seen_at);

-- Bytes, packets and new flows per bucket, at three levels in one table:
--   device and host        one (LAN device, remote host) pair;
--   device, host = X''     all of one device's traffic;
--   device = X'', host = X'' the whole LAN.
-- step is the bucket's length in seconds (60, 3600, 86400, as /history.json's step), bucket its
-- start (ms, a multiple of step * 1000: UTC minutes, hours and days). Every byte a flow's
-- counters add is counted in the bucket of the cycle (or event) that read it, once, at every
-- level and step, so a long download shows in every minute it ran.
-- Keyed by device first: a flush writes each device's current bucket, a few pages at the end
-- of each device's range, not pages all over the table.
CREATE TABLE traffic (
    device           BLOB    NOT NULL,
    step             INTEGER NOT NULL,
    bucket           INTEGER NOT NULL,
    host             BLOB    NOT NULL,
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    uplink_packets   INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    flows            INTEGER NOT NULL DEFAULT 0,  -- flows that began in the bucket
    PRIMARY KEY (device, step, bucket, host)
) WITHOUT ROWID;
-- One remote host's traffic from every device (/history.json?host=, the host page).
CREATE INDEX traffic_by_host ON traffic (host, step, bucket) WHERE host <> X'';

-- Every outbound flow that ended, once: a DESTROY with its final counters, or a full read that
-- no longer listed it (its counters are then the last ones read). Newest last (id order is the
-- order they were written in).
CREATE TABLE flow_log (
    id               INTEGER PRIMARY KEY,
    ended_at         INTEGER NOT NULL,
    device           BLOB    NOT NULL,          -- the original source
    host             BLOB    NOT NULL,          -- the original destination
    proto            INTEGER NOT NULL,          -- the IP protocol number (6 tcp, 17 udp, ...)
    src_port         INTEGER NOT NULL,          -- ports as in connections (ICMP: id, type << 8 | code)
    dst_port         INTEGER NOT NULL,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,          -- its last change of counters or state
    state            TEXT,                      -- its last state; NULL for protocols without states
    flags            INTEGER NOT NULL DEFAULT 0,-- the bits of netmon::Flag (common/include/netmon/entry.h)
    uplink_packets   INTEGER NOT NULL DEFAULT 0,-- its final totals
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    ended_by         INTEGER NOT NULL           -- 1: the kernel's DESTROY, 2: gone from a full read
);
CREATE INDEX flow_log_by_end ON flow_log (ended_at);
CREATE INDEX flow_log_by_device ON flow_log (device, ended_at);
CREATE INDEX flow_log_by_host ON flow_log (host, ended_at);
