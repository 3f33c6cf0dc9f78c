-- netmon's database, version 2 (issue 10): counters that stop at 2^63 - 1 instead of
-- overflowing. 001_initial.sql says what each table
-- and column is; what changes is said here.
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
    sampled_downlink_bytes INTEGER NOT NULL DEFAULT 0
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

CREATE UNIQUE INDEX connections_by_key ON connections (proto, src_ip, src_port, dst_ip, dst_port);
-- The dashboard's order.
CREATE INDEX connections_by_total_bytes ON connections (total_bytes DESC, id);

-- Sums that overflowed into REALs before this version: the largest integer instead.
UPDATE remote_hosts SET uplink_bytes = CASE WHEN uplink_bytes >= 9223372036854775807 THEN 9223372036854775807
                                            WHEN uplink_bytes < 0 THEN 0 ELSE CAST(uplink_bytes AS INTEGER) END
    WHERE typeof(uplink_bytes) <> 'integer';
UPDATE remote_hosts SET downlink_bytes = CASE WHEN downlink_bytes >= 9223372036854775807 THEN 9223372036854775807
                                              WHEN downlink_bytes < 0 THEN 0 ELSE CAST(downlink_bytes AS INTEGER) END
    WHERE typeof(downlink_bytes) <> 'integer';
