#!/usr/bin/env python3
"""Controller restarts (issue 12, docs/lifecycle.md "Controller restarts"), against the real user manager and
journald: `kill -9` of the controller or a --keep-running stop, then `pcctl up` again adopts the running units
(same PIDs, no restart, restart counts and stop flags kept), refills every ring with the lines written in the
gap (in order, once each), lets a WebSocket follower resume by seq, and restarts what crashed meanwhile within
a second. Also: one controller per project, `pcctl down` without a controller, `up -D`, a broken state file,
and a changed command with and without --recreate."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import PCCTL, Project, escape, loaded_units, main, systemctl, wait_until  # noqa: E402

import websockets  # noqa: E402

# Counters print "name N" every 50 ms. flaky fails twice, then counts. crasher counts until crash.now exists,
# then removes it and exits 3 (restart: on_failure). oneshot completes; stopper is stopped by the test.
COUNTER = "'i=0; while true; do echo \"%s $i\"; i=$((i+1)); sleep 0.05; done'"
PROJECT = """
processes:
%s
  flaky:
    command: 'n=$(cat flaky.n 2>/dev/null || echo 0); echo $((n+1)) > flaky.n; if [ $n -lt 2 ]; then exit 1; fi; i=0; while true; do echo "flaky $i"; i=$((i+1)); sleep 0.05; done'
    availability: {restart: on_failure, backoff_seconds: 1}
  crasher:
    command: 'i=0; while true; do if [ -f crash.now ]; then rm -f crash.now; exit 3; fi; echo "crasher $i"; i=$((i+1)); sleep 0.05; done'
    availability: {restart: on_failure, backoff_seconds: 1}
  stopper:
    command: %s
  oneshot:
    command: 'echo oneshot done'
    availability: {restart: "no"}
""" % ("\n".join("  c%d:\n    command: %s" % (i, COUNTER % ("c%d" % i)) for i in range(6)), COUNTER % "stopper")
COUNTERS = ["c%d" % i for i in range(6)] + ["flaky"]


def ring(p, name):
    return p.get("/process/logs/%s/0/0" % name).json()["logs"]


def numbers(lines, name):
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0] == name and parts[1].isdigit():
            out.append(int(parts[1]))
    return out


def state_dir(p):
    return os.path.join(os.environ["XDG_RUNTIME_DIR"], "pcctl", escape(p.name))


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


async def ws_collect(sock, path, n, timeout=5.0):
    frames = []
    async with websockets.unix_connect(sock, "ws://localhost" + path, max_queue=None) as ws:
        try:
            while len(frames) < n:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
        except (websockets.ConnectionClosed, asyncio.TimeoutError):
            pass
    return frames


def settle_project(p):
    """Runs the project to the state the acceptance test wants before the controller goes away."""
    wait_until(lambda: all(p.state(n) and p.state(n)["status"] == "Running" for n in COUNTERS + ["crasher",
                                                                                               "stopper"]),
               timeout=30, what="every counter running")
    p.wait_state("flaky", lambda s: s["restarts"] == 2 and s["status"] == "Running", timeout=20)
    p.wait_state("oneshot", lambda s: s["status"] == "Completed")
    r = p.patch("/process/stop/stopper")
    assert r.status == 200, r
    p.wait_state("stopper", lambda s: s["status"] == "Completed")
    wait_until(lambda: all(len(numbers(ring(p, n), n)) >= 10 for n in COUNTERS), what="10 lines each")
    time.sleep(1.0)     # the state file is written within 0.5 s of a change


def check_adopted(p, before, last_before, seq_before, t_back):
    """After the controller's return: PIDs, statuses, restart counts, rings, crash restart, WS resume."""
    # the crasher crashed in the gap: restarted by its policy within 1 s of the controller's return
    s = p.wait_state("crasher", lambda s: s["restarts"] == before["crasher"]["restarts"] + 1 and
                     s["status"] == "Running", timeout=5)
    took = time.monotonic() - t_back
    print("crasher running again %.2fs after the controller's API answered" % took, flush=True)
    assert took < 1.0, "crasher restarted %.2fs after the controller's return" % took
    assert s["pid"] != before["crasher"]["pid"]

    after = p.states()
    for n in COUNTERS:
        assert after[n]["status"] == "Running", (n, after[n])
        assert after[n]["pid"] == before[n]["pid"], (n, before[n]["pid"], after[n]["pid"])
        assert after[n]["restarts"] == before[n]["restarts"], (n, before[n], after[n])
        assert pid_alive(before[n]["pid"])
    assert after["flaky"]["restarts"] == 2, after["flaky"]
    assert after["stopper"]["status"] == "Completed", after["stopper"]
    assert after["oneshot"]["status"] == "Completed" and after["oneshot"]["exit_code"] == 0, after["oneshot"]
    assert ring(p, "oneshot").count("oneshot done") <= 1, ring(p, "oneshot")

    # rings: every number written in the gap, in order, once
    time.sleep(0.5)
    for n in COUNTERS:
        nums = numbers(ring(p, n), n)
        assert nums, n
        assert nums == list(range(nums[0], nums[0] + len(nums))), (n, nums[:5], nums[-5:])
        assert nums[0] <= last_before[n] + 1 and nums[-1] > last_before[n] + 20, \
            (n, last_before[n], nums[0], nums[-1])

    # a WebSocket follower resuming at seq gets exactly the lines it missed
    for n in ["c0", "flaky"]:
        frames = asyncio.run(ws_collect(p.socket, "/process/logs/ws?name=%s&follow=false&seq=true&since_seq=%d"
                                        % (n, seq_before[n] + 1), 100000, timeout=3))
        got = [f for f in frames if "message" in f]
        assert got, (n, frames[:3])
        assert [f["seq"] for f in got] == list(range(seq_before[n] + 1, seq_before[n] + 1 + len(got))), n
        assert numbers([f["message"] for f in got], n)[0] == last_before[n] + 1, (n, got[:2], last_before[n])


def snapshot(p):
    before = p.states()
    last_before, seq_before = {}, {}
    for n in COUNTERS:
        frames = asyncio.run(ws_collect(p.socket, "/process/logs/ws?name=%s&offset=1&follow=false&seq=true" % n, 1))
        seq_before[n] = frames[-1]["seq"]
        last_before[n] = numbers([frames[-1]["message"]], n)[0]
    return before, last_before, seq_before


def restart_scenario(how):
    with Project("adopt-" + how, PROJECT) as p:
        p.up(*(["--keep-running"] if how == "keep" else []))
        settle_project(p)
        if how == "keep":
            p.signal(signal.SIGTERM)
            assert p.wait_exit(10) == 0, p.stderr()
        else:
            p.proc.kill()
            p.proc.wait()
        before, last_before, seq_before = snapshot_after_stop(p)
        assert len(p.units()) >= 8, p.units()
        p.write("crash.now", "")
        time.sleep(3)
        p.up()
        t_back = time.monotonic()
        check_adopted(p, before, last_before, seq_before, t_back)
        assert "Adopted" in p.stderr(), p.stderr()


_pre = {}


def snapshot_after_stop(p):
    return _pre["before"], _pre["last"], _pre["seq"]


def make_snapshot_before_stop(fn):
    def wrapped(p):
        fn(p)
        _pre["before"], _pre["last"], _pre["seq"] = snapshot(p)
    return wrapped


settle_project = make_snapshot_before_stop(settle_project)


def test_adopt_after_kill9():
    restart_scenario("kill")


def test_adopt_after_keep_running_stop():
    restart_scenario("keep")


SMALL = """
processes:
  a:
    command: 'echo $$$$ > a.pid; echo hello-a; exec sleep 600'
  b:
    command: 'echo $$$$ > b.pid; exec sleep 600'
    depends_on: {a: {condition: process_started}}
"""


def test_second_up_refused():
    with Project("second", SMALL) as p:
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        pids = {n: p.state(n)["pid"] for n in "ab"}
        units = sorted(p.units())
        r = p.pcctl("up", "-t=false", "-u", p.path("other.sock"), timeout=20)
        assert r.returncode == 1, (r.returncode, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and "already has a running controller" in lines[0], r.stderr
        assert "unix:" + p.socket in lines[0], lines[0]
        assert sorted(p.units()) == units
        assert {n: p.state(n)["pid"] for n in "ab"} == pids
        assert p.proc.poll() is None


def assert_gone(p, pids):
    wait_until(lambda: not p.units(), timeout=15, what="no unit of %s loaded" % p.name)
    wait_until(lambda: not any(pid_alive(x) for x in pids), timeout=5, what="no process left")
    r = systemctl("show", "-p", "ActiveState", p.slice())
    assert "ActiveState=active" not in r.stdout, r.stdout


def test_down_after_kill9():
    with Project("down-kill", SMALL) as p:
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        pids = [p.state(n)["pid"] for n in "ab"]
        p.proc.kill()
        p.proc.wait()
        r = p.pcctl("down", "-u", p.socket, timeout=60)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert_gone(p, pids)
        # nothing is left to adopt: the state file, the lock and the project's directory are gone
        assert not os.path.exists(state_dir(p)), os.listdir(state_dir(p))


SHUTDOWN_CMD = """
processes:
  svc:
    command: 'trap "" TERM; while [ ! -f stop.now ]; do sleep 0.05; done; echo bye'
    shutdown:
      command: 'echo "$PC_PROC_NAME $MARK" > shutdown.ran; touch stop.now'
      timeout_seconds: 5
    environment: ["MARK=from-the-config"]
  plain:
    command: 'exec sleep 600'
    depends_on: {svc: {condition: process_started}}
"""


def test_down_after_kill9_runs_shutdown_command():
    """`pcctl down` without a controller runs a process's shutdown.command, as the controller would: the
    process ends by it (it ignores SIGTERM), before its unit is stopped."""
    with Project("down-shutdown", SHUTDOWN_CMD) as p:
        p.up()
        p.wait_state("plain", lambda s: s["status"] == "Running")
        pid = p.state("svc")["pid"]
        p.proc.kill()
        p.proc.wait()
        t0 = time.monotonic()
        r = p.pcctl("down", "-u", p.socket, timeout=60)
        took = time.monotonic() - t0
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert os.path.exists(p.path("shutdown.ran")), (r.stderr, os.listdir(p.dir))
        assert open(p.path("shutdown.ran")).read().strip() == "svc from-the-config"
        # it ended by the command, not by the SIGKILL after the timeout
        assert took < 4.5, took
        assert_gone(p, [pid])
        assert not os.path.exists(state_dir(p)), os.listdir(state_dir(p))


def test_ended_project_leaves_no_directory():
    with Project("no-leftover", SMALL) as p:
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        assert os.path.exists(os.path.join(state_dir(p), "lock"))
        p.signal(signal.SIGTERM)
        assert p.wait_exit() == 0
        assert not os.path.exists(state_dir(p)), os.listdir(state_dir(p))
        # and the next run of the same project takes the lock as before
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        r = p.pcctl("up", "-t=false", "-u", p.path("other.sock"), timeout=20)
        assert r.returncode == 1 and "already has a running controller" in r.stderr, (r.returncode, r.stderr)


def test_detached():
    with Project("detached", SMALL) as p:
        ctl = "pcctl-%s.service" % escape(p.name)
        try:
            t0 = time.monotonic()
            r = p.pcctl("up", "-D", "-u", p.socket, timeout=30)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert time.monotonic() - t0 < 5
            wait_until(lambda: p.get("/live").status == 200, timeout=15, what="the detached API")
            p.wait_state("b", lambda s: s["status"] == "Running")
            assert ctl in loaded_units(ctl)
            # from another shell (another working directory): the client verbs and logs -f
            r = subprocess.run([PCCTL, "process", "list", "-u", p.socket], capture_output=True, text=True,
                               timeout=30, cwd="/")
            assert r.returncode == 0 and r.stdout.split() == ["a", "b"], (r.stdout, r.stderr)
            lf = subprocess.Popen([PCCTL, "logs", "-f", "-n", "10"], cwd=p.dir, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            lf.terminate()
            out, err = lf.communicate(timeout=10)
            assert "hello-a" in out, (out, err)
            pids = [p.state(n)["pid"] for n in "ab"]
            r = p.pcctl("down", "-u", p.socket, timeout=60)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert_gone(p, pids)
            wait_until(lambda: not loaded_units(ctl), timeout=15, what="the controller unit gone")
        finally:
            systemctl("stop", ctl)
            systemctl("reset-failed", ctl)


BROKEN = {
    "corrupt": '{"format":"pcctl-state","version":1,"proj',
    "empty": "",
    "version": '{"format":"pcctl-state","version":99,"project":"x"}',
}


def test_broken_state_file():
    with Project("broken", SMALL) as p:
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        pids = {n: p.state(n)["pid"] for n in "ab"}
        for kind, text in BROKEN.items():
            time.sleep(0.7)
            p.proc.kill()
            p.proc.wait()
            with open(os.path.join(state_dir(p), "state.json"), "w") as f:
                f.write(text)
            p.up()
            p.wait_state("b", lambda s: s["status"] == "Running")
            assert {n: p.state(n)["pid"] for n in "ab"} == pids, kind
            lines = [l for l in p.stderr().splitlines() if "state file" in l]
            assert len(lines) == 1, (kind, p.stderr())
            expect = {"corrupt": "is not valid JSON", "empty": "is empty", "version": "format version 99"}[kind]
            assert expect in lines[0], (kind, lines[0])
            assert all(pid_alive(x) for x in pids.values())


def test_changed_command_recreate():
    with Project("recreate", SMALL) as p:
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        pids = {n: p.state(n)["pid"] for n in "ab"}
        p.proc.kill()
        p.proc.wait()
        p.write("process-compose.yaml", open(p.path("process-compose.yaml")).read().replace(
            "b:\n    command: 'echo $$$$ > b.pid; exec sleep 600'", "b:\n    command: 'echo $$$$ > b.pid; exec sleep 601'"))
        # reported and kept
        p.up()
        p.wait_state("b", lambda s: s["status"] == "Running")
        assert {n: p.state(n)["pid"] for n in "ab"} == pids
        lines = [l for l in p.stderr().splitlines() if "different configuration" in l]
        assert len(lines) == 1 and "Process b:" in lines[0], p.stderr()
        p.proc.kill()
        p.proc.wait()
        # replaced with --recreate: b only
        p.up("--recreate")
        p.wait_state("b", lambda s: s["status"] == "Running" and s["pid"] != pids["b"], timeout=20)
        time.sleep(0.5)
        assert p.state("a")["pid"] == pids["a"]
        assert not pid_alive(pids["b"])
        r = systemctl("show", "-p", "ExecStart", p.unit("b"))
        assert "sleep 601" in r.stdout, r.stdout


PROBED = """name: %(name)s
processes:
  live:
    command: 'rm -f %(dir)s/dead; exec sleep 600'
    availability: {restart: always, backoff_seconds: 1}
    readiness_probe:
      exec: {command: "true"}
      period_seconds: 1
    liveness_probe:
      exec: {command: "test ! -f %(dir)s/dead"}
      # each run removes the marker first; the delay keeps the first check of a new run behind that removal
      initial_delay_seconds: 2
      period_seconds: 1
      failure_threshold: 1
"""


def test_probes_after_adoption():
    with Project("probes", SMALL) as p:
        p.write("process-compose.yaml", PROBED % {"name": p.name, "dir": p.dir})
        p.up()
        s = p.wait_state("live", lambda s: s["status"] == "Running" and s["is_ready"] == "Ready", timeout=15)
        pid = s["pid"]
        p.proc.kill()
        p.proc.wait()
        p.up()
        t0 = time.monotonic()
        s = p.wait_state("live", lambda s: s["is_ready"] == "Ready", timeout=5)
        print("readiness probe passed again %.2fs after the controller's API answered" % (time.monotonic() - t0),
              flush=True)
        assert s["pid"] == pid and s["restarts"] == 0, s
        # the liveness probe acts again: a failure restarts the adopted process by its policy
        p.write("dead", "")
        t1 = time.monotonic()
        s = p.wait_state("live", lambda s: s["restarts"] == 1 and s["status"] == "Running", timeout=10)
        print("liveness failure acted on %.2fs after it began" % (time.monotonic() - t1), flush=True)
        assert s["pid"] != pid and not pid_alive(pid), s


EXTERNAL = """
processes:
  plain:
    command: 'exec sleep 600'
    availability: {restart: "no"}
  always:
    command: 'exec sleep 600'
    availability: {restart: always, backoff_seconds: 1}
  kept:
    command: 'exec sleep 600'
  onfail:
    command: 'exec sleep 600'
    availability: {restart: on_failure, backoff_seconds: 1}
  quitter:
    command: 'while [ ! -f quit.now ]; do sleep 0.05; done'
    availability: {restart: on_failure, backoff_seconds: 1}
  gate:
    command: 'exec sleep 600'
  after_gate:
    command: 'exec sleep 600'
    depends_on: {gate: {condition: process_completed}}
"""


def test_external_stop_while_away():
    """kill -9 of the controller, `systemctl --user stop` of units from outside, `pcctl up` again: a process
    stopped meanwhile ended as by an exit (its restart policy applies), what still runs is adopted, what was
    waiting for the stopped one starts, and the project goes on."""
    with Project("ext-stop", EXTERNAL) as p:
        p.up()
        for n in ["plain", "always", "kept", "gate", "onfail", "quitter"]:
            p.wait_state(n, lambda s: s["status"] == "Running")
        assert p.state("after_gate")["status"] == "Pending"
        pids = {n: p.state(n)["pid"] for n in ["plain", "always", "kept", "gate", "onfail"]}
        time.sleep(0.7)     # the state file is written within 0.5 s of a change
        p.proc.kill()
        p.proc.wait()
        for n in ["plain", "always", "gate", "onfail"]:
            systemctl("stop", p.unit(n))
        assert not pid_alive(pids["plain"])
        p.write("quit.now", "")
        wait_until(lambda: p.unit("quitter") not in p.units(), what="quitter exited")
        p.up()
        # the controller stays: something still runs
        s = p.wait_state("always", lambda s: s["status"] == "Running" and s["restarts"] == 1, timeout=10)
        assert s["pid"] != pids["always"], s
        s = p.wait_state("after_gate", lambda s: s["status"] == "Running", timeout=10)
        s = p.state("plain")
        assert s["status"] == "Completed" and s["exit_code"] == -1, s
        s = p.state("gate")
        assert s["status"] == "Completed" and s["exit_code"] == -1, s
        s = p.state("kept")
        assert s["status"] == "Running" and s["pid"] == pids["kept"], s
        # killed by the stop's SIGTERM: a failure for on_failure, as at an exit while the controller watches
        p.wait_state("onfail", lambda s: s["status"] == "Running" and s["restarts"] == 1, timeout=10)
        # exited 0 by itself: on_failure does not restart it
        s = p.state("quitter")
        assert s["status"] == "Completed" and s["exit_code"] == 0 and s["restarts"] == 0, s
        time.sleep(1)
        assert p.proc.poll() is None, p.stderr()


def test_external_stop_of_everything_while_away():
    """The same with every unit stopped from outside: restart policies still apply, the project goes on while
    something runs, and it ends normally once nothing does."""
    with Project("ext-stop-all", EXTERNAL) as p:
        p.up()
        for n in ["plain", "always", "kept", "gate", "onfail", "quitter"]:
            p.wait_state(n, lambda s: s["status"] == "Running")
        time.sleep(0.7)
        p.proc.kill()
        p.proc.wait()
        for n in ["plain", "always", "kept", "gate", "onfail", "quitter"]:
            systemctl("stop", p.unit(n))
        wait_until(lambda: not p.units(), timeout=10, what="every unit stopped")
        p.up()
        p.wait_state("always", lambda s: s["status"] == "Running" and s["restarts"] == 1, timeout=10)
        p.wait_state("after_gate", lambda s: s["status"] == "Running", timeout=10)
        p.wait_state("onfail", lambda s: s["status"] == "Running" and s["restarts"] == 1, timeout=10)
        p.wait_state("quitter", lambda s: s["status"] == "Running" and s["restarts"] == 1, timeout=10)
        for n in ["plain", "kept", "gate"]:
            s = p.state(n)
            assert s["status"] == "Completed" and s["exit_code"] == -1, s
        assert p.proc.poll() is None, p.stderr()


ENV_PRINTER = """
processes:
  envp:
    command: 'env > env.out; exec sleep 600'
"""
SERVICE_VARIABLES = ["NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC",
                     "MAINPID"]


def test_detached_environment():
    """Under `up -D` the processes get the user's environment, not what systemd set for the controller's own
    service (its notify socket, its fd store's LISTEN_*, its invocation id)."""
    with Project("detached-env", ENV_PRINTER) as p:
        ctl = "pcctl-%s.service" % escape(p.name)
        try:
            r = p.pcctl("up", "-D", "-u", p.socket, timeout=30, env={"PCCTL_TEST_USER_VAR": "from-the-shell"})
            assert r.returncode == 0, (r.stdout, r.stderr)
            wait_until(lambda: p.get("/live").status == 200, timeout=15, what="the detached API")
            pid = p.wait_state("envp", lambda s: s["status"] == "Running")["pid"]
            wait_until(lambda: os.path.exists(p.path("env.out")), what="env.out")
            time.sleep(0.2)
            env = dict(l.split("=", 1) for l in open(p.path("env.out")).read().splitlines() if "=" in l)
            assert env.get("PCCTL_TEST_USER_VAR") == "from-the-shell", env
            leaked = [k for k in SERVICE_VARIABLES if k in env]
            assert not leaked, (leaked, {k: env[k] for k in leaked})
            # systemd sets the unit's own invocation id and journal stream; the controller's must not win
            r = systemctl("show", "-p", "InvocationID", p.unit("envp"))
            inv = r.stdout.strip().split("=", 1)[1]
            assert env.get("INVOCATION_ID", inv) == inv, (env.get("INVOCATION_ID"), inv)
            assert env.get("SYSTEMD_EXEC_PID", str(pid)) == str(pid), (env.get("SYSTEMD_EXEC_PID"), pid)
            r = p.pcctl("down", "-u", p.socket, timeout=60)
            assert r.returncode == 0, (r.stdout, r.stderr)
        finally:
            systemctl("stop", ctl)
            systemctl("reset-failed", ctl)


main(globals())
