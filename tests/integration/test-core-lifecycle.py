#!/usr/bin/env python3
"""pcctl up against the real user manager: dependency orders, Skipped propagation, exit codes, start errors
(process-compose's fixtures of compat §6.1-6.3, with our own fixture files). These scenarios observe pcctl
only from outside: its stdout (`[name\t] line`), its exit code, files the processes write, and systemd."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, loaded_units, main, systemctl, wait_until  # noqa: E402


def assert_clean(p):
    """After a scenario: no unit of the project is loaded and its slice has no process left."""
    wait_until(lambda: not p.units(), timeout=10, what="no pcctl unit of %s loaded" % p.name)
    slice_ = p.slice()
    r = systemctl("show", "-p", "ActiveState", "-p", "LoadState", slice_)
    assert "ActiveState=active" not in r.stdout, "slice %s still active: %s" % (slice_, r.stdout)
    r = systemctl("status", slice_)
    assert "CGroup" not in r.stdout or "└─" not in r.stdout, "slice still has processes:\n" + r.stdout


def run(p, *args, timeout=60, env=None):
    p.up(*args, api=False, env=env)
    rc = p.wait_exit(timeout=timeout)
    assert_clean(p)
    return rc


def lines_of(p, name):
    prefix = "[%s\t] " % name
    return [line[len(prefix):] for line in p.stdout().splitlines() if line.startswith(prefix)]


def order_file(p):
    path = p.path("order.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def chain_yaml(n, condition="process_completed_successfully"):
    out = ["processes:"]
    for i in range(1, n + 1):
        out.append("  process%d:" % i)
        out.append("    command: echo process%d >> order.log" % i)
        if i < n:
            out.append("    depends_on:")
            out.append("      process%d:" % (i + 1))
            out.append("        condition: %s" % condition)
    return "\n".join(out) + "\n"


def test_chain_order():
    # process1 <- process2 <- ... <- process8: they run from process8 down to process1
    with Project("chain", chain_yaml(8)) as p:
        assert run(p) == 0, p.stderr()
        assert order_file(p) == ["process%d" % i for i in range(8, 0, -1)], order_file(p)


def test_diamond_order():
    yaml = """processes:
  p5:
    command: echo p5 >> order.log
  p6:
    command: sleep 0.2; echo p6 >> order.log
    depends_on: {p5: {condition: process_completed_successfully}}
  p7:
    command: echo p7 >> order.log
    depends_on: {p5: {condition: process_completed_successfully}}
  p8:
    command: echo p8 >> order.log
    depends_on:
      p6: {condition: process_completed_successfully}
      p7: {condition: process_completed_successfully}
"""
    with Project("diamond", yaml) as p:
        assert run(p) == 0, p.stderr()
        order = order_file(p)
        assert order[0] == "p5" and order[-1] == "p8" and set(order[1:3]) == {"p6", "p7"}, order


def test_many_for_one():
    deps = "\n".join("  d%d:\n    command: echo d%d >> order.log\n    depends_on: {process1: {condition: "
                     "process_completed_successfully}}" % (i, i) for i in range(7))
    yaml = "processes:\n  process1:\n    command: sleep 0.3; echo process1 >> order.log\n" + deps + "\n"
    with Project("many-for-one", yaml) as p:
        t0 = time.monotonic()
        assert run(p) == 0, p.stderr()
        order = order_file(p)
        assert order[0] == "process1" and sorted(order[1:]) == ["d%d" % i for i in range(7)], order
        # the seven dependents start together (pipelined), not one after another
        assert time.monotonic() - t0 < 10


def test_skipped_propagation():
    # procA fails: procB and procC are Skipped (exit code 1); the project still exits 0
    yaml = """processes:
  procA:
    command: echo A; exit 1
  procB:
    command: echo B-ran
    depends_on: {procA: {condition: process_completed_successfully}}
  procC:
    command: echo C-ran
    depends_on: {procB: {condition: process_completed_successfully}}
  other:
    command: echo other-ran
    depends_on: {procA: {condition: process_completed}}
"""
    with Project("skipped", yaml) as p:
        assert run(p) == 0, p.stderr()
        out = p.stdout()
        assert "B-ran" not in out and "C-ran" not in out, out
        assert "other-ran" in out, out
        assert any("cannot be met" in l for l in lines_of(p, "procB")), out
        assert any("cannot be met" in l for l in lines_of(p, "procC")), out


def test_exit_on_skipped():
    yaml = """processes:
  failer:
    command: exit 1
  dep:
    command: echo dep-ran
    depends_on: {failer: {condition: process_completed_successfully}}
    availability: {exit_on_skipped: true}
  long:
    command: sleep 30
"""
    with Project("exit-on-skipped", yaml) as p:
        t0 = time.monotonic()
        assert run(p) == 1, p.stderr()
        assert time.monotonic() - t0 < 15
        assert "dep-ran" not in p.stdout()


def test_exit_on_failure_42():
    # the chain-exit fixture: process8 exits 42 with exit_on_failure -> `up` exits 42, the rest is stopped
    yaml = chain_yaml(8).replace("command: echo process8 >> order.log",
                                 "command: exit 42\n    availability: {restart: exit_on_failure}")
    yaml += "  sleeper:\n    command: sleep 60\n"
    with Project("chain-exit", yaml) as p:
        t0 = time.monotonic()
        assert run(p) == 42, p.stderr()
        assert time.monotonic() - t0 < 20
        assert order_file(p) == [], order_file(p)


def test_success_exit_codes():
    yaml = """processes:
  allowed:
    command: echo allowed-run >> order.log; exit 130
    success_exit_codes: [130]
    availability: {restart: on_failure}
  control:
    command: echo control-run >> order.log; exit 130
    availability: {restart: on_failure, max_restarts: 1, backoff_seconds: 1}
  after:
    command: echo after-ran
    depends_on: {allowed: {condition: process_completed_successfully}}
"""
    with Project("success-codes", yaml) as p:
        assert run(p) == 0, p.stderr()
        order = order_file(p)
        assert order.count("allowed-run") == 1, order      # allow-listed: no restart
        assert order.count("control-run") == 2, order      # on_failure, max_restarts 1
        assert "after-ran" in p.stdout()
        # the restart marker: process-compose writes a lone "\n" before each automatic restart
        assert "" in lines_of(p, "control"), lines_of(p, "control")


def test_success_exit_on_end():
    yaml = """processes:
  main:
    command: exit 130
    success_exit_codes: [130]
    availability: {exit_on_end: true}
  bg:
    command: sleep 60
"""
    with Project("exit-on-end-ok", yaml) as p:
        assert run(p) == 0, p.stderr()
    with Project("exit-on-end-fail", yaml.replace("    success_exit_codes: [130]\n", "")) as p:
        assert run(p) == 130, p.stderr()


def test_signal_exit_code_255():
    # a process killed by a signal has exit code -1, which `up` reports as 255
    yaml = """processes:
  victim:
    command: kill -KILL $$$$
    availability: {exit_on_end: true}
"""
    with Project("signal-255", yaml) as p:
        assert run(p) == 255, p.stderr()


def test_start_errors_do_not_stop_others():
    yaml = """processes:
  nodir:
    command: echo should-not-run
    working_dir: /nonexistent/pcctl-test-dir
  nobin:
    entrypoint: ["/nonexistent/pcctl-test-binary", "x"]
  fine:
    command: sleep 0.5; echo fine-done
  after:
    command: echo after-nodir
    depends_on: {nodir: {condition: process_completed}}
"""
    with Project("start-errors", yaml) as p:
        assert run(p) == 0, p.stderr()
        out = p.stdout()
        assert "should-not-run" not in out
        nodir = "\n".join(lines_of(p, "nodir"))
        assert "/nonexistent/pcctl-test-dir" in nodir and "No such file or directory" in nodir, out
        nobin = "\n".join(lines_of(p, "nobin"))
        assert "/nonexistent/pcctl-test-binary" in nobin and "203" in nobin, out
        assert "fine-done" in out and "after-nodir" in out, out


def test_environment():
    yaml = """environment:
  - GLOBAL=g1
processes:
  env:
    command: echo "name=$$PC_PROC_NAME replica=$$PC_REPLICA_NUM g=$$GLOBAL own=$$OWN pid=$$$$"
    environment:
      - OWN=o1
  rep:
    command: echo "rep=$$PC_PROC_NAME/$$PC_REPLICA_NUM"
    replicas: 2
  envfile:
    command: echo "My name is $$MY_NAME"
    env_file: .env.test
"""
    with Project("environment", yaml, files={".env.test": "MY_NAME=Inigo_Montoya\n"}) as p:
        assert run(p) == 0, p.stderr()
        env = lines_of(p, "env")
        assert any(l.startswith("name=env replica=0 g=g1 own=o1 pid=") and not l.endswith("$$") for l in env), env
        assert "rep=rep/0" in lines_of(p, "rep-0") and "rep=rep/1" in lines_of(p, "rep-1"), p.stdout()
        assert "My name is Inigo_Montoya" in lines_of(p, "envfile"), p.stdout()


def test_disabled_and_selection():
    yaml = """processes:
  procA:
    command: echo A-ran
  procB:
    command: echo B-ran
    depends_on: {procA: {condition: process_completed}}
  procC:
    command: echo C-ran
    depends_on: {procB: {condition: process_completed}}
  off:
    command: echo off-ran
    disabled: true
"""
    with Project("selection", yaml) as p:
        assert run(p, "procB") == 0, p.stderr()
        out = p.stdout()
        assert "A-ran" in out and "B-ran" in out and "C-ran" not in out and "off-ran" not in out, out
    with Project("selection-nodeps", yaml) as p:
        assert run(p, "--no-deps", "procC") == 0, p.stderr()
        out = p.stdout()
        assert "C-ran" in out and "A-ran" not in out and "B-ran" not in out, out
    with Project("selection-unknown", yaml) as p:
        assert run(p, "nope") == 1
        assert "no such process: nope" in p.stderr(), p.stderr()


def test_load_errors_exit_1():
    with Project("bad-yaml", "processes:\n  a:\n    command: [unclosed\n") as p:
        assert run(p) == 1
        assert p.stderr().strip(), "no error message"
    yaml = "processes:\n  a:\n    command: echo a\n    x-systemd:\n      NoSuchProperty: 1\n"
    with Project("bad-xprop", yaml) as p:
        assert run(p) == 1
        assert "NoSuchProperty" in p.stderr() and "process-compose.yaml:" in p.stderr(), p.stderr()


def test_dry_run():
    with Project("dry-run", chain_yaml(3)) as p:
        r = p.pcctl("up", "--dry-run")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "Validated 3 configured processes from 1 files.", r.stdout
        assert not p.units()


def test_x_systemd_property_applies():
    yaml = """processes:
  limited:
    command: cat /proc/self/cgroup; sleep 1
    x-systemd:
      MemoryMax: 64M
"""
    with Project("xprop", yaml) as p:
        p.up(api=False)
        unit = p.unit("limited")
        v = wait_until(lambda: (lambda r: r if "MemoryMax=67108864" in r else None)(
            systemctl("show", "-p", "MemoryMax", unit).stdout), timeout=10, what="MemoryMax of " + unit)
        assert v
        assert p.wait_exit(30) == 0
        assert_clean(p)


def test_sigterm_shuts_down_and_cleans_up():
    yaml = """processes:
  a:
    command: sleep 600
  b:
    command: sleep 600
    replicas: 3
  c:
    command: exit 3
"""
    with Project("sigterm", yaml) as p:
        p.up(api=False)
        wait_until(lambda: len([u for u in p.units() if u.endswith(".service")]) >= 4, timeout=10,
                   what="units running")
        t0 = time.monotonic()
        p.signal(signal.SIGTERM)
        assert p.wait_exit(20) == 0
        assert time.monotonic() - t0 < 10
        assert_clean(p)


def test_auto_exit_waits_for_restarts():
    # the project ends when everything has ended, after restarts
    yaml = """processes:
  flaky:
    command: echo run >> order.log; exit 1
    availability: {restart: on_failure, max_restarts: 2, backoff_seconds: 1}
"""
    with Project("auto-exit", yaml) as p:
        t0 = time.monotonic()
        assert run(p) == 0
        assert order_file(p).count("run") == 3
        assert time.monotonic() - t0 >= 2.0


def test_readiness_probe_restarts_twice():
    # TestReadinessProbeRestart: a probe that always fails (threshold 1) kills the process; on_failure with
    # max_restarts 2 restarts it twice, then the project ends
    yaml = """processes:
  unready:
    command: echo run >> order.log; sleep 600
    readiness_probe:
      exec: {command: "exit 1"}
      initial_delay_seconds: 1
      period_seconds: 1
      failure_threshold: 1
    availability: {restart: on_failure, max_restarts: 2, backoff_seconds: 1}
"""
    with Project("probe-restart", yaml) as p:
        assert run(p, timeout=40) == 0, p.stderr()
        assert order_file(p).count("run") == 3, order_file(p)
        fails = [l for l in lines_of(p, "unready") if l.startswith("Error: readiness check fail - ")]
        assert len(fails) == 3, lines_of(p, "unready")
        assert lines_of(p, "unready").count("") == 2          # two restart markers


def test_process_healthy_dependent():
    yaml = """processes:
  db:
    command: sleep 1; touch ready.flag; sleep 600
    readiness_probe:
      exec: {command: "test -e ready.flag"}
      period_seconds: 1
  app:
    command: test -e ready.flag && echo app-saw-ready
    depends_on: {db: {condition: process_healthy}}
    availability: {exit_on_end: true}
"""
    with Project("healthy", yaml) as p:
        assert run(p, timeout=30) == 0, p.stderr()
        assert "app-saw-ready" in lines_of(p, "app"), p.stdout()


def test_healthy_dependency_that_dies_skips():
    yaml = """processes:
  db:
    command: exit 2
    readiness_probe:
      exec: {command: "true"}
      initial_delay_seconds: 5
  app:
    command: echo app-ran
    depends_on: {db: {condition: process_healthy}}
"""
    with Project("healthy-dies", yaml) as p:
        assert run(p, timeout=30) == 0, p.stderr()
        assert "app-ran" not in p.stdout()
        assert any("cannot be met" in l for l in lines_of(p, "app")), p.stdout()


# issue 14 item 4. process-compose's waitIfNeeded: `process_healthy` needs a readiness or liveness probe on the
# dependency, and `ready_log_line` is no health check (its condition is `process_log_ready`): the dependent is
# Skipped at once, with the loader's message, and the line is not waited for.
HEALTHY_ON_LOG_LINE = """processes:
  db:
    command: sleep 3; echo db is ready; sleep 1
    ready_log_line: db is ready
  app:
    command: echo app-ran
    depends_on: {db: {condition: process_healthy}}
"""


def test_process_healthy_on_ready_log_line_only_skips():
    with Project("healthy-logline", HEALTHY_ON_LOG_LINE) as p:
        t0 = time.monotonic()
        p.up()
        st = p.wait_state("app", lambda s: s["status"] == "Skipped", timeout=10)
        assert time.monotonic() - t0 < 2.5, "app was Skipped only after %.1f s" % (time.monotonic() - t0)
        assert st["exit_code"] == 1, st
        p.wait_state("db", lambda s: s["status"] == "Running", timeout=5)     # db goes on, it is not the one skipped
        rc = p.wait_exit(timeout=30)
        assert rc == 0, (rc, p.stderr())
        assert "app-ran" not in p.stdout(), p.stdout()
        assert any("no health check exists in 'db'" in l for l in lines_of(p, "app")), p.stdout()
        assert "db is ready" in lines_of(p, "db"), p.stdout()


def test_process_healthy_on_ready_log_line_only_exit_on_skipped():
    yaml = HEALTHY_ON_LOG_LINE.replace("    command: echo app-ran\n",
                                       "    command: echo app-ran\n    availability: {exit_on_skipped: true}\n")
    with Project("healthy-logline-exit", yaml) as p:
        t0 = time.monotonic()
        assert run(p, timeout=30) == 1, p.stderr()
        assert time.monotonic() - t0 < 2.5, "up took %.1f s" % (time.monotonic() - t0)
        assert "app-ran" not in p.stdout(), p.stdout()


def test_log_location_files():
    yaml = """log_location: ./pc.project.log
processes:
  a:
    command: echo line-a; echo err-a >&2
  b:
    command: echo line-b
    log_location: ./logs/b.log
  r:
    command: echo rep-$$PC_REPLICA_NUM
    replicas: 2
    log_location: ./logs/r-{PC_REPLICA_NUM}.log
"""
    import json
    with Project("log-location", yaml) as p:
        assert run(p) == 0, p.stderr()

        def entries(f):
            with open(p.path(f)) as fh:
                return [json.loads(l) for l in fh if l.strip()]
        assert entries("pc.project.log") == [
            {"level": "info", "process": "a", "replica": 0, "message": "line-a"},
            {"level": "error", "process": "a", "replica": 0, "message": "err-a"}] or \
            sorted(map(str, entries("pc.project.log"))) == sorted(map(str, [
                {"level": "info", "process": "a", "replica": 0, "message": "line-a"},
                {"level": "error", "process": "a", "replica": 0, "message": "err-a"}])), entries("pc.project.log")
        assert entries("logs/b.log") == [{"level": "info", "process": "b", "replica": 0, "message": "line-b"}]
        assert entries("logs/r-1.log") == [{"level": "info", "process": "r", "replica": 1, "message": "rep-1"}]


def test_unreachable_manager():
    with Project("no-manager", chain_yaml(1)) as p:
        r = p.pcctl("up", "-t=false", "--no-server", env={"XDG_RUNTIME_DIR": p.path("no-runtime-dir")})
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "contrib/sandbox.sh start" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not p.units()


def test_bad_flags_exit_1():
    with Project("bad-flags", chain_yaml(1)) as p:
        for args in (["-p", "0"], ["--tui=maybe"], ["--bogus"], ["--ws-write-timeout", "-1"]):
            r = p.pcctl("up", *args)
            assert r.returncode == 1 and "pcctl up:" in r.stderr, (args, r.stderr)
        assert not p.units()


main(globals())
