"""pcctl __exec and pcctl-exec (the same verb as a static program): stderr goes to the journal at
PRIORITY=3, stdout stays at 6, exec failures exit 203."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import PCCTL, main, systemctl, wait_until  # noqa: E402

PREFIX = "pcctl-t%d-exec" % os.getpid()
# the helper `pcctl up` runs in units: beside pcctl in the build tree
HELPER = os.path.join(os.path.dirname(PCCTL), "pcctl-exec")
WRAPPERS = [("pcctl", PCCTL), ("helper", HELPER)]


def run_unit(name, *cmd, wrapper=PCCTL):
    unit = "%s-%s" % (PREFIX, name)
    r = subprocess.run(["systemd-run", "--user", "--wait", "--unit=%s.service" % unit,
                        "-p", "SyslogIdentifier=%s" % unit, wrapper, "__exec", unit, "--", *cmd],
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
    for kind, wrapper in WRAPPERS:
        unit, r = run_unit("prio-" + kind, "sh", "-c",
                           "echo to-stdout; echo to-stderr >&2; echo '<1>not-a-prefix' >&2; sleep 0.3",
                           wrapper=wrapper)
        assert r.returncode == 0, r.stderr
        got = {e["MESSAGE"]: e for e in entries(unit, 3)}
        assert got["to-stdout"]["PRIORITY"] == "6", got["to-stdout"]
        assert got["to-stderr"]["PRIORITY"] == "3", got["to-stderr"]
        assert got["<1>not-a-prefix"]["PRIORITY"] == "3"
        # the wrapper execs: both streams come from the same process, in the unit
        assert got["to-stdout"]["_PID"] == got["to-stderr"]["_PID"]
        assert got["to-stderr"].get("_SYSTEMD_UNIT") == unit + ".service", (kind, got["to-stderr"])


def test_exec_failure_203():
    for kind, wrapper in WRAPPERS:
        unit, r = run_unit("fail-" + kind, "/nonexistent/program", wrapper=wrapper)
        assert "status=203" in r.stderr, r.stderr
        (e,) = entries(unit, 1)
        assert e["MESSAGE"] == "pcctl: failed to execute '/nonexistent/program': No such file or directory", e
        assert e["PRIORITY"] == "3"


def test_usage_error():
    for args in ([PCCTL, "__exec", "x"], [HELPER, "__exec", "x"], [HELPER], [HELPER, "up"]):
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 203, args
        assert r.stdout == ""
        assert "Usage:" in r.stderr


def test_helper_links_libc_only():
    r = subprocess.run(["ldd", HELPER], capture_output=True, text=True)
    libs = [x.split()[0] for x in r.stdout.splitlines() if "=>" in x]
    allowed = ("libc.so", "linux-vdso")
    if any(x.startswith(("libasan", "libubsan")) for x in libs):
        # a sanitizer build: the sanitizer runtimes and what they pull in, nothing of the project's own
        allowed += ("libasan", "libubsan", "libm.so", "libgcc_s", "libstdc++")
    assert all(x.startswith(allowed) for x in libs), r.stdout
    assert not any(x.startswith(("libsystemd", "libmicrohttpd", "libcurl", "libcjson", "libyaml", "libwslay",
                                 "libnettle")) for x in libs), r.stdout


main(globals())
