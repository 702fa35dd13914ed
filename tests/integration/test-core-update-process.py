#!/usr/bin/env python3
"""POST /process answers once the new configuration is in place (issue 14 item 8, compat §3.2): the old run
ends first (here it ignores SIGTERM, so it takes its shutdown timeout), then the new command is installed and
started, and only then does the 200 come. Its `args` follow from the new command, and GET /process/info right
after the reply shows the new command."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402

YAML = """processes:
  slow:
    command: "trap '' TERM; echo v1; while :; do sleep 0.2; done"
    shutdown:
      timeout_seconds: 3
"""

NEW = "exec sleep 601"


def test_update_answers_after_the_swap():
    with Project("upd-proc", YAML) as p:
        p.up()
        p.wait_state("slow", lambda s: s["status"] == "Running", timeout=15)
        # "v1" comes after the trap: from then on the old run ignores SIGTERM (before, a stop ends it at once)
        wait_until(lambda: "v1" in p.get("/process/logs/slow/0/0").json()["logs"], timeout=10,
                   what="the old run's trap set")
        old_pid = p.state("slow")["pid"]
        info = p.get("/process/info/slow").json()
        old_args = info["args"]
        info["command"] = NEW

        t0 = time.monotonic()
        r = p.post("/process", info, timeout=30)
        took = time.monotonic() - t0
        assert r.status == 200, r
        # the old run ignores SIGTERM: it ends by SIGKILL after its 3 s shutdown timeout
        assert took >= 2.5, "answered after %.2fs, before the old run ended" % took
        reply = r.json()
        assert reply["command"] == NEW, reply
        assert reply["args"] != old_args and reply["args"][-1] == NEW, (old_args, reply["args"])

        # right after the reply: the new configuration is what the API shows
        now = p.get("/process/info/slow").json()
        assert now["command"] == NEW and now["args"] == reply["args"], now
        s = p.state("slow")
        assert s["pid"] != old_pid, s

        # an unchanged configuration: answered at once, with the same configuration
        t0 = time.monotonic()
        r = p.post("/process", now, timeout=30)
        assert r.status == 200 and time.monotonic() - t0 < 2.0, r
        assert r.json()["args"] == reply["args"], r


def test_update_of_a_stopped_process():
    with Project("upd-stopped", YAML) as p:
        p.up("--keep-project")
        p.wait_state("slow", lambda s: s["status"] == "Running", timeout=15)
        info = p.get("/process/info/slow").json()
        assert p.patch("/process/stop/slow", timeout=30).status == 200
        p.wait_state("slow", lambda s: s["status"] == "Completed", timeout=15)
        info["command"] = NEW
        r = p.post("/process", info, timeout=30)
        assert r.status == 200 and r.json()["args"][-1] == NEW, r
        assert p.get("/process/info/slow").json()["command"] == NEW


main(globals())
