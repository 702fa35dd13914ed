"""`mem` and `cpu` of running processes (issue 14 item 9), from systemd's MemoryCurrent and CPUUsageNSec:
a process that allocates and touches 20 MiB shows at least 10 MiB, one that burns CPU shows more than 10 %,
an idle one close to 0 %, and GET /processes, the state stream's snapshot and /metrics carry the same."""
import asyncio
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import Project, main, systemctl, wait_until  # noqa: E402

import websockets  # noqa: E402

MIB = 1 << 20
YAML = """
processes:
  hog:
    command: "/usr/bin/python3 -c 'import time; b = b\\"x\\" * (20 << 20); time.sleep(600)'"
  burner:
    command: "while :; do :; done"
  idle:
    command: "sleep 600"
  starter:
    command: "sleep 600 &"
    is_daemon: true
"""


def good(states):
    hog, burner, idle = states.get("hog"), states.get("burner"), states.get("idle")
    return (hog and burner and idle and
            hog["mem"] >= 10 * MIB and burner["cpu"] > 10 and
            idle["mem"] > 0 and idle["cpu"] < 5 and hog["cpu"] < 50)


def metrics(p):
    body = p.get("/metrics").body
    out = {}
    for m in re.finditer(r'^(pcctl_process_(?:memory_bytes|cpu_percent|cpu_seconds_total))\{process="([^"]+)"\} (\S+)$',
                         body, re.M):
        out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def test_mem_and_cpu():
    with Project("stats", YAML) as p:
        p.up()
        for name in ("hog", "burner", "idle"):
            p.wait_state(name, lambda s: s["status"] == "Running")

        # the units are asked for accounting (CPUUsageNSec needs it on cgroup v1)
        show = systemctl("show", p.unit("burner"), "-p", "MemoryAccounting", "-p", "CPUAccounting").stdout
        assert "MemoryAccounting=yes" in show and "CPUAccounting=yes" in show, show

        # GET /processes: the values arrive within a few refreshes (about one a second)
        seen = [None]

        def check():
            seen[0] = p.states()
            return good(seen[0])
        try:
            wait_until(check, timeout=30, interval=0.5, what="mem and cpu in GET /processes")
        except AssertionError as e:
            raise AssertionError("%s: %r" % (e, {n: (s["mem"], s["cpu"]) for n, s in (seen[0] or {}).items()}))
        states = seen[0]
        # a daemon shows -1 for both, as in process-compose
        assert states["starter"]["mem"] == -1 and states["starter"]["cpu"] == -1, states["starter"]
        # one process shows the same in GET /process/NAME
        one = p.state("hog")
        assert one["mem"] >= 10 * MIB, one

        # the state stream's snapshot
        async def snapshot():
            frames = []
            async with websockets.unix_connect(p.socket, "ws://localhost/process/states/ws?name=hog,burner,idle",
                                               max_queue=None) as ws:
                while len(frames) < 3:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            return {f["state"]["name"]: f["state"] for f in frames if f.get("snapshot")}
        snap = asyncio.run(snapshot())
        assert good(snap), {n: (s["mem"], s["cpu"]) for n, s in snap.items()}

        # /metrics
        m = metrics(p)
        assert m[("pcctl_process_memory_bytes", "hog")] >= 10 * MIB, m
        assert m[("pcctl_process_cpu_percent", "burner")] > 10, m
        assert m[("pcctl_process_cpu_percent", "idle")] < 5, m
        assert m[("pcctl_process_memory_bytes", "idle")] > 0, m
        assert m[("pcctl_process_cpu_seconds_total", "burner")] > 0.1, m


def test_restart_starts_over():
    """A new run's numbers start from nothing: its CPU counter and percentage are not carried over."""
    with Project("statsrestart", YAML.split("  idle:")[0]) as p:
        p.up()
        p.wait_state("burner", lambda s: s["status"] == "Running")
        # a busy machine gives the burner a fraction of a CPU: allow for it
        before = wait_until(lambda: metrics(p).get(("pcctl_process_cpu_seconds_total", "burner"), 0) >= 3 and
                            metrics(p)[("pcctl_process_cpu_seconds_total", "burner")], timeout=60, interval=0.5,
                            what="3 s of CPU in the first run")
        pid = p.state("burner")["pid"]
        assert p.post("/process/restart/burner").status == 200
        p.wait_state("burner", lambda s: s["status"] == "Running" and s["pid"] != pid)
        wait_until(lambda: p.state("burner")["cpu"] > 10, timeout=15, interval=0.2, what="burner busy again")
        after = metrics(p)[("pcctl_process_cpu_seconds_total", "burner")]
        assert 0 < after < before, (before, after)


main(globals())
