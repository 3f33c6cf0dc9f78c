-- netmon's database, version 5: history in the size a router can carry (issue 12). Version 4
-- kept a (device, remote host) pair's traffic in the same table, with the same retention, as
-- each device's and the LAN's; the pair rows are nearly all of the rows (a busy home has about
-- 190,000 pairs a day against 50 devices), so a month of one took 2 GB. Now:
--   traffic       each device's and the whole LAN's traffic (a device's series is one range of
--                 the key), kept long: retention.traffic_per_*;
--   host_traffic  each pair's, kept shorter and capped: retention.host_traffic_*;
--   device_host_days  how many remote hosts each device last talked to on each day, kept by
--                 triggers on device_hosts, so that /devices.json counts a device's remote hosts
--                 in a window from a few rows, not from every pair's index entry.
-- The index of pair rows by host is gone (a third of the file): a host's traffic is looked up
-- from its devices (device_hosts_by_host), a handful of pairs.

CREATE TABLE host_traffic (
    device           BLOB    NOT NULL,          -- the LAN device
    step             INTEGER NOT NULL,          -- 60, 3600, 86400, as in traffic
    bucket           INTEGER NOT NULL,
    host             BLOB    NOT NULL,          -- the remote host
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    uplink_packets   INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    flows            INTEGER NOT NULL DEFAULT 0,
    -- Device first, as traffic: a flush writes at the end of each device's range.
    PRIMARY KEY (device, step, bucket, host)
) WITHOUT ROWID;
INSERT INTO host_traffic
    SELECT device, step, bucket, host, uplink_bytes, downlink_bytes, uplink_packets, downlink_packets, flows
    FROM traffic WHERE host <> X'';

-- The rows host_traffic has at each step, kept by its triggers, for retention.host_traffic_max_rows
-- (a count(*) of millions of rows at every pruning would cost more than the pruning).
CREATE TABLE host_traffic_rows (
    step INTEGER PRIMARY KEY,
    rows INTEGER NOT NULL
);
INSERT INTO host_traffic_rows (step, rows)
    SELECT s.step, (SELECT count(*) FROM host_traffic AS t WHERE t.step = s.step)
    FROM (SELECT 60 AS step UNION ALL SELECT 3600 UNION ALL SELECT 86400) AS s;
CREATE TRIGGER host_traffic_added AFTER INSERT ON host_traffic BEGIN
    UPDATE host_traffic_rows SET rows = rows + 1 WHERE step = new.step;
END;
CREATE TRIGGER host_traffic_removed AFTER DELETE ON host_traffic BEGIN
    UPDATE host_traffic_rows SET rows = rows - 1 WHERE step = old.step;
END;

-- traffic keeps the device rows (host = X'') and the LAN's (device = host = X''), without the
-- host column.
CREATE TABLE device_traffic (
    device           BLOB    NOT NULL,          -- X'' for the whole LAN
    step             INTEGER NOT NULL,
    bucket           INTEGER NOT NULL,
    uplink_bytes     INTEGER NOT NULL DEFAULT 0,
    downlink_bytes   INTEGER NOT NULL DEFAULT 0,
    uplink_packets   INTEGER NOT NULL DEFAULT 0,
    downlink_packets INTEGER NOT NULL DEFAULT 0,
    flows            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device, step, bucket)
) WITHOUT ROWID;
INSERT INTO device_traffic
    SELECT device, step, bucket, uplink_bytes, downlink_bytes, uplink_packets, downlink_packets, flows
    FROM traffic WHERE host = X'';
DROP TABLE traffic;
ALTER TABLE device_traffic RENAME TO traffic;

-- For each device and UTC day (its start, ms), the device_hosts rows of the device whose last
-- contact is in that day. The remote hosts a device talked to since T are then the hosts of the
-- days after T's and those of T's own day with last contact from T on (an index range of less
-- than a day). The day of a time is floored, also before 1970: t - ((t % d) + d) % d.
CREATE TABLE device_host_days (
    device BLOB    NOT NULL,
    day    INTEGER NOT NULL,
    hosts  INTEGER NOT NULL,
    PRIMARY KEY (device, day)
) WITHOUT ROWID;
INSERT INTO device_host_days (device, day, hosts)
    SELECT device, last_seen_at - ((last_seen_at % 86400000) + 86400000) % 86400000 AS day, count(*)
    FROM device_hosts GROUP BY device, day;
CREATE TRIGGER device_host_added AFTER INSERT ON device_hosts BEGIN
    INSERT INTO device_host_days (device, day, hosts)
        VALUES (new.device, new.last_seen_at - ((new.last_seen_at % 86400000) + 86400000) % 86400000, 1)
        ON CONFLICT (device, day) DO UPDATE SET hosts = hosts + 1;
END;
CREATE TRIGGER device_host_moved AFTER UPDATE OF last_seen_at ON device_hosts
    WHEN old.last_seen_at - ((old.last_seen_at % 86400000) + 86400000) % 86400000 <>
         new.last_seen_at - ((new.last_seen_at % 86400000) + 86400000) % 86400000 BEGIN
    UPDATE device_host_days SET hosts = hosts - 1
        WHERE device = old.device AND day = old.last_seen_at - ((old.last_seen_at % 86400000) + 86400000) % 86400000;
    DELETE FROM device_host_days
        WHERE device = old.device AND day = old.last_seen_at - ((old.last_seen_at % 86400000) + 86400000) % 86400000
        AND hosts <= 0;
    INSERT INTO device_host_days (device, day, hosts)
        VALUES (new.device, new.last_seen_at - ((new.last_seen_at % 86400000) + 86400000) % 86400000, 1)
        ON CONFLICT (device, day) DO UPDATE SET hosts = hosts + 1;
END;
CREATE TRIGGER device_host_removed AFTER DELETE ON device_hosts BEGIN
    UPDATE device_host_days SET hosts = hosts - 1
        WHERE device = old.device AND day = old.last_seen_at - ((old.last_seen_at % 86400000) + 86400000) % 86400000;
    DELETE FROM device_host_days
        WHERE device = old.device AND day = old.last_seen_at - ((old.last_seen_at % 86400000) + 86400000) % 86400000
        AND hosts <= 0;
END;
