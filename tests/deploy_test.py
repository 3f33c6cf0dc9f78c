#!/usr/bin/env python3
"""Deployment, on this machine (item 5 and 6 of issue 6).

Package: builds the .deb with cpack from the build directory, installs it with dpkg, checks the
files, modes, owners, users and group, that an edited /etc/netmon/netmon.yml survives a
reinstall, that both binaries run, `systemd-analyze verify` and the exposure scores of the
installed units, then purges it and checks that nothing is left. Needs root; skips when netmon,
its users or /etc/netmon are already on the machine (it would remove them).

PrivilegeSeparation: what the units set up, without systemd: netmon-ingest as user netmon with
only CAP_NET_ADMIN, umask 027, in the router of the namespace lab, writing a database in a 0750
netmon:netmon directory; readers as user netmon-web (group netmon) read it while it writes and
cannot write it, whatever state the -wal and -shm files are in; netmon-web serves it on the LAN
address. The system calls both make are checked against the units' SystemCallFilter. Needs
root and the lab.

SourceInstall: `cmake --install` into a DESTDIR, twice, keeping an edited netmon.yml.
"""
import grp
import json
import os
import pwd
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netmon_testing import BUILD, SKIP, SOURCE, Lab, ingest_binary, lab_unavailable  # noqa: E402

NET_ADMIN = 1 << 12
INGEST_UNIT = os.path.join(SOURCE, "deploy", "systemd", "netmon-ingest.service")
WEB_UNIT = os.path.join(SOURCE, "deploy", "systemd", "netmon-web.service")
# The readers run as netmon-web, which cannot enter /root (where a pyenv python3 may live).
SYSTEM_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def web_binary():
    return os.path.join(BUILD, "webui", "netmon-web")


def run(args, check=True, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    result = subprocess.run(args, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def cache_value(name):
    """A value from the build's CMakeCache.txt, or None."""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def sanitizer_build():
    return (cache_value("NETMON_SANITIZE") or "").upper() in ("ON", "TRUE", "1", "YES")


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def mode_owner(path):
    info = os.stat(path)
    return (stat.S_IMODE(info.st_mode), pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name)


def tool(name):
    return shutil.which(name, path=PATH)


def exposure(unit_path):
    """The overall exposure systemd-analyze security --offline=true gives a unit file."""
    result = run(["systemd-analyze", "security", "--offline=true", unit_path], check=False, cwd="/")
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout + result.stderr)
    if not match:
        raise AssertionError(f"no exposure level for {unit_path}:\n{result.stdout}{result.stderr}")
    return float(match.group(1))


def read_sysctl(name):
    try:
        with open("/proc/sys/" + name.replace(".", "/")) as f:
            return f.read().strip()
    except OSError:
        return None


def write_sysctl(name, value):
    try:
        with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
            f.write(value)
    except OSError:
        pass


class Package(unittest.TestCase):
    PATHS = {
        # path: (mode, owner, group)
        "/usr/bin/netmon-ingest": (0o755, "root", "root"),
        "/usr/bin/netmon-web": (0o755, "root", "root"),
        "/usr/lib/systemd/system/netmon-ingest.service": (0o644, "root", "root"),
        "/usr/lib/systemd/system/netmon-web.service": (0o644, "root", "root"),
        "/usr/lib/sysctl.d/60-netmon.conf": (0o644, "root", "root"),
        "/usr/lib/modules-load.d/netmon.conf": (0o644, "root", "root"),
        "/usr/share/netmon/schema/001_initial.sql": (0o644, "root", "root"),
        "/usr/share/netmon/netmon.yml.example": (0o644, "root", "root"),
        "/usr/share/doc/netmon/README.md": (0o644, "root", "root"),
        "/usr/share/doc/netmon/DEPLOY.md": (0o644, "root", "root"),
        "/usr/share/doc/netmon/ARCHITECTURE.md": (0o644, "root", "root"),
        "/etc/netmon/netmon.yml": (0o640, "root", "netmon"),
        "/var/lib/netmon": (0o750, "netmon", "netmon"),
    }
    SYSCTLS = ("net.netfilter.nf_conntrack_acct", "net.core.rmem_max")

    @classmethod
    def setUpClass(cls):
        reason = cls.unavailable()
        if reason:
            raise unittest.SkipTest(reason)

    @staticmethod
    def unavailable():
        if os.geteuid() != 0:
            return "needs root to install a package"
        for name in ("dpkg", "dpkg-deb", "dpkg-shlibdeps", "systemd-analyze", "setpriv"):
            if not tool(name):
                return f"needs {name}"
        if sanitizer_build():
            return "this is a sanitizer build; the package is made from an optimized one"
        if not os.access(web_binary(), os.X_OK):
            return f"netmon-web is not built ({web_binary()})"
        status = run(["dpkg-query", "-W", "-f=${Status}", "netmon"], check=False)
        if status.returncode == 0 and "not-installed" not in status.stdout:
            return "the netmon package is installed on this machine (" + status.stdout.strip() + "); not touching it"
        for user in ("netmon", "netmon-web"):
            if user_exists(user):
                return f"a user {user} exists already; purging the package would remove it"
        if group_exists("netmon"):
            return "a group netmon exists already; purging the package would remove it"
        if os.path.exists("/etc/netmon") or os.path.exists("/var/lib/netmon"):
            return "/etc/netmon or /var/lib/netmon exists already; purging the package would remove it"
        return None

    def build_package(self):
        directory = tempfile.mkdtemp(prefix="netmon-deb-")
        self.addCleanup(shutil.rmtree, directory, True)
        cmake = cache_value("CMAKE_COMMAND") or "cmake"
        cpack = os.path.join(os.path.dirname(cmake), "cpack")
        if not os.access(cpack, os.X_OK):
            cpack = "cpack"
        run([cpack, "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", directory],
            cwd=BUILD, timeout=300)
        version = cache_value("CMAKE_PROJECT_VERSION")
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        package = os.path.join(directory, f"netmon_{version}_{arch}.deb")
        self.assertTrue(os.path.isfile(package), f"{package}: not made; {os.listdir(directory)}")
        return package, version

    def purge(self):
        run(["dpkg", "--purge", "netmon"], check=False)

    def test_package_install_reinstall_purge(self):
        saved = {name: read_sysctl(name) for name in self.SYSCTLS}
        self.addCleanup(lambda: [write_sysctl(n, v) for n, v in saved.items() if v is not None])
        package, version = self.build_package()

        info = run(["dpkg-deb", "--field", package, "Package", "Version", "Depends"]).stdout
        self.assertIn("Package: netmon", info)
        self.assertIn("Version: " + version, info)
        # dpkg-shlibdeps computed the libraries; adduser is for the maintainer scripts.
        for dependency in ("adduser", "libc6", "libsqlite3-0", "libnetfilter-conntrack3", "libcap2"):
            self.assertIn(dependency, info)
        conffiles = run(["sh", "-c", f"dpkg-deb --info '{package}' conffiles"]).stdout
        self.assertEqual(conffiles.split(), ["/etc/netmon/netmon.yml"])

        self.addCleanup(self.purge)
        installed = run(["dpkg", "-i", package], check=False)
        self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)

        with self.subTest("files, modes and owners"):
            for path, expected in self.PATHS.items():
                self.assertTrue(os.path.exists(path), path)
                self.assertEqual(mode_owner(path), expected, path)
            with open("/etc/netmon/netmon.yml") as f, open(os.path.join(SOURCE, "config", "netmon.yml")) as g:
                self.assertEqual(f.read(), g.read())
            for unit in ("netmon-ingest.service", "netmon-web.service"):
                link = "/etc/systemd/system/multi-user.target.wants/" + unit
                self.assertTrue(os.path.islink(link), f"{unit} is not enabled")
            with open("/usr/lib/systemd/system/netmon-ingest.service") as f:
                self.assertIn("ExecStart=/usr/bin/netmon-ingest --config /etc/netmon/netmon.yml run", f.read())

        with self.subTest("users and group"):
            netmon = pwd.getpwnam("netmon")
            web = pwd.getpwnam("netmon-web")
            group = grp.getgrnam("netmon")
            for user in (netmon, web):
                self.assertLess(user.pw_uid, 1000, f"{user.pw_name} is not a system user")
                self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"))
            self.assertEqual(netmon.pw_gid, group.gr_gid)
            self.assertNotEqual(web.pw_gid, group.gr_gid)
            self.assertEqual(group.gr_mem, ["netmon-web"])
            # netmon has no other groups: only the database's.
            self.assertEqual([g.gr_name for g in grp.getgrall() if "netmon" in g.gr_mem], [])

        with self.subTest("both binaries run from the package, as their users"):
            for binary, user in (("netmon-ingest", "netmon"), ("netmon-web", "netmon-web")):
                result = run(["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                              f"/usr/bin/{binary}", "--version"], check=False, cwd="/")
                self.assertEqual((result.returncode, result.stdout), (0, f"{binary} {version}\n"), result.stderr)

        with self.subTest("systemd-analyze verify and security"):
            units = ["/usr/lib/systemd/system/netmon-ingest.service", "/usr/lib/systemd/system/netmon-web.service"]
            verify = run(["systemd-analyze", "verify"] + units, check=False, cwd="/")
            self.assertEqual((verify.returncode, verify.stdout + verify.stderr), (0, ""))
            with open(os.path.join(SOURCE, "deploy", "README.md")) as f:
                readme = f.read()
            for unit in units:
                score = exposure(unit)
                self.assertLessEqual(score, 2.0, unit)
                # deploy/README.md records the scores: they must be these.
                name = os.path.basename(unit)
                self.assertRegex(readme, rf"`{re.escape(name)}`[^\n]*\b{score:.1f}\b",
                                 f"deploy/README.md does not give {name}'s exposure as {score:.1f}")

        with self.subTest("an edited netmon.yml survives a reinstall"):
            with open("/etc/netmon/netmon.yml", "a") as f:
                f.write("# edited by deploy_test\n")
            again = run(["dpkg", "-i", package], check=False)
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            with open("/etc/netmon/netmon.yml") as f:
                self.assertTrue(f.read().endswith("# edited by deploy_test\n"))
            self.assertEqual(mode_owner("/etc/netmon/netmon.yml"), (0o640, "root", "netmon"))
            self.assertEqual(mode_owner("/var/lib/netmon"), (0o750, "netmon", "netmon"))

        purged = run(["dpkg", "--purge", "netmon"], check=False)
        self.assertEqual(purged.returncode, 0, purged.stdout + purged.stderr)
        with self.subTest("purge leaves nothing"):
            for path in list(self.PATHS) + ["/etc/netmon",
                                            "/etc/systemd/system/multi-user.target.wants/netmon-ingest.service",
                                            "/etc/systemd/system/multi-user.target.wants/netmon-web.service",
                                            "/etc/systemd/system/netmon-ingest.service",
                                            "/etc/systemd/system/netmon-web.service"]:
                self.assertFalse(os.path.lexists(path), f"{path} is still there")
            for user in ("netmon", "netmon-web"):
                self.assertFalse(user_exists(user), f"user {user} is still there")
            for group in ("netmon", "netmon-web"):
                self.assertFalse(group_exists(group), f"group {group} is still there")
            overrides = run(["dpkg-statoverride", "--list"], check=False).stdout
            self.assertNotIn("/etc/netmon", overrides)
            for state in ("/var/lib/systemd/deb-systemd-helper-enabled", "/var/lib/systemd/deb-systemd-helper-masked"):
                if os.path.isdir(state):
                    left = [name for _, _, files in os.walk(state) for name in files if "netmon" in name]
                    self.assertEqual(left, [], state)


# --- privilege separation -------------------------------------------------------------------

# A reader, run as netmon-web: samples the database N times, a connection kept (as netmon-web's
# pool keeps them) and a fresh one each time, then tries every way of writing. Prints JSON.
READER = r"""
import errno, json, os, sqlite3, sys, time
db, samples, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
uri = "file:" + db + "?mode=ro" + (sys.argv[4] if len(sys.argv) > 4 else "")
out = {"samples": [], "writes": {}}
def sample(connection):
    cycles, last = connection.execute(
        "SELECT (SELECT value FROM meta WHERE key = 'cycles_total'),"
        " (SELECT value FROM meta WHERE key = 'last_cycle_at')").fetchone()
    rows = connection.execute("SELECT dst_ip FROM connections").fetchall()
    return {"cycles": cycles, "last_cycle_at": last, "destinations": sorted({r[0] for r in rows})}
try:
    kept = sqlite3.connect(uri, uri=True, timeout=5)
    for i in range(samples):
        fresh = sqlite3.connect(uri, uri=True, timeout=5)
        out["samples"].append({"kept": sample(kept), "fresh": sample(fresh)})
        fresh.close()
        time.sleep(pause)
except sqlite3.Error as e:
    out["error"] = type(e).__name__ + ": " + str(e)
    kept = None
def attempt(name, action):
    try:
        action()
        out["writes"][name] = "written"
    except OSError as e:
        out["writes"][name] = errno.errorcode.get(e.errno, "OSError") + ": " + str(e)
    except sqlite3.Error as e:
        out["writes"][name] = type(e).__name__ + ": " + str(e)
if kept is not None:
    attempt("insert on the read-only connection",
            lambda: kept.execute("INSERT INTO meta (key, value) VALUES ('x', 1)"))
def read_write_insert():
    connection = sqlite3.connect(db, timeout=1)
    connection.execute("INSERT INTO meta (key, value) VALUES ('x', 1)")
    connection.commit()
attempt("insert on a read-write connection", read_write_insert)
attempt("open the database for writing", lambda: os.close(os.open(db, os.O_WRONLY)))
attempt("open the -wal for writing", lambda: os.close(os.open(db + "-wal", os.O_WRONLY)))
attempt("open the -shm for writing", lambda: os.close(os.open(db + "-shm", os.O_RDWR)))
attempt("create a file in the directory",
        lambda: os.close(os.open(os.path.join(os.path.dirname(db), "x"), os.O_WRONLY | os.O_CREAT, 0o600)))
attempt("delete the database", lambda: os.unlink(db))
print(json.dumps(out))
"""


def syscall_groups():
    """systemd's system-call groups ({"@default": {...}}), nested groups expanded."""
    listing = run(["systemd-analyze", "syscall-filter"], cwd="/").stdout
    groups, current = {}, None
    for line in listing.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.split()[0], [])
        elif not line.startswith(" "):
            current = None  # a blank line ends a group; "#" lines at the margin are not groups
        elif current is not None and not line.strip().startswith("#"):
            current.append(line.strip())

    def expand(name, seen=()):
        names = set()
        for item in groups.get(name, []):
            if item.startswith("@"):
                if item not in seen:
                    names |= expand(item, seen + (name,))
            else:
                names.add(item)
        return names

    return {name: expand(name) for name in groups}


def allowed_syscalls(unit_path, groups):
    """The system calls a unit file's SystemCallFilter= lines allow (an allow list is expected)."""
    allowed = None
    with open(unit_path) as f:
        for line in f:
            if not line.startswith("SystemCallFilter="):
                continue
            value = line.split("=", 1)[1].strip()
            deny = value.startswith("~")
            names = set()
            for item in value.lstrip("~").split():
                names |= groups[item] if item.startswith("@") else {item.split(":")[0]}
            if allowed is None:
                assert not deny, f"{unit_path}: the first SystemCallFilter= must be an allow list"
                allowed = set(groups.get("@default", set()))
            allowed = allowed - names if deny else allowed | names
    return allowed


def address_families(unit_path):
    """The address families a unit file's RestrictAddressFamilies= allows."""
    with open(unit_path) as f:
        return {name for line in f if line.startswith("RestrictAddressFamilies=")
                for name in line.split("=", 1)[1].split()}


def traced_syscalls(trace_path, binary):
    """The system calls in an `strace -f` log from the binary's execve on, and the address
    families of the sockets it opened."""
    names, families, started = set(), set(), False
    pattern = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?([a-z_0-9]+)\((AF_[A-Z0-9]+)?")
    with open(trace_path) as f:
        for line in f:
            match = pattern.match(line)
            if not match:
                continue
            if not started:
                started = match.group(1) == "execve" and binary in line
                if not started:
                    continue
            names.add(match.group(1))
            if match.group(1) == "socket" and match.group(2):
                families.add(match.group(2))
    return names, families


def capabilities(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    return status


class Users:
    """netmon (group netmon) and netmon-web (in group netmon) as the package makes them; created
    when missing and removed again, or used as they are."""

    def __init__(self):
        self.created_users, self.created_groups = [], []

    def ensure(self):
        if not group_exists("netmon"):
            run(["groupadd", "--system", "netmon"])
            self.created_groups.append("netmon")
        if not user_exists("netmon"):
            run(["useradd", "--system", "--gid", "netmon", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", "/usr/sbin/nologin", "netmon"])
            self.created_users.append("netmon")
        if not user_exists("netmon-web"):
            run(["useradd", "--system", "--user-group", "--groups", "netmon", "--no-create-home",
                 "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "netmon-web"])
            self.created_users.append("netmon-web")
            self.created_groups.append("netmon-web")
        if "netmon-web" not in grp.getgrnam("netmon").gr_mem:
            raise unittest.SkipTest("the existing user netmon-web is not in group netmon")

    def remove(self):
        for user in reversed(self.created_users):
            run(["userdel", user], check=False)
        for group in reversed(self.created_groups):
            if group_exists(group):
                run(["groupdel", group], check=False)


def as_ingest_user():
    """setpriv as netmon-ingest.service sets the process up: user and group netmon, CAP_NET_ADMIN
    alone in every set (ambient included), no_new_privs."""
    return ["setpriv", "--reuid=netmon", "--regid=netmon", "--init-groups", "--inh-caps=-all,+net_admin",
            "--ambient-caps=-all,+net_admin", "--bounding-set=-all,+net_admin", "--no-new-privs"]


def as_web_user():
    """As netmon-web.service: user netmon-web with group netmon, no capabilities at all."""
    return ["setpriv", "--reuid=netmon-web", "--regid=netmon-web", "--init-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs"]


class PrivilegeSeparation(unittest.TestCase):
    STATE = "/var/lib/netmon-test"

    @classmethod
    def setUpClass(cls):
        reason = lab_unavailable()
        for name in ("setpriv", "unshare", "mount"):
            if not reason and not tool(name):
                reason = f"needs {name} (util-linux)"
        if not reason and not os.access(ingest_binary(), os.X_OK):
            reason = f"netmon-ingest is not built ({ingest_binary()})"
        if reason:
            raise unittest.SkipTest(reason)
        cls.cleanups = []
        try:
            cls.set_up()
        except BaseException:
            cls.tear_down()
            raise

    @classmethod
    def set_up(cls):
        cls.users = Users()
        cls.cleanups.append(cls.users.remove)
        cls.users.ensure()
        shutil.rmtree(cls.STATE, ignore_errors=True)
        # As StateDirectory=netmon with StateDirectoryMode=0750 makes /var/lib/netmon.
        os.mkdir(cls.STATE, 0o750)
        cls.cleanups.append(lambda: shutil.rmtree(cls.STATE, ignore_errors=True))
        os.chown(cls.STATE, pwd.getpwnam("netmon").pw_uid, grp.getgrnam("netmon").gr_gid)
        os.chmod(cls.STATE, 0o750)
        cls.db = os.path.join(cls.STATE, "netmon.db")
        # As the package installs /etc/netmon/netmon.yml: 0640 root:netmon.
        cls.etc = tempfile.mkdtemp(prefix="netmon-etc-")
        os.chmod(cls.etc, 0o755)
        cls.cleanups.append(lambda: shutil.rmtree(cls.etc, ignore_errors=True))
        cls.config = os.path.join(cls.etc, "netmon.yml")
        with open(cls.config, "w") as f:
            f.write(f"local_subnets: [10.0.0.0/24, fd00:10::/64]\ndatabase: {cls.db}\nsource: netlink\n"
                    "interval: 0.5\nweb:\n  listen: 10.0.0.1:8080\n")
        os.chown(cls.config, 0, grp.getgrnam("netmon").gr_gid)
        os.chmod(cls.config, 0o640)
        cls.logs = tempfile.mkdtemp(prefix="netmon-logs-")
        os.chmod(cls.logs, 0o755)  # strace, as the services' users, writes its traces here
        cls.cleanups.append(lambda: shutil.rmtree(cls.logs, ignore_errors=True))
        cls.lab = Lab(f"nmd{os.getpid()}")
        cls.cleanups.append(cls.lab.down)
        cls.lab.up(clients=1)
        cls.processes = []
        cls.cleanups.append(cls.stop_all)

    @classmethod
    def tearDownClass(cls):
        cls.tear_down()

    @classmethod
    def tear_down(cls):
        for cleanup in reversed(getattr(cls, "cleanups", [])):
            try:
                cleanup()
            except Exception as e:  # keep cleaning up
                print(f"cleanup failed: {e}", file=sys.stderr)

    @classmethod
    def stop_all(cls):
        for process in cls.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    # --- the processes ---

    def start(self, name, args, umask, namespace="router"):
        log = open(os.path.join(self.logs, f"{name}.log"), "a")
        self.addCleanup(log.close)
        prefix = ["ip", "netns", "exec", self.lab.ns(namespace)] if namespace else []
        process = subprocess.Popen(prefix + args, stdout=log, stderr=log, umask=umask, cwd="/",
                                   env={"PATH": PATH})
        process.log_path = log.name
        self.processes.append(process)
        return process

    def log_of(self, process):
        with open(process.log_path) as f:
            return f.read()

    def start_ingest(self):
        # UMask=0027 in the unit.
        since = int(time.time() * 1000)
        process = self.start("ingest", as_ingest_user() + [ingest_binary(), "--config", self.config, "run"], 0o027)
        self.wait_for(lambda: self.cycled_since(since), what="a first cycle", process=process)
        return process

    def cycled_since(self, since_ms):
        """Whether an ingest started at since_ms or later has completed a cycle."""
        started = self.meta("started_at") or 0
        return started >= since_ms and (self.meta("last_cycle_at") or 0) >= started

    def start_web(self):
        process = self.start("web", as_web_user() + [web_binary(), "--config", self.config], 0o077)
        self.wait_for(lambda: self.http("/healthz")[0] in (200, 503), what="netmon-web to answer",
                      process=process)
        return process

    def stop(self, process, sig=signal.SIGTERM):
        process.send_signal(sig)
        return process.wait(timeout=20)

    def meta(self, key):
        """A meta value, read by root from this process (not a check of permissions)."""
        try:
            connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
            try:
                row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
                return row[0] if row else None
            finally:
                connection.close()
        except sqlite3.Error:
            return None

    def wait_for(self, predicate, timeout=15.0, what="condition", process=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"exited {process.returncode} before {what}:\n{self.log_of(process)}")
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        log = f":\n{self.log_of(process)}" if process is not None else ""
        raise AssertionError(f"timed out waiting for {what}{log}")

    def http(self, path):
        """GET http://10.0.0.1:8080{path} from the LAN client: (status, body), (0, error) when refused."""
        script = ("import sys, urllib.request, urllib.error\n"
                  "try:\n"
                  "    r = urllib.request.urlopen('http://10.0.0.1:8080' + sys.argv[1], timeout=5)\n"
                  "    print(r.status); sys.stdout.write(r.read().decode())\n"
                  "except urllib.error.HTTPError as e:\n"
                  "    print(e.code); sys.stdout.write(e.read().decode())\n"
                  "except OSError as e:\n"
                  "    print(0); print(e)\n")
        result = self.lab.run_in("lan1", [SYSTEM_PYTHON, "-c", script, path], capture_output=True, text=True,
                                 timeout=30)
        status, _, body = result.stdout.partition("\n")
        return (int(status) if status.strip().isdigit() else 0), body

    def read_as_web_user(self, samples=4, pause=0.6, uri_extra="", mount_read_only=False):
        """Runs READER as netmon-web; its JSON. mount_read_only: in a mount namespace where the
        database's directory is a read-only bind mount, as ProtectSystem=strict makes it."""
        reader = as_web_user() + [SYSTEM_PYTHON, "-c", READER, self.db, str(samples), str(pause), uri_extra]
        if mount_read_only:
            d = self.STATE
            script = f"mount --bind {d} {d} && mount -o remount,bind,ro {d} && exec \"$@\""
            reader = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + reader
        result = run(reader, check=False, cwd="/", env={"PATH": PATH}, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def assert_reads(self, report, destination, moving=True):
        self.assertNotIn("error", report, report)
        self.assertTrue(report["samples"], report)
        for sample in report["samples"]:
            for connection in ("kept", "fresh"):
                self.assertIn(destination, sample[connection]["destinations"], sample)
        if moving:
            # The ingest committed between the samples, and both connections saw it.
            for connection in ("kept", "fresh"):
                times = [s[connection]["last_cycle_at"] for s in report["samples"]]
                self.assertLess(times[0], times[-1], f"{connection}: {times}")

    def assert_cannot_write(self, report):
        for attempt, outcome in report["writes"].items():
            self.assertNotEqual(outcome, "written", attempt)
        self.assertIn("readonly", report["writes"]["insert on the read-only connection"])
        self.assertIn("readonly", report["writes"]["insert on a read-write connection"])
        # EACCES from the modes, EROFS from a read-only mount; ENOENT when the ingest has
        # removed its -wal and -shm, which netmon-web cannot create either.
        for attempt in ("open the database for writing", "open the -wal for writing", "open the -shm for writing",
                        "create a file in the directory", "delete the database"):
            refusals = ("EACCES", "EPERM", "EROFS") + (("ENOENT",) if "-wal" in attempt or "-shm" in attempt else ())
            self.assertTrue(report["writes"][attempt].startswith(refusals), f"{attempt}: {report['writes'][attempt]}")

    # --- the tests ---

    def test_ingest_as_netmon_and_readers_as_netmon_web(self):
        ingest = self.start_ingest()
        self.lab.traffic(1, "tcp", "192.0.2.10", 8080, 5000, 200000, 6, check=True, timeout=30)
        self.wait_for(lambda: self.meta("outbound_kept"), what="the download in the database", process=ingest)

        with self.subTest("netmon-ingest holds CAP_NET_ADMIN only and reads the real table"):
            status = capabilities(ingest.pid)
            self.assertEqual(int(status["Uid"].split()[0]), pwd.getpwnam("netmon").pw_uid)
            self.assertEqual(int(status["Gid"].split()[0]), grp.getgrnam("netmon").gr_gid)
            for capability_set in ("CapEff", "CapPrm", "CapBnd"):
                self.assertEqual(int(status[capability_set], 16), NET_ADMIN, capability_set)
            self.assertEqual(int(status["CapAmb"], 16), 0)
            self.assertEqual(status["NoNewPrivs"].strip(), "1")
            self.assertIn("with events", self.meta("source"))
            self.assertEqual(self.meta("accounting"), "on")

        with self.subTest("the files' modes, as UMask=0027 and StateDirectoryMode=0750 make them"):
            self.assertEqual(mode_owner(self.STATE), (0o750, "netmon", "netmon"))
            for suffix in ("", "-wal", "-shm"):
                self.assertEqual(mode_owner(self.db + suffix), (0o640, "netmon", "netmon"), suffix)

        with self.subTest("netmon-web reads while the ingest writes, and cannot write"):
            report = self.read_as_web_user()
            self.assert_reads(report, "192.0.2.10")
            self.assert_cannot_write(report)
            self.assertEqual(self.meta("x"), None)

        with self.subTest("under a read-only mount of the directory (ProtectSystem=strict)"):
            report = self.read_as_web_user(mount_read_only=True)
            self.assert_reads(report, "192.0.2.10")
            self.assert_cannot_write(report)

        if tool("sqlite3"):
            with self.subTest("sqlite3 -readonly as netmon-web"):
                query = "SELECT count(*) FROM connections WHERE dst_ip = '192.0.2.10'"
                result = run(as_web_user() + [tool("sqlite3"), "-readonly", self.db, query], check=False, cwd="/")
                self.assertEqual((result.returncode, result.stderr), (0, ""))
                self.assertGreaterEqual(int(result.stdout), 1)
                result = run(as_web_user() + [tool("sqlite3"), self.db, "INSERT INTO meta VALUES ('x', 1)"],
                             check=False, cwd="/")
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("readonly", result.stderr)

        if not os.access(web_binary(), os.X_OK):
            self.assertEqual(self.stop(ingest), 0, self.log_of(ingest))
            return
        web = self.start_web()

        with self.subTest("netmon-web, as netmon-web with no capabilities, serves the LAN"):
            status = capabilities(web.pid)
            self.assertEqual(int(status["Uid"].split()[0]), pwd.getpwnam("netmon-web").pw_uid)
            self.assertIn(str(grp.getgrnam("netmon").gr_gid), status["Groups"].split())
            for capability_set in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
                self.assertEqual(int(status[capability_set], 16), 0, capability_set)
            code, body = self.http("/connections.json")
            self.assertEqual(code, 200, body)
            self.assertIn("192.0.2.10", body)
            self.assertEqual(self.http("/healthz")[0], 200)

        with self.subTest("after kill -9 of the ingest: -wal and -shm stay, readers go on"):
            ingest.send_signal(signal.SIGKILL)
            ingest.wait(timeout=10)
            for suffix in ("-wal", "-shm"):
                self.assertTrue(os.path.exists(self.db + suffix), suffix)
            self.assert_reads(self.read_as_web_user(samples=2, pause=0.1), "192.0.2.10", moving=False)
            code, body = self.http("/connections.json")
            self.assertEqual(code, 200, body)
            self.assertIn("192.0.2.10", body)

        with self.subTest("a restarted ingest recovers and netmon-web sees it write"):
            before = self.meta("last_cycle_at")
            ingest = self.start_ingest()
            self.assert_reads(self.read_as_web_user(), "192.0.2.10")
            self.wait_for(lambda: json.loads(self.http("/healthz")[1]).get("status") == "ok", what="a fresh /healthz")
            self.assertGreater(self.meta("last_cycle_at"), before)

        with self.subTest("after a clean stop, with -wal and -shm gone, netmon-web still reads"):
            self.assertEqual(self.stop(web), 0, self.log_of(web))
            self.assertEqual(self.stop(ingest), 0, self.log_of(ingest))
            # The last connection checkpointed and deleted them; netmon-web may not make them.
            for suffix in ("-wal", "-shm"):
                self.assertFalse(os.path.exists(self.db + suffix), suffix)
            # A plain read-only open needs them (SQLite 3.40); an immutable open does not, and
            # is what netmon-web falls back to.
            plain = self.read_as_web_user(samples=1, pause=0)
            self.assertIn("readonly", plain.get("error", ""), plain)
            immutable = self.read_as_web_user(samples=1, pause=0, uri_extra="&immutable=1")
            self.assert_reads(immutable, "192.0.2.10", moving=False)
            self.assert_cannot_write(immutable)
            web = self.start_web()
            code, body = self.http("/connections.json")
            self.assertEqual(code, 200, body)
            self.assertIn("192.0.2.10", body)
            self.assertFalse(os.path.exists(self.db + "-shm"), "netmon-web made a -shm file")

        with self.subTest("an ingest started again is seen by the running netmon-web"):
            ingest = self.start_ingest()
            self.wait_for(lambda: json.loads(self.http("/healthz")[1]).get("status") == "ok", what="a fresh /healthz")
            self.assert_reads(self.read_as_web_user(), "192.0.2.10")
        self.assertEqual(self.stop(web), 0, self.log_of(web))
        self.assertEqual(self.stop(ingest), 0, self.log_of(ingest))

    def test_netmon_web_exits_1_naming_a_listen_address_not_up_yet(self):
        if not os.access(web_binary(), os.X_OK):
            self.skipTest("netmon-web is not built")
        # In the WAN namespace 10.0.0.1 does not exist: as when the LAN comes up late. The unit
        # restarts it (Restart=on-failure, StartLimitIntervalSec=0) until it does.
        process = self.start("web-early", as_web_user() + [web_binary(), "--config", self.config], 0o077,
                             namespace="wan")
        self.assertEqual(process.wait(timeout=20), 1)
        self.assertIn("10.0.0.1:8080", self.log_of(process))

    def test_system_calls_are_within_the_units_filters(self):
        if sanitizer_build():
            self.skipTest("sanitizer build: its runtime makes system calls the release binaries do not")
        if not tool("strace") or not tool("systemd-analyze"):
            self.skipTest("needs strace and systemd-analyze")
        groups = syscall_groups()
        cases = [("ingest", INGEST_UNIT, ingest_binary(), as_ingest_user(), 0o027,
                  [ingest_binary(), "--config", self.config, "run"])]
        if os.access(web_binary(), os.X_OK):
            cases.append(("web", WEB_UNIT, web_binary(), as_web_user(), 0o077,
                          [web_binary(), "--config", self.config]))
        processes = {}
        since = int(time.time() * 1000)
        for name, unit, binary, user, umask, command in cases:
            trace = os.path.join(self.logs, f"{name}.strace")
            # strace runs as the service's user: the file must be theirs.
            open(trace, "w").close()
            os.chown(trace, pwd.getpwnam(user[1].split("=")[1]).pw_uid, -1)
            processes[name] = (self.start(f"{name}-strace", user + ["strace", "-f", "-qq", "-o", trace] + command,
                                          umask), trace, unit, binary)
            if name == "ingest":
                self.wait_for(lambda: self.cycled_since(since), timeout=30,
                              what="a first cycle under strace", process=processes[name][0])
        self.lab.traffic(1, "tcp", "203.0.113.20", 443, 1000, 20000, 2, check=True, timeout=30)
        self.lab.traffic(1, "udp", "198.51.100.30", 4500, 100, 200, 2, check=True, timeout=30)
        time.sleep(1.5)
        if "web" in processes:
            self.wait_for(lambda: self.http("/connections.json")[0] == 200, timeout=30, what="netmon-web under strace",
                          process=processes["web"][0])
            for path in ("/", "/hosts.json", "/metrics.json", "/healthz", "/metrics", "/static/app.js"):
                self.http(path)
        for name, (process, trace, unit, binary) in processes.items():
            # SIGTERM the traced program itself (strace's child), so that it shuts down cleanly.
            with open(f"/proc/{process.pid}/task/{process.pid}/children") as f:
                child = int(f.read().split()[0])
            os.kill(child, signal.SIGTERM)
            self.assertEqual(process.wait(timeout=30), 0, self.log_of(process))
            with self.subTest(name):
                used, families = traced_syscalls(trace, os.path.basename(binary))
                expected = {"ingest": {"capset", "prctl", "setsockopt", "recvmsg", "fdatasync", "exit_group"},
                            "web": {"bind", "listen", "exit_group"}}[name]
                self.assertLessEqual(expected, used, f"{trace} looks incomplete")
                outside = sorted(used - allowed_syscalls(unit, groups))
                self.assertEqual(outside, [], f"{name} makes system calls its unit's SystemCallFilter denies")
                self.assertLessEqual(families, address_families(unit),
                                     f"{name} opens sockets its unit's RestrictAddressFamilies denies")


class SourceInstall(unittest.TestCase):
    def test_cmake_install_into_a_destdir_keeps_an_edited_config(self):
        cmake = cache_value("CMAKE_COMMAND")
        if not cmake or not os.access(ingest_binary(), os.X_OK):
            self.skipTest("needs a configured and built build directory")
        destdir = tempfile.mkdtemp(prefix="netmon-destdir-")
        self.addCleanup(shutil.rmtree, destdir, True)
        env = dict(os.environ, DESTDIR=destdir)
        install = [cmake, "--install", BUILD, "--prefix", "/usr/local"]
        run(install, env=env)
        prefix = destdir + "/usr/local"
        for path in ("bin/netmon-ingest", "lib/systemd/system/netmon-ingest.service",
                     "lib/systemd/system/netmon-web.service", "lib/sysctl.d/60-netmon.conf",
                     "lib/modules-load.d/netmon.conf", "share/netmon/schema/001_initial.sql",
                     "share/netmon/netmon.yml.example", "share/doc/netmon/DEPLOY.md"):
            self.assertTrue(os.path.isfile(os.path.join(prefix, path)), path)
        with open(os.path.join(prefix, "lib/systemd/system/netmon-ingest.service")) as f:
            unit = f.read()
        # The units name the binaries where this prefix put them.
        self.assertIn("ExecStart=/usr/local/bin/netmon-ingest --config /etc/netmon/netmon.yml run", unit)
        self.assertNotIn("/usr/bin/", unit)
        config = os.path.join(destdir, "etc/netmon/netmon.yml")
        with open(config) as f, open(os.path.join(SOURCE, "config/netmon.yml")) as g:
            self.assertEqual(f.read(), g.read())
        with open(config, "a") as f:
            f.write("# edited\n")
        result = run(install, env=env)
        self.assertIn("Keeping", result.stdout)
        with open(config) as f:
            self.assertTrue(f.read().endswith("# edited\n"))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIPPED: needs root (installs a package, creates users and network namespaces)", file=sys.stderr)
        sys.exit(SKIP)
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun and len(result.skipped) == result.testsRun:
        sys.exit(SKIP)
