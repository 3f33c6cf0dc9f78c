-- netmon's database, version 1. netmon-ingest is the only writer; netmon-web reads it.
--
-- Times are INTEGER milliseconds since 1970-01-01T00:00:00Z (UTC, Unix time), everywhere.
-- Counters are cumulative totals netmon has seen for the flow; they stay right across a reset
-- of the kernel's counters (e.g. `conntrack -L -z`), see collector/reconciler.h.

-- Every remote host an outbound flow ever went to: "never seen before" is first_seen_at.
CREATE TABLE remote_hosts (
    id               INTEGER PRIMARY KEY,
    ip               TEXT    NOT NULL UNIQUE,   -- canonical text: 192.0.2.1, 2001:db8::1
    family           INTEGER NOT NULL,          -- 4 or 6
    first_seen_at    INTEGER NOT NULL,          -- never moves
    last_seen_at     INTEGER NOT NULL,          -- the last activity of any flow to it
    connections_seen INTEGER NOT NULL DEFAULT 0,-- flows to it, ended ones included
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,-- sent to it, ended flows included
    downlink_bytes   INTEGER NOT NULL DEFAULT 0
);

-- The outbound flows alive in the kernel's table at the last ingest cycle (meta.last_cycle_at).
-- Ports follow the key's rules: ICMP has its echo id in src_port and type << 8 | code in
-- dst_port, GRE its keys; other protocols without ports have 0.
CREATE TABLE connections (
    id               INTEGER PRIMARY KEY,
    proto            TEXT    NOT NULL,          -- conntrack's name ("tcp") or the number ("253")
    family           INTEGER NOT NULL,
    src_ip           TEXT    NOT NULL,          -- the LAN device
    src_port         INTEGER NOT NULL,
    dst_ip           TEXT    NOT NULL,          -- the remote host
    dst_port         INTEGER NOT NULL,
    state            TEXT,                      -- NULL for protocols without states
    flags            TEXT    NOT NULL DEFAULT '', -- "ASSURED", "UNREPLIED", space-separated
    uplink_packets   INTEGER NOT NULL DEFAULT 0,  -- original direction: LAN to remote
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,  -- reply direction
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    total_bytes      INTEGER GENERATED ALWAYS AS (uplink_bytes + downlink_bytes) STORED,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,          -- the last cycle its counters or state changed
    -- Bytes per second over the last sample period (10 s), and the totals at its start.
    uplink_rate      REAL    NOT NULL DEFAULT 0,
    downlink_rate    REAL    NOT NULL DEFAULT 0,
    sampled_at       INTEGER NOT NULL,
    sampled_uplink_bytes   INTEGER NOT NULL DEFAULT 0,
    sampled_downlink_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX connections_by_key ON connections (proto, src_ip, src_port, dst_ip, dst_port);
-- The dashboard's order.
CREATE INDEX connections_by_total_bytes ON connections (total_bytes DESC, id);

-- A short history of each connection's byte totals, for rates over time: every sample period
-- (10 s) a row for each connection whose counters moved since the last one; rows older than
-- 10 minutes are pruned. Keyed by time first, so that writing appends and pruning cuts a range.
CREATE TABLE connection_samples (
    sampled_at       INTEGER NOT NULL,
    connection_id    INTEGER NOT NULL,
    uplink_bytes     INTEGER NOT NULL,
    downlink_bytes   INTEGER NOT NULL,
    PRIMARY KEY (sampled_at, connection_id)
) WITHOUT ROWID;

-- For the rare connection whose kernel counters were reset: what had been counted before, so
-- that the kernel's counters are connections' totals minus this, also after a restart.
CREATE TABLE counter_offsets (
    connection_id    INTEGER PRIMARY KEY,
    uplink_packets   INTEGER NOT NULL,
    uplink_bytes     INTEGER NOT NULL,
    downlink_packets INTEGER NOT NULL,
    downlink_bytes   INTEGER NOT NULL
);

-- What the ingest says about itself, for the dashboard and /healthz: see
-- common/include/netmon/meta_keys.h for the keys.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value                   -- no type: integers stay integers, text stays text
) WITHOUT ROWID;
