#!/usr/bin/env python3
"""netmon-web's dashboard in a real browser: Debian's headless Chromium, driven over the DevTools
protocol with a small WebSocket client of our own (standard library only). The page loads, the
table shows the rows, and when the database changes the rows change without a page reload (a
marker set on window survives); a filter stays applied while it polls; no Content-Security-Policy
violation. Screenshots are saved under the build directory: look at them."""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import BUILD, SKIP  # noqa: E402
from web_testing import HOSTILE_NAME, WebServer, add_names, make_database, write_config  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames out (masked), frames in."""

    def __init__(self, url):
        assert url.startswith("ws://")
        host_port, path = url[5:].split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket handshake")
            response += chunk
        head, self.buffer = response.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(head.decode(errors="replace"))

    def send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x9:  # ping
                continue
            if opcode == 0x8:
                raise ConnectionError("the browser closed the WebSocket")
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self):
        self.sock.close()


class DevTools:
    """One page of a headless Chromium."""

    def __init__(self, directory):
        self.profile = os.path.join(directory, "profile")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        def port_text():
            if not os.path.exists(port_file):
                return ""
            with open(port_file) as f:
                return f.read()
        while port_text().count("\n") < 1:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not start its DevTools server")
            time.sleep(0.1)
        port = int(port_text().split("\n")[0])
        targets = []
        while not [t for t in targets if t["type"] == "page"]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.load(response)
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium has no page")
            time.sleep(0.1)
        page = [t for t in targets if t["type"] == "page"][0]
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=10, what=None):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or expression}")
            time.sleep(0.1)

    def navigate(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'",
                      what=f"{url} to load")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.ws.close()
        # Chromium and the helper processes it started, which share its new session.
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)


ROWS = "Array.from(document.querySelectorAll('#connections tr:not(.message)'))"


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="netmon-web-browser-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.db = os.path.join(cls.dir, "netmon.db")
        make_database(cls.db, "router_events.txt")
        cls.server = WebServer(write_config(cls.dir, cls.db))
        cls.addClassCleanup(cls.server.stop)
        cls.url = f"http://127.0.0.1:{cls.server.port}/"
        cls.browser = DevTools(cls.dir)
        cls.addClassCleanup(cls.browser.close)
        cls.browser.call("Page.enable")
        cls.browser.call("Log.enable")
        cls.browser.call("Runtime.enable")
        cls.browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1,
                         mobile=False)

    def violations(self):
        return [e for e in self.browser.events
                if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
                or e.get("method") == "Runtime.exceptionThrown"]

    def test_rows_change_live_without_a_reload(self):
        b = self.browser
        make_database(self.db, "router_events.txt")  # two outbound flows
        b.navigate(self.url)
        self.assertEqual(b.evaluate(f"{ROWS}.length"), 2)
        self.assertEqual(b.evaluate(f"{ROWS}.filter(r => r.querySelector('.badge.new')).length"), 2)
        b.evaluate("window.netmonTestMarker = 'still here'")
        first_tbody = b.evaluate("document.getElementById('connections').dataset.stamp = 'first'")
        self.assertEqual(first_tbody, "first")
        b.screenshot(os.path.join(BUILD, "web_browser_test_before.png"))

        make_database(self.db, "router_mixed.txt")  # the ingest's next cycle: 15 flows
        b.wait_for(f"{ROWS}.length === 15", timeout=10, what="the 15 rows of the new table")
        self.assertEqual(b.evaluate("window.netmonTestMarker"), "still here")
        self.assertEqual(b.evaluate("performance.getEntriesByType('navigation').length"), 1)
        # Only the <tbody> was replaced: a new element, in the same table.
        self.assertIsNone(b.evaluate("document.getElementById('connections').dataset.stamp || null"))
        self.assertEqual(b.evaluate("document.querySelectorAll('table.connections tbody').length"), 1)
        cells = b.evaluate(f"{ROWS}[0].innerText")
        self.assertIn("192.0.2.10", cells)
        self.assertIn("120 KiB", cells)
        self.assertIn("NEW", cells)
        totals = b.evaluate(f"{ROWS}.map(r => Number(r.children[6].title.split(' ')[0]))")
        self.assertEqual(totals, sorted(totals, reverse=True))
        b.wait_for("document.getElementById('summary').textContent.startsWith('15 active connections')",
                   timeout=6, what="the summary line to follow")
        b.wait_for("document.querySelector('.tile.interface .rate').textContent.endsWith('/s')", timeout=6,
                   what="interface rates in the tiles")
        self.assertEqual(b.evaluate("document.getElementById('live').textContent"), "Live")
        self.assertEqual(self.violations(), [])
        b.screenshot(os.path.join(BUILD, "web_browser_test.png"))

    def test_a_filter_stays_applied_while_polling(self):
        b = self.browser
        make_database(self.db, "router_mixed.txt")
        b.navigate(self.url + "?proto=udp")
        count = b.evaluate(f"{ROWS}.length")
        self.assertGreater(count, 0)
        b.evaluate("document.getElementById('connections').dataset.stamp = 'server'")
        b.wait_for("!document.getElementById('connections').dataset.stamp", timeout=5, what="a poll")
        self.assertEqual(b.evaluate(f"{ROWS}.length"), count)
        self.assertEqual(b.evaluate(f"{ROWS}.every(r => r.children[0].textContent === 'udp')"), True)
        self.assertEqual(b.evaluate("document.querySelector('select[name=proto]').value"), "udp")
        self.assertEqual(self.violations(), [])

    def test_names_in_the_table_addresses_on_hover(self):
        """Names (issue 13): the device's and the remote host's names where the addresses were, the
        addresses visible below them and in the link's title; a hostile lease hostname is text."""
        b = self.browser
        make_database(self.db, "router_mixed.txt")
        add_names(self.db,
                  macs=[("10.0.0.11", "00:1b:63:aa:bb:cc"), ("fd00:10::11", "00:1b:63:aa:bb:cc"),
                        ("10.0.0.12", "da:a1:19:00:00:01")],
                  device_names=[("00:1b:63:aa:bb:cc", "alices-laptop", "dhcp", "Apple, Inc."),
                                ("da:a1:19:00:00:01", HOSTILE_NAME, "dhcp", None),
                                ("10.0.0.13", "printer", "config", None)],
                  answers=[("10.0.0.11", "192.0.2.10", "video.example.net")],
                  host_names=[("203.0.113.20", "cdn.example.org")])
        b.navigate(self.url)
        for rendered_by in ("the server", "the script"):
            if rendered_by == "the script":
                b.evaluate("document.getElementById('connections').dataset.stamp = 'server'")
                b.wait_for("!document.getElementById('connections').dataset.stamp", timeout=5, what="a poll")
            first = f"{ROWS}[0]"
            self.assertEqual(b.evaluate(f"{first}.children[1].querySelector('.name').textContent"), "alices-laptop")
            self.assertEqual(b.evaluate(f"{first}.children[1].querySelector('.address').textContent"),
                             "10.0.0.11:35410")
            self.assertIn("10.0.0.11 port 35410", b.evaluate(f"{first}.children[1].querySelector('a').title"))
            self.assertIn("MAC 00:1b:63:aa:bb:cc", b.evaluate(f"{first}.children[1].querySelector('a').title"))
            self.assertEqual(b.evaluate(f"{first}.children[1].querySelector('.vendor').textContent"), "Apple, Inc.")
            self.assertEqual(b.evaluate(f"{first}.children[2].querySelector('.name').textContent"),
                             "video.example.net")
            self.assertEqual(b.evaluate(f"{first}.children[2].querySelector('.address').textContent"),
                             "192.0.2.10:443")
            self.assertIn("192.0.2.10 port 443", b.evaluate(f"{first}.children[2].querySelector('a').title"))
            # The address is on screen, not only on hover.
            self.assertGreater(b.evaluate(f"{first}.children[2].querySelector('.address').getBoundingClientRect()"
                                          ".height"), 0)
            # The hostile name: text, no element, no script run; the random MAC says so.
            hostile = b.evaluate(f"{ROWS}.map(r => r.children[1].querySelector('.name'))"
                                 ".filter(n => n && n.textContent.startsWith('<img')).length")
            self.assertEqual(hostile, 6, rendered_by)  # 10.0.0.12's six flows
            self.assertEqual(b.evaluate(f"{ROWS}.filter(r => r.children[1].textContent.includes('random MAC'))"
                                        ".length"), 6)
            self.assertEqual(b.evaluate("document.querySelectorAll('#connections img').length"), 0)
            self.assertIsNone(b.evaluate("window.netmonPwned || null"))
        # The filter box finds names.
        b.navigate(self.url + "?q=laptop")
        self.assertEqual(b.evaluate(f"{ROWS}.every(r => r.children[1].querySelector('.name')"
                                    ".textContent === 'alices-laptop')"), True)
        b.navigate(self.url)
        self.assertEqual(self.violations(), [])
        b.screenshot(os.path.join(BUILD, "web_browser_test_names.png"))


if __name__ == "__main__":
    if not os.access(CHROMIUM, os.X_OK):
        print("SKIPPED: needs Debian's chromium (apt-get install chromium)", file=sys.stderr)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
