#!/usr/bin/env python3
"""Live updates keep the `up` selection (issue 14 item 2, compat §3.2): after `up NAME...`, `--no-deps` or
`-n NS`, POST /project (`pcctl project update -f`) and POST /project/configuration apply the same selection
and namespace admission as `up` did, so the processes left out are neither brought back nor started."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402

PROFILES = """processes:
  db:
    command: exec sleep 600
  customer-api:
    command: exec sleep 601
    depends_on:
      db:
        condition: process_started
  admin-api:
    command: exec sleep 602
    depends_on:
      db:
        condition: process_started
"""


def running(p, name):
    p.wait_state(name, lambda s: s["status"] == "Running", timeout=15)


def not_started(p, name, settle=2.0):
    """name stays out of the run: never Running, no pid, for a settle time after an update."""
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        s = p.state(name)
        assert s is None or (s["status"] != "Running" and not s["pid"]), s
        time.sleep(0.1)


def update(p, *args):
    r = p.pcctl("project", "update", "-u", p.socket, "-v", *args, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout


def test_update_keeps_up_selection():
    with Project("upd-sel", PROFILES) as p:
        # --keep-project: when the selection leaves the file, nothing runs any more and the API stays
        p.up("--keep-project", "customer-api")
        running(p, "customer-api")
        running(p, "db")
        not_started(p, "admin-api", settle=0.5)

        # the unchanged file through the CLI (POST /project): nothing changed, nothing started
        out = update(p, "-f", p.path("process-compose.yaml"))
        assert "admin-api" not in out, out
        not_started(p, "admin-api")

        # the same through POST /project/configuration
        r = p.post("/project/configuration", timeout=30)
        assert r.status == 200 and "admin-api" not in r.json(), r
        not_started(p, "admin-api")

        # a raw POST /project naming every process: admin-api stays out of the run
        body = {"processes": {n: {"name": n, "replicaName": n, "command": "exec sleep 603"}
                              for n in ("db", "customer-api", "admin-api")}}
        r = p.post("/project", body, timeout=30)
        assert r.status == 200, r
        not_started(p, "admin-api")
        running(p, "customer-api")

        # the selected process leaves the file: the others are not started in its place
        p.write("v2.yaml", """processes:
  db:
    command: exec sleep 600
  admin-api:
    command: exec sleep 602
""")
        out = update(p, "-f", p.path("v2.yaml"))
        assert "customer-api" in out and "removed" in out, out
        wait_until(lambda: "customer-api" not in p.states(), timeout=15, what="customer-api removed")
        not_started(p, "admin-api")


def test_update_keeps_no_deps():
    with Project("upd-nodeps", PROFILES) as p:
        p.up("--no-deps", "customer-api")
        running(p, "customer-api")
        out = update(p, "-f", p.path("process-compose.yaml"))
        assert "db" not in out and "admin-api" not in out, out
        not_started(p, "db")
        not_started(p, "admin-api", settle=0.2)


def test_update_keeps_namespaces():
    yaml = """processes:
  a:
    command: exec sleep 600
    namespace: foo
    depends_on:
      b:
        condition: process_started
  b:
    command: exec sleep 601
    namespace: bar
"""
    with Project("upd-ns", yaml) as p:
        p.up("-n", "foo")
        running(p, "a")
        assert set(p.states()) == {"a"}, p.states()
        # an unfiltered update: bar and a's dependency on it stay out
        out = update(p, "-f", p.path("process-compose.yaml"))
        assert "b" not in out.split(), out
        time.sleep(1.0)
        assert set(p.states()) == {"a"}, p.states()
        r = p.post("/project/configuration", timeout=30)
        assert r.status == 200 and r.json() == {}, r
        assert set(p.states()) == {"a"}, p.states()


main(globals())
