"""Shared by the Python tests: where the build and the sources are, and how to skip."""
import os
import sys
import unittest

SOURCE = os.environ.get("NETMON_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NETMON_BUILD_DIR") or os.path.join(SOURCE, "build")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "conntrack")
LAB = os.path.join(SOURCE, "tests", "lab")

# ctest's SKIP_RETURN_CODE for tests that cannot run here.
SKIP = 77


def ingest_binary():
    return os.path.join(BUILD, "collector", "netmon-ingest")


def lab_unavailable():
    """Why the namespace lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    for tool in ("ip", "nft", "conntrack"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]):
            return f"needs {tool}"
    return None


def main_or_skip(reason):
    """Runs the unittest main, or exits with SKIP and the reason."""
    if reason:
        print(f"SKIPPED: {reason}", file=sys.stderr)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
