#!/usr/bin/env python3
"""netmon-ingest run against the real kernel: a router made of network namespaces, real traffic,
netmon-ingest inside the router as an unprivileged user holding only CAP_NET_ADMIN, reading
conntrack over netlink (dumps and events). Checks the rows, the counters against what was sent,
how fast a new flow shows, deletions, IPv6, flows that must stay out, the capabilities left
after start, event loss and resync, and the errors without the capability or with accounting
off. Needs root; skips elsewhere."""
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import LAB, Lab, ingest_binary, lab_unavailable, main_or_skip  # noqa: E402

LAB_PREFIX = f"nmi{os.getpid()}"
NET_ADMIN = 1 << 12


def unprivileged(caps=True):
    """setpriv arguments: user nobody, with CAP_NET_ADMIN (inheritable and ambient) or none."""
    args = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if caps:
        args += ["--inh-caps=+net_admin", "--ambient-caps=+net_admin"]
    else:
        args += ["--inh-caps=-all", "--bounding-set=-all"]
    return args


class Ingest:
    """netmon-ingest run in the router namespace as nobody with CAP_NET_ADMIN only."""

    def __init__(self, lab, directory, interval="2", extra_config=""):
        self.lab = lab
        self.directory = directory
        self.db = os.path.join(directory, "netmon.db")
        self.config = os.path.join(directory, "netmon.yml")
        with open(self.config, "w") as f:
            f.write(f"local_subnets: [10.0.0.0/24, fd00:10::/64]\ndatabase: {self.db}\nsource: netlink\n{extra_config}")
        self.log_path = os.path.join(directory, "ingest.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns("router")] + unprivileged() +
            [ingest_binary(), "--config", self.config, "-v", "run", "--interval", interval],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env={"PATH": os.environ["PATH"]})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"netmon-ingest exited {self.process.returncode}: {self.log()}")
            try:
                if self.meta("cycles_total"):
                    return
            except sqlite3.Error:
                pass
            time.sleep(0.05)
        raise AssertionError(f"no first cycle: {self.log()}")

    def query(self, sql, *params):
        connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def meta(self, key):
        rows = self.query("SELECT value FROM meta WHERE key = ?", key)
        return rows[0][0] if rows else None

    def flows(self, **where):
        clause = " AND ".join(f"{k} = ?" for k in where) or "1"
        connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in connection.execute(f"SELECT * FROM connections WHERE {clause}", tuple(where.values()))]
        finally:
            connection.close()

    def wait_for(self, predicate, timeout=10.0, what="condition", step=0.005):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except sqlite3.Error:
                pass
            time.sleep(step)
        raise AssertionError(f"timed out waiting for {what}; log:\n{self.log()}")

    def log(self):
        self.log_file.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log_file.close()
        return self.process.returncode

    def pid(self):
        # The process ip netns exec became after setpriv's exec: the same pid.
        return self.process.pid


class LiveRouter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(LAB_PREFIX)
        cls.lab.up(clients=2)
        cls.lab.short_timeouts()
        cls.directory = tempfile.mkdtemp(prefix="netmon-lab-")
        os.chmod(cls.directory, 0o777)
        cls.ingest = Ingest(cls.lab, cls.directory, interval="2")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.ingest.stop()
        finally:
            cls.lab.down()
            shutil.rmtree(cls.directory, ignore_errors=True)

    def test_only_cap_net_admin_is_left_after_start(self):
        with open(f"/proc/{self.ingest.pid()}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        self.assertEqual(int(status["CapEff"], 16), NET_ADMIN)
        self.assertEqual(int(status["CapPrm"], 16), NET_ADMIN)
        self.assertEqual(int(status["CapInh"], 16), 0)
        self.assertEqual(int(status["CapAmb"], 16), 0)
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        self.assertEqual(int(status["Uid"].split()[0]), 65534)
        self.assertIn("with events", self.ingest.meta("source"))
        self.assertEqual(self.ingest.meta("accounting"), "on")

    def test_a_tcp_download_with_its_real_counters(self):
        self.lab.traffic(1, "tcp", "192.0.2.10", 8080, 5000, 200000, 4, check=True, timeout=30)
        # The flow is closing now; the cycles have seen its final counters before it goes.
        flow = self.ingest.wait_for(
            lambda: [f for f in self.ingest.flows(dst_ip="192.0.2.10", dst_port=8080) if f["downlink_bytes"] >= 200000],
            what="the download's counters")[0]
        self.assertEqual((flow["proto"], flow["src_ip"], flow["family"]), ("tcp", "10.0.0.11", 4))
        self.assertGreater(flow["src_port"], 1023)
        # Payload, the 12-byte request line, and 52 to 60 header bytes a packet.
        self.assertGreaterEqual(flow["uplink_bytes"], 5012 + 52 * flow["uplink_packets"])
        self.assertLessEqual(flow["uplink_bytes"], 5012 + 60 * flow["uplink_packets"])
        self.assertGreaterEqual(flow["downlink_bytes"], 200000 + 52 * flow["downlink_packets"])
        self.assertLessEqual(flow["downlink_bytes"], 200000 + 60 * flow["downlink_packets"])
        host = self.ingest.query("SELECT first_seen_at, last_seen_at FROM remote_hosts WHERE ip = '192.0.2.10'")
        self.assertEqual(len(host), 1)

    def test_a_new_connection_shows_within_200_ms(self):
        # A UDP sender waits in the LAN namespace; the clock starts when it is told to send.
        sender = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.ns("lan2"), sys.executable, "-c",
             "import socket, sys\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "s.bind(('10.0.0.12', 47001))\n"
             "sys.stdin.readline()\n"
             "s.sendto(b'0\\n', ('203.0.113.20', 123))\n"
             "sys.stdin.readline()\n"],
            stdin=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)  # the interpreter is up and waiting
            started = time.monotonic()
            sender.stdin.write("go\n")
            sender.stdin.flush()
            self.ingest.wait_for(lambda: self.ingest.flows(src_port=47001), timeout=5, what="the new flow", step=0.002)
            latency = time.monotonic() - started
        finally:
            sender.stdin.write("done\n")
            sender.stdin.close()
            sender.wait(timeout=5)
        self.assertLess(latency, 0.2, f"the flow took {latency * 1000:.0f} ms to appear (interval is 2 s)")

    def test_conntrack_D_deletes_the_row_and_keeps_the_bytes(self):
        self.lab.traffic(2, "udp", "198.51.100.30", 4500, 300, 700, 3, check=True, timeout=30)
        flow = self.ingest.wait_for(lambda: self.ingest.flows(dst_ip="198.51.100.30", dst_port=4500),
                                    what="the UDP flow")[0]
        self.lab.run_in("router", ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "4500"],
                        check=True, capture_output=True)
        started = time.monotonic()
        self.ingest.wait_for(lambda: not self.ingest.flows(id=flow["id"]), timeout=5, what="the deletion")
        self.assertLess(time.monotonic() - started, 1.0)  # the DESTROY event, not the next dump
        # Three datagrams each way, payload plus 28 header bytes, in the host's totals.
        up, down = self.ingest.query("SELECT uplink_bytes, downlink_bytes FROM remote_hosts WHERE ip = '198.51.100.30'")[0]
        self.assertGreaterEqual(up, 3 * 328)
        self.assertGreaterEqual(down, 3 * 728)

    def test_a_flow_that_ends_leaves(self):
        self.lab.traffic(1, "tcp", "203.0.113.20", 80, 100, 1000, 0, check=True, timeout=30)
        self.ingest.wait_for(lambda: self.ingest.flows(dst_ip="203.0.113.20", dst_port=80), what="the flow")
        # TIME_WAIT lasts 2 s here; then the kernel destroys the entry and the row goes.
        self.ingest.wait_for(lambda: not self.ingest.flows(dst_ip="203.0.113.20", dst_port=80), timeout=10,
                             what="the end of the flow")

    def test_ipv6(self):
        self.lab.traffic(1, "tcp", "2001:db8:3::20", 443, 700, 9000, 3, check=True, timeout=30)
        flow = self.ingest.wait_for(
            lambda: [f for f in self.ingest.flows(dst_ip="2001:db8:3::20") if f["downlink_bytes"] >= 9000],
            what="the IPv6 flow")[0]
        self.assertEqual((flow["src_ip"], flow["family"], flow["dst_port"]), ("fd00:10::11", 6, 443))

    def test_flows_that_are_not_outbound_stay_out(self):
        self.lab.run_in("lan1", ["ping", "-q", "-c2", "-i0.2", "10.0.0.1"], check=True, capture_output=True)
        modem = subprocess.Popen(["ip", "netns", "exec", self.lab.ns("lan1"), sys.executable,
                                  os.path.join(LAB, "traffic.py"), "tcp", "192.168.1.1", "80", "100", "100", "8"])
        self.addCleanup(lambda: (modem.kill(), modem.wait()))
        self.lab.run_in("wan", [sys.executable, os.path.join(LAB, "traffic.py"), "udp", "198.51.100.2", "53", "10", "0"],
                        check=True)
        # Two cycles later, none of them is there, though the kernel has them.
        cycles = self.ingest.meta("cycles_total")
        self.ingest.wait_for(lambda: self.ingest.meta("cycles_total") >= cycles + 2, what="two cycles")
        table = self.lab.run_in("router", ["conntrack", "-L"], capture_output=True, text=True).stdout
        self.assertIn("dst=192.168.1.1", table)
        for bad in ("10.0.0.1", "192.168.1.1", "198.51.100.2"):
            self.assertEqual(self.ingest.flows(dst_ip=bad), [], bad)
        self.assertEqual(self.ingest.query("SELECT count(*) FROM connections WHERE src_ip NOT LIKE '10.0.0.%'"
                                           " AND src_ip NOT LIKE 'fd00:10::%'")[0][0], 0)


class Privileges(unittest.TestCase):
    def setUp(self):
        self.lab = Lab(LAB_PREFIX + "p")
        self.lab.up(clients=1)
        self.addCleanup(self.lab.down)
        self.directory = tempfile.mkdtemp(prefix="netmon-lab-")
        os.chmod(self.directory, 0o777)
        self.addCleanup(shutil.rmtree, self.directory, True)

    def test_without_cap_net_admin_it_exits_1_saying_what_it_needs(self):
        result = subprocess.run(
            ["ip", "netns", "exec", self.lab.ns("router")] + unprivileged(caps=False) +
            [ingest_binary(), "run"], env={"PATH": os.environ["PATH"], "NETMON_DB": os.path.join(self.directory, "x.db")},
            capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("netmon-ingest needs CAP_NET_ADMIN to read conntrack (run as root or with "
                      "AmbientCapabilities=CAP_NET_ADMIN)", result.stderr)

    def test_accounting_off_is_warned_about_and_in_meta(self):
        self.lab.run_in("router", ["sysctl", "-qw", "net.netfilter.nf_conntrack_acct=0"], check=True)
        ingest = Ingest(self.lab, self.directory, interval="0.5")
        try:
            ingest.wait_for(lambda: ingest.meta("accounting") == "off", what="accounting off in meta")
            self.assertIn("sysctl -w net.netfilter.nf_conntrack_acct=1", ingest.log())
        finally:
            ingest.stop()

    def test_lost_events_are_counted_and_healed_by_a_full_read(self):
        # The smallest event buffer, a long interval, and a burst of 3000 new flows while the
        # ingest is stopped (SIGSTOP), so that the kernel has to drop events.
        ingest = Ingest(self.lab, self.directory, interval="30", extra_config="netlink:\n  event_buffer: 65536\n")
        try:
            os.kill(ingest.pid(), signal.SIGSTOP)
            try:
                self.lab.traffic(1, "burst", "192.0.2.10", 9, 3000, check=True, timeout=60)
            finally:
                os.kill(ingest.pid(), signal.SIGCONT)
            ingest.wait_for(lambda: (ingest.meta("event_overruns_total") or 0) >= 1, timeout=10, what="an overrun")
            table = self.lab.run_in("router", ["conntrack", "-L", "-p", "udp", "--orig-port-dst", "9"],
                                    capture_output=True, text=True).stdout
            expected = table.count("dport=9 ")
            self.assertGreater(expected, 2000)
            # The resync made the database whole again, long before the 30 s interval.
            ingest.wait_for(lambda: ingest.query("SELECT count(*) FROM connections WHERE dst_port = 9")[0][0] >= expected,
                            timeout=10, what="all burst flows")
            self.assertGreaterEqual(ingest.meta("resyncs_total"), 1)
            self.assertIn("reading the whole table now", ingest.log())
        finally:
            ingest.stop()


if __name__ == "__main__":
    reason = lab_unavailable()
    if not reason and not shutil.which("setpriv"):
        reason = "needs setpriv (util-linux)"
    main_or_skip(reason)
