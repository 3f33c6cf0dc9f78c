#!/usr/bin/env python3
"""How long a netmon page takes to be ready in headless Chromium (issue 12: the device page
renders in <= 200 ms on a month of history).

    bench/page_bench.py BASE_URL PATH [ROUNDS]      e.g. http://127.0.0.1:8080 /device/10.0.0.10 20

Opens PATH ROUNDS times (after one warm-up) in one headless Chromium, through the DevTools
protocol of tests/web_browser_test.py, and prints p50 and max of the time from navigation to
`window.netmonPage.ready` (the page's data loaded and drawn: webui/assets/device.js sets
ready_ms, performance.now() at that moment, so it counts from the start of the navigation) and of
the wall time from the navigate call to it, as this script sees it."""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from web_browser_test import DevTools  # noqa: E402


def main():
    base, path = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with tempfile.TemporaryDirectory(prefix="netmon-page-bench-") as directory:
        browser = DevTools(directory)
        try:
            browser.call("Page.enable")
            browser.call("Runtime.enable")
            ready, wall = [], []
            for i in range(rounds + 1):
                started = time.monotonic()
                browser.navigate(base + path)
                browser.wait_for("window.netmonPage && window.netmonPage.ready", timeout=30, what=path)
                elapsed = (time.monotonic() - started) * 1000
                errors = browser.evaluate("window.netmonPage.errors")
                if errors:
                    sys.exit(f"page_bench.py: {path}: {errors}")
                if i > 0:  # the first is the warm-up
                    ready.append(browser.evaluate("window.netmonPage.ready_ms"))
                    wall.append(elapsed)
        finally:
            browser.close()
    print(f"{path}: ready {statistics.median(ready):.0f} ms p50, {max(ready):.0f} ms max after navigation;"
          f" as seen here {statistics.median(wall):.0f} / {max(wall):.0f} ms ({rounds} rounds)")


if __name__ == "__main__":
    main()
