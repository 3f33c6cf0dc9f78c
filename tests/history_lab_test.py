#!/usr/bin/env python3
"""The history against the real kernel (issue 12's acceptance): a LAN device of the namespace
router sends and receives known amounts over several flows (one ended by the kernel, one by
`conntrack -D`, one long download that spans minute buckets and an ingest restart), and what
netmon stores (traffic at every step and level, devices, device_hosts, the flow log) is exactly
what the kernel's DESTROY events (`conntrack -E -o extended`) report for those flows. Needs root;
skips elsewhere."""
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ingest_lab_test import Ingest  # noqa: E402
from netmon_testing import LAB, Lab, lab_unavailable, main_or_skip  # noqa: E402
from web_testing import WebServer, write_config  # noqa: E402

LAB_PREFIX = f"nmh{os.getpid()}"
DEVICE = "10.0.0.11"


def blob(address):
    return ipaddress.ip_address(address).packed


def destroyed_flows(text, src):
    """The flows from src in `conntrack -E -o extended` DESTROY lines: key -> counters."""
    flows = {}
    for line in text.splitlines():
        if "[DESTROY]" not in line or f"src={src} " not in line:
            continue
        fields = re.findall(r"(\w+)=(\S+)", line)
        original = dict(fields[:len(fields) // 2])
        values = [v for k, v in fields if k in ("packets", "bytes")]
        if len(values) != 4:
            raise AssertionError(f"no counters in {line!r}: is accounting on?")
        proto = re.search(r" (tcp|udp|icmp|icmpv6) ", line).group(1)
        key = (proto, original["dst"], int(original["sport"]), int(original["dport"]))
        flows[key] = tuple(int(v) for v in values)  # up packets, up bytes, down packets, down bytes
    return flows


class HistoryOfARealDevice(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(LAB_PREFIX)
        cls.lab.up(clients=1)
        cls.lab.short_timeouts()
        cls.directory = tempfile.mkdtemp(prefix="netmon-history-lab-")
        os.chmod(cls.directory, 0o777)

    @classmethod
    def tearDownClass(cls):
        cls.lab.down()
        shutil.rmtree(cls.directory, ignore_errors=True)

    def start_ingest(self):
        ingest = Ingest(self.lab, self.directory, interval="1")
        self.addCleanup(ingest.stop)
        return ingest

    def test_a_device_s_history_is_exactly_the_kernel_s_counters(self):
        events_path = os.path.join(self.directory, "events.txt")
        events_file = open(events_path, "w")
        events = subprocess.Popen(["ip", "netns", "exec", self.lab.ns("router"), "conntrack", "-E", "-e", "DESTROY",
                                   "-o", "extended"], stdout=events_file, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (events.poll() is None and events.terminate(), events.wait(), events_file.close()))
        ingest = self.start_ingest()
        started_ms = int(time.time() * 1000)

        # The long one: a download at 20 kB/s for about 70 s, across a minute boundary and a restart.
        download = subprocess.Popen(["ip", "netns", "exec", self.lab.ns("lan1"), sys.executable,
                                     os.path.join(LAB, "traffic.py"), "download", "203.0.113.20", "80", "20000"])
        self.addCleanup(lambda: (download.poll() is None and download.kill(), download.wait()))
        # One the kernel ends (TIME_WAIT is 2 s here), one conntrack -D ends.
        self.lab.traffic(1, "tcp", "192.0.2.10", 8080, 5000, 200000, 0, check=True, timeout=30)
        self.lab.traffic(1, "udp", "198.51.100.30", 4500, 300, 700, 3, check=True, timeout=30)
        ingest.wait_for(lambda: ingest.query("SELECT 1 FROM connections WHERE dst_port = 4500"), what="the UDP flow")
        self.lab.run_in("router", ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "4500"],
                        check=True, capture_output=True)
        time.sleep(25)
        # A restart in the middle of the download: a clean stop writes what waits, the start goes on.
        self.assertEqual(ingest.stop(), 0)
        time.sleep(3)  # the download goes on meanwhile: the next start counts those bytes once
        ingest = self.start_ingest()
        time.sleep(max(0, 72 - (time.time() * 1000 - started_ms) / 1000))
        download.send_signal(signal.SIGTERM)
        download.wait(timeout=10)
        # Every flow of the device destroyed (TIME_WAIT 2 s), seen by the ingest, then a clean stop.
        ingest.wait_for(lambda: not ingest.query("SELECT 1 FROM connections WHERE src_ip = ?", DEVICE), timeout=20,
                        what="the device's flows to end")
        self.assertEqual(ingest.stop(), 0)
        time.sleep(0.5)
        events.terminate()
        events.wait()
        events_file.close()
        with open(events_path) as f:
            kernel = destroyed_flows(f.read(), DEVICE)
        self.assertEqual(sorted(k[1] for k in kernel), ["192.0.2.10", "198.51.100.30", "203.0.113.20"], kernel)
        up_packets, up, down_packets, down = (sum(c[i] for c in kernel.values()) for i in range(4))
        self.assertGreater(down, 70 * 20000 * 0.8)

        device = blob(DEVICE)
        # Every step, at the device's level and summed over its pairs: the kernel's counters.
        for step in (60, 3600, 86400):
            got = ingest.query("SELECT sum(uplink_bytes), sum(downlink_bytes), sum(uplink_packets),"
                               " sum(downlink_packets), sum(flows) FROM traffic WHERE device = ?"
                               " AND step = ?", device, step)[0]
            self.assertEqual(got, (up, down, up_packets, down_packets, 3), f"step {step}")
            pairs = ingest.query("SELECT sum(uplink_bytes), sum(downlink_bytes) FROM host_traffic WHERE device = ?"
                                 " AND step = ?", device, step)[0]
            self.assertEqual(pairs, (up, down), f"step {step}, pairs")
        # Each remote host: its flow's counters.
        for (proto, host, sport, dport), (upk, ub, dpk, db) in kernel.items():
            got = ingest.query("SELECT uplink_bytes, downlink_bytes FROM device_hosts WHERE device = ? AND host = ?",
                               device, blob(host))
            self.assertEqual(got, [(ub, db)], host)
        # The long download shows in every minute it ran, not only in the one it ended.
        minutes = ingest.query("SELECT count(*) FROM host_traffic WHERE device = ? AND host = ? AND step = 60"
                               " AND downlink_bytes > 0", device, blob("203.0.113.20"))[0][0]
        self.assertGreaterEqual(minutes, 2)
        self.assertEqual(ingest.query("SELECT uplink_bytes, downlink_bytes, connections_seen, active_connections"
                                      " FROM devices WHERE address = ?", device), [(up, down, 3, 0)])
        # The flow log: each flow once, with the kernel's final counters.
        logged = ingest.query("SELECT proto, host, src_port, dst_port, uplink_packets, uplink_bytes, downlink_packets,"
                              " downlink_bytes, ended_by FROM flow_log WHERE device = ?", device)
        self.assertEqual(len(logged), 3, logged)
        protocols = {6: "tcp", 17: "udp"}
        for proto, host, sport, dport, upk, ub, dpk, db, ended_by in logged:
            key = (protocols[proto], str(ipaddress.ip_address(host)), sport, dport)
            self.assertIn(key, kernel)
            self.assertEqual((upk, ub, dpk, db), kernel[key], key)
            self.assertEqual(ended_by, 1, key)  # each by its DESTROY, with its final counters

        # What a person reads: netmon-web's history endpoints give the same figures.
        web = WebServer(write_config(self.directory, ingest.db))
        self.addCleanup(web.stop)

        def get(path):
            status, _, body = web.get(path)
            self.assertEqual(status, 200, (path, body))
            return json.loads(body)

        listed = [d for d in get("/devices.json?window=1h")["devices"] if d["device"] == DEVICE]
        self.assertEqual(len(listed), 1)
        self.assertEqual((listed[0]["uplink_bytes"], listed[0]["downlink_bytes"], listed[0]["flows"],
                          listed[0]["remote_hosts"], listed[0]["active_connections"]), (up, down, 3, 3, 0))
        start, end = started_ms // 1000 - 60, int(time.time()) + 60
        for step in (60, 3600):
            points = get(f"/history.json?device={DEVICE}&step={step}&from={start}&to={end}")["points"]
            self.assertEqual((sum(p["uplink_bytes"] for p in points), sum(p["downlink_bytes"] for p in points)),
                             (up, down), f"step {step}")
        lan = get(f"/history.json?step=60&from={start}&to={end}")["points"]
        self.assertEqual(sum(p["downlink_bytes"] for p in lan), down)
        flows = get(f"/flows.json?device={DEVICE}")["flows"]
        self.assertEqual(len(flows), 3)
        for flow in flows:
            key = (flow["proto"], flow["host"], flow["src_port"], flow["dst_port"])
            self.assertEqual((flow["uplink_packets"], flow["uplink_bytes"], flow["downlink_packets"],
                              flow["downlink_bytes"]), kernel[key], key)
            self.assertEqual(flow["ended_by"], "destroyed")
        hosts = get(f"/hosts.json?device={DEVICE}&window=1h")["hosts"]
        self.assertEqual(sorted((h["host"], h["uplink_bytes"], h["downlink_bytes"]) for h in hosts),
                         sorted((k[1], c[1], c[3]) for k, c in kernel.items()))


if __name__ == "__main__":
    main_or_skip(lab_unavailable())
