#!/usr/bin/env python3
"""The manager's lifecycle through the REST API against the real user manager (compat §2.6, §3.2, §6.2-6.3):
stop/restart of Pending processes (issue 530), stop during Restarting, restart policy vs user stops, stop
timeouts, scaling with replica renaming, namespaces. After every scenario no unit of the project is left."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, systemctl, wait_until  # noqa: E402


def assert_clean(p):
    wait_until(lambda: not p.units(), timeout=10, what="no pcctl unit of %s loaded" % p.name)
    r = systemctl("show", "-p", "ActiveState", p.slice())
    assert "ActiveState=active" not in r.stdout, r.stdout


def stop_project(p):
    r = p.post("/project/stop", timeout=30)
    assert r.status == 200 and r.json() == {"status": "stopped"}, r
    assert p.wait_exit(20) == 0, p.stderr()
    assert_clean(p)


def running_units(p, process):
    r = systemctl("show", "-p", "ActiveState", p.unit(process))
    return "ActiveState=active" in r.stdout


PENDING = """processes:
  gate:
    command: sleep 1.5; echo open-sesame; sleep 600
    ready_log_line: open-sesame
  waiter:
    command: echo waiter-run >> runs.log; sleep 600
    depends_on: {gate: {condition: process_log_ready}}
"""


def runs(p):
    try:
        with open(p.path("runs.log")) as f:
            return [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def test_restart_while_pending():
    # issue 530: restart of a Pending process keeps it Pending, then exactly one incarnation runs
    with Project("restart-pending", PENDING) as p:
        p.up()
        assert p.state("waiter")["status"] == "Pending"
        r = p.post("/process/restart/waiter", timeout=20)
        assert r.status == 200, r
        s = p.state("waiter")
        assert s["status"] == "Pending" and not s["is_running"] and s["pid"] == 0, s
        s = p.wait_state("waiter", lambda s: s["status"] == "Running", timeout=15)
        assert s["pid"] > 0
        wait_until(lambda: runs(p) == ["waiter-run"], timeout=10, what="one run")
        time.sleep(0.5)
        assert runs(p) == ["waiter-run"], runs(p)
        r = p.post("/process/start/waiter")
        assert r.status == 400 and r.json() == {"error": "process waiter is already running"}, r
        stop_project(p)


def test_stop_while_pending_releases():
    with Project("stop-pending", PENDING) as p:
        p.up()
        r = p.patch("/process/stop/waiter")
        assert r.status == 200, r
        s = p.wait_state("waiter", lambda s: not s["is_running"] and s["status"] != "Pending", timeout=2)
        # [QUIRK] decision: Completed (process-compose leaves Terminating), never ran
        assert s["status"] == "Completed" and s["pid"] == 0, s
        p.wait_state("gate", lambda s: s["is_ready"] == "Ready", timeout=15)
        time.sleep(0.5)
        assert runs(p) == [], runs(p)
        # it can be started again, and then runs (the gate is ready)
        r = p.post("/process/start/waiter")
        assert r.status == 200, r
        p.wait_state("waiter", lambda s: s["status"] == "Running", timeout=10)
        r = p.patch("/process/stop/waiter")
        assert r.status == 200
        r = p.patch("/process/stop/waiter")
        assert r.status in (200, 400), r
        p.wait_state("waiter", lambda s: s["status"] == "Completed", timeout=10)
        r = p.patch("/process/stop/waiter")
        assert r.status == 400 and r.json() == {"error": "process waiter is not running"}, r
        r = p.patch("/process/stop/nope")
        assert r.status == 400 and r.json() == {"error": "process nope does not exist"}, r
        stop_project(p)


def test_stop_during_restarting():
    yaml = """processes:
  flapper:
    command: exit 1
    availability: {restart: always, backoff_seconds: 5}
  keep:
    command: sleep 600
"""
    with Project("stop-restarting", yaml) as p:
        p.up()
        p.wait_state("flapper", lambda s: s["status"] == "Restarting", timeout=10)
        t0 = time.monotonic()
        r = p.patch("/process/stop/flapper")
        assert r.status == 200, r
        s = p.wait_state("flapper", lambda s: s["status"] == "Completed", timeout=2)
        assert time.monotonic() - t0 < 1.0
        assert s["exit_code"] == 1 and s["restarts"] == 0, s
        time.sleep(5.5)
        assert p.state("flapper")["status"] == "Completed"    # the restart was cancelled
        stop_project(p)


def test_user_stop_is_not_restarted():
    yaml = """processes:
  svc:
    command: exec sleep 600
    availability: {restart: always}
"""
    with Project("stop-no-restart", yaml) as p:
        p.up("--keep-project")
        p.wait_state("svc", lambda s: s["status"] == "Running", timeout=10)
        t0 = time.monotonic()
        assert p.patch("/process/stop/svc").status == 200
        s = p.wait_state("svc", lambda s: s["status"] == "Completed", timeout=5)
        assert time.monotonic() - t0 < 1.5
        assert s["exit_code"] == -1 and s["restarts"] == 0, s     # killed by SIGTERM
        time.sleep(1.5)
        assert p.state("svc")["status"] == "Completed"
        assert not running_units(p, "svc")
        stop_project(p)


def test_stop_timeout_escalates():
    yaml = """processes:
  stubborn:
    command: trap '' TERM; touch trapped; while true; do sleep 0.1; done
    shutdown: {timeout_seconds: 3}
"""
    with Project("stop-timeout", yaml) as p:
        p.up("--keep-project")
        p.wait_state("stubborn", lambda s: s["status"] == "Running", timeout=10)
        wait_until(lambda: os.path.exists(p.path("trapped")), timeout=10, what="SIGTERM ignored")
        t0 = time.monotonic()
        assert p.patch("/process/stop/stubborn").status == 200
        s = p.wait_state("stubborn", lambda s: s["status"] == "Terminating", timeout=2)
        assert not s["is_running"]
        time.sleep(1.5)
        assert p.state("stubborn")["status"] == "Terminating"
        p.wait_state("stubborn", lambda s: s["status"] == "Completed", timeout=10)
        took = time.monotonic() - t0
        assert 2.5 < took < 8, took
        stop_project(p)


def test_restart_running_process():
    yaml = """processes:
  svc:
    command: echo run >> runs.log; exec sleep 600
    availability: {backoff_seconds: 1}
"""
    with Project("restart-running", yaml) as p:
        p.up()
        s1 = p.wait_state("svc", lambda s: s["status"] == "Running", timeout=10)
        wait_until(lambda: runs(p) == ["run"], timeout=10, what="first run")
        t0 = time.monotonic()
        r = p.post("/process/restart/svc", timeout=20)
        assert r.status == 200 and r.json() == {"name": "svc"}, r
        assert time.monotonic() - t0 >= 1.0     # stop, backoff, start
        s2 = p.wait_state("svc", lambda s: s["status"] == "Running", timeout=10)
        assert s2["pid"] != s1["pid"] and s2["restarts"] == 0, (s1, s2)
        wait_until(lambda: runs(p) == ["run", "run"], timeout=10, what="two runs")
        stop_project(p)


def test_concurrent_restarts_coalesce():
    import threading
    yaml = """processes:
  svc:
    command: echo run >> runs.log; exec sleep 600
"""
    with Project("restart-coalesce", yaml) as p:
        p.up()
        p.wait_state("svc", lambda s: s["status"] == "Running", timeout=10)
        wait_until(lambda: runs(p) == ["run"], timeout=10, what="first run")
        results = []
        threads = [threading.Thread(target=lambda: results.append(p.post("/process/restart/svc", timeout=20)))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.status for r in results] == [200, 200, 200], results
        p.wait_state("svc", lambda s: s["status"] == "Running", timeout=10)
        wait_until(lambda: len(runs(p)) >= 2, timeout=10, what="second run")
        time.sleep(1.0)
        assert runs(p) == ["run", "run"], runs(p)
        stop_project(p)


def test_scale_up_and_down():
    yaml = """processes:
  process1:
    command: exec sleep 600
    replicas: 2
  process2:
    command: exec sleep 600
  process3:
    command: exec sleep 600
"""
    with Project("scale", yaml) as p:
        p.up()
        wait_until(lambda: len(p.states()) == 4 and all(s["status"] == "Running" for s in p.states().values()),
                   timeout=15, what="4 running")
        assert set(p.states()) == {"process1-0", "process1-1", "process2", "process3"}
        r = p.patch("/process/scale/process1-0/10")
        assert r.status == 200, r
        names = set(p.states())
        assert len(names) == 12 and "process1-00" in names and "process1-09" in names, names
        wait_until(lambda: all(s["status"] == "Running" for s in p.states().values()), timeout=15,
                   what="12 running")
        r = p.patch("/process/scale/process1-00/0")
        assert r.status == 400, r
        r = p.patch("/process/scale/process1-00/1")
        assert r.status == 200, r
        names = set(p.states())
        assert names == {"process1", "process2", "process3"}, names
        wait_until(lambda: len([u for u in p.units() if "process1" in u]) == 1, timeout=15,
                   what="scaled-down units gone")
        r = p.patch("/process/scale/process2/5")
        assert r.status == 200, r
        assert len(p.states()) == 7
        r = p.patch("/process/scale/nope/2")
        assert r.status == 400 and "no such process: nope" in r.body, r
        stop_project(p)


def test_namespaces():
    yaml = """processes:
  web:
    command: exec sleep 600
    namespace: front
  api:
    command: exec sleep 600
    namespace: [back, front]
  db:
    command: exec sleep 600
    namespace: back
"""
    with Project("namespaces", yaml) as p:
        p.up()
        wait_until(lambda: all(s["status"] == "Running" for s in p.states().values()), timeout=15,
                   what="all running")
        assert p.get("/namespaces").json() == ["back", "front"]
        assert p.post("/namespace/stop/front").status == 200
        p.wait_state("web", lambda s: s["status"] == "Completed")
        p.wait_state("api", lambda s: s["status"] == "Completed")
        assert p.state("db")["status"] == "Running"
        assert p.post("/namespace/start/front").status == 200
        p.wait_state("web", lambda s: s["status"] == "Running")
        r = p.post("/namespace/start/nope")
        assert r.status == 400 and "namespace nope not found" in r.body, r
        stop_project(p)


def test_namespace_of_foreground_processes_only():
    # process-compose's wording (issue 14 item 5); an empty schedule does not keep a process from starting
    yaml = """processes:
  fg:
    command: exec sleep 600
    namespace: ns1
    is_foreground: true
  bg:
    command: exec sleep 600
    namespace: ns2
    schedule: {}
"""
    with Project("nsfg", yaml) as p:
        p.up()
        p.wait_state("bg", lambda s: s["status"] == "Running")
        r = p.post("/namespace/start/ns1")
        assert r.status == 400, r
        assert r.json() == {"error": "namespace ns1 has only foreground processes, which are excluded from namespace "
                                     "operations"}, r.body
        stop_project(p)


def test_exit_on_failure_through_api_shutdown():
    # a signal sent through the API ends a process; exit_on_failure then ends the project with 255
    yaml = """processes:
  main:
    command: exec sleep 600
    availability: {restart: exit_on_failure}
  other:
    command: exec sleep 600
"""
    with Project("api-signal", yaml) as p:
        p.up()
        p.wait_state("main", lambda s: s["status"] == "Running", timeout=10)
        r = p.patch("/process/signal/main/9")
        assert r.status == 200, r
        assert p.wait_exit(20) == 255, p.stderr()
        assert_clean(p)


def test_update_process_and_reload():
    yaml = """processes:
  a:
    command: echo v1 >> runs.log; exec sleep 600
  b:
    command: exec sleep 600
"""
    with Project("update", yaml) as p:
        p.up()
        p.wait_state("a", lambda s: s["status"] == "Running", timeout=10)
        wait_until(lambda: runs(p) == ["v1"], timeout=10, what="first run")
        info = p.get("/process/info/a").json()
        # unchanged: a no-op
        assert p.post("/process", info).status == 200
        info["command"] = "echo v2 >> runs.log; exec sleep 600"
        r = p.post("/process", info)
        assert r.status == 200, r
        wait_until(lambda: runs(p) == ["v1", "v2"], timeout=15, what="the updated command runs")
        b_pid = p.state("b")["pid"]
        # reload from the file: only a changed
        p.write("process-compose.yaml", open(p.path("process-compose.yaml")).read().replace("v1", "v3"))
        r = p.post("/project/configuration")
        assert r.status == 200 and r.json() == {"a": "updated"}, r
        wait_until(lambda: runs(p)[-1:] == ["v3"], timeout=15, what="the reloaded command runs")
        assert p.state("b")["pid"] == b_pid
        r = p.post("/process", dict(info, name="nope", replicaName="nope"))
        assert r.status == 400 and "no such process: nope" in r.body, r
        stop_project(p)


main(globals())
