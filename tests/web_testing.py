"""Shared by the netmon-web tests: a database made by netmon-ingest from a real capture, and a
netmon-web process on a free loopback port."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from netmon_testing import BUILD, FIXTURES, SOURCE, ingest_binary

LAB_SUBNETS = "10.0.0.0/24,fd00:10::/64"


def web_binary():
    return os.path.join(BUILD, "webui", "netmon-web")


def now_ms():
    return int(time.time() * 1000)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_database(path, capture="router_mixed.txt"):
    """Runs `netmon-ingest once` on a capture into path (created or updated)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NETMON_DB": path,
           "NETMON_LOCAL_SUBNETS": LAB_SUBNETS,
           "CONNTRACK_INPUT_FILE": capture if os.path.isabs(capture) else os.path.join(FIXTURES, capture)}
    result = subprocess.run([ingest_binary(), "--config", os.path.join(SOURCE, "config", "netmon.yml"), "once"],
                            env=env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError("netmon-ingest once failed: " + result.stderr)


HOSTILE_NAME = "<img src=x onerror=\"window.netmonPwned=1\">&amp;'\u202e"


def _address_blob(text):
    import ipaddress
    return ipaddress.ip_address(text).packed


def add_names(path, macs=(), device_names=(), answers=(), host_names=()):
    """Writes the names tables (schema/006_names.sql) as the ingest leaves them: macs as
    (address, "aa:bb:..."), device_names as (MAC or address, name, source, vendor), answers as
    (device address, host, name) answered now and valid an hour, host_names as (host, name)."""
    import sqlite3
    now = now_ms()
    key = lambda text: bytes.fromhex(text.replace(":", "")) if text.count(":") == 5 and "." not in text \
        and len(text) == 17 else _address_blob(text)
    with sqlite3.connect(path) as db:
        for address, mac in macs:
            db.execute("INSERT OR REPLACE INTO lan_addresses VALUES (?, ?, ?, ?)",
                       (_address_blob(address), key(mac), now - 60_000, now))
        for device, name, source, vendor in device_names:
            db.execute("INSERT OR REPLACE INTO device_names VALUES (?, ?, ?, ?, ?)",
                       (key(device), name, source, vendor, now))
        # Answered a day ago, valid until an hour from now: the captures' flows began in between.
        for device, host, name in answers:
            db.execute("INSERT OR REPLACE INTO remote_names VALUES (?, ?, ?, ?, ?)",
                       (_address_blob(device), _address_blob(host), name, now - 86_400_000, now + 3_600_000))
        for host, name in host_names:
            db.execute("INSERT OR REPLACE INTO host_names VALUES (?, ?, ?, ?)",
                       (_address_blob(host), name, now - 60_000, now + 3_600_000))


def write_config(directory, database, extra=""):
    path = os.path.join(directory, "netmon.yml")
    with open(path, "w") as f:
        f.write(f"database: {database}\nmonitor_interfaces: [lo, nosuch0]\n"
                f"interfaces:\n  lan: lo\n  wan: nosuch0\n{extra}")
        # No reverse lookups of the test's documentation-range hosts: they would leave the machine.
        if "names:" not in extra:
            f.write("names:\n  ptr: false\n")
    return path


def request(port, path, method="GET", headers=None, body=None, host="127.0.0.1"):
    """One request on its own connection: (status, headers as a dict of lower-case names, body bytes)."""
    connection = http.client.HTTPConnection(host, port, timeout=15)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


class WebServer:
    """netmon-web on 127.0.0.1 with a free port; stop() ends it and returns what it logged."""

    def __init__(self, config, env=None, args=(), user=None):
        self.port = free_port()
        self.log = tempfile.TemporaryFile(mode="w+")
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        full_env.update(env or {})
        command = [web_binary(), "--config", config, "--listen", f"127.0.0.1:{self.port}", *args]
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + command
        self.process = subprocess.Popen(command, env=full_env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("netmon-web exited: " + self.stderr())
            try:
                request(self.port, "/healthz")
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("netmon-web does not answer")
                time.sleep(0.05)

    def get(self, path, **kwargs):
        return request(self.port, path, **kwargs)

    def stderr(self):
        if self.log.closed:
            return self.logged
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.logged = self.stderr()
            self.log.close()
        return self.logged


def temporary_directory(test):
    directory = tempfile.mkdtemp(prefix="netmon-web-test-")
    test.addCleanup(shutil.rmtree, directory, True)
    return directory


def start_auth_server(test_class, password):
    """For a TestCase class's setUpClass: netmon-web with web.auth (user admin, password) over a
    database of its own, in test_class.server; skips the class without openssl."""
    import unittest
    if shutil.which("openssl") is None:
        raise unittest.SkipTest("needs openssl to make a password hash")
    test_class.dir = tempfile.mkdtemp(prefix="netmon-web-auth-")
    test_class.addClassCleanup(shutil.rmtree, test_class.dir, True)
    db = os.path.join(test_class.dir, "netmon.db")
    make_database(db)
    password_hash = subprocess.run(["openssl", "passwd", "-6", password], capture_output=True, text=True,
                                   check=True).stdout.strip()
    config = write_config(test_class.dir, db, f'web:\n  auth:\n    user: admin\n    password_hash: "{password_hash}"\n')
    test_class.server = WebServer(config)
    test_class.addClassCleanup(test_class.server.stop)
