"""The whole log pipeline under `pcctl up`: the unit's stdout/stderr through the __exec wrapper into the
journal, the controller's rings (REST logs), log_location files, and `pcctl logs` after the project ended."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402

YAML = """processes:
  a:
    command: "echo out-a; echo err-a >&2; sleep 0.2; printf 'no newline at end'"
    log_location: ./logs/a.log
  b:
    command: "echo rep $$PC_REPLICA_NUM"
    replicas: 2
  quick:
    command: "echo first-and-only"
"""


def test_up_then_logs():
    with Project("logsup", YAML) as p:
        p.up(api=False, wait=False)
        assert p.wait_exit(30) == 0, p.stderr()

        a = p.pcctl("logs", "-o", "cat", "a")
        assert a.returncode == 0, a.stderr
        assert sorted(a.stdout.splitlines()) == ["err-a", "no newline at end", "out-a"], a.stdout
        err = p.pcctl("logs", "-o", "cat", "-p", "err")
        assert err.stdout == "err-a\n", err.stdout
        b = p.pcctl("logs", "-o", "cat", "b")
        assert sorted(b.stdout.splitlines()) == ["rep 0", "rep 1"], b.stdout
        # an instantly exiting process: its only line is there
        assert p.pcctl("logs", "-o", "cat", "quick").stdout == "first-and-only\n"
        # all processes, one time-ordered view
        allp = p.pcctl("logs", "-o", "short-unix").stdout.splitlines()
        stamps = [float(line.split()[0]) for line in allp]
        assert len(allp) == 6 and stamps == sorted(stamps), allp

        lines = [json.loads(x) for x in open(p.path("logs/a.log"))]
        by_msg = {x.get("message"): x for x in lines}
        assert by_msg["out-a"] == {"level": "info", "process": "a", "replica": 0, "message": "out-a"}, lines
        assert by_msg["err-a"]["level"] == "error"
        assert oct(os.stat(p.path("logs/a.log")).st_mode & 0o777) == "0o600"


def test_ring_has_first_lines():
    yaml = """processes:
  talk:
    command: "echo line-1; echo line-2 >&2; sleep 600"
"""
    with Project("logsring", yaml) as p:
        p.up()
        def got():
            r = p.get("/process/logs/talk/0/10")
            return r.json().get("logs") if r.status == 200 else None
        logs = wait_until(lambda: (lambda l: l if l and len(l) >= 2 else None)(got()), timeout=10,
                          what="two lines in the ring")
        assert sorted(logs) == ["line-1", "line-2"], logs


main(globals())
