#!/usr/bin/env python3
"""`namespace stop` (issue 14 item 3, compat §3.2): the members stop one at a time in reverse dependency order,
dependents first, each after the previous has ended, also when the dependency goes through a process of
another namespace; POST /namespace/stop/NS and `pcctl namespace stop` answer once every member has stopped. POST
/namespace/restart/NS stops the same way, then starts the members again.

a (ns1) depends on x (ns2), which depends on b (ns1): a must stop before b, although nothing in ns1 alone
orders them (sorted and reversed, b would come first). Each member takes a second to stop."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402

# No fork in the trap (systemd's cgroup kill also catches a child forked right after the SIGTERM): bash's
# $EPOCHREALTIME for the time, a read with a timeout on a FIFO of its own for the second.
# The FIFO appears once the trap is set.
MEMBER = ("echo \"{n} start $EPOCHREALTIME\" >> order.log; trap 'echo \"{n} begin $EPOCHREALTIME\" >> order.log; "
          "read -t 1 <> {n}.fifo; echo \"{n} end $EPOCHREALTIME\" >> order.log; exit 0' TERM; "
          "rm -f {n}.fifo; mkfifo {n}.fifo.new && mv {n}.fifo.new {n}.fifo; while :; do sleep 0.1; done")

YAML = """processes:
  a:
    command: "%s"
    namespace: ns1
    depends_on:
      x:
        condition: process_started
  x:
    command: exec sleep 600
    namespace: ns2
    depends_on:
      b:
        condition: process_started
  b:
    command: "%s"
    namespace: ns1
""" % (MEMBER.format(n="a").replace('"', '\\"'), MEMBER.format(n="b").replace('"', '\\"'))


def events(p):
    """[(name, what, time)] from order.log, in file order."""
    try:
        with open(p.path("order.log")) as f:
            return [(w[0], w[1], float(w[2])) for w in (line.split() for line in f) if len(w) == 3]
    except FileNotFoundError:
        return []


def all_running(p):
    for n in ("a", "b", "x"):
        p.wait_state(n, lambda s: s["status"] == "Running", timeout=20)
    wait_until(lambda: all(os.path.exists(p.path(n + ".fifo")) for n in ("a", "b")), timeout=10,
               what="the members' traps")


def check_stopped_in_order(p, took):
    ev = events(p)
    ev = [e for e in ev if e[1] != "start"]
    names = [(n, w) for n, w, _ in ev]
    assert names == [("a", "begin"), ("a", "end"), ("b", "begin"), ("b", "end")], ev
    times = {(n, w): t for n, w, t in ev}
    assert times[("b", "begin")] >= times[("a", "end")], ev
    # the answer came after both had stopped (two stops of about 1 s each, one after the other)
    assert took >= 1.8, "answered after %.2fs" % took
    st = p.states()
    for n in ("a", "b"):
        assert st[n]["status"] == "Completed" and not st[n]["is_running"], st[n]
    assert st["x"]["status"] == "Running", st["x"]


def test_namespace_stop_order_and_answer():
    with Project("ns-stop", YAML) as p:
        p.up("--keep-project")
        all_running(p)

        t0 = time.monotonic()
        r = p.post("/namespace/stop/ns1", timeout=60)
        took = time.monotonic() - t0
        assert r.status == 200 and r.json() == {"name": "ns1"}, r
        check_stopped_in_order(p, took)

        # the same through the CLI
        for f in ("order.log", "a.fifo", "b.fifo"):
            os.unlink(p.path(f))
        assert p.post("/namespace/start/ns1").status == 200
        all_running(p)
        t0 = time.monotonic()
        c = p.pcctl("namespace", "stop", "ns1", "-u", p.socket, timeout=60)
        took = time.monotonic() - t0
        assert c.returncode == 0 and c.stdout == "Namespace 'ns1' stopped successfully\n", c
        check_stopped_in_order(p, took)

        # nothing runs any more: answered at once
        r = p.post("/namespace/stop/ns1", timeout=10)
        assert r.status == 200 and r.json() == {"name": "ns1"}, r
        r = p.post("/namespace/stop/nope", timeout=10)
        assert r.status == 400 and r.json() == {"error": "namespace nope not found (no processes assigned)"}, r


def test_namespace_restart_order_and_answer():
    """Restart stops as stop does (dependents first, one at a time), then starts the members in dependency
    order, and answers once that is done (process-compose's RestartNamespace)."""
    with Project("ns-restart", YAML) as p:
        p.up("--keep-project")
        all_running(p)
        pids = {n: p.state(n)["pid"] for n in ("a", "b", "x")}
        os.unlink(p.path("order.log"))

        t0 = time.monotonic()
        r = p.post("/namespace/restart/ns1", timeout=60)
        took = time.monotonic() - t0
        assert r.status == 200 and r.json() == {"name": "ns1"}, r
        assert took >= 1.8, "answered after %.2fs" % took
        for n in ("a", "b"):
            p.wait_state(n, lambda s: s["status"] == "Running" and s["pid"] != pids[n], timeout=20)
        wait_until(lambda: len([e for e in events(p) if e[1] == "start"]) == 2, what="both started again")
        ev = events(p)
        stops = [(n, w) for n, w, _ in ev if w != "start"]
        assert stops == [("a", "begin"), ("a", "end"), ("b", "begin"), ("b", "end")], ev
        times = {(n, w): t for n, w, t in ev}
        # started again only once both had stopped
        assert min(times[("a", "start")], times[("b", "start")]) >= times[("b", "end")], ev
        st = p.states()
        for n in ("a", "b"):
            assert st[n]["pid"] != pids[n], (n, st[n])
        assert st["x"]["pid"] == pids["x"] and st["x"]["status"] == "Running", st["x"]


main(globals())
