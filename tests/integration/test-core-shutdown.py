#!/usr/bin/env python3
"""pcctl up: shutdown semantics against the real user manager (compat §2.6, §6.2-6.3): ordered shutdown,
shutdown.command, timeout_seconds escalation, forked children that ignore SIGTERM, a second SIGINT, and
ready_log_line ordering. Observed from outside: files the processes write, exit codes, systemd."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, systemctl, wait_until  # noqa: E402


def assert_clean(p):
    wait_until(lambda: not p.units(), timeout=10, what="no pcctl unit of %s loaded" % p.name)
    r = systemctl("show", "-p", "ActiveState", p.slice())
    assert "ActiveState=active" not in r.stdout, r.stdout


def read_lines(p, fname):
    try:
        with open(p.path(fname)) as f:
            return [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie of ours is not alive
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


ORDERED = """ordered_shutdown: true
processes:
  A:
    command: echo $$$$ > A.pid; exec sleep 600
    shutdown:
      command: echo A >> shutdown.log; kill $$(cat A.pid)
  C:
    command: echo $$$$ > C.pid; exec sleep 600
    depends_on: {A: {condition: process_started}}
    shutdown:
      command: sleep 0.3; echo C >> shutdown.log; kill $$(cat C.pid)
  D:
    command: echo $$$$ > D.pid; exec sleep 600
    depends_on: {A: {condition: process_started}}
    shutdown:
      command: echo D >> shutdown.log; kill $$(cat D.pid)
  B:
    command: echo $$$$ > B.pid; exec sleep 600
    depends_on:
      C: {condition: process_started}
      D: {condition: process_started}
    shutdown:
      command: sleep 0.5; echo B >> shutdown.log; kill $$(cat B.pid)
"""


def test_ordered_shutdown():
    with Project("ordered", ORDERED) as p:
        p.up(api=False, env={"PC_LOG_LEVEL": "debug"})
        wait_until(lambda: all(os.path.exists(p.path(n + ".pid")) for n in "ABCD"), timeout=15,
                   what="all four running")
        time.sleep(0.3)
        p.signal(signal.SIGTERM)
        assert p.wait_exit(30) == 0, p.stderr()
        order = read_lines(p, "shutdown.log")
        assert len(order) == 4, (order, p.stderr())
        assert order[0] == "B" and set(order[1:3]) == {"C", "D"} and order[3] == "A", order
        for n in "ABCD":
            assert not pid_alive(int(read_lines(p, n + ".pid")[0])), n
        assert_clean(p)


def test_parallel_shutdown_without_order():
    # the same project without ordered_shutdown: B's slow shutdown does not hold A back
    with Project("unordered", ORDERED.replace("ordered_shutdown: true\n", "")) as p:
        p.up(api=False)
        wait_until(lambda: all(os.path.exists(p.path(n + ".pid")) for n in "ABCD"), timeout=15,
                   what="all four running")
        p.signal(signal.SIGTERM)
        assert p.wait_exit(30) == 0, p.stderr()
        order = read_lines(p, "shutdown.log")
        # all stopped at once: A (no delay) does not wait for B (0.5 s) as it would in order
        assert sorted(order) == ["A", "B", "C", "D"] and order.index("A") < order.index("B"), order
        assert_clean(p)


def test_sigterm_ignoring_process_killed_after_timeout():
    yaml = """processes:
  stubborn:
    command: trap '' TERM; echo $$$$ > stubborn.pid; while true; do sleep 0.1; done
    shutdown: {timeout_seconds: 2}
  polite:
    command: exec sleep 600
"""
    with Project("stubborn", yaml) as p:
        p.up(api=False)
        wait_until(lambda: os.path.exists(p.path("stubborn.pid")), timeout=10, what="stubborn running")
        time.sleep(0.3)
        t0 = time.monotonic()
        p.signal(signal.SIGTERM)
        assert p.wait_exit(30) == 0, p.stderr()
        took = time.monotonic() - t0
        assert 1.8 <= took < 8, "shutdown took %.2fs, expected about 2s" % took
        assert not pid_alive(int(read_lines(p, "stubborn.pid")[0]))
        assert_clean(p)


def test_forked_children_ignoring_sigterm_are_gone():
    # children (also one in its own session) ignore SIGTERM: after the timeout nothing survives
    yaml = """processes:
  forker:
    command: >-
      trap '' TERM;
      for i in 1 2 3; do (trap '' TERM; exec sleep 600) & echo $$! >> children.pid; done;
      setsid sh -c 'trap "" TERM; echo $$$$ >> children.pid; exec sleep 600' &
      sleep 0.5; echo forked; wait
    shutdown: {timeout_seconds: 1}
"""
    with Project("forker", yaml) as p:
        p.up(api=False)
        wait_until(lambda: len(read_lines(p, "children.pid")) >= 4, timeout=10, what="children forked")
        pids = [int(x) for x in read_lines(p, "children.pid")]
        assert all(pid_alive(x) for x in pids)
        p.signal(signal.SIGTERM)
        assert p.wait_exit(30) == 0, p.stderr()
        wait_until(lambda: not any(pid_alive(x) for x in pids), timeout=5, what="no orphan left")
        assert_clean(p)


def test_second_sigint_stops_the_slice_at_once():
    yaml = """processes:
  slow1:
    command: trap '' TERM INT; echo $$$$ > slow1.pid; while true; do sleep 0.1; done
    shutdown: {timeout_seconds: 60}
  slow2:
    command: trap '' TERM INT; while true; do sleep 0.1; done
    shutdown: {timeout_seconds: 60}
"""
    with Project("second-sigint", yaml) as p:
        p.up(api=False)
        wait_until(lambda: os.path.exists(p.path("slow1.pid")) and len(p.units()) >= 2, timeout=10,
                   what="both running")
        time.sleep(0.3)
        p.signal(signal.SIGINT)
        time.sleep(1.0)
        assert p.proc.poll() is None, "pcctl exited although its processes ignore SIGTERM for 60s"
        t0 = time.monotonic()
        p.signal(signal.SIGINT)
        p.wait_exit(20)
        assert time.monotonic() - t0 < 10, "the second SIGINT did not stop the slice at once"
        assert not pid_alive(int(read_lines(p, "slow1.pid")[0]))
        assert_clean(p)


def test_ready_log_line_holds_dependent():
    yaml = """processes:
  server:
    command: echo starting; sleep 1.5; date +%s.%N > ready_at; echo "server is READY now"; sleep 600
    ready_log_line: READY now
  client:
    command: date +%s.%N > client_at; echo client-ran
    depends_on: {server: {condition: process_log_ready}}
    availability: {exit_on_end: true}
"""
    with Project("ready-line", yaml) as p:
        p.up(api=False)
        assert p.wait_exit(30) == 0, p.stderr()
        ready_at = float(read_lines(p, "ready_at")[0])
        client_at = float(read_lines(p, "client_at")[0])
        assert client_at >= ready_at, (ready_at, client_at)
        assert client_at - ready_at < 3, (ready_at, client_at)
        assert_clean(p)


def test_ready_log_line_never_seen_skips():
    # issue 400: the log-ready dependency exits without the line; the dependent is Skipped and
    # exit_on_skipped ends the project with exit code 1 (not stuck Pending)
    yaml = """processes:
  failer:
    command: echo no luck; exit 1
    ready_log_line: never printed
  oblivious:
    command: echo oblivious-ran
    depends_on: {failer: {condition: process_log_ready}}
    availability: {exit_on_skipped: true}
  bg:
    command: sleep 600
"""
    with Project("ready-line-skip", yaml) as p:
        p.up(api=False)
        assert p.wait_exit(30) == 1, p.stderr()
        assert "oblivious-ran" not in p.stdout()
        assert_clean(p)


def test_shutdown_command_failure_kills():
    # a failing shutdown.command: the process is killed at once (not after the 10 s default)
    yaml = """processes:
  svc:
    command: trap '' TERM; echo $$$$ > svc.pid; while true; do sleep 0.1; done
    shutdown:
      command: exit 3
"""
    with Project("shutdown-cmd-fail", yaml) as p:
        p.up(api=False)
        wait_until(lambda: os.path.exists(p.path("svc.pid")), timeout=10, what="svc running")
        t0 = time.monotonic()
        p.signal(signal.SIGTERM)
        assert p.wait_exit(30) == 0
        assert time.monotonic() - t0 < 5
        assert not pid_alive(int(read_lines(p, "svc.pid")[0]))
        assert_clean(p)


main(globals())
