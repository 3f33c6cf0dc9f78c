#!/usr/bin/env python3
"""Accounting that checks itself (issue 14's acceptance), against the real kernel: the namespace
router runs netmon-ingest live, and its WAN interface's counters are compared with the flows'.
On clean traffic netmon sees 97 to 101% of the WAN's IP bytes each way (netmon-web says so in
/metrics.json too); then, one fault at a time, each names its cause (in meta, which netmon-web
shows) within two minutes and clears once the fault is removed:
  - accounting off, then on with a flow that began while it was off (it has no counters);
  - a notrack rule for one LAN device (the WAN host routes the LAN prefix back, so untracked
    traffic still flows): the coverage drops;
  - another program dumping with zero-on-read (conntrack -L -z);
  - events off (net.netfilter.nf_conntrack_events=0 in the router).
And a flow that starts and ends between two full reads is recorded with its final counters,
from its DESTROY. Needs root; skips elsewhere."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ingest_lab_test import Ingest  # noqa: E402
from web_testing import WebServer, write_config  # noqa: E402
from netmon_testing import LAB, Lab, spawn_quiet, tear_down_lab, lab_unavailable, main_or_skip  # noqa: E402

LAB_PREFIX = f"nmc{os.getpid()}"
REMOTE = "198.51.100.30"
CAUSE_TIMEOUT = 120  # the acceptance's two minutes


class CoverageOfARealRouter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(LAB_PREFIX)
        cls.lab.up(clients=2)
        cls.processes = []
        cls.directory = tempfile.mkdtemp(prefix="netmon-coverage-lab-")
        os.chmod(cls.directory, 0o777)
        try:
            cls.lab.short_timeouts()
            cls.events_before = cls.sysctl("net.netfilter.nf_conntrack_events")
            cls.spawn(["ip", "netns", "exec", cls.lab.ns("wan"), sys.executable, os.path.join(LAB, "traffic.py"),
                       "serve", REMOTE])
            time.sleep(0.5)
            cls.ingest = Ingest(cls.lab, cls.directory, interval="1")
            cls.web = WebServer(write_config(cls.directory, cls.ingest.db, "names:\n  ptr: false\n"))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        tear_down_lab(cls)

    @classmethod
    def spawn(cls, args):
        return spawn_quiet(cls.processes, args)

    @classmethod
    def sysctl(cls, name, value=None):
        if value is None:
            return cls.lab.run_in("router", ["sysctl", "-n", name], capture_output=True, text=True,
                                  check=True).stdout.strip()
        cls.lab.run_in("router", ["sysctl", "-qw", f"{name}={value}"], check=True)
        return value

    def router(self, *args):
        return self.lab.run_in("router", list(args), capture_output=True, text=True, check=True).stdout

    def causes(self):
        return {c["id"]: c for c in json.loads(self.ingest.meta("coverage_causes") or "[]")}

    def wait_for_cause(self, cause, present=True, timeout=CAUSE_TIMEOUT):
        started = time.monotonic()
        self.ingest.wait_for(lambda: (cause in self.causes()) == present, timeout=timeout,
                             what=f"cause {cause} {'named' if present else 'cleared'}")
        elapsed = time.monotonic() - started
        print(f"\n{cause} {'named' if present else 'cleared'} after {elapsed:.1f} s", file=sys.stderr)
        return self.causes().get(cause)

    def totals(self):
        """Everything flushed so far: (seen up, seen down, WAN up, WAN down), IP bytes."""
        lan = self.ingest.query("SELECT coalesce(sum(uplink_bytes), 0), coalesce(sum(downlink_bytes), 0) FROM traffic"
                                " WHERE device = X'' AND step = 60")[0]
        wan = self.ingest.query("SELECT coalesce(sum(uplink_bytes), 0), coalesce(sum(downlink_bytes), 0)"
                                " FROM wan_traffic WHERE step = 60")[0]
        return lan + wan

    def flushed(self):
        """Waits until the history holds what moved until now: the ingest writes its sums every
        10 s when it has some, so a flush after now, or none in 12 s (nothing waited)."""
        now_ms = int(time.time() * 1000)
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and int(self.ingest.meta("history_flushed_at") or 0) <= now_ms + 1500:
            time.sleep(0.2)
        return self.totals()

    def ratios(self, before, after):
        up = (after[0] - before[0]) / max(1, after[2] - before[2])
        down = (after[1] - before[1]) / max(1, after[3] - before[3])
        return up, down

    def transfer(self, client, up, down, times=3):
        for _ in range(times):
            self.lab.traffic(client, "tcp", REMOTE, 80, up, down, 0.1, check=True, timeout=60)

    def test_1_clean_traffic_is_seen_whole(self):
        before = self.flushed()
        self.transfer(1, 200_000, 3_000_000)
        self.transfer(2, 2_000_000, 100_000)
        self.lab.traffic(1, "udp", REMOTE, 53, 200, 1200, 200, check=True, timeout=60)
        after = self.flushed()
        up, down = self.ratios(before, after)
        print(f"\nclean traffic: netmon sees {up:.4f} of the WAN's uplink, {down:.4f} of its downlink "
              f"({after[2] - before[2]} / {after[3] - before[3]} WAN bytes)", file=sys.stderr)
        self.assertGreaterEqual(up, 0.97)
        self.assertLessEqual(up, 1.01)
        self.assertGreaterEqual(down, 0.97)
        self.assertLessEqual(down, 1.01)
        self.assertEqual(self.causes(), {}, self.ingest.log()[-3000:])
        # netmon-web says it too: the last hour's ratio, each way, and no cause.
        status, _, body = self.web.get("/metrics.json")
        self.assertEqual(status, 200)
        coverage = json.loads(body)["netmon"]["coverage"]
        self.assertTrue(coverage["measured"])
        self.assertEqual(coverage["wan_interface"], "enp2s0")
        self.assertGreater(coverage["downlink"]["ratio"], 0.95)
        self.assertLess(coverage["downlink"]["ratio"], 1.01)
        self.assertEqual(coverage["causes"], [])
        status, _, page = self.web.get("/coverage")
        self.assertEqual(status, 200)
        self.assertIn(b"<code>enp2s0</code>", page)

    def test_2_accounting_off_then_flows_without_counters(self):
        self.sysctl("net.netfilter.nf_conntrack_acct", 0)
        try:
            cause = self.wait_for_cause("accounting_off")
            self.assertIn("nf_conntrack_acct=1", cause["fix"])
            # A download that begins while accounting is off keeps no counters once it is on.
            download = self.spawn(["ip", "netns", "exec", self.lab.ns("lan1"), sys.executable,
                                   os.path.join(LAB, "traffic.py"), "download", REMOTE, "8080", "100000"])
            time.sleep(2)
        finally:
            self.sysctl("net.netfilter.nf_conntrack_acct", 1)
        self.wait_for_cause("accounting_off", present=False)
        cause = self.wait_for_cause("flows_without_counters")
        self.assertTrue(cause["text"].startswith("1 flow began before accounting"), cause["text"])
        download.terminate()
        download.wait(timeout=5)
        self.router("conntrack", "-D", "-p", "tcp", "--dport", "8080")  # gone now, not after TIME_WAIT
        self.wait_for_cause("flows_without_counters", present=False)

    def test_3_notrack_rules_hide_traffic_and_are_named(self):
        # The WAN host routes the LAN prefix back to the router (lab.sh), so lan2's untracked,
        # un-NATed packets still reach it and come back.
        self.router("nft", "add", "table", "ip", "coverage_raw")
        self.router("nft", "add", "chain", "ip", "coverage_raw", "prerouting",
                    "{ type filter hook prerouting priority -300; }")
        self.router("nft", "add", "rule", "ip", "coverage_raw", "prerouting", "ip", "saddr", "10.0.0.12", "notrack")
        self.router("nft", "add", "rule", "ip", "coverage_raw", "prerouting", "ip", "daddr", "10.0.0.12", "notrack")
        try:
            before = self.flushed()
            self.transfer(2, 100_000, 2_000_000)
            self.transfer(1, 10_000, 200_000, times=1)
            after = self.flushed()
            up, down = self.ratios(before, after)
            print(f"\nwith lan2 untracked: netmon sees {up:.3f} up, {down:.3f} down", file=sys.stderr)
            self.assertLess(down, 0.3)
            cause = self.wait_for_cause("notrack")
            self.assertIn("ip coverage_raw prerouting", cause["text"])
        finally:
            self.router("nft", "delete", "table", "ip", "coverage_raw")
        self.wait_for_cause("notrack", present=False)
        before = self.flushed()
        self.transfer(2, 100_000, 2_000_000, times=1)
        up, down = self.ratios(before, self.flushed())
        self.assertGreater(down, 0.97)

    def test_4_another_reader_zeroing_the_counters_is_named(self):
        downloads = [self.spawn(["ip", "netns", "exec", self.lab.ns("lan1"), sys.executable,
                                 os.path.join(LAB, "traffic.py"), "download", REMOTE, "8080", "200000"])
                     for _ in range(5)]
        try:
            time.sleep(3)
            for _ in range(3):
                self.router("conntrack", "-L", "-z")
                time.sleep(2)
            cause = self.wait_for_cause("zero_on_read", timeout=10)
            self.assertIn("reset at once", cause["text"])
            # netmon kept its own totals: every download's bytes are still counted (reset repairs).
        finally:
            for d in downloads:
                d.terminate()
                d.wait(timeout=5)
        self.wait_for_cause("zero_on_read", present=False)
        self.assertGreater(int(self.ingest.meta("cycles_total")), 0)

    def test_5_events_off_is_named(self):
        self.sysctl("net.netfilter.nf_conntrack_events", 0)
        try:
            cause = self.wait_for_cause("events_off")
            self.assertIn("nf_conntrack_events=1", cause["fix"])
        finally:
            self.sysctl("net.netfilter.nf_conntrack_events", self.events_before)
        self.wait_for_cause("events_off", present=False)


class ShortFlowsBetweenReads(unittest.TestCase):
    """With events on and a full read only once a minute, a flow that lives some 50 ms (one UDP
    exchange, then deleted from the table) is recorded with its final counters, from its DESTROY."""

    def setUp(self):
        self.lab = Lab(LAB_PREFIX + "s")
        self.lab.up(clients=1)
        self.addCleanup(self.lab.down)
        self.directory = tempfile.mkdtemp(prefix="netmon-short-flows-")
        os.chmod(self.directory, 0o777)
        self.addCleanup(shutil.rmtree, self.directory, True)
        server = subprocess.Popen(["ip", "netns", "exec", self.lab.ns("wan"), sys.executable,
                                   os.path.join(LAB, "traffic.py"), "serve", REMOTE],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(server.wait, 5)
        self.addCleanup(server.terminate)
        time.sleep(0.5)
        self.ingest = Ingest(self.lab, self.directory, interval="60")
        self.addCleanup(self.ingest.stop)

    def test_a_50_ms_flow_is_recorded_with_its_final_counters(self):
        cycles = int(self.ingest.meta("cycles_total"))
        started = time.monotonic()
        self.lab.traffic(1, "udp", REMOTE, 4500, 300, 3000, 1, check=True, timeout=10)
        self.lab.run_in("router", ["conntrack", "-D", "-p", "udp", "--dport", "4500"], check=True,
                        capture_output=True)
        lived = time.monotonic() - started
        rows = self.ingest.wait_for(
            lambda: self.ingest.query("SELECT uplink_bytes, downlink_bytes, ended_by FROM flow_log"
                                      " WHERE dst_port = 4500"), timeout=10, what="the short flow in the flow log")
        print(f"\na flow of {lived * 1000:.0f} ms recorded as {rows[0]}", file=sys.stderr)
        self.assertEqual(int(self.ingest.meta("cycles_total")), cycles)  # no full read in between
        up, down, ended_by = rows[0]
        self.assertEqual(ended_by, 1)  # its DESTROY
        self.assertEqual(up, 300 + 28)  # one datagram each way, IP and UDP headers included
        self.assertEqual(down, 3000 + 28)


def unavailable():
    reason = lab_unavailable()
    if reason:
        return reason
    if not shutil.which("conntrack"):
        return "needs conntrack (conntrack-tools)"
    return None


if __name__ == "__main__":
    main_or_skip(unavailable())
