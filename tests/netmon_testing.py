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


class Lab:
    """The namespace router of tests/lab/lab.sh under a prefix of its own; down() removes it."""

    def __init__(self, prefix):
        self.prefix = prefix

    def sh(self, script, check=True, timeout=120):
        import subprocess
        return subprocess.run(["bash", "-c", f"source {LAB}/lab.sh; LAB={self.prefix}; {script}"],
                              capture_output=True, text=True, timeout=timeout, check=check)

    def up(self, clients=2):
        self.down()
        self.sh(f"lab_up {clients} && lab_serve")

    def down(self):
        self.sh("lab_down", check=False)

    def ns(self, name):
        return f"{self.prefix}-{name}"

    def run_in(self, name, args, **kwargs):
        import subprocess
        return subprocess.run(["ip", "netns", "exec", self.ns(name)] + list(args), **kwargs)

    def short_timeouts(self):
        """Short conntrack timeouts in the router, so that ended flows leave the table within a test."""
        self.run_in("router", ["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_time_wait=2",
                               "net.netfilter.nf_conntrack_tcp_timeout_close_wait=2",
                               "net.netfilter.nf_conntrack_tcp_timeout_fin_wait=2",
                               "net.netfilter.nf_conntrack_tcp_timeout_last_ack=2",
                               "net.netfilter.nf_conntrack_udp_timeout=3"], check=True)

    def traffic(self, client, *args, **kwargs):
        import subprocess
        return subprocess.run(["ip", "netns", "exec", self.ns(f"lan{client}"), sys.executable,
                               os.path.join(LAB, "traffic.py")] + [str(a) for a in args], **kwargs)


def spawn_quiet(processes, args):
    """Starts args in the background, its output dropped, and adds it to processes (which
    stop_processes ends)."""
    import subprocess
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(process)
    return process


def stop_processes(processes):
    """Terminates each process still running, and kills one that does not end within 5 s."""
    import subprocess
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def tear_down_lab(owner):
    """A lab test class's tearDownClass: stops its web and ingest (those it has), its background
    processes, its lab, and removes its directory, whatever fails on the way."""
    import shutil
    try:
        if getattr(owner, "web", None):
            owner.web.stop()
        if getattr(owner, "ingest", None):
            owner.ingest.stop()
    finally:
        stop_processes(getattr(owner, "processes", []))
        owner.lab.down()
        shutil.rmtree(owner.directory, ignore_errors=True)
