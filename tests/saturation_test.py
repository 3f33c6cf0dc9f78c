#!/usr/bin/env python3
"""Counters at 2^63 - 1 and 2^64 - 1 end to end (issue 10): print-outbound, netmon-ingest into a
real database, netmon-web's JSON, dashboard and Prometheus text. Every sum saturates: nothing
wraps to a small or negative figure, nothing in the database turns REAL. Run it in the
sanitizer build too, where an overflow aborts."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import SOURCE, ingest_binary  # noqa: E402
from web_testing import LAB_SUBNETS, WebServer, make_database, temporary_directory, write_config  # noqa: E402

I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1


def udp_line(src, sport, dst, up, down, prefix=""):
    return (f"{prefix}ipv4 2 udp 17 29 src={src} dst={dst} sport={sport} dport=53 packets={up} bytes={up} "
            f"src={dst} dst=198.51.100.2 sport=53 dport={sport} packets={down} bytes={down} mark=0 use=1\n")


# Two flows to 192.0.2.1 at the limits, one to 203.0.113.5 at 2^63 - 1 up.
CAPTURE = (udp_line("10.0.0.2", 1000, "192.0.2.1", U64_MAX, U64_MAX) +
           udp_line("10.0.0.3", 1001, "192.0.2.1", I64_MAX, I64_MAX) +
           udp_line("10.0.0.4", 1002, "203.0.113.5", I64_MAX, 1))


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class Saturation(unittest.TestCase):
    def test_print_outbound_totals_saturate(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as capture:
            capture.write(CAPTURE)
            capture.flush()
            result = subprocess.run(
                [ingest_binary(), "--config", os.path.join(SOURCE, "config", "netmon.yml"), "print-outbound", "--json"],
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CONNTRACK_INPUT_FILE": capture.name,
                     "NETMON_LOCAL_SUBNETS": LAB_SUBNETS},
                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = json.loads(result.stdout)
        self.assertEqual([r["total_bytes"] for r in rows], [U64_MAX, U64_MAX - 1, I64_MAX + 1])
        self.assertEqual(rows[0]["uplink_packets"], U64_MAX)

    def test_ingest_database_and_web(self):
        directory = temporary_directory(self)
        db = os.path.join(directory, "netmon.db")
        make_database(db, write(directory, "limits.txt", CAPTURE))
        make_database(db, write(directory, "limits.txt", CAPTURE.replace("bytes=1 ", "bytes=5 ")))
        connection = sqlite3.connect(db)
        try:
            types = connection.execute(
                "SELECT DISTINCT typeof(total_bytes) || typeof(uplink_bytes) || typeof(downlink_packets)"
                " FROM connections").fetchall()
            self.assertEqual(types, [("integerintegerinteger",)])
            self.assertEqual(connection.execute("SELECT max(total_bytes), min(total_bytes) FROM connections").fetchone(),
                             (I64_MAX, I64_MAX))
            hosts = connection.execute(
                "SELECT ip, typeof(uplink_bytes), uplink_bytes, downlink_bytes FROM remote_hosts ORDER BY ip").fetchall()
            self.assertEqual(hosts, [("192.0.2.1", "integer", I64_MAX, I64_MAX), ("203.0.113.5", "integer", I64_MAX, 5)])
        finally:
            connection.close()

        server = WebServer(write_config(directory, db))
        self.addCleanup(server.stop)
        status, _, body = server.get("/connections.json")
        self.assertEqual(status, 200)
        rows = json.loads(body)
        self.assertEqual(len(rows), 3)
        for row in rows:
            self.assertEqual(row["total_bytes"], I64_MAX)
            self.assertEqual(row["uplink_bytes"], I64_MAX)
            self.assertGreater(row["downlink_packets"], 0)
        status, _, body = server.get("/hosts.json")
        self.assertEqual(status, 200)
        hosts = {h["ip"]: h for h in json.loads(body)}
        self.assertEqual(hosts["192.0.2.1"]["active_bytes"], I64_MAX)  # two totals at the limit
        self.assertEqual(hosts["192.0.2.1"]["active_connections"], 2)
        self.assertEqual(hosts["203.0.113.5"]["uplink_bytes"], I64_MAX)
        status, _, page = server.get("/")
        self.assertEqual(status, 200)
        page = page.decode()
        self.assertIn(f"{I64_MAX} bytes, {I64_MAX} packets", page)
        self.assertNotIn("-2 packets", page)
        self.assertIn("8.00 EiB", page)
        status, _, metrics = server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("netmon_active_connections 3\n", metrics.decode())
        self.assertNotIn("sanitizer", server.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
