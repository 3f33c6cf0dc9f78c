-- netmon's database, version 7 (issue 14): how much of the WAN's traffic netmon accounts for.
-- Written by the ingest only.
--
-- The WAN interface's own counters (interfaces.wan, /sys/class/net/<wan>/statistics), per
-- minute, hour and day, as the LAN's traffic rows are (traffic with device and host X''), and
-- kept as long as they are (retention.traffic_per_*): their ratio is the coverage. Each
-- reading's bytes go into the bucket of the full cycle that read them, as the flows' deltas of
-- that cycle do. Bytes are the IP packets' (the interface's bytes less its link-layer header,
-- 14 bytes a packet on Ethernet), as conntrack counts them: uplink is what the WAN sent (tx),
-- downlink what it received (rx).
CREATE TABLE wan_traffic (
    step             INTEGER NOT NULL,  -- seconds: 60, 3600 or 86400
    bucket           INTEGER NOT NULL,  -- ms, a multiple of step * 1000
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    uplink_packets   INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (step, bucket)
) WITHOUT ROWID;
