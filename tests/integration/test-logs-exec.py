"""pcctl __exec: stderr goes to the journal at PRIORITY=3, stdout stays at 6, exec failures exit 203."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import PCCTL, main, systemctl, wait_until  # noqa: E402

PREFIX = "pcctl-t%d-exec" % os.getpid()


def run_unit(name, *cmd):
    unit = "%s-%s" % (PREFIX, name)
    r = subprocess.run(["systemd-run", "--user", "--wait", "--unit=%s.service" % unit,
                        "-p", "SyslogIdentifier=%s" % unit, PCCTL, "__exec", unit, "--", *cmd],
                       capture_output=True, text=True, timeout=60)
    systemctl("reset-failed", "%s.service" % unit)
    return unit, r


def entries(ident, n):
    def get():
        out = subprocess.run(["journalctl", "-o", "json", "SYSLOG_IDENTIFIER=%s" % ident],
                             capture_output=True, text=True).stdout
        e = [json.loads(x) for x in out.splitlines() if x.strip()]
        return e if len(e) >= n else None
    return wait_until(get, timeout=10, what="%d journal entries of %s" % (n, ident))


def test_stderr_priority():
    unit, r = run_unit("prio", "sh", "-c", "echo to-stdout; echo to-stderr >&2; echo '<1>not-a-prefix' >&2")
    assert r.returncode == 0, r.stderr
    got = {e["MESSAGE"]: e for e in entries(unit, 3)}
    assert got["to-stdout"]["PRIORITY"] == "6", got["to-stdout"]
    assert got["to-stderr"]["PRIORITY"] == "3", got["to-stderr"]
    assert got["<1>not-a-prefix"]["PRIORITY"] == "3"
    # the wrapper execs: both streams come from the same process
    assert got["to-stdout"]["_PID"] == got["to-stderr"]["_PID"]


def test_exec_failure_203():
    unit, r = run_unit("fail", "/nonexistent/program")
    assert "status=203" in r.stderr, r.stderr
    (e,) = entries(unit, 1)
    assert e["MESSAGE"] == "pcctl: failed to execute '/nonexistent/program': No such file or directory", e
    assert e["PRIORITY"] == "3"


def test_usage_error():
    r = subprocess.run([PCCTL, "__exec", "x"], capture_output=True, text=True)
    assert r.returncode == 203
    assert r.stdout == ""


main(globals())
