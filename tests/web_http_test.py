#!/usr/bin/env python3
"""netmon-web over HTTP, as a browser, curl or Prometheus meets it: a real netmon-web on
127.0.0.1 over a database netmon-ingest made from the real captures. Status codes, headers, field
names, order, the NEW/SEEN rule on both sides of 60 s, parameter validation, basic auth, no
database and recovery, the listen address checks, and a web user that may not write."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import FIXTURES, SOURCE, ingest_binary  # noqa: E402
from web_testing import (HOSTILE_NAME, LAB_SUBNETS, WebServer, add_names, start_auth_server, free_port,  # noqa: E402
                         make_database, now_ms, request, temporary_directory, web_binary, write_config)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CONNECTION_FIELDS = {"proto", "src_ip", "src_port", "dst_ip", "dst_port", "state", "flags", "uplink_bytes",
                     "downlink_bytes", "total_bytes", "last_seen_at", "seen_before", "uplink_packets",
                     "downlink_packets", "first_seen_at", "uplink_rate", "downlink_rate"}
# The names of issue 13 (docs/API.md), on every LAN side and every remote side.
DEVICE_NAME_FIELDS = {"mac", "device_name", "device_name_source", "vendor", "mac_random"}
REMOTE_NAME_FIELDS = {"remote_name", "remote_name_source"}
ENDPOINTS = ["/", "/connections.json", "/hosts.json", "/metrics.json", "/healthz", "/metrics", "/static/app.js",
             "/static/app.css", "/static/icon.svg", "/devices.json", "/history.json", "/flows.json",
             "/hosts.json?device=10.0.0.11"]


def sql(path, statement, parameters=()):
    connection = sqlite3.connect(path, timeout=10)
    try:
        with connection:
            return connection.execute(statement, parameters).fetchall()
    finally:
        connection.close()


def get_json(server, path):
    status, headers, body = server.get(path)
    return status, headers, json.loads(body)


class WebOverDatabase(unittest.TestCase):
    """One netmon-web over a database of router_mixed.txt (15 outbound flows, IPv4 and IPv6)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="netmon-web-test-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.db = os.path.join(cls.dir, "netmon.db")
        make_database(cls.db)
        cls.server = WebServer(write_config(cls.dir, cls.db))
        cls.addClassCleanup(cls.server.stop)

    def fresh(self):
        """The ingest's last cycle, as if it had just run."""
        sql(self.db, "UPDATE meta SET value = ? WHERE key IN ('last_cycle_at', 'last_good_cycle_at')", (now_ms(),))

    def test_dashboard_renders_the_table_on_the_server(self):
        status, headers, body = self.server.get("/")
        page = body.decode()
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        rows = sql(self.db, "SELECT dst_ip FROM connections ORDER BY total_bytes DESC, id")
        self.assertEqual(len(rows), 15)
        tbody = page[page.index('<tbody id="connections"'):page.index("</tbody>")]
        self.assertEqual(tbody.count("<tr"), 15)
        positions = [tbody.find(ip) for (ip,) in rows]
        self.assertNotIn(-1, positions)
        self.assertEqual(positions[0], min(positions))  # the biggest flow first
        self.assertEqual(tbody.count(">NEW</span>") + tbody.count(">SEEN</span>"), 15)
        self.assertIn('<script src="/static/app.js" defer></script>', page)
        self.assertNotIn("<script>", page)
        self.assertIn("active connections to", page)

    def test_security_headers_on_every_endpoint(self):
        for path in ENDPOINTS + ["/nope", "/connections.json?limit=0"]:
            with self.subTest(path=path):
                status, headers, _ = self.server.get(path)
                self.assertEqual(headers["content-security-policy"], CSP)
                self.assertEqual(headers["x-content-type-options"], "nosniff")
                self.assertEqual(headers["x-frame-options"], "DENY")
                self.assertEqual(headers["referrer-policy"], "no-referrer")
                self.assertFalse([h for h in headers if h.startswith("access-control-")])
                if not path.startswith("/static/"):
                    self.assertEqual(headers["cache-control"], "no-store")

    def test_head_is_get_without_a_body(self):
        status, headers, body = self.server.get("/", method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertGreater(int(headers["content-length"]), 1000)

    def test_other_methods_get_405_with_allow(self):
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            for path in ("/", "/connections.json"):
                with self.subTest(method=method, path=path):
                    status, headers, body = self.server.get(path, method=method, body=b"x=1",
                                                            headers={"Origin": "http://evil.example"})
                    self.assertEqual(status, 405)
                    self.assertEqual(headers["allow"], "GET, HEAD")
                    self.assertIn("error", json.loads(body))
                    self.assertFalse([h for h in headers if h.startswith("access-control-")])

    def test_connections_json_fields_types_and_order(self):
        status, headers, rows = get_json(self.server, "/connections.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        stored = sql(self.db, "SELECT proto, src_ip, src_port, dst_ip, dst_port, total_bytes FROM connections"
                              " ORDER BY total_bytes DESC, id")
        self.assertEqual([(r["proto"], r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"], r["total_bytes"])
                          for r in rows], [tuple(r) for r in stored])
        totals = [r["total_bytes"] for r in rows]
        self.assertEqual(totals, sorted(totals, reverse=True))
        for row in rows:
            self.assertEqual(set(row), CONNECTION_FIELDS | DEVICE_NAME_FIELDS | REMOTE_NAME_FIELDS)
            self.assertIsInstance(row["flags"], list)
            self.assertTrue(all(isinstance(f, str) and f.isupper() for f in row["flags"]))
            self.assertTrue(row["state"] is None or isinstance(row["state"], str))
            self.assertRegex(row["first_seen_at"], ISO)
            self.assertRegex(row["last_seen_at"], ISO)
            self.assertIsInstance(row["seen_before"], bool)
            self.assertEqual(row["total_bytes"], row["uplink_bytes"] + row["downlink_bytes"])
            for field in ("src_port", "dst_port", "uplink_packets", "downlink_packets"):
                self.assertIsInstance(row[field], int)
            for field in ("uplink_rate", "downlink_rate"):
                self.assertIsInstance(row[field], (int, float))
        first = {}
        for row in rows:
            first.setdefault(row["proto"], row)
        self.assertIsNone(first["udp"]["state"])
        self.assertEqual(first["tcp"]["state"], "ESTABLISHED")
        self.assertEqual(first["tcp"]["flags"], ["ASSURED"])

    def test_filters(self):
        rows = get_json(self.server, "/connections.json?limit=1")[2]
        self.assertEqual(len(rows), 1)
        udp = get_json(self.server, "/connections.json?proto=udp")[2]
        self.assertTrue(udp and all(r["proto"] == "udp" for r in udp))
        self.assertEqual(get_json(self.server, "/connections.json?proto=17")[2], udp)
        device = get_json(self.server, "/connections.json?src=10.0.0.12")[2]
        self.assertTrue(device and all(r["src_ip"] == "10.0.0.12" for r in device))
        v6 = get_json(self.server, "/connections.json?src=fd00:10:0:0::11")[2]
        self.assertTrue(v6 and all(r["src_ip"] == "fd00:10::11" for r in v6))
        port = get_json(self.server, "/connections.json?q=443")[2]
        self.assertTrue(port)
        for r in port:
            self.assertTrue(any("443" in str(r[f]) for f in ("src_ip", "dst_ip", "src_port", "dst_port")), r)
        self.assertEqual(get_json(self.server, "/connections.json?q=203.0.113&proto=tcp&src=10.0.0.11&limit=3")[0], 200)
        self.assertEqual(get_json(self.server, "/connections.json?q=&proto=&src=")[2],
                         get_json(self.server, "/connections.json")[2])
        page = self.server.get("/?proto=udp")[2].decode()
        tbody = page[page.index('<tbody id="connections"'):page.index("</tbody>")]
        self.assertEqual(tbody.count("<tr"), len(udp))
        self.assertIn('data-query="proto=udp"', page)

    def test_bad_parameters_get_400_with_an_error(self):
        for query in ("limit=0", "limit=10001", "limit=abc", "limit=-1", "limit=1.5", "proto=tcpx", "proto=300",
                      "src=10.0.0.256", "src=example.com", "q=%3Cscript%3E", "q=a%20b", "unknown=1",
                      "limit=1&limit=2", "q=" + "1" * 46):
            with self.subTest(query=query):
                status, headers, body = self.server.get("/connections.json?" + query)
                self.assertEqual(status, 400)
                self.assertEqual(headers["content-type"], "application/json")
                error = json.loads(body)["error"]
                self.assertIsInstance(error, str)
                self.assertTrue(error)
        status, _, body = self.server.get("/?limit=0")
        self.assertEqual(status, 400)
        self.assertIn("limit: &quot;0&quot; is not a whole number", body.decode())
        for path in ("/hosts.json?since=0", "/hosts.json?since=x", "/hosts.json?q=1", "/metrics.json?x=1",
                     "/healthz?x=1", "/metrics?x=1"):
            with self.subTest(path=path):
                self.assertEqual(self.server.get(path)[0], 400)

    def test_a_value_is_escaped_in_errors_and_never_reflected_as_markup(self):
        status, _, body = self.server.get("/?src=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
        self.assertEqual(status, 400)
        self.assertNotIn(b"<img src=x", body)
        self.assertIn(b"&lt;img src=x onerror=alert(1)&gt;", body)

    def test_hosts_json(self):
        status, _, hosts = get_json(self.server, "/hosts.json")
        self.assertEqual(status, 200)
        stored = dict(sql(self.db, "SELECT ip, first_seen_at FROM remote_hosts"))
        self.assertEqual({h["ip"] for h in hosts}, set(stored))
        active = dict(sql(self.db, "SELECT dst_ip, count(*) FROM connections GROUP BY dst_ip"))
        for host in hosts:
            self.assertEqual(set(host), {"ip", "family", "first_seen_at", "last_seen_at", "seen_before",
                                         "active_connections", "active_bytes", "connections_seen", "uplink_bytes",
                                         "downlink_bytes"} | REMOTE_NAME_FIELDS)
            self.assertEqual(host["active_connections"], active.get(host["ip"], 0))
            self.assertRegex(host["first_seen_at"], ISO)
        firsts = [h["first_seen_at"] for h in hosts]
        self.assertEqual(firsts, sorted(firsts, reverse=True))
        self.assertEqual(len(get_json(self.server, "/hosts.json?limit=2")[2]), 2)
        self.assertEqual(len(get_json(self.server, "/hosts.json?since=315360000")[2]), len(hosts))

    def test_hosts_since_counts_back_from_now(self):
        copy = os.path.join(temporary_directory(self), "netmon.db")
        shutil.copy(self.db, copy)
        sql(copy, "UPDATE remote_hosts SET first_seen_at = ?", (now_ms() - 3_600_000,))
        sql(copy, "UPDATE remote_hosts SET first_seen_at = ? WHERE ip = '203.0.113.20'", (now_ms() - 5_000,))
        server = WebServer(write_config(os.path.dirname(copy), copy))
        self.addCleanup(server.stop)
        self.assertEqual([h["ip"] for h in get_json(server, "/hosts.json?since=60")[2]], ["203.0.113.20"])
        self.assertEqual(len(get_json(server, "/hosts.json?since=7200")[2]), 6)

    def test_metrics_json(self):
        status, _, metrics = get_json(self.server, "/metrics.json")
        self.assertEqual(status, 200)
        self.assertEqual(len(metrics["loadavg"]), 3)
        self.assertTrue(all(isinstance(v, (int, float)) and v >= 0 for v in metrics["loadavg"]))
        memory = metrics["memory"]
        self.assertLessEqual(memory["used_bytes"], memory["total_bytes"])
        self.assertGreater(memory["total_bytes"], 0)
        interfaces = {i["name"]: i for i in metrics["interfaces"]}
        self.assertEqual(list(interfaces), ["lo", "nosuch0"])
        for field in ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets"):
            self.assertIsInstance(interfaces["lo"][field], int)
        self.assertIn("no interface nosuch0", interfaces["nosuch0"]["error"])
        self.assertNotIn("rx_bytes", interfaces["nosuch0"])
        self.assertEqual(metrics["netmon"]["active_connections"], 15)
        self.assertEqual(metrics["netmon"]["active_remote_hosts"], 6)

    def test_interface_rates_after_a_second(self):
        get_json(self.server, "/metrics.json")
        time.sleep(1.1)
        lo = get_json(self.server, "/metrics.json")[2]["interfaces"][0]
        self.assertIsNotNone(lo["rates"])
        self.assertGreater(lo["rates"]["rx_bytes"], 0)  # our own requests go over lo

    def test_interfaces_from_netmon_interfaces(self):
        server = WebServer(write_config(temporary_directory(self), self.db), env={"NETMON_INTERFACES": "lo"})
        self.addCleanup(server.stop)
        self.assertEqual([i["name"] for i in get_json(server, "/metrics.json")[2]["interfaces"]], ["lo"])

    def test_healthz_fresh_and_stale(self):
        self.fresh()
        status, _, body = get_json(self.server, "/healthz")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "ok")
        sql(self.db, "UPDATE meta SET value = ? WHERE key = 'last_good_cycle_at'", (now_ms() - 10_000,))
        status, _, body = get_json(self.server, "/healthz")
        self.assertEqual(status, 503)
        self.assertIn("stale", body["error"])
        page = self.server.get("/")[2].decode()
        self.assertIn("The data is stale", page)
        self.assertIn("systemctl status netmon-ingest", page)

    def test_accounting_off_and_a_failed_cycle_say_what_to_do(self):
        self.fresh()
        sql(self.db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('accounting', 'off')")
        sql(self.db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_cycle_ok', 0)")
        sql(self.db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_error', 'conntrack: Operation not permitted')")
        try:
            page = self.server.get("/")[2].decode()
            self.assertIn("sysctl -w net.netfilter.nf_conntrack_acct=1", page)
            self.assertIn("conntrack: Operation not permitted", page)
            notices = get_json(self.server, "/metrics.json")[2]["netmon"]["notices"]
            self.assertEqual(len(notices), 2)
        finally:
            sql(self.db, "DELETE FROM meta WHERE key IN ('accounting', 'last_error')")
            sql(self.db, "UPDATE meta SET value = 1 WHERE key = 'last_cycle_ok'")

    def test_prometheus(self):
        status, headers, body = self.server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode()
        samples = {}
        for line in text.splitlines():
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                continue
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
        for family in ("netmon_active_connections", "netmon_remote_hosts", "netmon_ingest_cycle_duration_seconds",
                       "netmon_ingest_last_cycle_age_seconds", "netmon_ingest_lines_skipped_total",
                       "netmon_ingest_event_overruns_total", "netmon_interface_receive_bytes_total"):
            self.assertIn(f"# HELP {family} ", text)
            self.assertRegex(text, f"# TYPE {family} (gauge|counter)\n")
        self.assertEqual(samples["netmon_active_connections"], 15)
        self.assertEqual(samples['netmon_remote_hosts{state="active"}'], 6)
        self.assertEqual(samples["netmon_ingest_lines_skipped_total"], 12)
        self.assertIn('netmon_interface_transmit_packets_total{interface="lo"}', samples)
        self.assertEqual(samples['netmon_interface_up{interface="nosuch0"}'], 0)

    def test_assets_are_compiled_in_and_nothing_else_is_served(self):
        status, headers, body = self.server.get("/static/app.js")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")
        self.assertIn(b"/connections.json", body)
        self.assertNotIn(b"innerHTML", body)
        etag = headers["etag"]
        self.assertEqual(self.server.get("/static/app.js", headers={"If-None-Match": etag})[0], 304)
        self.assertEqual(self.server.get("/static/app.css")[1]["content-type"], "text/css; charset=utf-8")
        for path in ("/static/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static/nope.js",
                     "/etc/passwd", "/static/app.js/", "/favicon.png", "/connections.json/x"):
            with self.subTest(path=path):
                status, _, body = self.server.get(path)
                self.assertEqual(status, 404)
                self.assertNotIn(b"root:", body)
        # Browsers ask for /favicon.ico whatever a page links to: it is the icon.
        status, headers, body = self.server.get("/favicon.ico")
        self.assertEqual(status, 200)
        self.assertEqual(body, self.server.get("/static/icon.svg")[2])
        self.assertTrue(headers["content-type"].startswith("image/svg+xml"))


def address_blob(text):
    """An address as the history tables store it: its 4 or 16 bytes."""
    import ipaddress
    return ipaddress.ip_address(text).packed


def book_traffic(db, device, host, at, up, down, flows=0):
    """Bytes a device sent to and received from host at time at (ms), as netmon-ingest books them
    (history-size-contract.md): at three levels and three steps, the pair in host_traffic, the
    device and the LAN (device X'') in traffic."""
    device_blob, host_blob = address_blob(device), address_blob(host)
    connection = sqlite3.connect(db, timeout=10)
    try:
        with connection:
            for step in (60, 3600, 86400):
                bucket = at // (step * 1000) * step * 1000
                sums = (" ON CONFLICT DO UPDATE SET uplink_bytes = uplink_bytes + excluded.uplink_bytes,"
                        " downlink_bytes = downlink_bytes + excluded.downlink_bytes,"
                        " uplink_packets = uplink_packets + 1, downlink_packets = downlink_packets + 1,"
                        " flows = flows + excluded.flows")
                connection.execute(
                    "INSERT INTO host_traffic (device, step, bucket, host, uplink_bytes, downlink_bytes,"
                    " uplink_packets, downlink_packets, flows) VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?)" + sums,
                    (device_blob, step, bucket, host_blob, up, down, flows))
                for row_device in (device_blob, b""):
                    connection.execute(
                        "INSERT INTO traffic (device, step, bucket, uplink_bytes, downlink_bytes,"
                        " uplink_packets, downlink_packets, flows) VALUES (?, ?, ?, ?, ?, 1, 1, ?)" + sums,
                        (row_device, step, bucket, up, down, flows))
            connection.execute(
                "INSERT INTO devices (address, first_seen_at, last_seen_at, uplink_bytes, downlink_bytes)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                " first_seen_at = min(first_seen_at, excluded.first_seen_at),"
                " last_seen_at = max(last_seen_at, excluded.last_seen_at),"
                " uplink_bytes = uplink_bytes + excluded.uplink_bytes,"
                " downlink_bytes = downlink_bytes + excluded.downlink_bytes", (device_blob, at, at, up, down))
            connection.execute(
                "INSERT INTO device_hosts (device, host, first_seen_at, last_seen_at, uplink_bytes, downlink_bytes)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                " first_seen_at = min(first_seen_at, excluded.first_seen_at),"
                " last_seen_at = max(last_seen_at, excluded.last_seen_at),"
                " uplink_bytes = uplink_bytes + excluded.uplink_bytes,"
                " downlink_bytes = downlink_bytes + excluded.downlink_bytes",
                (device_blob, host_blob, at, at, up, down))
    finally:
        connection.close()


class History(unittest.TestCase):
    """The history endpoints over tables filled here as netmon-ingest fills them: exact sums,
    zeros, order, IPv6, unknown and malformed addresses, and the Prometheus counters."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="netmon-web-history-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.db = os.path.join(cls.dir, "netmon.db")
        make_database(cls.db)
        # Only the rows written here, whatever the ingest wrote from the capture.
        for table in ("traffic", "host_traffic", "devices", "device_hosts", "flow_log"):
            sql(cls.db, f"DELETE FROM {table}")
        cls.now = now_ms()
        hour = 3_600_000
        # Two hours ago 10.0.0.11 downloads from 192.0.2.10, an hour ago it calls 203.0.113.7,
        # and fd00:10::11 talks to 2001:db8::1 a minute ago; 10.0.0.12 only 40 days ago.
        cls.two_hours_ago = cls.now - 2 * hour
        book_traffic(cls.db, "10.0.0.11", "192.0.2.10", cls.two_hours_ago, 1_000, 250_000, 1)
        book_traffic(cls.db, "10.0.0.11", "203.0.113.7", cls.now - hour, 4_000, 6_000, 2)
        book_traffic(cls.db, "fd00:10::11", "2001:db8::1", cls.now - 60_000, 70, 30, 1)
        book_traffic(cls.db, "10.0.0.12", "192.0.2.10", cls.now - 40 * 24 * hour, 5, 5, 1)
        sql(cls.db, "UPDATE devices SET active_connections = 3 WHERE address = ?", (address_blob("10.0.0.11"),))
        for ended_at, device, host, port, ended_by in ((cls.now - 90_000, "10.0.0.11", "192.0.2.10", 443, 1),
                                                       (cls.now - 30_000, "fd00:10::11", "2001:db8::1", 443, 2),
                                                       (cls.now - 60_000, "10.0.0.11", "203.0.113.7", 5060, 1)):
            sql(cls.db, "INSERT INTO flow_log (ended_at, device, host, proto, src_port, dst_port, first_seen_at,"
                        " last_seen_at, state, flags, uplink_packets, uplink_bytes, downlink_packets, downlink_bytes,"
                        " ended_by) VALUES (?, ?, ?, 6, 40000, ?, ?, ?, 'TIME_WAIT', 1, 2, 100, 3, 900, ?)",
                (ended_at, address_blob(device), address_blob(host), port, ended_at - 10_000, ended_at - 1_000,
                 ended_by))
        cls.server = WebServer(write_config(cls.dir, cls.db))
        cls.addClassCleanup(cls.server.stop)

    def test_devices_json(self):
        status, headers, body = get_json(self.server, "/devices.json?window=24h")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(body["window"], "24h")
        self.assertRegex(body["from"], ISO)
        self.assertRegex(body["to"], ISO)
        devices = body["devices"]
        self.assertEqual([d["device"] for d in devices], ["10.0.0.11", "fd00:10::11"])
        self.assertEqual(set(devices[0]), {"device", "uplink_bytes", "downlink_bytes", "total_bytes", "flows",
                                           "remote_hosts", "active_connections", "first_seen_at", "last_seen_at",
                                           "addresses"} | DEVICE_NAME_FIELDS)
        self.assertEqual((devices[0]["uplink_bytes"], devices[0]["downlink_bytes"], devices[0]["total_bytes"]),
                         (5_000, 256_000, 261_000))
        self.assertEqual((devices[0]["flows"], devices[0]["remote_hosts"], devices[0]["active_connections"]),
                         (3, 2, 3))
        self.assertEqual(devices[1]["total_bytes"], 100)
        # The default window is 24 h; 30 d reaches 10.0.0.12.
        self.assertEqual(get_json(self.server, "/devices.json")[2]["devices"], devices)
        month = get_json(self.server, "/devices.json?window=30d")[2]["devices"]
        self.assertEqual([d["device"] for d in month], ["10.0.0.11", "fd00:10::11"])
        self.assertEqual(get_json(self.server, "/devices.json?window=7d")[2]["devices"][0]["total_bytes"], 261_000)

    def test_history_json(self):
        hour = 3_600_000
        start = self.two_hours_ago // hour * hour
        path = (f"/history.json?device=10.0.0.11&from={start // 1000}&to={(start + 3 * hour) // 1000}")
        status, _, body = get_json(self.server, path)
        self.assertEqual(status, 200)
        self.assertEqual((body["step"], body["device"], body["host"]), (3600, "10.0.0.11", None))
        self.assertEqual([p["uplink_bytes"] for p in body["points"]], [1_000, 4_000, 0, 0])
        self.assertEqual(set(body["points"][0]), {"t", "uplink_bytes", "downlink_bytes", "uplink_packets",
                                                  "downlink_packets", "flows"})
        self.assertRegex(body["points"][0]["t"], ISO)
        # The LAN, a pair, a host from every device, an IPv6 device (percent-encoded or not).
        lan = get_json(self.server, path.replace("device=10.0.0.11&", ""))[2]
        self.assertEqual(lan["points"][0]["downlink_bytes"], 250_000)
        self.assertEqual(sum(p["downlink_bytes"] for p in lan["points"]), 256_030)
        pair = get_json(self.server, path + "&host=203.0.113.7")[2]
        self.assertEqual([p["uplink_bytes"] for p in pair["points"]], [0, 4_000, 0, 0])
        host = get_json(self.server, path.replace("device=10.0.0.11", "host=192.0.2.10"))[2]
        self.assertEqual(host["points"][0]["downlink_bytes"], 250_000)
        v6 = get_json(self.server, "/history.json?device=fd00%3A10%3A%3A11&step=60")[2]
        self.assertEqual(len(v6["points"]), 61)
        self.assertEqual(sum(p["uplink_bytes"] for p in v6["points"]), 70)
        self.assertEqual(get_json(self.server, "/history.json?device=fd00:10::11&step=60")[2]["device"], "fd00:10::11")
        # ISO 8601 with an offset; an unencoded '+' arrives as a space and is taken for one.
        iso = get_json(self.server, "/history.json?from=2026-11-24T02:00:00%2B02:00&to=2026-11-24T00:00:00Z")[2]
        self.assertEqual(iso["from"], "2026-11-24T00:00:00.000Z")
        self.assertEqual(get_json(self.server, "/history.json?from=2026-11-24T02:00:00+02:00&to=1795478400")[2],
                         iso)
        # Defaults: 24 h at step 3600 is 25 buckets, the current one last.
        self.assertEqual(len(get_json(self.server, "/history.json")[2]["points"]), 25)
        unknown = get_json(self.server, "/history.json?device=10.9.9.9&step=86400")[2]
        self.assertEqual(len(unknown["points"]), 31)
        self.assertFalse([p for p in unknown["points"] if p["uplink_bytes"] or p["downlink_bytes"]])

    def test_flows_json(self):
        status, _, body = get_json(self.server, "/flows.json")
        self.assertEqual(status, 200)
        flows = body["flows"]
        self.assertEqual([(f["device"], f["dst_port"]) for f in flows],
                         [("fd00:10::11", 443), ("10.0.0.11", 5060), ("10.0.0.11", 443)])
        self.assertEqual(set(flows[0]), {"proto", "device", "src_port", "host", "dst_port", "state", "flags",
                                         "first_seen_at", "last_seen_at", "ended_at", "uplink_bytes",
                                         "downlink_bytes", "uplink_packets", "downlink_packets", "ended_by"}
                         | DEVICE_NAME_FIELDS | REMOTE_NAME_FIELDS)
        self.assertEqual((flows[0]["proto"], flows[0]["flags"], flows[0]["ended_by"]), ("tcp", ["ASSURED"], "gone"))
        self.assertEqual(flows[1]["ended_by"], "destroyed")
        self.assertEqual(get_json(self.server, "/flows.json?limit=1")[2]["flows"], flows[:1])
        self.assertEqual(get_json(self.server, "/flows.json?device=10.0.0.11&host=192.0.2.10")[2]["flows"],
                         flows[2:])
        newer = get_json(self.server, f"/flows.json?from={(self.now - 60_000) // 1000 + 1}")[2]["flows"]
        self.assertEqual(newer, flows[:1])
        self.assertEqual(get_json(self.server, "/flows.json?host=2001:db8::2")[2], {"flows": []})

    def test_hosts_of_a_device(self):
        status, _, body = get_json(self.server, "/hosts.json?device=10.0.0.11&window=24h")
        self.assertEqual(status, 200)
        self.assertEqual((body["device"], body["window"]), ("10.0.0.11", "24h"))
        hosts = body["hosts"]
        self.assertEqual([(h["host"], h["total_bytes"]) for h in hosts], [("192.0.2.10", 251_000),
                                                                         ("203.0.113.7", 10_000)])
        self.assertEqual(set(hosts[0]), {"host", "uplink_bytes", "downlink_bytes", "total_bytes", "flows",
                                         "first_seen_at", "last_seen_at"} | REMOTE_NAME_FIELDS)
        self.assertRegex(hosts[0]["first_seen_at"], ISO)
        self.assertEqual(get_json(self.server, "/hosts.json?device=10.0.0.11&limit=1")[2]["hosts"], hosts[:1])
        self.assertEqual(get_json(self.server, "/hosts.json?device=fd00:10::11&window=1h")[2]["hosts"][0]["host"],
                         "2001:db8::1")
        self.assertEqual(get_json(self.server, "/hosts.json?device=10.9.9.9")[2]["hosts"], [])
        # Without device=, /hosts.json is the list of remote hosts it always was.
        self.assertIsInstance(get_json(self.server, "/hosts.json")[2], list)
        self.assertEqual(self.server.get("/hosts.json?device=")[0], 400)

    def test_pairs_and_remote_hosts_over_30_days(self):
        # /hosts.json?window=30d reads the pairs' day rows and today's hours: the same sums as 24 h
        # here, and /devices.json's remote hosts (from device_host_days) as many as its hosts.
        month = get_json(self.server, "/hosts.json?device=10.0.0.11&window=30d")[2]
        self.assertEqual([(h["host"], h["total_bytes"]) for h in month["hosts"]], [("192.0.2.10", 251_000),
                                                                                  ("203.0.113.7", 10_000)])
        self.assertRegex(month["from"], r"T00:00:00\.000Z$")
        devices = {d["device"]: d for d in get_json(self.server, "/devices.json?window=30d")[2]["devices"]}
        self.assertEqual(devices["10.0.0.11"]["remote_hosts"], 2)
        self.assertEqual(devices["fd00:10::11"]["remote_hosts"], 1)
        # The host from every device, found through device_hosts: 10.0.0.12's contact 40 days ago too.
        step_day = get_json(self.server, "/history.json?host=192.0.2.10&step=86400&from="
                                         f"{(self.now - 41 * 86_400_000) // 1000}")[2]
        self.assertEqual(sum(p["uplink_bytes"] for p in step_day["points"]), 1_005)

    def test_bad_parameters_get_400_naming_them(self):
        for path, name in (("/devices.json?window=2h", "window"), ("/devices.json?device=10.0.0.11", "device"),
                           ("/history.json?step=5", "step"), ("/history.json?device=10.0.0", "device"),
                           ("/history.json?host=example.com", "host"), ("/history.json?from=yesterday", "from"),
                           ("/history.json?to=2026-11-24T00:00:00", "to"),
                           ("/history.json?from=1795478400&to=1795400000", "from"),
                           ("/history.json?step=60&from=0", "from"), ("/history.json?limit=5", "limit"),
                           ("/flows.json?limit=1001", "limit"), ("/flows.json?limit=0", "limit"),
                           ("/flows.json?device=x", "device"), ("/flows.json?step=60", "step"),
                           ("/hosts.json?device=10.0.0.1/24", "device"), ("/hosts.json?device=10.0.0.11&window=1d",
                                                                         "window"),
                           ("/hosts.json?device=10.0.0.11&since=60", "since"), ("/hosts.json?window=7d", "window"),
                           ("/devices.json?window=1h&window=1h", "window")):
            with self.subTest(path=path):
                status, headers, body = self.server.get(path)
                self.assertEqual(status, 400)
                self.assertEqual(headers["content-type"], "application/json")
                self.assertIn(name, json.loads(body)["error"])

    def test_prometheus_device_counters(self):
        text = self.server.get("/metrics")[2].decode()
        self.assertIn("# TYPE netmon_device_bytes_total counter\n", text)
        samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("netmon_device_bytes"))
        self.assertEqual(samples, {
            'netmon_device_bytes_total{device="10.0.0.11",direction="uplink"}': "5000",
            'netmon_device_bytes_total{device="10.0.0.11",direction="downlink"}': "256000",
            'netmon_device_bytes_total{device="10.0.0.12",direction="uplink"}': "5",
            'netmon_device_bytes_total{device="10.0.0.12",direction="downlink"}': "5",
            'netmon_device_bytes_total{device="fd00:10::11",direction="uplink"}': "70",
            'netmon_device_bytes_total{device="fd00:10::11",direction="downlink"}': "30",
        })


class Names(unittest.TestCase):
    """Names (issue 13) over HTTP: the names tables filled here as the ingest fills them, over a
    database of router_mixed.txt; every endpoint names both sides, device= and src= take a MAC,
    q= matches names, and a hostile lease hostname stays text."""

    LAPTOP = "00:1b:63:aa:bb:cc"

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="netmon-web-names-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.db = os.path.join(cls.dir, "netmon.db")
        make_database(cls.db)
        add_names(cls.db,
                  macs=[("10.0.0.11", cls.LAPTOP), ("fd00:10::11", cls.LAPTOP), ("10.0.0.12", "da:a1:19:00:00:01")],
                  device_names=[(cls.LAPTOP, "alices-laptop", "dhcp", "Apple, Inc."),
                                ("da:a1:19:00:00:01", HOSTILE_NAME, "dhcp", None),
                                ("10.0.0.13", "printer", "config", None)],
                  answers=[("fd00:10::11", "192.0.2.10", "video.example.net")],
                  host_names=[("203.0.113.20", "cdn.example.org")])
        cls.server = WebServer(write_config(cls.dir, cls.db))
        cls.addClassCleanup(cls.server.stop)

    def test_connections_name_both_sides(self):
        rows = get_json(self.server, "/connections.json")[2]
        by_key = {(r["src_ip"], r["dst_ip"], r["dst_port"]): r for r in rows}
        top = by_key[("10.0.0.11", "192.0.2.10", 443)]
        self.assertEqual((top["mac"], top["device_name"], top["device_name_source"], top["vendor"], top["mac_random"]),
                         (self.LAPTOP, "alices-laptop", "dhcp", "Apple, Inc.", False))
        # Asked for over IPv6, used over IPv4: one device.
        self.assertEqual((top["remote_name"], top["remote_name_source"]), ("video.example.net", "dns"))
        phone = by_key[("10.0.0.12", "203.0.113.20", 0)]
        self.assertEqual((phone["device_name"], phone["mac_random"], phone["vendor"]), (HOSTILE_NAME, True, None))
        self.assertEqual(phone["remote_name"], "cdn.example.org")
        printer = by_key[("10.0.0.13", "198.51.100.30", 53)]
        self.assertEqual((printer["mac"], printer["device_name"], printer["remote_name"]), (None, "printer", None))

    def test_q_matches_names_and_src_takes_a_mac(self):
        laptop = get_json(self.server, "/connections.json?q=LAPTOP")[2]
        self.assertEqual({r["src_ip"] for r in laptop}, {"10.0.0.11", "fd00:10::11"})
        self.assertEqual(len(laptop), 7)
        named = get_json(self.server, "/connections.json?q=example.net")[2]
        self.assertEqual([(r["src_ip"], r["dst_ip"]) for r in named], [("10.0.0.11", "192.0.2.10"),
                                                                       ("10.0.0.11", "192.0.2.10")])
        self.assertEqual(len(get_json(self.server, "/connections.json?q=cdn.example")[2]), 5)
        self.assertEqual(len(get_json(self.server, "/connections.json?q=1b:63")[2]), 7)
        self.assertEqual(get_json(self.server, "/connections.json?src=00-1B-63-AA-BB-CC")[2], laptop)
        self.assertEqual(get_json(self.server, "/connections.json?src=fd00:10::11")[2], laptop)
        self.assertEqual(get_json(self.server, "/connections.json?src=02:00:00:00:00:09")[2], [])
        for query in ("q=%3Cimg%3E", "q=a%20b", "src=laptop", "src=aa:bb:cc:dd:ee:gg"):
            status, _, body = get_json(self.server, "/connections.json?" + query)
            self.assertEqual(status, 400, query)
            self.assertTrue(body["error"].startswith(query.split("=")[0] + ":"), body)

    def test_hosts_and_history_endpoints_name_and_group(self):
        hosts = {h["ip"]: h for h in get_json(self.server, "/hosts.json")[2]}
        self.assertEqual((hosts["203.0.113.20"]["remote_name"], hosts["203.0.113.20"]["remote_name_source"]),
                         ("cdn.example.org", "dns"))
        self.assertIsNone(hosts["198.51.100.30"]["remote_name"])
        devices = get_json(self.server, "/devices.json")[2]["devices"]
        laptop = [d for d in devices if d["mac"] == self.LAPTOP]
        self.assertEqual(len(laptop), 1)
        self.assertEqual((laptop[0]["device"], laptop[0]["addresses"], laptop[0]["device_name"]),
                         ("10.0.0.11", ["10.0.0.11", "fd00:10::11"], "alices-laptop"))
        for device in ("00:1b:63:aa:bb:cc", "10.0.0.11", "fd00:10::11"):
            status, _, body = get_json(self.server, "/history.json?device=" + device)
            self.assertEqual(status, 200, body)
            self.assertEqual((body["addresses"], body["device_name"]), (["10.0.0.11", "fd00:10::11"], "alices-laptop"))
            status, _, body = get_json(self.server, "/hosts.json?device=" + device)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["device_name"], "alices-laptop")
            self.assertEqual(get_json(self.server, "/flows.json?device=" + device)[0], 200)
            record = get_json(self.server, "/device.json?device=" + device)[2]
            self.assertEqual((record["device"], record["device_name"], record["mac"]),
                             (device, "alices-laptop", self.LAPTOP))
        host = get_json(self.server, "/history.json?host=203.0.113.20")[2]
        self.assertEqual(host["remote_name"], "cdn.example.org")
        host = get_json(self.server, "/host.json?host=203.0.113.20")[2]
        self.assertEqual(host["remote_name"], "cdn.example.org")
        # A MAC nobody knows: what an unknown device gives.
        unknown = get_json(self.server, "/history.json?device=02:00:00:00:00:09")[2]
        self.assertTrue(all(p["uplink_bytes"] == 0 for p in unknown["points"]))
        self.assertEqual(unknown["addresses"], [])
        self.assertEqual(get_json(self.server, "/flows.json?device=02:00:00:00:00:09")[2], {"flows": []})
        self.assertEqual(get_json(self.server, "/device.json?device=02:00:00:00:00:09")[2]["first_seen_at"], None)
        for path in ("/history.json?device=aa:bb:cc:dd:ee:gg", "/flows.json?device=laptop",
                     "/hosts.json?device=aa-bb", "/device.json?device=aa:bb:cc:dd:ee:gg"):
            status, _, body = get_json(self.server, path)
            self.assertEqual(status, 400, path)
            self.assertTrue(body["error"].startswith("device:"), body)

    def test_pages_escape_a_hostile_name(self):
        status, _, body = self.server.get("/?src=10.0.0.12")
        self.assertEqual(status, 200)
        page = body.decode()
        self.assertNotIn("<img src=x", page)
        self.assertIn("&lt;img src=x onerror=&quot;window.netmonPwned=1&quot;&gt;&amp;amp;&#39;", page)
        self.assertIn("random MAC", page)
        status, _, body = self.server.get("/device/00:1B:63:AA:BB:CC")
        self.assertEqual(status, 200)
        self.assertIn('data-address="00:1b:63:aa:bb:cc"', body.decode())
        raw = self.server.get("/connections.json?src=10.0.0.12")[2]
        self.assertNotIn(b"<img", raw)  # JSON escapes '<' (\u003c)

    def test_metrics_label_device_names(self):
        text = self.server.get("/metrics")[2].decode()
        self.assertIn('netmon_device_info{device="10.0.0.11",mac="00:1b:63:aa:bb:cc",name="alices-laptop",'
                      'source="dhcp",vendor="Apple, Inc."} 1', text)
        self.assertIn('netmon_device_info{device="10.0.0.12",mac="da:a1:19:00:00:01",'
                      'name="<img src=x onerror=\\"window.netmonPwned=1\\">&amp;\'\u202e"', text)


class SeenBefore(unittest.TestCase):
    """The NEW/SEEN rule of seed step 8: seen_before is true when the remote host's first_seen_at is
    more than 60 s ago, on a copy of the database whose first_seen_at values are edited."""

    def test_both_sides_of_60_seconds_and_the_moment_it_flips(self):
        directory = temporary_directory(self)
        db = os.path.join(directory, "netmon.db")
        make_database(db)
        now = now_ms()
        sql(db, "UPDATE remote_hosts SET first_seen_at = ?", (now - 61_000,))
        sql(db, "UPDATE remote_hosts SET first_seen_at = ? WHERE ip = '203.0.113.20'", (now - 58_500,))
        sql(db, "UPDATE connections SET first_seen_at = ?", (now - 58_500,))
        server = WebServer(write_config(directory, db))
        self.addCleanup(server.stop)
        rows = get_json(server, "/connections.json")[2]
        seen = {r["dst_ip"]: r["seen_before"] for r in rows}
        self.assertFalse(seen["203.0.113.20"])
        self.assertTrue(all(v for ip, v in seen.items() if ip != "203.0.113.20"), seen)
        page = server.get("/")[2].decode()
        new_rows = sum(1 for r in rows if r["dst_ip"] == "203.0.113.20")
        self.assertEqual(page.count(">NEW</span>"), new_rows)
        self.assertEqual(page.count(">SEEN</span>"), len(rows) - new_rows)
        summary = get_json(server, "/metrics.json")[2]["netmon"]
        self.assertEqual(summary["new_remote_hosts"], 1)
        # Nothing changes in the database: the clock alone turns the host SEEN.
        while now_ms() < now + 1_600:
            time.sleep(0.1)
        rows = get_json(server, "/connections.json")[2]
        self.assertTrue(all(r["seen_before"] for r in rows))
        self.assertEqual(server.get("/")[2].decode().count(">NEW</span>"), 0)
        self.assertEqual(get_json(server, "/metrics.json")[2]["netmon"]["new_remote_hosts"], 0)


class BasicAuthentication(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_auth_server(cls, "correct horse")

    @staticmethod
    def basic(user, password):
        import base64
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    def test_every_endpoint_wants_credentials(self):
        for path in ENDPOINTS + ["/nope"]:
            with self.subTest(path=path):
                status, headers, body = self.server.get(path)
                self.assertEqual(status, 401)
                self.assertEqual(headers["www-authenticate"], 'Basic realm="netmon", charset="UTF-8"')
                self.assertEqual(headers["content-security-policy"], CSP)
                self.assertNotIn(b"10.0.0.", body)

    def test_wrong_credentials(self):
        for headers in (self.basic("admin", "wrong"), self.basic("Admin", "correct horse"),
                        self.basic("admin", "correct horse "), self.basic("", ""),
                        {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"}):
            with self.subTest(headers=headers):
                self.assertEqual(self.server.get("/connections.json", headers=headers)[0], 401)

    def test_right_credentials(self):
        good = self.basic("admin", "correct horse")
        for path in ENDPOINTS:
            with self.subTest(path=path):
                self.assertIn(self.server.get(path, headers=good)[0], (200, 503))
        self.assertEqual(self.server.get("/connections.json", headers=good)[0], 200)
        self.assertEqual(self.server.get("/", method="POST", headers=good)[0], 405)

    def test_a_hash_libcrypt_cannot_use_exits_2(self):
        config = write_config(temporary_directory(self), "/nonexistent.db",
                              'web:\n  auth:\n    user: admin\n    password_hash: "$9$nonsense"\n')
        result = subprocess.run([web_binary(), "--config", config, "--listen", f"127.0.0.1:{free_port()}"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.count("\n"), 1)
        self.assertIn("web.auth.password_hash", result.stderr)


class WithoutDatabase(unittest.TestCase):
    def test_503_then_recovery_without_a_restart(self):
        directory = temporary_directory(self)
        db = os.path.join(directory, "netmon.db")
        server = WebServer(write_config(directory, db))
        self.addCleanup(server.stop)
        status, _, body = server.get("/")
        self.assertEqual(status, 503)
        page = body.decode()
        self.assertIn(f"there is no database at {db} yet", page)
        self.assertIn("systemctl start netmon-ingest", page)
        for path in ("/connections.json", "/hosts.json", "/metrics.json", "/healthz"):
            with self.subTest(path=path):
                status, headers, body = server.get(path)
                self.assertEqual(status, 503)
                self.assertEqual(headers["content-type"], "application/json")
                self.assertIn("no database", json.loads(body)["error"])
        self.assertIn("loadavg", json.loads(server.get("/metrics.json")[2]))  # the tiles still have data
        status, _, body = server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("netmon_database_up 0\n", body.decode())

        make_database(db)
        status, _, body = server.get("/connections.json")
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(body)), 15)
        self.assertEqual(server.get("/")[0], 200)
        self.assertIn("netmon_database_up 1\n", server.get("/metrics")[2].decode())

        os.remove(db)  # gone again: said again, and back again
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.assertEqual(server.get("/connections.json")[0], 503)
        make_database(db, "router_extended.txt")
        self.assertEqual(server.get("/connections.json")[0], 200)
        log = server.stop()
        self.assertIn("no data: there is no database", log)
        self.assertIn("reading " + db + " again", log)

    def test_unknown_schema_version_and_not_a_database(self):
        directory = temporary_directory(self)
        db = os.path.join(directory, "netmon.db")
        make_database(db)
        version = sql(db, "PRAGMA user_version")[0][0]
        sql(db, "PRAGMA user_version = 99")
        server = WebServer(write_config(directory, db))
        self.addCleanup(server.stop)
        status, _, body = get_json(server, "/connections.json")
        self.assertEqual(status, 503)
        self.assertIn("schema version 99 is newer", body["error"])
        self.assertIn("schema version 99 is newer", server.get("/")[2].decode())
        sql(db, f"PRAGMA user_version = {version}")
        self.assertEqual(server.get("/connections.json")[0], 200)

        # A migration while netmon-web runs: its kept connections check the version again.
        self.assertEqual(server.get("/connections.json")[0], 200)
        sql(db, "CREATE TABLE from_a_newer_netmon (x INTEGER)")
        sql(db, "PRAGMA user_version = 99")
        status, _, body = get_json(server, "/connections.json")
        self.assertEqual(status, 503)
        self.assertIn("schema version 99 is newer", body["error"])

        junk = os.path.join(directory, "junk.db")
        with open(junk, "w") as f:
            f.write("not a database " * 100)
        server = WebServer(write_config(directory, junk))
        self.addCleanup(server.stop)
        status, _, body = get_json(server, "/connections.json")
        self.assertEqual(status, 503)
        self.assertIn("is not an SQLite database", body["error"])


class CommandLine(unittest.TestCase):
    def run_web(self, args, env=None, timeout=30):
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        full_env.update(env or {})
        return subprocess.run([web_binary()] + args, capture_output=True, text=True, timeout=timeout, env=full_env)

    def config(self):
        return write_config(temporary_directory(self), "/nonexistent/netmon.db")

    def test_wildcard_refused_unless_allowed(self):
        for address in ("0.0.0.0", "[::]"):
            with self.subTest(address=address):
                result = self.run_web(["--config", self.config(), "--listen", f"{address}:{free_port()}"])
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stderr.count("\n"), 1)
                self.assertIn(f"refusing to listen on {address}:", result.stderr)
                self.assertIn("--allow-any-address", result.stderr)
        port = free_port()
        process = subprocess.Popen([web_binary(), "--config", self.config(), "--listen", f"0.0.0.0:{port}",
                                    "--allow-any-address"], stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    self.assertEqual(request(port, "/healthz")[0], 503)
                    break
                except OSError:
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10), 0)
            process.stderr.close()

    def test_an_address_not_on_this_host_is_named(self):
        result = self.run_web(["--config", self.config(), "--listen", f"192.0.2.77:{free_port()}"])
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.count("\n"), 1)
        self.assertIn("192.0.2.77 is not an address of this host", result.stderr)

    def test_the_configured_address_is_checked_too(self):
        directory = temporary_directory(self)
        config = write_config(directory, "/nonexistent.db", "web:\n  listen: 192.0.2.78:8080\n")
        result = self.run_web(["--config", config])
        self.assertEqual(result.returncode, 1)
        self.assertIn("192.0.2.78 is not an address of this host", result.stderr)

    def test_a_port_in_use(self):
        import socket
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = self.run_web(["--config", self.config(), "--listen", f"127.0.0.1:{port}"])
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", result.stderr)

    def test_bad_config_exits_2_with_the_message_as_it_is(self):
        directory = temporary_directory(self)
        path = os.path.join(directory, "netmon.yml")
        with open(path, "w") as f:
            f.write("web:\n  listen: nowhere\n")
        result = self.run_web(["--config", path])
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr, f'{path}: web.listen: "nowhere" is not an address:port\n')
        result = self.run_web(["--config", "/nonexistent/netmon.yml"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent/netmon.yml", result.stderr)

    def test_usage(self):
        for args in (["--listen", "localhost:80"], ["--bogus"], ["serve"], ["--listen"]):
            with self.subTest(args=args):
                result = self.run_web(args)
                self.assertEqual(result.returncode, 2)
                self.assertIn("usage: netmon-web", result.stderr)
        result = self.run_web(["--help"])
        self.assertEqual(result.returncode, 0)
        self.assertIn("--allow-any-address", result.stdout)
        self.assertRegex(self.run_web(["--version"]).stdout, r"^netmon-web \d+\.\d+\.\d+\n$")

    def test_sigterm_and_sigint_stop_it_cleanly(self):
        for number in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=number):
                server = WebServer(self.config())
                server.process.send_signal(number)
                self.assertEqual(server.process.wait(timeout=10), 0)
                self.assertIn("stopped", server.stop())


class UnprivilegedReader(unittest.TestCase):
    """issue 6 runs netmon-web as a user that may read the database, its -wal and -shm files and
    their directory, but write none of them, while netmon-ingest writes as another."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run netmon-web as another user")
        if shutil.which("setpriv") is None:
            self.skipTest("needs setpriv (util-linux)")
        self.dir = temporary_directory(self)
        if not os.stat(os.path.dirname(self.dir)).st_mode & 0o001:
            self.skipTest(f"{os.path.dirname(self.dir)} is not searchable by others")
        os.chmod(self.dir, 0o755)
        self.db = os.path.join(self.dir, "netmon.db")
        self.capture = os.path.join(self.dir, "conntrack.txt")
        shutil.copy(os.path.join(FIXTURES, "router_mixed.txt"), self.capture)
        self.config = write_config(self.dir, self.db)
        os.chmod(self.config, 0o644)

    def start_ingest(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NETMON_DB": self.db,
               "NETMON_LOCAL_SUBNETS": LAB_SUBNETS, "CONNTRACK_INPUT_FILE": self.capture}
        started_ms = int(time.time() * 1000)
        process = subprocess.Popen([ingest_binary(), "--config", os.path.join(SOURCE, "config", "netmon.yml"),
                                    "run", "--interval", "0.2"], env=env, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: process.poll() is not None or (process.kill(), process.wait()))
        deadline = time.monotonic() + 20
        while not (os.path.exists(self.db + "-shm") and os.path.exists(self.db)):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        # Until its first cycle has committed (a slow start, a sanitizer build), the table is not
        # the capture's yet.
        while self.last_good_cycle_at() < started_ms:
            self.assertLess(time.monotonic(), deadline, "the ingest never completed a cycle")
            time.sleep(0.05)
        return process

    def last_good_cycle_at(self):
        try:
            connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
            try:
                row = connection.execute("SELECT value FROM meta WHERE key = 'last_good_cycle_at'").fetchone()
            finally:
                connection.close()
        except sqlite3.Error:
            return 0
        return int(row[0]) if row and row[0] is not None else 0

    def test_reads_while_the_ingest_writes(self):
        ingest = self.start_ingest()
        server = WebServer(self.config, user=65534)
        self.addCleanup(server.stop)
        status, _, body = server.get("/connections.json")
        self.assertEqual(status, 200, body)
        self.assertEqual(len(json.loads(body)), 15)
        shutil.copy(os.path.join(FIXTURES, "router_events.txt"), self.capture)  # two outbound flows
        deadline = time.monotonic() + 10
        while len(json.loads(server.get("/connections.json")[2])) != 2:
            self.assertLess(time.monotonic(), deadline, "the web never saw the ingest's new table")
            time.sleep(0.1)
        ingest.send_signal(signal.SIGTERM)
        self.assertEqual(ingest.wait(timeout=15), 0)
        self.assertEqual(server.get("/connections.json")[0], 200)
        self.assertNotIn("warning", server.stop())

    def test_reads_when_the_ingest_has_stopped_and_removed_its_wal(self):
        # A clean stop with no other connection open deletes -wal and -shm, which nobody may create.
        make_database(self.db, self.capture)
        self.assertFalse(os.path.exists(self.db + "-wal"))
        self.assertFalse(os.path.exists(self.db + "-shm"))
        server = WebServer(self.config, user=65534)
        self.addCleanup(server.stop)
        for path in ("/connections.json", "/hosts.json", "/"):
            status, _, body = server.get(path)
            self.assertEqual(status, 200, body[:300])
        self.assertEqual(len(json.loads(server.get("/connections.json")[2])), 15)
        # The ingest starts again with another table: the web sees it at once.
        shutil.copy(os.path.join(FIXTURES, "router_events.txt"), self.capture)  # two outbound flows
        self.start_ingest()
        self.assertEqual(len(json.loads(server.get("/connections.json")[2])), 2)
        self.assertEqual(os.stat(self.db).st_uid, 0)
        self.assertNotIn("warning", server.stop())


if __name__ == "__main__":
    unittest.main(verbosity=2)
