"""netmon-web under load while netmon-ingest writes: 16 client threads of mixed requests (every
endpoint, filters, keep-alive and not, HEAD, bad requests) against a netmon-web built with
ThreadSanitizer (scripts/test builds it in build-tsan), so that the shared reader pool, response
cache, metrics sampler and auth throttle are exercised from every server thread at once.

    NETMON_WEB=build-tsan/webui/netmon-web python3 tests/web_load.py [SECONDS]

Fails when netmon-web reports a data race (or any sanitizer error), dies, or answers a request
with a status it should not."""
import http.client
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from netmon_testing import FIXTURES, SOURCE, ingest_binary  # noqa: E402
from web_testing import LAB_SUBNETS, free_port, make_database, write_config  # noqa: E402

PATHS = ["/", "/connections.json", "/connections.json?limit=5", "/connections.json?q=443", "/connections.json?proto=udp",
         "/connections.json?src=10.0.0.11", "/hosts.json", "/hosts.json?since=60", "/metrics.json", "/healthz",
         "/metrics", "/static/app.js", "/?q=10.0", "/nope", "/connections.json?limit=0", "/?limit=5=6", "/coverage"]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15
    web = os.environ.get("NETMON_WEB")
    if not web or not os.access(web, os.X_OK):
        print("web_load.py: set NETMON_WEB to a netmon-web binary", file=sys.stderr)
        return 2
    directory = tempfile.mkdtemp(prefix="netmon-load-")
    db = os.path.join(directory, "netmon.db")
    make_database(db)
    port = free_port()
    config = write_config(directory, db)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "TSAN_OPTIONS": "halt_on_error=1 exitcode=66 second_deadlock_stack=1"}
    log = open(os.path.join(directory, "web.log"), "w+")
    server = subprocess.Popen([web, "--config", config, "--listen", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    ingest_env = {"PATH": env["PATH"], "NETMON_DB": db, "NETMON_LOCAL_SUBNETS": LAB_SUBNETS,
                  "CONNTRACK_INPUT_FILE": os.path.join(FIXTURES, "router_mixed.txt")}
    ingest = subprocess.Popen([ingest_binary(), "--config", os.path.join(SOURCE, "config", "netmon.yml"), "run",
                               "--interval", "0.1"], env=ingest_env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    failures = []
    counts = [0]
    lock = threading.Lock()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("netmon-web did not start")
                time.sleep(0.1)
        stop = time.monotonic() + seconds

        def client(seed):
            rng = random.Random(seed)
            connection = None
            while time.monotonic() < stop:
                path = rng.choice(PATHS)
                method = "HEAD" if rng.random() < 0.1 else "GET"
                try:
                    if connection is None or rng.random() < 0.3:
                        if connection:
                            connection.close()
                        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    connection.request(method, path)
                    response = connection.getresponse()
                    response.read()
                    expected = {404} if path == "/nope" else {400} if "=0" in path or "=5=6" in path else {200, 503}
                    if response.status not in expected:
                        with lock:
                            failures.append(f"{method} {path}: {response.status}")
                    with lock:
                        counts[0] += 1
                except (OSError, http.client.HTTPException) as e:
                    connection = None
                    if server.poll() is not None:
                        return
                    with lock:
                        failures.append(f"{method} {path}: {e!r}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        ingest.send_signal(signal.SIGTERM)
        ingest.wait(timeout=30)
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
        log.seek(0)
        logged = log.read()
    races = "ThreadSanitizer" in logged or "AddressSanitizer" in logged or "runtime error" in logged
    print(f"web_load.py: {counts[0]} requests in {seconds:.0f} s by 16 clients, netmon-web exit {code}, "
          f"{len(failures)} failures, sanitizer reports: {'yes' if races else 'none'}")
    if races:
        print(logged[-20000:], file=sys.stderr)
    for failure in failures[:20]:
        print("  " + failure, file=sys.stderr)
    return 0 if code == 0 and not races and not failures and counts[0] > 100 else 1


if __name__ == "__main__":
    sys.exit(main())
