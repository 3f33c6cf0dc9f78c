#!/usr/bin/env python3
"""The history pages, /device/ADDR and /host/ADDR, in Debian's headless Chromium against a real
netmon-web on loopback. The database is one `netmon-ingest once` made (the live connections),
plus history rows written here with sqlite3 as the ingest writes them (schema/005_history_size.sql:
per step the pairs' rows in `host_traffic`, the devices' and the LAN's in `traffic`; `devices`,
`device_hosts` (whose triggers keep `device_host_days`), `flow_log`; addresses as their bytes), from a list of known transfers. The pages must show the totals those transfers add up
to, in the browser's time zone; the chart must hold their points, and a screenshot of its plot
area must have line pixels above the axis (a blank or flat chart has none). Every address on the
dashboard links to its page; a malformed address is a 400 page; an unknown one says it has no
history; no Content-Security-Policy violation. Screenshots are saved under the build
directory: look at them."""
import base64
import datetime
import ipaddress
import json
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
import unittest
import zlib
from collections import defaultdict
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import BUILD, SKIP  # noqa: E402
from web_browser_test import CHROMIUM, DevTools  # noqa: E402
from web_testing import HOSTILE_NAME, WebServer, add_names, make_database, write_config  # noqa: E402

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
# Default retention (netmon.yml): how long each step's rows are kept.
KEPT = {60: 48 * HOUR, 3600: 90 * DAY, 86400: 730 * DAY}
KEPT_PAIRS = {60: 24 * HOUR, 3600: 7 * DAY, 86400: 90 * DAY}  # retention.host_traffic_*

DEVICE = "10.0.0.11"       # also the source of the capture's two live connections
OTHER = "10.0.0.12"
DEVICE6 = "fd00:10::11"
HOST = "203.0.113.7"       # not in the capture: only the history knows it
HOST2 = "198.51.100.20"
UNKNOWN_DEVICE = "10.0.0.99"
UNKNOWN_HOST = "192.0.2.200"

UPLINK_RGB = (0x1F, 0x6F, 0xEB)    # history.js's colours of the two lines
DOWNLINK_RGB = (0x12, 0xB7, 0x6A)


def blob(address):
    return ipaddress.ip_address(address).packed


class History:
    """Transfers (device, host, when, bytes up, bytes down), and the rows the ingest would have
    written for them."""

    def __init__(self, now):
        self.now = now
        self.transfers = []

    def add(self, device, host, ago, up, down):
        self.transfers.append((device, host, self.now - ago, up, down))

    def sums(self, device=None, host=None, since=None):
        up = down = 0
        for d, h, at, u, w in self.transfers:
            if (device is None or d == device) and (host is None or h == host) and (since is None or at >= since):
                up, down = up + u, down + w
        return up, down

    def write(self, path):
        traffic = defaultdict(lambda: [0, 0, 0, 0, 0])
        pairs, devices = {}, {}
        for device, host, at, up, down in self.transfers:
            d, h = blob(device), blob(host)
            for step, kept in KEPT.items():
                bucket = at // (step * 1000) * step * 1000
                # The pair (host_traffic), the device and the LAN (device X'', in traffic): the same
                # bytes, the pair's kept shorter.
                for level in ((d, h), (d, b""), (b"", b"")):
                    if at < self.now - (KEPT_PAIRS[step] if level[1] else kept):
                        continue
                    row = traffic[(level[0], step, bucket, level[1])]
                    row[0] += up
                    row[1] += down
                    row[2] += max(1, up // 1000)
                    row[3] += max(1, down // 1000)
                    row[4] += 1
            for table, key in ((pairs, (d, h)), (devices, d)):
                first, last, count, u, w = table.get(key, (at, at, 0, 0, 0))
                table[key] = (min(first, at), max(last, at), count + 1, u + up, w + down)
        db = sqlite3.connect(path)
        with db:
            # Only these rows: whatever history the ingest wrote for the capture goes.
            for table in ("traffic", "host_traffic", "device_hosts", "devices", "flow_log"):
                db.execute(f"DELETE FROM {table}")
            for (device, step, bucket, host), (up, down, up_packets, down_packets, flows) in traffic.items():
                if host:
                    db.execute("INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes, downlink_bytes,"
                               " uplink_packets, downlink_packets, flows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (device, step, bucket, host, up, down, up_packets, down_packets, flows))
                else:
                    db.execute("INSERT INTO traffic (device, step, bucket, uplink_bytes, downlink_bytes,"
                               " uplink_packets, downlink_packets, flows) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (device, step, bucket, up, down, up_packets, down_packets, flows))
            for (device, host), (first, last, count, up, down) in pairs.items():
                db.execute("INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at, connections_seen,"
                           " uplink_bytes, downlink_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (device, host, first, last, count, up, down))
            for device, (first, last, count, up, down) in devices.items():
                active = db.execute("SELECT count(*) FROM connections WHERE src_ip = ?",
                                    (str(ipaddress.ip_address(device)),)).fetchone()[0]
                db.execute("INSERT INTO devices (address, first_seen_at, last_seen_at, connections_seen, uplink_bytes,"
                           " downlink_bytes, active_connections) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (device, first, last, count, up, down, active))
            # Two ended flows of DEVICE with HOST, the newest last.
            for ended_ago, up, down, ended_by in ((3 * HOUR, 5_000, 100_000, 1), (10 * MINUTE, 1_000, 50_000, 2)):
                ended = self.now - ended_ago
                db.execute("INSERT INTO flow_log (ended_at, device, host, proto, src_port, dst_port, first_seen_at,"
                           " last_seen_at, state, flags, uplink_packets, uplink_bytes, downlink_packets,"
                           " downlink_bytes, ended_by) VALUES (?, ?, ?, 6, 40000, 443, ?, ?, 'TIME_WAIT', 0, 5, ?,"
                           " 80, ?, ?)", (ended, blob(DEVICE), blob(HOST), ended - MINUTE, ended, up, down, ended_by))
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('history_flushed_at', ?)", (self.now,))
        db.close()


def decode_png(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack("!I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack("!IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def near(pixel, rgb, tolerance=60):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb))


class Pages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="netmon-web-pages-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.db = os.path.join(cls.dir, "netmon.db")
        make_database(cls.db, "router_events.txt")
        now = int(time.time() * 1000)
        h = cls.history = History(now)
        h.add(DEVICE, HOST, 10 * MINUTE, 1_000, 50_000)
        h.add(DEVICE, HOST2, 30 * MINUTE, 2_000, 3_000)
        h.add(DEVICE, HOST, 3 * HOUR, 5_000, 100_000)
        h.add(DEVICE, HOST, 2 * DAY, 7_000, 700_000)
        h.add(DEVICE, HOST2, 10 * DAY, 11_000, 1_100_000)
        h.add(DEVICE, HOST, 40 * DAY, 13_000, 1_300_000)
        h.add(OTHER, HOST, 90 * MINUTE, 300, 400)
        h.add(OTHER, HOST, 5 * DAY, 500, 600)
        h.add(DEVICE6, HOST2, 20 * MINUTE, 4_096, 8_192)
        h.write(cls.db)
        cls.server = WebServer(write_config(cls.dir, cls.db))
        cls.addClassCleanup(cls.server.stop)
        cls.base = f"http://127.0.0.1:{cls.server.port}"
        cls.browser = DevTools(cls.dir)
        cls.addClassCleanup(cls.browser.close)
        for domain in ("Page.enable", "Log.enable", "Runtime.enable"):
            cls.browser.call(domain)
        cls.browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1,
                         mobile=False)

    def setUp(self):
        self.browser.events.clear()

    def tearDown(self):
        self.assertEqual(self.errors(), [])

    def errors(self):
        """Console errors (a CSP violation is one), failed loads and exceptions since setUp."""
        return [e for e in self.browser.events
                if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
                or e.get("method") == "Runtime.exceptionThrown"]

    def zone(self, zone):
        # Chromium refuses to set the zone it already has.
        if getattr(Pages, "current_zone", None) != zone:
            self.browser.call("Emulation.setTimezoneOverride", timezoneId=zone)
            Pages.current_zone = zone

    def open(self, path, zone="Europe/Berlin"):
        b = self.browser
        self.zone(zone)
        b.navigate(self.base + path)
        b.wait_for("window.netmonPage && window.netmonPage.ready", timeout=15, what=f"{path} to load its data")
        self.assertEqual(b.evaluate("window.netmonPage.errors"), [])
        print(f"{path}: ready {b.evaluate('window.netmonPage.ready_ms')} ms after navigation", file=sys.stderr)

    def chart_sums(self):
        return self.browser.evaluate(
            "(() => { const c = Chart.getChart('chart'); return c.data.datasets.map(d => ["
            "d.data.length, d.data.filter(p => p.y > 0).length, d.data.reduce((s, p) => s + p.y, 0)]); })()")

    def pick(self, window):
        b = self.browser
        b.evaluate(f"document.querySelector('.windows button[data-window=\"{window}\"]').click()")
        b.wait_for(f"window.netmonPage.chart && window.netmonPage.chart.window === '{window}' && "
                   f"Chart.getChart('chart').data.datasets[0].data.length === window.netmonPage.chart.points.length",
                   what=f"the {window} chart")

    def plot_pixels(self, name):
        """Pixels of each line's colour in the chart's plot area, above its bottom (where a line of
        zeros lies), in a screenshot of it, which is saved as name."""
        b = self.browser
        area = b.evaluate("(() => { const c = Chart.getChart('chart'); const r = c.canvas.getBoundingClientRect();"
                          " const a = c.chartArea; return {x: r.left + window.scrollX + a.left,"
                          " y: r.top + window.scrollY + a.top, width: a.right - a.left,"
                          " height: a.bottom - a.top - 6}; })()")
        data = b.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip=dict(area, scale=1))["data"]
        png = base64.b64decode(data)
        with open(os.path.join(BUILD, name), "wb") as f:
            f.write(png)
        _, _, rows = decode_png(png)
        counts = [sum(near(p, rgb) for row in rows for p in row) for rgb in (UPLINK_RGB, DOWNLINK_RGB)]
        return counts

    def local_midnight(self, zone):
        now = datetime.datetime.fromtimestamp(self.history.now / 1000, ZoneInfo(zone))
        return int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)

    def tile_bytes(self, tile_id):
        return int(self.browser.evaluate(f"document.getElementById('{tile_id}').title").split(" ")[0])

    def test_device_page_totals_chart_hosts_and_live_connections(self):
        b = self.browser
        h = self.history
        for zone in ("Asia/Kolkata", "America/New_York"):  # midnight on a half hour, and on an hour
            with self.subTest(zone=zone):
                self.open(f"/device/{DEVICE}", zone)
                totals = b.evaluate("window.netmonPage.totals")
                today = h.sums(DEVICE, since=self.local_midnight(zone))
                self.assertEqual((totals["today"]["uplink_bytes"], totals["today"]["downlink_bytes"]), today)
                self.assertEqual(self.tile_bytes("total-today"), sum(today))
                week = h.sums(DEVICE, since=h.now - 7 * DAY)
                month = h.sums(DEVICE, since=h.now - 30 * DAY)
                self.assertEqual(self.tile_bytes("total-7d"), sum(week))
                self.assertEqual(self.tile_bytes("total-30d"), sum(month))
                offset = datetime.datetime.fromtimestamp(h.now / 1000, ZoneInfo(zone)).utcoffset()
                self.assertEqual(b.evaluate("-new Date().getTimezoneOffset()"), offset.total_seconds() / 60)
        # The time axis ticks at local midnights, also across a change of daylight saving time
        # (1 November 2026 in New York), and the bytes axis steps round in KiB and MiB.
        ticks = b.evaluate("netmonHistory.localTicks(Date.UTC(2026, 9, 28), Date.UTC(2026, 10, 4))"
                           ".map(t => [new Date(t).getHours(), new Date(t).getMinutes()])")
        self.assertEqual(ticks, [[0, 0]] * 7)
        self.assertEqual(b.evaluate("netmonHistory.byteStep(700000)"), 200 * 1024)
        self.assertEqual(b.evaluate("netmonHistory.byteStep(5 * 1048576)"), 1048576)
        # What the tile shows, in the dashboard's units.
        self.assertEqual(b.evaluate("document.getElementById('total-7d').textContent"),
                         f"{sum(h.sums(DEVICE, since=h.now - 7 * DAY)) / 1024:.0f} KiB")
        self.assertIn("\u2191 ", b.evaluate("document.getElementById('total-30d-sub').textContent"))

        # The default window, 24 h by hour: 25 buckets, three transfers, their exact bytes.
        chart = b.evaluate("window.netmonPage.chart")
        self.assertEqual((chart["window"], chart["step"]), ("24h", 3600))
        up, down = h.sums(DEVICE, since=h.now - DAY)
        sums = self.chart_sums()
        self.assertEqual(sums[0][0], 25)
        self.assertEqual((sums[0][2], sums[1][2]), (up, down))
        self.assertGreaterEqual(sums[1][1], 2)
        self.assertIn("Bytes per hour", b.evaluate("Chart.getChart('chart').options.scales.y.title.text"))
        self.assertEqual(b.evaluate("Chart.getChart('chart').options.scales.y.ticks.callback(1536)"), "1.50 KiB")
        pixels = self.plot_pixels("web_pages_test_device_chart.png")
        self.assertGreater(pixels[1], 30, f"downlink line pixels in the plot area: {pixels}")

        # The top remote hosts of the window, by total bytes, linked to their pages.
        hosts = b.evaluate("Array.from(document.querySelectorAll('#hosts tr')).map(r => ["
                           "r.querySelector('a').getAttribute('href'), Number(r.children[3].firstChild.title.split(' ')[0])])")
        self.assertEqual(hosts, [[f"/host/{HOST}", sum(h.sums(DEVICE, HOST, since=h.now - DAY))],
                                 [f"/host/{HOST2}", sum(h.sums(DEVICE, HOST2, since=h.now - DAY))]])
        # Its live connections, from /connections.json?src=.
        live = b.evaluate("Array.from(document.querySelectorAll('#connections tr:not(.message)')).map(r => "
                          "r.children[1].textContent)")
        with sqlite3.connect(self.db) as db:
            expected = db.execute("SELECT dst_ip || ':' || dst_port FROM connections WHERE src_ip = ?", (DEVICE,))
            self.assertEqual(sorted(live), sorted(row[0] for row in expected))
        self.assertEqual(len(live), 2)
        # Its ended flows, newest first.
        self.assertEqual(b.evaluate("Array.from(document.querySelectorAll('#flows tr')).map(r => r.lastChild.textContent)"),
                         ["gone", "destroyed"])
        b.screenshot(os.path.join(BUILD, "web_pages_test_device.png"))

        # The other windows: 1 h by minute, 7 d by hour, 30 d by day.
        for window, step, points, since in (("1h", 60, 61, h.now - HOUR), ("7d", 3600, 169, h.now - 7 * DAY),
                                            ("30d", 86400, 31, h.now - 30 * DAY)):
            with self.subTest(window=window):
                self.pick(window)
                self.assertEqual(b.evaluate("window.netmonPage.chart.step"), step)
                sums = self.chart_sums()
                self.assertEqual(sums[0][0], points)
                self.assertEqual((sums[0][2], sums[1][2]), h.sums(DEVICE, since=since))
        b.screenshot(os.path.join(BUILD, "web_pages_test_device_30d.png"))

    def test_ipv6_device(self):
        self.open(f"/device/{DEVICE6}")
        self.assertEqual(self.tile_bytes("total-30d"), sum(self.history.sums(DEVICE6)))
        self.assertEqual(self.browser.evaluate("window.netmonPage.hosts.map(h => h.host)"), [HOST2])

    def test_host_page_first_seen_devices_and_chart(self):
        b = self.browser
        h = self.history
        self.open(f"/host/{HOST}")
        first = datetime.datetime.fromtimestamp((h.now - 40 * DAY) / 1000, datetime.timezone.utc)
        self.assertEqual(b.evaluate("document.getElementById('seen').title"),
                         first.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(h.now - 40 * DAY) % 1000:03d}Z")
        # Shown in the browser's zone (Europe/Berlin here), not in UTC.
        shown = b.evaluate("document.getElementById('seen').textContent")
        self.assertIn(str(first.astimezone(ZoneInfo("Europe/Berlin")).day), shown)
        devices = b.evaluate("Array.from(document.querySelectorAll('#devices tr')).map(r => ["
                             "r.querySelector('a').getAttribute('href'), Number(r.children[3].firstChild.title.split(' ')[0]),"
                             " Number(r.children[4].textContent)])")
        self.assertEqual(devices, [[f"/device/{DEVICE}", sum(h.sums(DEVICE, HOST)), 4],
                                   [f"/device/{OTHER}", sum(h.sums(OTHER, HOST)), 2]])
        self.assertEqual(self.tile_bytes("total"), sum(h.sums(host=HOST)))
        self.assertEqual(b.evaluate("document.getElementById('device-count').textContent"), "2")
        # The chart: all devices' traffic with it.
        sums = self.chart_sums()
        self.assertEqual((sums[0][2], sums[1][2]), h.sums(host=HOST, since=h.now - DAY))
        self.pick("7d")
        sums = self.chart_sums()
        self.assertEqual((sums[0][2], sums[1][2]), h.sums(host=HOST, since=h.now - 7 * DAY))
        self.assertGreaterEqual(sums[1][1], 4)
        pixels = self.plot_pixels("web_pages_test_host_chart.png")
        self.assertGreater(pixels[1], 30, f"downlink line pixels in the plot area: {pixels}")
        b.screenshot(os.path.join(BUILD, "web_pages_test_host.png"))

    def test_unknown_addresses_have_no_history(self):
        b = self.browser
        for path, address in ((f"/device/{UNKNOWN_DEVICE}", UNKNOWN_DEVICE), (f"/host/{UNKNOWN_HOST}", UNKNOWN_HOST)):
            with self.subTest(path=path):
                self.open(path)
                self.assertEqual(b.evaluate("window.netmonPage.known"), False)
                self.assertIn(f"There is no history for {address}",
                              b.evaluate("document.getElementById('notices').textContent"))
                sums = self.chart_sums()
                self.assertEqual((sums[0][1], sums[1][1]), (0, 0))
                # A chart of zeros: nothing above the axis.
                self.assertEqual(self.plot_pixels("web_pages_test_unknown_chart.png"), [0, 0])
        b.screenshot(os.path.join(BUILD, "web_pages_test_unknown.png"))

    def test_bad_addresses_are_400(self):
        for path in ("/device/10.0.0.256", "/device/", "/host/example.com", "/host/10.0.0.1%2F24",
                     "/device/%3Cscript%3E"):
            with self.subTest(path=path):
                status, headers, body = self.server.get(path)
                self.assertEqual(status, 400)
                self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
                self.assertIn("is not an IP address", body.decode())
                self.assertNotIn("<script", body.decode())
        for path, name in (("/device.json?device=10.0.0.x", "device"), ("/host.json?host=", "host"),
                           ("/host.json?device=10.0.0.11", "device")):
            with self.subTest(path=path):
                status, _, body = self.server.get(path)
                self.assertEqual(status, 400)
                self.assertIn(name, json.loads(body)["error"])
        b = self.browser
        b.navigate(self.base + "/device/10.0.0.256")
        self.assertIn("is not an IP address", b.evaluate("document.getElementById('bad-address').textContent"))
        self.browser.events.clear()  # the 400 itself is logged as a failed load

    def test_chart_library_is_debians_file(self):
        status, headers, body = self.server.get("/static/chart.js")
        self.assertEqual(status, 200)
        with open("/usr/share/javascript/chart.js/chart.min.js", "rb") as f:
            self.assertEqual(body, f.read())
        self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")
        self.assertNotIn("unsafe", headers["content-security-policy"])
        status, _, body = self.server.get("/static/chart.js", headers={"If-None-Match": headers["etag"]})
        self.assertEqual((status, body), (304, b""))

    def test_names_on_the_device_and_host_pages(self):
        """Names (issue 13): a device's page by its MAC is all of its addresses, named; its remote
        hosts and a host's devices show their names, the addresses muted beside them."""
        mac = "00:1b:63:aa:bb:cc"
        add_names(self.db, macs=[(DEVICE, mac), (DEVICE6, mac)],
                  device_names=[(mac, HOSTILE_NAME, "dhcp", "Apple, Inc.")],
                  host_names=[(HOST, "video.example.net")])

        def forget():
            with sqlite3.connect(self.db) as db:
                for table in ("lan_addresses", "device_names", "remote_names", "host_names"):
                    db.execute(f"DELETE FROM {table}")
        self.addCleanup(forget)
        b = self.browser
        h = self.history
        for path in (f"/device/{mac.upper()}", f"/device/{DEVICE6}"):
            with self.subTest(path=path):
                self.open(path)
                self.assertEqual(b.evaluate("document.querySelector('.subject').textContent"), HOSTILE_NAME)
                beside = b.evaluate("document.getElementById('subject-address').textContent")
                self.assertIn(f"{DEVICE}, {DEVICE6}", beside)
                self.assertIn("Apple, Inc.", beside)
                self.assertEqual(b.evaluate("document.querySelectorAll('header img').length"), 1)  # the logo only
                self.assertIsNone(b.evaluate("window.netmonPwned || null"))
                # Both addresses' traffic, one device.
                month = h.now - 30 * DAY
                self.assertEqual(self.tile_bytes("total-30d"),
                                 sum(h.sums(DEVICE, since=month)) + sum(h.sums(DEVICE6, since=month)))
                first_host = "document.querySelector('#hosts tr a')"
                self.assertEqual(b.evaluate(f"{first_host}.querySelector('.name').textContent"), "video.example.net")
                self.assertEqual(b.evaluate(f"{first_host}.querySelector('.address').textContent"), HOST)
                self.assertEqual(b.evaluate(f"{first_host}.title"), HOST)
        b.screenshot(os.path.join(BUILD, "web_pages_test_names_device.png"))
        self.open(f"/host/{HOST}")
        self.assertEqual(b.evaluate("document.querySelector('.subject').textContent"), "video.example.net")
        self.assertIn(HOST, b.evaluate("document.getElementById('subject-address').textContent"))
        device = "document.querySelector('#devices tr a')"
        self.assertEqual(b.evaluate(f"{device}.getAttribute('href')"), f"/device/{DEVICE}")
        self.assertEqual(b.evaluate(f"{device}.querySelector('.name').textContent"), HOSTILE_NAME)
        self.assertIn(DEVICE, b.evaluate(f"{device}.querySelector('.address').textContent"))
        self.assertIsNone(b.evaluate("window.netmonPwned || null"))
        b.screenshot(os.path.join(BUILD, "web_pages_test_names_host.png"))

    def test_dashboard_addresses_link_to_their_pages(self):
        # As the server renders them, and as app.js renders them once it polls.
        page = self.server.get("/")[2].decode()
        for href in (f"/device/{DEVICE}", "/host/192.0.2.10", "/host/203.0.113.20"):
            self.assertIn(f'href="{href}"', page)
        b = self.browser
        self.zone("Europe/Berlin")
        b.navigate(self.base + "/")
        b.evaluate("document.getElementById('connections').dataset.stamp = 'server'")
        b.wait_for("!document.getElementById('connections').dataset.stamp", timeout=5, what="a poll")
        links = b.evaluate("Array.from(document.querySelectorAll('#connections tr')).map(r => "
                           "Array.from(r.querySelectorAll('a.history-link')).map(a => a.getAttribute('href')))")
        self.assertEqual(sorted(links), [[f"/device/{DEVICE}", "/host/192.0.2.10"],
                                         [f"/device/{DEVICE}", "/host/203.0.113.20"]])
        b.screenshot(os.path.join(BUILD, "web_pages_test_dashboard.png"))
        # Following them leads to the pages.
        b.evaluate("document.querySelector('#connections a.history-link[href^=\"/device/\"]').click()")
        b.wait_for(f"location.pathname === '/device/{DEVICE}' && window.netmonPage && window.netmonPage.ready",
                   timeout=15, what="the device page after the click")
        b.evaluate("document.querySelector('#hosts a.history-link').click()")
        b.wait_for(f"location.pathname === '/host/{HOST}' && window.netmonPage && window.netmonPage.ready",
                   timeout=15, what="the host page after the click")
        self.assertEqual(b.evaluate("document.body.dataset.address"), HOST)


if __name__ == "__main__":
    if not os.access(CHROMIUM, os.X_OK):
        print("SKIPPED: needs Debian's chromium (apt-get install chromium)", file=sys.stderr)
        sys.exit(SKIP)
    if not os.path.exists("/usr/share/javascript/chart.js/chart.min.js"):
        print("SKIPPED: needs Debian's libjs-chart.js (scripts/install-deps)", file=sys.stderr)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
