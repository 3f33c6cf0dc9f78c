#!/usr/bin/env python3
"""LAN devices by MAC against the real kernel (issue 13): netmon-ingest in the namespace
router (live netlink) learns each LAN address's MAC from the router's neighbour table; one
device is named by a dnsmasq lease file the test writes (with the device's real MAC), another by
names.devices (by MAC); an IPv6 privacy-style address of the first joins the same MAC; a
rewritten lease file renames the device within seconds (inotify). Needs root; skips elsewhere."""
import ipaddress
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ingest_lab_test import Ingest  # noqa: E402
from netmon_testing import FIXTURES, Lab, ingest_binary, lab_unavailable, main_or_skip  # noqa: E402

LAB_PREFIX = f"nmd{os.getpid()}"
PRIVACY = "fd00:10::a1b2:c3d4:e5f6:1234"


def blob(address):
    return ipaddress.ip_address(address).packed


def mac_blob(mac):
    return bytes.fromhex(mac.replace(":", ""))


class DevicesOfARealLan(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(LAB_PREFIX)
        try:
            cls.lab.up(clients=2)
        except BaseException:
            cls.lab.down()
            raise
        cls.directory = tempfile.mkdtemp(prefix="netmon-devices-lab-")
        os.chmod(cls.directory, 0o777)

    @classmethod
    def tearDownClass(cls):
        cls.lab.down()
        if not os.environ.get("KEEP"): shutil.rmtree(cls.directory, ignore_errors=True)

    def mac_of(self, client):
        out = self.lab.run_in(f"lan{client}", ["ip", "-j", "link", "show", "eth0"], capture_output=True, text=True,
                              check=True).stdout
        return json.loads(out)[0]["address"]

    def write_leases(self, path, text):
        # dnsmasq's way: a new file renamed over the old one.
        with open(path + ".new", "w") as f:
            f.write(text)
        os.chmod(path + ".new", 0o644)
        os.rename(path + ".new", path)

    def ping(self, client, target, source=None):
        # One reply, asked for once a second for up to 5 s: the first request from an address
        # just added can be lost while the router resolves its neighbour.
        args = ["ping", "-c", "1", "-w", "5"] + (["-I", source] if source else []) + [target]
        self.lab.run_in(f"lan{client}", args, check=True, stdout=subprocess.DEVNULL)

    def test_devices_are_their_macs_named_by_lease_and_config(self):
        mac1, mac2 = self.mac_of(1), self.mac_of(2)
        leases = os.path.join(self.directory, "dnsmasq.leases")
        hostile = "evil\x1b[31m<b>x</b>"
        self.write_leases(leases, f"1999999999 {mac1} 10.0.0.11 lease-laptop 01:{mac1}\n"
                                  f"1999999999 3c:22:fb:00:00:99 10.0.0.99 {hostile} *\n"
                                  "a bad line\n")
        ingest = Ingest(self.lab, self.directory, interval="1", extra_config=(
            f"names:\n  dhcp_leases: [{leases}]\n  devices:\n    \"{mac2}\": config-desk\n"))
        self.addCleanup(ingest.stop)

        # Each device sends traffic to the remote hosts, from IPv4 and IPv6 (and the first from
        # a second, privacy-style, IPv6 address too).
        for client in (1, 2):
            self.ping(client, "198.51.100.30")
            self.ping(client, "2001:db8:2::10", source=f"fd00:10::{10 + client}")
        self.lab.run_in("lan1", ["ip", "addr", "add", PRIVACY + "/64", "dev", "eth0", "nodad"], check=True)
        self.ping(1, "2001:db8:2::10", source=PRIVACY)

        def mac_of_address(address):
            rows = ingest.query("SELECT mac FROM lan_addresses WHERE address = ?", blob(address))
            return rows[0][0] if rows else None

        def name_of(mac):
            rows = ingest.query("SELECT name, source, vendor FROM device_names WHERE device = ?", mac_blob(mac))
            return rows[0] if rows else None

        expected = {"10.0.0.11": mac1, "fd00:10::11": mac1, PRIVACY: mac1, "10.0.0.12": mac2, "fd00:10::12": mac2}
        ingest.wait_for(lambda: all(mac_of_address(a) == mac_blob(m) for a, m in expected.items()), timeout=10,
                        what="every LAN address with its device's MAC")
        ingest.wait_for(lambda: name_of(mac1) == ("lease-laptop", "dhcp", None), timeout=10, what="the lease's name")
        ingest.wait_for(lambda: name_of(mac2) == ("config-desk", "config", None), timeout=10, what="the config's name")
        # One device with all three addresses; the WAN side's neighbours are not the LAN's.
        rows = ingest.query("SELECT count(*) FROM lan_addresses WHERE mac = ?", mac_blob(mac1))
        self.assertEqual(rows[0][0], 3)
        self.assertEqual(ingest.query("SELECT count(*) FROM lan_addresses WHERE address = ?", blob("198.51.100.1")),
                         [(0,)])
        # The lease of an absent device names its MAC too, its hostname made harmless; the bad
        # line is counted.
        self.assertEqual(name_of("3c:22:fb:00:00:99")[:2], ("evil[31m<b>x</b>", "dhcp"))
        self.assertGreaterEqual(int(ingest.meta("lease_lines_skipped_total") or 0), 1)

        # Unchanged rows are not rewritten every cycle.
        seen = ingest.query("SELECT last_seen_at FROM lan_addresses WHERE address = ?", blob("10.0.0.11"))[0][0]
        cycles = int(ingest.meta("cycles_total"))
        ingest.wait_for(lambda: int(ingest.meta("cycles_total")) >= cycles + 3, timeout=10, what="three more cycles")
        self.assertEqual(ingest.query("SELECT last_seen_at FROM lan_addresses WHERE address = ?",
                                      blob("10.0.0.11"))[0][0], seen)

        # The lease file rewritten with a new hostname renames the device within seconds.
        self.write_leases(leases, f"1999999999 {mac1} 10.0.0.11 renamed-laptop 01:{mac1}\n")
        started = time.monotonic()
        ingest.wait_for(lambda: name_of(mac1) == ("renamed-laptop", "dhcp", None), timeout=5, what="the new name")
        print(f"renamed after {time.monotonic() - started:.2f} s", file=sys.stderr)

        # SIGHUP takes new names.devices: the admin's name wins over the lease's.
        with open(ingest.config, "a") as f:
            f.write(f"    \"{mac1}\": admin-laptop\n")
        ingest.process.send_signal(signal.SIGHUP)
        ingest.wait_for(lambda: name_of(mac1) == ("admin-laptop", "config", None), timeout=5,
                        what="the name of the reloaded configuration")
        self.assertNotIn("error", ingest.log().lower())


class ReplayReadsLeases(unittest.TestCase):
    """A replay (CONNTRACK_INPUT_FILE) has no neighbour table of its own: the leases give the
    MACs, and names.devices the names, as live."""

    def test_a_replay_knows_devices_from_the_leases(self):
        directory = tempfile.mkdtemp(prefix="netmon-devices-replay-")
        self.addCleanup(shutil.rmtree, directory, True)
        leases = os.path.join(directory, "dhcp.leases")
        with open(leases, "w") as f:
            f.write("1999999999 3c:22:fb:00:00:11 10.0.0.11 replayed-laptop *\n"
                    "1999999999 3c:22:fb:00:00:12 10.0.0.12 * *\n")
        config = os.path.join(directory, "netmon.yml")
        db = os.path.join(directory, "netmon.db")
        with open(config, "w") as f:
            f.write(f"local_subnets: [10.0.0.0/24]\ndatabase: {db}\nnames:\n  dhcp_leases: [{leases}]\n"
                    "  devices:\n    10.0.0.12: config-name\n")
        result = subprocess.run([ingest_binary(), "--config", config, "once"], capture_output=True, text=True,
                                env={"PATH": os.environ["PATH"],
                                     "CONNTRACK_INPUT_FILE": os.path.join(FIXTURES, "router_mixed.txt")},
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self.addCleanup(connection.close)
        self.assertEqual(connection.execute("SELECT address, mac FROM lan_addresses ORDER BY address").fetchall(),
                         [(blob("10.0.0.11"), mac_blob("3c:22:fb:00:00:11")),
                          (blob("10.0.0.12"), mac_blob("3c:22:fb:00:00:12"))])
        names = dict((d, (n, s)) for d, n, s in connection.execute("SELECT device, name, source FROM device_names"))
        self.assertEqual(names[mac_blob("3c:22:fb:00:00:11")][0:2], ("replayed-laptop", "dhcp"))
        self.assertEqual(names[mac_blob("3c:22:fb:00:00:12")][0:2], ("config-name", "config"))


if __name__ == "__main__":
    main_or_skip(lab_unavailable())
