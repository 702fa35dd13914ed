#!/usr/bin/env python3
"""File watching (issue 15, docs/watch.md), against the real user manager: touching a watched file restarts the
process once, after the debounce; a burst of 100 writes gives one restart; an excluded file, a default-excluded
one and the process's own log file give none; a directory created later is watched; `cascade` restarts the
dependents transitively, in dependency order; a watch restart counts in `restarts`; after a controller restart
(kill -9, then `up` again) the watches are set up again."""
import datetime
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import PCCTL, Project, Skip, main, wait_until  # noqa: E402

COUNTER = "'i=0; while true; do echo \"%s $i\"; i=$((i+1)); sleep 0.1; done'"
DEBOUNCE = 0.3
SLOW_STOP = "'trap \"sleep 0.3; exit 0\" TERM; i=0; while true; do echo \"%s $i\"; i=$((i+1)); sleep 0.1; done'"


def start_time(s):
    """process_start_time (RFC 3339 with nanoseconds) as a Unix time."""
    t = s["process_start_time"]
    head, _, rest = t.partition(".")
    frac = "".join(c for c in rest if c.isdigit())
    zone = rest[len(frac):]
    return datetime.datetime.fromisoformat("%s.%s%s" % (head, (frac + "000000")[:6], zone)).timestamp()


def running(p, name, timeout=15):
    return p.wait_state(name, lambda s: s["status"] == "Running" and s["pid"] > 0, timeout=timeout)


def restarted(p, name, before, timeout=5):
    """Waits until name runs with another pid than in the state before."""
    return p.wait_state(name, lambda s: s["status"] == "Running" and s["pid"] not in (0, before["pid"]),
                        timeout=timeout, what="%s restarted (pid %d before)" % (name, before["pid"]))


def quiet_for(p, name, before, seconds):
    """Asserts name keeps its pid and restart count for seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s = p.state(name)
        assert s["pid"] == before["pid"] and s["restarts"] == before["restarts"], (before, s)
        time.sleep(0.05)
    return s


WATCHED = """
processes:
  web:
    command: %s
    watch:
      debounce: 300ms
      paths:
        - path: ./src
          exclude: ["ignored/**", "*.skip"]
""" % (COUNTER % "web")


def test_touch_restarts_once_after_debounce():
    with Project("watch-touch", WATCHED, files={"src/main.py": "print(1)\n"}) as p:
        p.up()
        before = running(p, "web")
        time.sleep(0.3)
        t0 = time.time()
        subprocess.run(["touch", p.path("src/main.py")], check=True)
        s = restarted(p, "web", before, timeout=5)
        took = start_time(s) - t0
        print("restarted %.3fs after the touch (debounce %.1fs)" % (took, DEBOUNCE), flush=True)
        assert DEBOUNCE <= took <= 1.0, "the new run started %.3fs after the touch" % took
        assert s["restarts"] == before["restarts"] + 1, (before, s)
        assert s["watch_trigger_path"] == "main.py", s
        assert "Restarting web: watch triggered by main.py" in p.stderr(), p.stderr()
        quiet_for(p, "web", s, 1.0)          # once


def test_burst_of_100_writes_gives_one_restart():
    with Project("watch-burst", WATCHED, files={"src/data.txt": ""}) as p:
        p.up()
        before = running(p, "web")
        time.sleep(0.3)
        t0 = time.monotonic()
        for i in range(100):
            with open(p.path("src/data.txt"), "a") as f:
                f.write("line %d\n" % i)
        print("100 writes took %.3fs" % (time.monotonic() - t0), flush=True)
        s = restarted(p, "web", before, timeout=5)
        assert s["restarts"] == before["restarts"] + 1, (before, s)
        quiet_for(p, "web", s, 1.5)


def test_excluded_files_give_none():
    yaml = """
processes:
  web:
    command: %s
    log_location: ./src/web.log
    watch:
      debounce: 100ms
      disable_default_excludes: true
      paths:
        - path: ./src
          exclude: ["ignored/**", "*.skip"]
  other:
    command: %s
    watch:
      debounce: 100ms
      paths:
        - path: ./src
""" % (COUNTER % "web", COUNTER % "other")
    os_files = {"src/keep.txt": "", "src/ignored/a.txt": "", "src/node_modules/x.js": ""}
    with Project("watch-exclude", yaml, files=os_files) as p:
        p.up()
        web, other = running(p, "web"), running(p, "other")
        time.sleep(0.5)
        # web's own log file grows all the time (and disable_default_excludes is set): never a trigger
        p.write("src/ignored/a.txt", "changed\n")
        p.write("src/ignored/new.txt", "new\n")
        p.write("src/x.skip", "x\n")
        quiet_for(p, "web", web, 1.0)
        other = restarted(p, "other", other)         # the same changes are for other, which excludes nothing
        time.sleep(0.3)
        other = p.state("other")
        # default excludes, for the process that keeps them: *.log, node_modules
        p.write("src/other.log", "x\n")
        p.write("src/node_modules/x.js", "y\n")
        quiet_for(p, "other", other, 1.0)
        # and a file that is watched does restart both
        p.write("src/keep.txt", "z\n")
        restarted(p, "web", web)
        restarted(p, "other", other)


def test_new_directory_is_watched():
    with Project("watch-newdir", WATCHED, files={"src/main.py": ""}) as p:
        p.up()
        before = running(p, "web")
        os.mkdir(p.path("src/sub"))
        first = restarted(p, "web", before)           # the new directory is itself a change
        time.sleep(0.5)
        first = p.state("web")
        p.write("src/sub/deeper/file.txt", "x\n")     # a directory created in the new one, and a file in it
        second = restarted(p, "web", first)
        assert second["restarts"] == before["restarts"] + 2, (before, second)


def test_one_shot_keeps_the_project_up():
    yaml = """
processes:
  build:
    command: 'echo built; cat src/version'
    availability: {restart: "no"}
    watch:
      debounce: 100ms
      paths:
        - path: ./src
"""
    with Project("watch-oneshot", yaml, files={"src/version": "v1\n"}) as p:
        p.up()
        s = p.wait_state("build", lambda s: s["status"] == "Watching" and s["exit_code"] == 0)
        time.sleep(1.0)
        assert p.proc.poll() is None, "the project ended although a watch is armed"
        p.write("src/version", "v2\n")
        p.wait_state("build", lambda n: n["restarts"] == s["restarts"] + 1 and n["status"] == "Watching", timeout=5)
        wait_until(lambda: "v2" in p.get("/process/logs/build/0/0").json()["logs"], timeout=5, what="v2 in the log")
        assert p.proc.poll() is None


def test_no_watch_and_a_stopped_process():
    # --no-watch (and PC_NO_WATCH): the watch block is ignored
    for args, env in ((["--no-watch"], None), ([], {"PC_NO_WATCH": "1"})):
        with Project("watch-off", WATCHED, files={"src/main.py": ""}) as p:
            p.up(*args, env=env)
            before = running(p, "web")
            assert "is_watched" not in before, before
            time.sleep(0.3)
            p.write("src/main.py", "x\n")
            quiet_for(p, "web", before, 1.0)
            assert "File watching is disabled (--no-watch)" in p.stderr(), p.stderr()
    # a process the user stopped is not brought back by a change; started again, it is watched again
    # (keeper keeps the project up: a stopped watch holds it no longer)
    keeper = WATCHED + "  keeper:\n    command: %s\n" % (COUNTER % "keeper")
    with Project("watch-stop", keeper, files={"src/main.py": ""}) as p:
        p.up()
        before = running(p, "web")
        assert before.get("is_watched") is True, before
        assert p.patch("/process/stop/web").status == 200
        stopped = p.wait_state("web", lambda s: s["status"] == "Completed" and "is_watched" not in s)
        p.write("src/main.py", "x\n")
        time.sleep(1.0)
        s = p.state("web")
        assert s["status"] == "Completed" and s["restarts"] == stopped["restarts"], (stopped, s)
        assert p.proc.poll() is None
        assert p.post("/process/start/web").status == 200
        again = p.wait_state("web", lambda s: s["status"] == "Running" and s.get("is_watched") is True)
        time.sleep(0.3)
        p.write("src/main.py", "y\n")
        restarted(p, "web", again)


def test_watch_limit_is_reported():
    """The kernel's watch limit, for real: pcctl runs in a user namespace whose user.max_inotify_watches is
    low (the machine's fs.inotify.max_user_watches is left alone)."""
    if subprocess.run(["unshare", "-Ur", "true"], capture_output=True).returncode != 0:
        raise Skip("no user namespaces here")
    tree = {"src/main.py": ""}
    tree.update({"src/d%02d/x" % i: "" for i in range(40)})
    with Project("watch-limit", WATCHED, files=tree) as p:
        script = 'echo 12 > /proc/sys/user/max_inotify_watches && exec "$0" up -t=false -u "$1"'
        p.proc = subprocess.Popen(["unshare", "-Ur", "sh", "-c", script, PCCTL, p.socket], cwd=p.dir,
                                  stdin=subprocess.DEVNULL, stdout=open(p.stdout_path, "w"),
                                  stderr=open(p.stderr_path, "w"), start_new_session=True)
        wait_until(lambda: p.proc.poll() is None and p.get("/live").status == 200, timeout=15, what="API")
        before = running(p, "web")
        wait_until(lambda: "watch limit was reached" in p.stderr(), timeout=5, what="the limit message")
        err = p.stderr()
        assert "fs.inotify.max_user_watches" in err and "sudo sysctl" in err, err
        assert "user.max_inotify_watches is 12 here" in err, err
        assert err.count("watch limit was reached") == 1, err
        logs = p.get("/process/logs/web/0/0").json()["logs"]
        assert any("watch limit was reached" in line for line in logs), logs
        # no crash; the directories that are watched still restart it, and the API answers
        time.sleep(0.3)
        p.write("src/main.py", "x\n")
        s = restarted(p, "web", before)
        assert s["restarts"] == before["restarts"] + 1, s


CASCADE = """
processes:
  a:
    command: %s
    watch:
      debounce: 200ms
      cascade: true
      paths:
        - path: ./a
  b:
    command: %s
    shutdown: {signal: 15}
    depends_on:
      a: {condition: process_started}
  c:
    command: %s
    depends_on:
      b: {condition: process_started}
  d:
    command: %s
""" % (COUNTER % "a", SLOW_STOP % "b", COUNTER % "c", COUNTER % "d")
# b takes 0.3 s more to stop than c: a dependent must still not start before what it depends on


def test_cascade_restarts_dependents_in_order():
    with Project("watch-cascade", CASCADE, files={"a/x.txt": ""}) as p:
        p.up()
        before = {n: running(p, n) for n in "abcd"}
        time.sleep(0.3)
        p.write("a/x.txt", "changed\n")
        after = {n: restarted(p, n, before[n]) for n in "abc"}
        ta, tb, tc = (start_time(after[n]) for n in "abc")
        print("start offsets: b %+.3fs, c %+.3fs after a" % (tb - ta, tc - ta), flush=True)
        assert ta < tb < tc, (ta, tb, tc)
        for n in "abc":
            assert after[n]["restarts"] == before[n]["restarts"] + 1, (n, before[n], after[n])
        quiet_for(p, "d", before["d"], 0.5)         # not a dependent
        # a change under b's or c's files restarts nothing: only a watches
        quiet_for(p, "a", after["a"], 0.5)


def test_watch_after_controller_restart():
    with Project("watch-adopt", WATCHED, files={"src/main.py": ""}) as p:
        p.up()
        before = running(p, "web")
        time.sleep(0.5)
        os.kill(p.proc.pid, signal.SIGKILL)
        p.proc.wait()
        p.up()
        adopted = running(p, "web")
        assert adopted["pid"] == before["pid"], (before, adopted)
        wait_until(lambda: "Adopted" in p.stdout() + p.stderr(), timeout=5, what="adoption")
        time.sleep(0.3)
        p.write("src/main.py", "print(2)\n")
        s = restarted(p, "web", adopted)
        assert s["restarts"] == before["restarts"] + 1, (before, s)


main(globals())
