-- netmon's database, version 2 (issue 10): counters that stop at 2^63 - 1 instead of
-- overflowing, and an index for every query that scanned. 001_initial.sql says what each
-- table and column is; what changes is said here.
--
-- Counters: the kernel's are 64-bit unsigned, SQLite's integers signed; netmon stores a counter
-- beyond 2^63 - 1 as 2^63 - 1, and every sum the database makes saturates there too (SQLite's
-- own + turns an overflowing sum into a REAL, and sum() fails with "integer overflow").

-- connections, rebuilt: ALTER TABLE cannot change a generated column.
-- Rows keep their ids (connection_samples and counter_offsets refer to them).
CREATE TABLE connections_v2 (
    id               INTEGER PRIMARY KEY,
    proto            TEXT    NOT NULL,
    family           INTEGER NOT NULL,
    src_ip           TEXT    NOT NULL,
    src_port         INTEGER NOT NULL,
    dst_ip           TEXT    NOT NULL,
    dst_port         INTEGER NOT NULL,
    state            TEXT,
    flags            TEXT    NOT NULL DEFAULT '',
    uplink_packets   INTEGER NOT NULL DEFAULT 0,
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    -- Saturating: counters are never negative, so the test cannot overflow.
    total_bytes      INTEGER GENERATED ALWAYS AS (
                         CASE WHEN uplink_bytes > 9223372036854775807 - downlink_bytes THEN 9223372036854775807
                              ELSE uplink_bytes + downlink_bytes END) STORED,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    uplink_rate      REAL    NOT NULL DEFAULT 0,
    downlink_rate    REAL    NOT NULL DEFAULT 0,
    sampled_at       INTEGER NOT NULL,
    sampled_uplink_bytes   INTEGER NOT NULL DEFAULT 0,
    sampled_downlink_bytes INTEGER NOT NULL DEFAULT 0,
    -- What /connections.json?q= looks in, "192.0.2.10 443 10.0.0.11 35410": computed, kept only
    -- in connections_by_search. The spaces keep a match inside one field (q has none: hex
    -- digits, '.' and ':').
    search           TEXT    GENERATED ALWAYS AS (dst_ip || ' ' || dst_port || ' ' || src_ip || ' ' || src_port) VIRTUAL
);
INSERT INTO connections_v2 (id, proto, family, src_ip, src_port, dst_ip, dst_port, state, flags, uplink_packets,
                            uplink_bytes, downlink_packets, downlink_bytes, first_seen_at, last_seen_at, uplink_rate,
                            downlink_rate, sampled_at, sampled_uplink_bytes, sampled_downlink_bytes)
    SELECT id, proto, family, src_ip, src_port, dst_ip, dst_port, state, flags, uplink_packets, uplink_bytes,
           downlink_packets, downlink_bytes, first_seen_at, last_seen_at, uplink_rate, downlink_rate, sampled_at,
           sampled_uplink_bytes, sampled_downlink_bytes
    FROM connections;
DROP TABLE connections;
ALTER TABLE connections_v2 RENAME TO connections;

-- The key, remote host first: it also finds a remote host's connections (/hosts.json, the
-- summary's distinct hosts, the retention's "active connection"), without an index of its own.
-- The ingest inserts new rows in this order (collector/reconciler.cpp).
CREATE UNIQUE INDEX connections_by_key ON connections (dst_ip, dst_port, proto, src_ip, src_port);
-- The dashboard's order. Only that: a counter update rewrites its entry, so it stays small.
CREATE INDEX connections_by_total_bytes ON connections (total_bytes DESC, id);
-- ?q= read this one from end to end until version 3 (003_connection_search.sql) replaced it: a
-- row's search text never changes, so counter updates never touch it.
CREATE INDEX connections_by_search ON connections (search);

-- Sums that overflowed into REALs before this version: the largest integer instead.
UPDATE remote_hosts SET uplink_bytes = CASE WHEN uplink_bytes >= 9223372036854775807 THEN 9223372036854775807
                                            WHEN uplink_bytes < 0 THEN 0 ELSE CAST(uplink_bytes AS INTEGER) END
    WHERE typeof(uplink_bytes) <> 'integer';
UPDATE remote_hosts SET downlink_bytes = CASE WHEN downlink_bytes >= 9223372036854775807 THEN 9223372036854775807
                                              WHEN downlink_bytes < 0 THEN 0 ELSE CAST(downlink_bytes AS INTEGER) END
    WHERE typeof(downlink_bytes) <> 'integer';

-- /hosts.json and the summary (newest first, new ones in the last 60 s); first_seen_at never
-- changes once written.
CREATE INDEX remote_hosts_by_first_seen ON remote_hosts (first_seen_at);
-- The retention's order: the longest without contact go first (see collector/store.h).
CREATE INDEX remote_hosts_by_last_seen ON remote_hosts (last_seen_at);
