"""Shared helpers for pcctl's integration tests (Python 3 standard library only).

The tests run against the real user manager and journald: locally the sandbox of contrib/sandbox.sh, on a
normal systemd host the running user manager. They never mock systemd.

    from pcctl_harness import Project, main
    def test_something():
        with Project("name", YAML) as p:
            p.up()                      # pcctl up in the background, API on a private unix socket
            p.wait_state("web", lambda s: s["status"] == "Running")
    main(globals())                     # runs every test_* function, exits 77 when no manager (not in CI)
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

SOURCE_ROOT = os.environ.get("PCCTL_SOURCE_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
PCCTL = os.environ.get("PCCTL_BIN", os.path.join(SOURCE_ROOT, "build", "pcctl"))
os.environ.setdefault("XDG_RUNTIME_DIR", "/run/user/%d" % os.getuid())


class Skip(Exception):
    pass


def systemctl(*args, check=False, timeout=30):
    """Runs systemctl --user; returns CompletedProcess with text output."""
    return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def manager_reachable():
    try:
        return systemctl("show", "-p", "Version", timeout=10).returncode == 0
    except Exception:
        return False


def loaded_units(pattern):
    """Names of loaded units matching a glob, e.g. 'pcctl-myproj-*'."""
    r = systemctl("list-units", "--all", "--plain", "--no-legend", "--no-pager", pattern)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def escape(name):
    """systemd's unit_name_escape for one name part (what `systemd-escape` does)."""
    return subprocess.run(["systemd-escape", "--", name], capture_output=True, text=True,
                          check=True).stdout.strip()


def cleanup_units(project):
    """Stops the project's slice and forgets failed units, so a test leaves nothing behind."""
    esc = escape(project)
    systemctl("stop", "pcctl-%s.slice" % esc)
    for u in loaded_units("pcctl-%s-*" % esc):
        systemctl("stop", u)
    systemctl("reset-failed", "pcctl-%s-*" % esc)


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except (ConnectionError, FileNotFoundError, OSError, http.client.HTTPException):
            last = None
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(interval)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:200])


class Project:
    """A compose project in a temporary directory, run with `pcctl up`."""

    def __init__(self, name, yaml_text=None, files=None, tcp_port=None):
        self.name = "t%d-%s" % (os.getpid(), name)
        self.dir = tempfile.mkdtemp(prefix="pcctl-it-")
        self.socket = os.path.join(self.dir, "api.sock")
        self.tcp_port = tcp_port
        self.proc = None
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        if yaml_text is not None:
            text = yaml_text if "name:" in yaml_text.split("processes:")[0] else \
                "name: %s\n%s" % (self.name, yaml_text)
            self.write("process-compose.yaml", text)
        for fname, content in (files or {}).items():
            self.write(fname, content)

    # files
    def write(self, fname, content):
        path = os.path.join(self.dir, fname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content)
        return path

    def path(self, fname):
        return os.path.join(self.dir, fname)

    # running
    def pcctl(self, *args, timeout=60, check=False, env=None, input=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([PCCTL, *args], cwd=self.dir, capture_output=True, text=True, timeout=timeout,
                              check=check, env=e, input=input)

    def up(self, *args, env=None, wait=True, api=True):
        e = dict(os.environ)
        e.update(env or {})
        cmd = [PCCTL, "up", "-t=false"]
        if api:
            if self.tcp_port:
                cmd += ["-p", str(self.tcp_port)]
            else:
                cmd += ["-u", self.socket]
        else:
            cmd += ["--no-server"]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=e, stdin=subprocess.DEVNULL,
                                     stdout=open(self.stdout_path, "w"), stderr=open(self.stderr_path, "w"),
                                     start_new_session=True)
        if wait and api:
            wait_until(lambda: self.proc.poll() is None and self.get("/live").status == 200, timeout=15,
                       what="pcctl API /live (stderr: %s)" % self.stderr_path)
        return self.proc

    def wait_exit(self, timeout=30):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("pcctl up did not exit within %ss; stderr:\n%s" % (timeout, self.stderr()))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stdout(self):
        with open(self.stdout_path) as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    # HTTP API
    def request(self, method, path, body=None, headers=None, timeout=10):
        if self.tcp_port:
            conn = http.client.HTTPConnection("127.0.0.1", self.tcp_port, timeout=timeout)
        else:
            conn = UnixHTTPConnection(self.socket, timeout=timeout)
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        h = {"Content-Type": "application/json"} if data is not None else {}
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def state(self, name):
        r = self.get("/process/" + urllib.parse.quote(name, safe=""))
        return r.json() if r.status == 200 else None

    def states(self):
        return {s["name"]: s for s in self.get("/processes").json()["data"]}

    def wait_state(self, name, pred, timeout=15, what=None):
        seen = [None]

        def check():
            s = seen[0] = self.state(name)
            return s if s and pred(s) else None
        try:
            return wait_until(check, timeout=timeout, what=what or "state of %s" % name)
        except AssertionError as e:
            raise AssertionError("%s; last state seen: %r" % (e, seen[0])) from None

    # systemd view
    def units(self):
        return loaded_units("pcctl-%s-*" % escape(self.name))

    def unit(self, process):
        return "pcctl-%s-%s.service" % (escape(self.name), escape(process))

    def slice(self):
        return "pcctl-%s.slice" % escape(self.name)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        cleanup_units(self.name)
        if os.environ.get("PCCTL_KEEP_TEST_DIRS") is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        cleanup_units(self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.diagnose()
        self.close()
        return False

    def diagnose(self):
        """After a failed test: what pcctl, the manager and the journal saw, on stderr for the test log."""
        def section(title, text):
            print("---- %s (%s)\n%s" % (title, self.name, text.rstrip()), file=sys.stderr)
        try:
            if self.proc and self.proc.poll() is None:
                try:
                    states = self.states()
                    section("states", json.dumps(states, indent=None, sort_keys=True))
                    for name in sorted(states):
                        r = self.get("/process/logs/%s/0/20" % urllib.parse.quote(name, safe=""))
                        section("log ring of %s, last 20 lines" % name, r.body)
                except Exception as e:
                    section("states", "unavailable: %r" % e)
            else:
                section("pcctl up", "exited with %r" % (self.proc.poll() if self.proc else None))
            if os.path.exists(self.stderr_path):
                section("pcctl stderr, last 60 lines", "".join(self.stderr().splitlines(True)[-60:]))
            section("units", systemctl("list-units", "--all", "--plain", "--no-legend", "--no-pager",
                                       "pcctl-%s-*" % escape(self.name)).stdout)
            r = subprocess.run(["journalctl", "--no-pager", "-o", "short-monotonic", "-n", "60",
                                "_SYSTEMD_SLICE=%s" % self.slice(), "+", "_SYSTEMD_USER_SLICE=%s" % self.slice()],
                               capture_output=True, text=True, timeout=30)
            section("journal of the project's slice, last 60 entries", r.stdout + r.stderr)
        except Exception as e:     # diagnostics never hide the failure itself
            print("diagnostics failed: %r" % e, file=sys.stderr)


def require_manager():
    if manager_reachable():
        return
    if os.environ.get("CI"):
        print("FAIL: no systemd user manager reachable (run contrib/sandbox.sh start); CI never skips this",
              file=sys.stderr)
        sys.exit(1)
    print("SKIP: no systemd user manager reachable (run contrib/sandbox.sh start)", file=sys.stderr)
    sys.exit(77)


def main(namespace):
    """Runs every test_* function of the module; exit 1 on the first failure, 77 without a manager."""
    require_manager()
    only = sys.argv[1:]
    failed = 0
    for name, fn in list(namespace.items()):
        if not name.startswith("test_") or not callable(fn) or (only and name not in only):
            continue
        t0 = time.monotonic()
        try:
            fn()
            print("ok   %s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
        except Skip as e:
            print("skip %s: %s" % (name, e), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)
