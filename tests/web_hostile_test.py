"""netmon-web against hostile clients over real sockets on loopback: slow headers (slowloris),
floods of idle connections, oversized and malformed requests, bad encodings, DNS-rebinding Host
headers, password guessing, a second server on the same port. Run against both builds (the
sanitizer build's netmon-web aborts on any memory error or undefined behaviour)."""
import base64
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from web_testing import WebServer, start_auth_server, make_database, temporary_directory, web_binary, write_config  # noqa: E402

# Loopback is 127.0.0.0/8: each of these is a client address of its own.
ATTACKER = "127.0.0.1"
NORMAL = "127.0.0.2"


def connect(port, source):
    s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def raw(port, data, source=NORMAL, timeout=10):
    """Sends data on a connection of its own, returns everything the server sends until it closes."""
    with connect(port, source) as s:
        s.settimeout(timeout)
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(response):
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.") else None


def timed_get(port, path, source=NORMAL, host=None):
    """(seconds, status, body) of one GET on a new connection from source."""
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        headers = {"Host": host} if host is not None else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return time.monotonic() - start, response.status, body
    finally:
        connection.close()


class Crowd:
    """Connections a test holds open: slow ones trickle a header line every two seconds, idle
    ones send nothing. close() ends them all."""

    def __init__(self, port):
        self.port = port
        self.slow = []
        self.idle = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def open(self, slow=0, idle=0, source=ATTACKER):
        for _ in range(slow):
            s = connect(self.port, source)
            s.sendall(b"GET /connections.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.slow.append(s)
        for _ in range(idle):
            self.idle.append(connect(self.port, source))
        if slow and not self.thread.is_alive():
            self.thread.start()

    def _trickle(self):
        while not self.stop.wait(2):
            for s in list(self.slow):
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass  # closed by the server: that is what should happen

    def still_open(self, sockets):
        """How many of sockets the server has not closed."""
        alive = 0
        for s in sockets:
            s.setblocking(False)
            try:
                alive += s.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        return alive

    def close(self):
        self.stop.set()
        for s in self.slow + self.idle:
            s.close()


class HostileClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="netmon-hostile-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        db = os.path.join(cls.dir, "netmon.db")
        make_database(db)
        cls.server = WebServer(write_config(cls.dir, db))
        cls.addClassCleanup(cls.server.stop)

    def tearDown(self):
        self.assertIsNone(self.server.process.poll(), "netmon-web died: " + self.server.stderr())

    def assert_normal_client_served(self, rounds=10, source=NORMAL):
        for _ in range(rounds):
            seconds, status, body = timed_get(self.server.port, "/connections.json")
            self.assertEqual(status, 200)
            self.assertLess(seconds, 1.0)
            self.assertTrue(body.startswith(b"["))
            time.sleep(0.2)

    def test_50_slow_headers_and_200_idle_connections_from_one_address(self):
        crowd = Crowd(self.server.port)
        self.addCleanup(crowd.close)
        crowd.open(slow=50, idle=200)
        self.assert_normal_client_served()
        # The crowded address itself still gets in: its oldest idle connections give way.
        self.assert_normal_client_served(rounds=3, source=ATTACKER)

    def test_slow_clients_spread_over_addresses_cost_no_thread(self):
        # 8 addresses x 25 slow connections, every one under the per-address limit, so all stay
        # open at once against a server of 4 threads.
        crowd = Crowd(self.server.port)
        self.addCleanup(crowd.close)
        for i in range(8):
            crowd.open(slow=25, source=f"127.0.1.{i + 1}")
        time.sleep(0.5)
        self.assertGreater(crowd.still_open(crowd.slow), 190)
        self.assert_normal_client_served()

    def test_a_header_that_never_ends_is_cut_off_whole(self):
        # A byte every 0.3 s: no read ever waits long, the whole header has a deadline (5 s).
        with connect(self.server.port, "127.0.2.1") as s:
            start = time.monotonic()
            s.sendall(b"GET / HTTP/1.1\r\n")
            closed_after = None
            while time.monotonic() - start < 12:
                try:
                    s.sendall(b"X")
                    s.settimeout(0.3)
                    if s.recv(1024) == b"":
                        closed_after = time.monotonic() - start
                        break
                except socket.timeout:
                    continue
                except OSError:
                    closed_after = time.monotonic() - start
                    break
        self.assertIsNotNone(closed_after, "the server never closed a slow header")
        self.assertGreater(closed_after, 4)
        self.assertLess(closed_after, 8)

    def test_an_idle_connection_is_closed(self):
        with connect(self.server.port, "127.0.2.2") as s:
            s.settimeout(10)
            start = time.monotonic()
            self.assertEqual(s.recv(1), b"")
            self.assertLess(time.monotonic() - start, 8)

    def test_oversized_header_lines_get_431(self):
        port = self.server.port
        self.assertEqual(status_of(raw(port, b"GET /?" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")), 431)
        self.assertEqual(status_of(raw(port, b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")), 431)
        many = b"".join(b"X-%d: 1\r\n" % i for i in range(2000))
        self.assertEqual(status_of(raw(port, b"GET / HTTP/1.1\r\n" + many + b"\r\n")), 431)

    def test_malformed_requests_get_400(self):
        port = self.server.port
        for data in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET\x00 / HTTP/1.1\r\n\r\n",
                     b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
                     b"\xff\xfe\xfd / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"):
            with self.subTest(data=data):
                self.assertEqual(status_of(raw(port, data)), 400)
        # An absolute or asterisk target is no path of ours.
        host = f"Host: 127.0.0.1:{port}\r\n".encode()
        self.assertEqual(status_of(raw(port, b"GET http://x/ HTTP/1.1\r\n" + host + b"\r\n")), 400)
        self.assertEqual(status_of(raw(port, b"GET * HTTP/1.1\r\n" + host + b"\r\n")), 400)

    def test_bad_encodings_in_the_query_get_400(self):
        for query in ("q=%ff", "q=%c3", "q=%00", "q=%0a", "q=%", "q=%zz", "limit=5=6", "limit=5;limit=6", "=5",
                      "limit", "limit=5&", "&&"):
            with self.subTest(query=query):
                _, status, body = timed_get(self.server.port, "/connections.json?" + query)
                self.assertEqual(status, 400)
                self.assertIn(b'"error"', body)
        _, status, body = timed_get(self.server.port, "/?limit=5=6")
        self.assertEqual(status, 400)
        self.assertIn(b"limit", body)

    def test_dns_rebinding_hosts_get_421_and_no_data(self):
        port = self.server.port
        for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.example", f"127.0.0.2:{port}",
                     "127.0.0.1", f"127.0.0.1:{port + 1}", f"[::1]:{port}", ""):
            with self.subTest(host=host):
                _, status, body = timed_get(port, "/connections.json", host=host)
                self.assertEqual(status, 421)
                self.assertNotIn(b"10.0.0.", body)
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
            with self.subTest(host=host):
                self.assertEqual(timed_get(port, "/connections.json", host=host)[1], 200)
        curl = shutil.which("curl")
        if curl:
            url = f"http://127.0.0.1:{port}/connections.json"
            out = subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: attacker.example",
                                  url], capture_output=True, text=True, timeout=10).stdout
            self.assertEqual(out, "421")
            out = subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True,
                                 text=True, timeout=10).stdout
            self.assertEqual(out, "200")

    def test_keep_alive_and_pipelining(self):
        host = f"Host: 127.0.0.1:{self.server.port}\r\n".encode()
        two = (b"GET /healthz HTTP/1.1\r\n" + host + b"\r\n") * 2 + b"GET /healthz HTTP/1.1\r\n" + host + \
            b"Connection: close\r\n\r\n"
        response = raw(self.server.port, two)
        self.assertEqual(response.count(b"HTTP/1.1 "), 3)

    def test_a_body_is_never_read(self):
        host = f"Host: 127.0.0.1:{self.server.port}\r\n".encode()
        response = raw(self.server.port, b"GET / HTTP/1.1\r\n" + host + b"Content-Length: 100000000\r\n\r\nxx")
        self.assertEqual(status_of(response), 413)
        response = raw(self.server.port, b"GET / HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\n")
        self.assertEqual(status_of(response), 413)

    def test_a_second_server_cannot_take_the_port(self):
        config = write_config(temporary_directory(self), "/nonexistent.db")
        result = subprocess.run([web_binary(), "--config", config, "--listen", f"127.0.0.1:{self.server.port}"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("Address already in use", result.stderr)
        self.assertEqual(timed_get(self.server.port, "/connections.json")[1], 200)


class PasswordGuessing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_auth_server(cls, "right")

    def get(self, password, source):
        token = base64.b64encode(f"admin:{password}".encode()).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10, source_address=(source, 0))
        try:
            connection.request("GET", "/healthz", headers={"Authorization": "Basic " + token})
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Retry-After")
        finally:
            connection.close()

    def test_wrong_guesses_make_an_address_wait(self):
        guesser = "127.0.3.1"
        statuses = [self.get(f"guess{i}", guesser)[0] for i in range(5)]
        self.assertEqual(statuses, [401] * 5)
        status, retry_after = self.get("guess6", guesser)
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(retry_after), 1)
        # Even the right password waits: a try now tells nothing.
        self.assertEqual(self.get("right", guesser)[0], 429)
        # Other addresses are not held up.
        self.assertIn(self.get("right", "127.0.3.2")[0], (200, 503))
        time.sleep(int(retry_after) + 0.1)
        self.assertIn(self.get("right", guesser)[0], (200, 503))

    def test_expect_100_continue_is_not_answered_before_authentication(self):
        host = f"Host: 127.0.0.1:{self.server.port}\r\n".encode()
        response = raw(self.server.port, b"GET / HTTP/1.1\r\n" + host +
                       b"Expect: 100-continue\r\nContent-Length: 10\r\n\r\n", source="127.0.3.3")
        self.assertEqual(status_of(response), 401)
        self.assertNotIn(b"100 Continue", response)


if __name__ == "__main__":
    unittest.main()
