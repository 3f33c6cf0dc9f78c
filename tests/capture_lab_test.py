#!/usr/bin/env python3
"""Against the real kernel: builds the namespace router, captures conntrack's text formats while
known traffic crosses it (tests/lab/capture-fixtures.sh), and checks that print-outbound finds
exactly the outbound flows with the byte counts that were sent. Also reads /proc/net/nf_conntrack
live inside the router namespace. Needs root; skips elsewhere."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import LAB, SOURCE, ingest_binary, lab_unavailable, main_or_skip  # noqa: E402

LAB_NAME = f"nmt{os.getpid()}"
LAB_SUBNETS = "10.0.0.0/24,fd00:10::/64"


def bash_lab(script, check=True, timeout=120):
    """Runs script with tests/lab/lab.sh sourced and LAB set to this test's own prefix."""
    return subprocess.run(["bash", "-c", f"source {LAB}/lab.sh; LAB={LAB_NAME}; {script}"],
                          capture_output=True, text=True, timeout=timeout, check=check)


def print_outbound(env, prefix=()):
    full_env = {"PATH": os.environ["PATH"], "NETMON_LOCAL_SUBNETS": LAB_SUBNETS}
    full_env.update(env)
    result = subprocess.run(list(prefix) + [ingest_binary(), "--config", os.path.join(SOURCE, "config", "netmon.yml"),
                                            "print-outbound", "--json", "--limit", "1000"],
                            env=full_env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"print-outbound failed: {result.stderr}")
    return json.loads(result.stdout), result.stderr


def find(rows, **fields):
    matches = [r for r in rows if all(r[k] == v for k, v in fields.items())]
    if len(matches) != 1:
        raise AssertionError(f"expected one flow with {fields}, found {len(matches)} in {rows}")
    return matches[0]


class CapturedFromTheKernel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        env = dict(os.environ, LAB=LAB_NAME)
        result = subprocess.run([os.path.join(LAB, "capture-fixtures.sh"), cls.directory.name], env=env,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"capture failed: {result.stdout}\n{result.stderr}")

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()
        bash_lab("lab_down", check=False)

    def capture(self, name):
        return os.path.join(self.directory.name, name)

    def test_every_captured_line_parses(self):
        for name in ("router_extended.txt", "router_plain.txt", "router_proc.txt", "router_extended_id.txt",
                     "router_events.txt", "router_events_plain.txt", "router_noacct_extended.txt"):
            _, stderr = print_outbound({"CONNTRACK_INPUT_FILE": self.capture(name)})
            self.assertIn(" 0 lines skipped", stderr, name)

    def test_the_outbound_flows_and_their_bytes(self):
        rows, _ = print_outbound({"CONNTRACK_INPUT_FILE": self.capture("router_extended.txt")})
        self.assertEqual(len(rows), 15, rows)
        # TCP: payload plus the 12-byte request line, plus 20-byte IP and 32-byte TCP headers
        # (timestamps) per packet, and no more than a few segments sent twice: on a loaded
        # machine TCP retransmits now and then, and conntrack counts what it forwards (a run on a
        # busy machine saw 808 bytes over).
        resent = 3 * 1448
        https = find(rows, proto="tcp", src_ip="10.0.0.11", dst_ip="192.0.2.10", dst_port=443)
        self.assertEqual(https["state"], "ESTABLISHED")
        self.assertEqual(https["flags"], ["ASSURED"])
        self.assertGreaterEqual(https["uplink_bytes"], 2012 + 52 * https["uplink_packets"])
        self.assertLessEqual(https["uplink_bytes"], 2012 + 60 * https["uplink_packets"] + resent)
        self.assertGreaterEqual(https["downlink_bytes"], 120000 + 52 * https["downlink_packets"])
        self.assertLessEqual(https["downlink_bytes"], 120000 + 60 * https["downlink_packets"] + resent)
        v6 = find(rows, proto="tcp", src_ip="fd00:10::11", dst_ip="2001:db8:2::10", dst_port=443)
        self.assertGreaterEqual(v6["downlink_bytes"], 30000 + 72 * v6["downlink_packets"])
        self.assertLessEqual(v6["downlink_bytes"], 30000 + 80 * v6["downlink_packets"] + resent)
        closed = find(rows, proto="tcp", dst_ip="203.0.113.20", dst_port=80)
        self.assertEqual(closed["state"], "TIME_WAIT")
        # UDP and ICMP sizes are exact: payload + 28 (IPv4) or 48 (IPv6) header bytes.
        dns = find(rows, proto="udp", src_ip="10.0.0.11", dst_ip="203.0.113.20", dst_port=53)
        self.assertEqual((dns["uplink_packets"], dns["uplink_bytes"], dns["downlink_bytes"]), (2, 176, 456))
        ntp6 = find(rows, proto="udp", src_ip="fd00:10::11", dst_port=123)
        self.assertEqual((ntp6["uplink_bytes"], ntp6["downlink_bytes"]), (96, 96))
        ping = find(rows, proto="icmp", src_ip="10.0.0.11", dst_ip="192.0.2.10")
        self.assertEqual((ping["dst_port"], ping["uplink_bytes"], ping["downlink_bytes"]), (8 << 8, 168, 168))
        find(rows, proto="icmpv6", src_ip="fd00:10::11", dst_ip="2001:db8:3::20", dst_port=128 << 8)
        gre = find(rows, proto="gre", src_ip="10.0.0.12")
        self.assertEqual((gre["uplink_packets"], gre["uplink_bytes"], gre["flags"]), (3, 360, ["UNREPLIED"]))
        self.assertEqual(find(rows, proto="sctp")["state"], "CLOSED")
        self.assertEqual(find(rows, proto="udplite")["uplink_bytes"], 128)
        self.assertEqual(find(rows, proto="253")["uplink_bytes"], 84)
        self.assertEqual(find(rows, proto="tcp", dst_ip="192.0.2.99")["state"], "SYN_SENT")
        find(rows, proto="udp", src_ip="10.0.0.13", dst_ip="198.51.100.30")  # in conntrack zone 7
        # Not outbound: the router, the modem, CGNAT, multicast, inbound and the router's own.
        for row in rows:
            self.assertNotIn(row["dst_ip"], ("10.0.0.1", "fd00:10::1", "192.168.1.1", "100.64.0.1", "224.0.0.22"))
            self.assertFalse(row["src_ip"].startswith("198.51.100."), row)

    def test_accounting_off_gives_flows_without_counters(self):
        rows, _ = print_outbound({"CONNTRACK_INPUT_FILE": self.capture("router_noacct_extended.txt")})
        self.assertEqual(len(rows), 2)
        self.assertTrue(all(r["total_bytes"] == 0 for r in rows))


class LiveProcTable(unittest.TestCase):
    """Without CONNTRACK_INPUT_FILE, print-outbound reads /proc/net/nf_conntrack."""

    def setUp(self):
        bash_lab("lab_up 1 && lab_serve")
        self.addCleanup(bash_lab, "lab_down", False)

    def test_reads_the_namespace_table(self):
        holder = subprocess.Popen(["ip", "netns", "exec", f"{LAB_NAME}-lan1", sys.executable,
                                   os.path.join(LAB, "traffic.py"), "tcp", "203.0.113.20", "8080", "1000", "9000", "5"])
        self.addCleanup(lambda: (holder.kill(), holder.wait()))
        rows = []
        for _ in range(50):
            rows, _ = print_outbound({}, prefix=("ip", "netns", "exec", f"{LAB_NAME}-router"))
            if rows and rows[0]["downlink_bytes"] >= 9000:
                break
            time.sleep(0.1)
        flow = find(rows, proto="tcp", src_ip="10.0.0.11", dst_ip="203.0.113.20", dst_port=8080)
        self.assertGreaterEqual(flow["uplink_bytes"], 1000)
        self.assertGreaterEqual(flow["downlink_bytes"], 9000)


if __name__ == "__main__":
    main_or_skip(lab_unavailable())
