#!/usr/bin/env python3
"""The netmon-ingest binary as a user runs it: print-outbound, exit codes, messages."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import FIXTURES, SOURCE, ingest_binary  # noqa: E402

LAB_SUBNETS = "10.0.0.0/24,fd00:10::/64"


def run(args, env=None, shipped_config=True, timeout=60):
    """Runs netmon-ingest with a clean environment. Unless told otherwise it reads the shipped
    config/netmon.yml, so that the machine's /etc/netmon stays out of the tests."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full_env.update(env or {})
    if shipped_config:
        args = ["--config", os.path.join(SOURCE, "config", "netmon.yml")] + args
    return subprocess.run([ingest_binary()] + args, env=full_env, capture_output=True, text=True, timeout=timeout)


class PrintOutbound(unittest.TestCase):
    def test_json_lists_exactly_the_outbound_flows_of_the_mixed_capture(self):
        capture = os.path.join(FIXTURES, "router_mixed.txt")
        result = run(["print-outbound", "--json", "--limit", "100"],
                     {"CONNTRACK_INPUT_FILE": capture, "NETMON_LOCAL_SUBNETS": LAB_SUBNETS})
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(FIXTURES, "router_mixed.outbound.json")) as f:
            expected = json.load(f)
        self.assertEqual(json.loads(result.stdout), expected)
        totals = [row["total_bytes"] for row in expected]
        self.assertEqual(totals, sorted(totals, reverse=True))
        self.assertIn("39 lines, 22 entries, 15 outbound flows, 12 lines skipped", result.stderr)

    def test_every_format_gives_the_same_flows(self):
        outputs = {}
        for name in ("router_extended.txt", "router_plain.txt", "router_proc.txt", "router_extended_id.txt"):
            result = run(["print-outbound", "--json"],
                         {"CONNTRACK_INPUT_FILE": os.path.join(FIXTURES, name), "NETMON_LOCAL_SUBNETS": LAB_SUBNETS})
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(" 0 lines skipped", result.stderr)
            outputs[name] = json.loads(result.stdout)
        first = outputs["router_extended.txt"]
        self.assertEqual(len(first), 15)
        for name, rows in outputs.items():
            self.assertEqual(rows, first, name)

    def test_default_subnet_and_limit(self):
        capture = os.path.join(FIXTURES, "router_extended.txt")
        result = run(["print-outbound", "--json"], {"CONNTRACK_INPUT_FILE": capture})
        rows = json.loads(result.stdout)
        self.assertEqual(len(rows), 12)  # 10.0.0.0/24 only: the IPv6 flows are not local
        self.assertTrue(all(row["src_ip"].startswith("10.0.0.") for row in rows))
        limited = json.loads(run(["print-outbound", "--limit", "3", "--json"],
                                 {"CONNTRACK_INPUT_FILE": capture}).stdout)
        self.assertEqual(limited, rows[:3])

    def test_table(self):
        capture = os.path.join(FIXTURES, "router_extended.txt")
        result = run(["print-outbound"], {"CONNTRACK_INPUT_FILE": capture, "NETMON_LOCAL_SUBNETS": LAB_SUBNETS})
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("PROTO"), lines[0])
        self.assertEqual(len(lines), 16)
        self.assertIn("192.0.2.10", lines[1])
        self.assertIn("123068", lines[1])
        # Aligned: every row as wide as the header.
        self.assertEqual({len(line) for line in lines}, {len(lines[0])})

    def test_event_capture(self):
        capture = os.path.join(FIXTURES, "router_events.txt")
        result = run(["print-outbound", "--json"], {"CONNTRACK_INPUT_FILE": capture})
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = json.loads(result.stdout)
        self.assertEqual(sorted((r["proto"], r["dst_port"]) for r in rows), [("tcp", 8080), ("udp", 123)])

    def test_missing_input_file_exits_1_naming_it(self):
        result = run(["print-outbound"], {"CONNTRACK_INPUT_FILE": "/nonexistent/capture.txt"})
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/capture.txt", result.stderr)
        self.assertIn("No such file or directory", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_unreadable_input_exits_1(self):
        with tempfile.TemporaryDirectory() as directory:
            result = run(["print-outbound"], {"CONNTRACK_INPUT_FILE": directory})
            self.assertEqual(result.returncode, 1)
            self.assertIn(directory, result.stderr)
            self.assertIn("it is a directory, not a regular file", result.stderr)

    def test_a_source_that_never_ends_is_refused_at_once(self):
        # /dev/zero, /dev/urandom or a FIFO would be read for ever (issue 10, defect 3).
        with tempfile.TemporaryDirectory() as directory:
            fifo = os.path.join(directory, "fifo")
            os.mkfifo(fifo)
            database = os.path.join(directory, "netmon.db")
            for path, kind in (("/dev/zero", "a character device"), ("/dev/urandom", "a character device"),
                               (fifo, "a FIFO")):
                for command in (["once"], ["print-outbound"], ["run"]):
                    started = time.monotonic()
                    result = run(command, {"CONNTRACK_INPUT_FILE": path, "NETMON_DB": database}, timeout=10)
                    self.assertLess(time.monotonic() - started, 5, (path, command))
                    self.assertEqual(result.returncode, 1, (path, command, result.stderr))
                    lines = result.stderr.splitlines()
                    self.assertEqual(len(lines), 1, result.stderr)
                    self.assertIn(f"cannot read {path}: it is {kind}, not a regular file", lines[0])
            # Refused before the database is made.
            self.assertFalse(os.path.exists(database))

    def test_empty_input_prints_an_empty_list(self):
        with tempfile.NamedTemporaryFile() as empty:
            result = run(["print-outbound", "--json"], {"CONNTRACK_INPUT_FILE": empty.name})
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout), [])


class ConfigAndUsage(unittest.TestCase):
    def test_bad_config_exits_2_with_one_line(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "netmon.yml")
            with open(path, "w") as f:
                f.write("local_subnets:\n  - 10.0.0.0/24\n  - 10.0.0.0/33\n")
            result = run(["--config", path, "print-outbound"], {"CONNTRACK_INPUT_FILE": "/dev/null"},
                         shipped_config=False)
            self.assertEqual(result.returncode, 2)
            self.assertEqual(result.stderr, f'{path}: local_subnets[1]: "10.0.0.0/33" is not a CIDR\n')

    def test_missing_config_named_on_the_command_line_exits_2(self):
        result = run(["--config", "/nonexistent/netmon.yml", "print-outbound"], shipped_config=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent/netmon.yml", result.stderr)

    def test_config_from_netmon_config(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "netmon.yml")
            with open(path, "w") as f:
                f.write("local_subnets: [fd00:10::/64]\n")
            result = run(["print-outbound", "--json"],
                         {"NETMON_CONFIG": path, "CONNTRACK_INPUT_FILE": os.path.join(FIXTURES, "router_extended.txt")},
                         shipped_config=False)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(json.loads(result.stdout)), 3)

    def test_bad_environment_exits_2(self):
        result = run(["print-outbound"], {"NETMON_LOCAL_SUBNETS": "10.0.0.0/33", "CONNTRACK_INPUT_FILE": "/dev/null"})
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr, 'environment: NETMON_LOCAL_SUBNETS: "10.0.0.0/33" is not a CIDR\n')

    def test_usage_errors_exit_2(self):
        for args in (["frobnicate"], [], ["print-outbound", "--limit", "x"], ["print-outbound", "--limit", "0"],
                     ["print-outbound", "--bogus"], ["print-outbound", "--limit"]):
            result = run(args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn("usage: netmon-ingest", result.stderr)

    def test_help_and_version(self):
        self.assertEqual(run(["--help"]).returncode, 0)
        self.assertIn("print-outbound", run(["--help"]).stdout)
        self.assertRegex(run(["--version"]).stdout, r"^netmon-ingest \d+\.\d+\.\d+")


if __name__ == "__main__":
    unittest.main(verbosity=2)
