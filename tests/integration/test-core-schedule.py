#!/usr/bin/env python3
"""Scheduled processes (issue 15, docs/lifecycle.md "Scheduled processes"), against the real user manager and
journald: an `interval: 2s` process runs at least twice in 5 s with each run's lines in its log; a cron
process's timer is in `systemctl --user list-timers` with the next elapse systemd-analyze computes for the same
schedule, and the API shows it; after `kill -9` of the controller the timer still fires and the next `pcctl
up` shows the run; `down` (with and without a controller) removes the timers."""
import datetime
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, escape, loaded_units, main, systemctl, wait_until  # noqa: E402

INTERVAL = """
processes:
  tick:
    command: 'echo "tick $(date +%s.%N)"'
    schedule:
      interval: 2s
"""

CRON = """
processes:
  nightly:
    command: 'echo nightly'
    schedule:
      cron: "30 4 * * 1-5"
      timezone: UTC
  keep:
    command: 'exec sleep 600'
"""


def ticks(p, name="tick"):
    lines = p.get("/process/logs/%s/0/0" % name).json()["logs"]
    return [float(l.split()[1]) for l in lines if l.startswith("tick ")]


def timer(p, name):
    return "pcctl-%s-%s.timer" % (escape(p.name), escape(name))


def rfc3339(s):
    """process-compose's time text (RFC 3339 with nanoseconds) as a UNIX time."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    assert m, s
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(m.group(1) + tz).timestamp() + float(m.group(2) or 0)


def test_interval_runs_twice_in_5s():
    with Project("interval", INTERVAL) as p:
        t0 = time.time()
        p.up()
        # the runs happen within 5 s of `up`; their lines reach the ring a journal batch later
        got = wait_until(lambda: [t for t in ticks(p) if t < t0 + 5.0] if len(ticks(p)) >= 2 else None,
                         timeout=8, what="two ticks")
        assert len(got) >= 2, (got, t0)
        assert got[1] - got[0] > 1.5, got      # two runs, not two lines of one
        # between runs: Scheduled, with the timer's next and last elapse (a run under way has no next yet)
        s = p.wait_state("tick", lambda s: not s["is_running"] and "next_run_time" in s, timeout=5)
        assert s["status"] == "Scheduled", s
        assert s["exit_code"] == 0, s
        assert "last_run_time" in s, s
        assert rfc3339(s["next_run_time"]) > time.time() - 1, s
        # the project does not end while its timer waits, and the timer is the manager's
        assert p.proc.poll() is None
        assert timer(p, "tick") in loaded_units("pcctl-%s-*" % escape(p.name))
        r = p.pcctl("down", "-u", p.socket, timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert p.wait_exit(30) == 0, p.stderr()
        assert not loaded_units("pcctl-%s-*" % escape(p.name)), loaded_units("pcctl-%s-*" % escape(p.name))


def analyze_next(expr):
    out = subprocess.run(["systemd-analyze", "calendar", expr], capture_output=True, text=True,
                         env=dict(os.environ, TZ="UTC"), check=True).stdout
    m = re.search(r"Next elapse: \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", out)
    assert m, out
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def utc_systemctl(*args):
    return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, TZ="UTC")).stdout


def test_cron_timer_in_list_timers():
    with Project("cron", CRON) as p:
        p.up()
        p.wait_state("keep", lambda s: s["status"] == "Running")
        t = timer(p, "nightly")
        want = analyze_next("Mon..Fri *-*-* 04:30:00 UTC")
        nxt = datetime.datetime.fromtimestamp(want, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        # systemd's own view of the timer, and list-timers
        show = wait_until(lambda: utc_systemctl("show", "-p", "NextElapseUSecRealtime", "--value", t).strip(),
                          timeout=10, what="the timer's next elapse")
        assert show.endswith(nxt), (show, nxt)
        lt = utc_systemctl("list-timers", "--all", "--no-pager", "--no-legend")
        line = [l for l in lt.splitlines() if t in l]
        assert line, lt
        assert nxt in line[0], (line[0], nxt)
        s = p.wait_state("nightly", lambda s: "next_run_time" in s)
        assert abs(rfc3339(s["next_run_time"]) - want) < 1, (s, want)
        assert s["status"] == "Scheduled", s


KILL = """
processes:
  tick:
    command: 'echo "tick $(date +%s.%N)"; exit 3'
    schedule:
      interval: 2s
"""


def test_timer_fires_while_controller_is_down():
    with Project("away", KILL) as p:
        p.up()
        wait_until(lambda: len(ticks(p)) >= 1, timeout=8, what="a first tick")
        p.proc.kill()
        p.proc.wait()
        t_kill = time.time()
        time.sleep(4.5)                 # two runs happen meanwhile, no controller watches
        assert timer(p, "tick") in loaded_units("pcctl-%s-*" % escape(p.name))
        p.up()
        # the runs of the gap: their lines, and the last one's exit code, as the returning controller shows them
        gap = wait_until(lambda: [t for t in ticks(p) if t_kill < t < t_kill + 4.5] or None, timeout=8,
                         what="ticks of the gap in the ring")
        assert len(gap) >= 1, gap
        s = p.state("tick")
        assert s["exit_code"] == 3, s
        assert rfc3339(s["last_run_time"]) > t_kill, s
        # and the timer goes on firing for the new controller
        n = len(ticks(p))
        wait_until(lambda: len(ticks(p)) > n, timeout=6, what="a run after the return")
        # down without a controller removes the timer too
        p.proc.kill()
        p.proc.wait()
        r = p.pcctl("down", "-u", p.socket, timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert not loaded_units("pcctl-%s-*" % escape(p.name)), loaded_units("pcctl-%s-*" % escape(p.name))


def test_stop_pauses_and_start_resumes_the_schedule():
    with Project("pause", INTERVAL.replace("echo", "sleep 0.2; echo")) as p:
        p.up()
        wait_until(lambda: len(ticks(p)) >= 1, timeout=8, what="a first tick")
        r = p.patch("/process/stop/tick")
        assert r.status == 200, r
        wait_until(lambda: timer(p, "tick") not in loaded_units("pcctl-%s-*" % escape(p.name)), timeout=10,
                   what="the timer stopped")
        n = len(ticks(p))
        time.sleep(3)
        assert len(ticks(p)) == n, (n, ticks(p))          # paused: no run
        assert "next_run_time" not in p.state("tick"), p.state("tick")
        r = p.post("/process/start/tick")
        assert r.status == 200, r
        # a run at once, then the schedule again
        wait_until(lambda: len(ticks(p)) >= n + 2, timeout=8, what="runs after the start")
        assert timer(p, "tick") in loaded_units("pcctl-%s-*" % escape(p.name))


LONG_RUN = """
processes:
  tick:
    command: 'echo "tick $(date +%s.%N)"; sleep 2; echo done'
    schedule:
      interval: 30s
      run_on_start: true
"""


def test_restart_runs_it_now_and_keeps_the_schedule():
    """POST /process/restart of a scheduled process: a run in progress is stopped and a new one starts at once
    (process-compose: stop, then start, which runs it and resumes the schedule), between runs a run starts
    at once; the timer stays, and no start error reaches the log."""
    with Project("restart", LONG_RUN) as p:
        p.up()
        wait_until(lambda: len(ticks(p)) >= 1, timeout=8, what="the first run")
        # during a run
        t0 = time.time()
        r = p.post("/process/restart/tick")
        assert r.status == 200, r
        wait_until(lambda: len(ticks(p)) >= 2, timeout=5, what="a run after the restart during a run")
        assert ticks(p)[1] >= t0, ticks(p)
        # between runs
        p.wait_state("tick", lambda s: s["status"] == "Scheduled", timeout=10)
        t1 = time.time()
        r = p.post("/process/restart/tick")
        assert r.status == 200, r
        wait_until(lambda: len(ticks(p)) >= 3, timeout=5, what="a run after the restart between runs")
        assert ticks(p)[2] >= t1, ticks(p)
        p.wait_state("tick", lambda s: s["status"] == "Scheduled", timeout=10)
        assert timer(p, "tick") in loaded_units("pcctl-%s-*" % escape(p.name))
        logs = p.get("/process/logs/tick/0/0").json()["logs"]
        assert not [l for l in logs if "could not start" in l or "Error" in l], logs
        assert "could not start" not in p.stderr(), p.stderr()


def test_live_update_replaces_the_timer():
    """`pcctl project update` with a changed schedule and command: the old timer goes, the new one runs the
    new command on the new schedule; a scheduled process added by the update gets a timer, not a plain run."""
    with Project("update", INTERVAL.replace("interval: 2s", "interval: 30s")) as p:
        p.up()
        wait_until(lambda: timer(p, "tick") in loaded_units("pcctl-%s-*" % escape(p.name)), timeout=8,
                   what="the first timer")
        p.write("process-compose.yaml", "name: %s\n%s" % (p.name, INTERVAL.replace("tick $(", "tock $(") + """
  added:
    command: 'echo "added $(date +%s.%N)"'
    schedule:
      interval: 2s
"""))
        r = p.pcctl("project", "update", "-f", p.path("process-compose.yaml"), "-u", p.socket, timeout=30)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)

        def runs(name, word):
            return [l for l in p.get("/process/logs/%s/0/0" % name).json()["logs"] if l.startswith(word + " ")]
        # every 2 s now: two runs of the new command within 6 s
        wait_until(lambda: len(runs("tick", "tock")) >= 2, timeout=8, what="two runs of the new command")
        wait_until(lambda: len(runs("added", "added")) >= 2, timeout=8, what="two runs of the added process")
        for name in ("tick", "added"):
            logs = p.get("/process/logs/%s/0/0" % name).json()["logs"]
            assert not [l for l in logs if "could not start" in l or "cannot" in l], logs
            assert timer(p, name) in loaded_units("pcctl-%s-*" % escape(p.name))
        assert "UnitExists" not in p.stderr(), p.stderr()


OVERLAP = """
processes:
  tick:
    command: 'echo "run $$$$ start $(date +%s.%N)"; sleep 3.5; echo "run $$$$ end"'
    schedule:
      interval: 1s
      max_concurrent: 2
"""


def active_runs(p, name="tick"):
    """The project's units of the process that run now, as systemd sees them: {unit: MainPID}."""
    pattern = "pcctl-%s-%s@*.service" % (escape(p.name), escape(name))
    r = subprocess.run(["systemctl", "--user", "list-units", "--state=active", "--plain", "--no-legend",
                        "--no-pager", pattern], capture_output=True, text=True, timeout=30)
    units = [l.split()[0] for l in r.stdout.splitlines() if l.strip()]
    out = {}
    for u in units:
        pid = subprocess.run(["systemctl", "--user", "show", "-p", "MainPID", "--value", u],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        if pid and pid != "0":
            out[u] = int(pid)
    return out


def watch_overlap(p, seconds):
    """Samples the running instances for a while: the largest set seen at once, and every count seen."""
    best, counts, end = {}, set(), time.time() + seconds
    while time.time() < end:
        a = active_runs(p)
        counts.add(len(a))
        SEEN_PIDS.update(a.values())
        if len(a) > len(best):
            best = a
        time.sleep(0.1)
    return best, counts


SEEN_PIDS = set()   # every MainPID of an instance the samples saw


def run_lines(p, name="tick"):
    return [l for l in p.get("/process/logs/%s/0/0" % name).json()["logs"] if l.startswith("run ")]


def down_leaves_nothing(p):
    r = p.pcctl("down", "-u", p.socket, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert p.wait_exit(30) == 0, p.stderr()
    left = systemctl("list-units", "--all", "--plain", "--no-legend", "--no-pager",
                     "pcctl-%s-*" % escape(p.name)).stdout
    assert not left.strip(), left


def test_max_concurrent_runs_overlap():
    """`max_concurrent: 2` with runs longer than the interval: two runs at once (two units, two MainPIDs),
    never three; the API shows one process with both runs; both runs' lines are in its log; `down` leaves no
    unit."""
    with Project("overlap", OVERLAP) as p:
        p.up()
        best, counts = watch_overlap(p, 6)
        assert len(best) == 2, (best, counts)
        assert len(set(best.values())) == 2, best
        assert max(counts) <= 2, counts
        # one process in the API, Running with both runs
        s = p.wait_state("tick", lambda s: s.get("active_runs") == 2, timeout=5)
        assert s["status"] == "Running", s
        assert len(set(s["run_pids"])) == 2 and s["pid"] in s["run_pids"], s
        # both runs' lines (their shell PIDs differ) in the process's log
        pids = wait_until(lambda: {l.split()[1] for l in run_lines(p)} if len(
            {l.split()[1] for l in run_lines(p)}) >= 2 else None, timeout=8, what="lines of two runs")
        assert len(pids) >= 2, run_lines(p)
        r = p.pcctl("process", "logs", "tick", "-u", p.socket, timeout=30)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert len({l.split()[1] for l in r.stdout.splitlines() if l.startswith("run ")}) >= 2, r.stdout
        # a run is skipped when both are busy, and the log says so
        wait_until(lambda: [l for l in p.get("/process/logs/tick/0/0").json()["logs"]
                            if "max concurrent (2) reached" in l] or None, timeout=8, what="a skipped run")
        r = p.pcctl("process", "list", "-u", p.socket, timeout=30)
        assert r.returncode == 0, (r.stdout, r.stderr)
        down_leaves_nothing(p)


def test_max_concurrent_overlaps_while_controller_is_down():
    """kill -9 of the controller: the timer goes on starting overlapping runs; the next `up` adopts them."""
    with Project("overlapaway", OVERLAP) as p:
        p.up()
        wait_until(lambda: len(active_runs(p)) >= 1, timeout=8, what="a first run")
        p.proc.kill()
        p.proc.wait()
        t_kill = time.time()
        best, counts = watch_overlap(p, 5)
        assert len(best) == 2 and len(set(best.values())) == 2, (best, counts)
        assert max(counts) <= 2, counts
        p.up()
        # the returning controller shows the runs that go on: runs systemd has (or had a moment ago)
        s = p.wait_state("tick", lambda s: s.get("active_runs", 0) >= 1 and s["status"] == "Running",
                         timeout=8)
        watch_overlap(p, 0.3)
        last = {int(systemctl("show", "-p", "ExecMainPID", "--value",
                              "pcctl-%s-tick@%d.service" % (escape(p.name), i)).stdout.strip() or 0)
                for i in (1, 2)}
        assert set(s["run_pids"]) <= SEEN_PIDS | last, (s, SEEN_PIDS, last)
        s = p.wait_state("tick", lambda s: s.get("active_runs") == 2, timeout=6)
        assert len(set(s["run_pids"])) == 2, s
        # lines of the gap's runs are in the log
        wait_until(lambda: [l for l in run_lines(p) if "start" in l and float(l.split()[3]) > t_kill] or None,
                   timeout=8, what="lines of runs of the gap")
        down_leaves_nothing(p)


def test_max_concurrent_stop_start_and_down_without_controller():
    """POST /process/stop ends every run and pauses the schedule; start runs it again; `down` without a
    controller stops the overlapping runs and leaves no unit."""
    with Project("overlapstop", OVERLAP) as p:
        p.up()
        wait_until(lambda: len(active_runs(p)) == 2, timeout=8, what="two runs")
        r = p.patch("/process/stop/tick")
        assert r.status == 200, r
        s = p.wait_state("tick", lambda s: s["status"] not in ("Running", "Terminating"), timeout=15)
        assert s["active_runs"] == 0 and s["run_pids"] == [], s
        time.sleep(1.5)
        assert not active_runs(p), active_runs(p)
        r = p.post("/process/start/tick")
        assert r.status == 200, r
        wait_until(lambda: len(active_runs(p)) == 2, timeout=8, what="two runs after the start")
        p.proc.kill()
        p.proc.wait()
        r = p.pcctl("down", "-u", p.socket, timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
        left = systemctl("list-units", "--all", "--plain", "--no-legend", "--no-pager",
                         "pcctl-%s-*" % escape(p.name)).stdout
        assert not left.strip(), left


if __name__ == "__main__":
    main(globals())
