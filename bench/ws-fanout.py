#!/usr/bin/python3
"""WebSocket fan-out benchmark: one process writes as fast as journald takes it; 1, 10, 100 and 1000 followers
(and 100 followers beside 10 stalled ones) read its log stream. Baseline: the lines journald stored for the
unit in the same run. Prints, per configuration, lines delivered per follower as a ratio to journald's stored
lines, write()->frame latency p50/p99, and the controller's CPU time and RSS.

The latency baseline, `journalctl -f` on a second flood of the same kind, runs right after pcctl's phase in
the same project, not beside it: on a 2-core machine a journalctl that cannot keep up with journald takes most
of a core, and each side would measure the other's load.

Usage: bench/ws-fanout.py BUILD_DIR HELPER [SECONDS] [CONFIGS]   (run through bench/ws-fanout.sh)
"""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("PCCTL_BIN", os.path.join(os.path.abspath(sys.argv[1]), "pcctl"))
from pcctl_harness import Project, wait_until  # noqa: E402

HELPER = os.path.abspath(sys.argv[2])
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
CONFIGS = [tuple(int(x) for x in c.split("+")) for c in
           (sys.argv[4] if len(sys.argv) > 4 else "1+0,10+0,100+0,1000+0,100+10").split(",")]

YAML = """
processes:
  flood:
    command: 'while [ ! -e go ]; do sleep 0.02; done; exec %s writer %s'
    availability:
      restart: "no"
  jflood:
    command: 'while [ ! -e go-journalctl ]; do sleep 0.02; done; exec %s writer %s'
    availability:
      restart: "no"
  keep:
    command: 'sleep 3600'
""" % (HELPER, SECONDS, HELPER, SECONDS)


def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def status_kb(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def lift_rate_limit(unit):
    link = "/run/systemd/units/log-rate-limit-burst:" + unit
    os.makedirs("/run/systemd/units", exist_ok=True)
    if not os.path.lexists(link):
        os.symlink("0", link)
    return link


def journald_stored(unit):
    out = subprocess.run(["journalctl", "-q", "-o", "cat", "_SYSTEMD_UNIT=" + unit, "+", "_SYSTEMD_USER_UNIT=" + unit],
                         capture_output=True, text=True).stdout
    return sum(1 for x in out.splitlines() if x.startswith("line-"))


RUNS = [0]


def run(active, stalled):
    # A project (so unit) name of its own per run: journald's stored count is per unit name, and a name used
    # by an earlier run would count that run's lines too.
    RUNS[0] += 1
    with Project("wsbench%d-%d-%d-%d" % (active, stalled, os.getpid(), RUNS[0]), YAML) as p:
        unit, junit = p.unit("flood"), p.unit("jflood")
        links = [lift_rate_limit(unit), lift_rate_limit(junit)]
        try:
            p.up()
            pid = p.proc.pid
            wait_until(lambda: all(p.state(n) and p.state(n)["status"] == "Running" for n in ("flood", "jflood")),
                       what="floods running")
            # phase 1: pcctl's followers
            f = subprocess.Popen([HELPER, "follow", p.socket, "flood", str(active), str(stalled),
                                  str(SECONDS + 3)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert f.stderr.readline().strip() == "connected"
            time.sleep(0.3)
            rss0 = status_kb(pid, "VmRSS")
            c0, t0 = cpu_ticks(pid), time.monotonic()
            open(p.path("go"), "w").close()
            out, _ = f.communicate(timeout=SECONDS + 60)
            c1, t1 = cpu_ticks(pid), time.monotonic()
            res = json.loads(out)
            rss1, hwm = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
            metrics = p.get("/metrics").body
            dropped = [int(x.split()[1]) for x in metrics.splitlines() if x.startswith("pcctl_ws_dropped_lines_total ")]
            # phase 2, same project and machine: journalctl -f on the second flood
            jc = subprocess.Popen(["stdbuf", "-oL", "journalctl", "-f", "-n", "0", "-q", "-o", "cat", "_SYSTEMD_UNIT=" + junit, "+",
                                   "_SYSTEMD_USER_UNIT=" + junit], stdout=subprocess.PIPE)
            base = subprocess.Popen([HELPER, "stdin", str(SECONDS + 3)], stdin=jc.stdout, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            assert base.stderr.readline().strip() == "connected"
            time.sleep(0.3)
            open(p.path("go-journalctl"), "w").close()
            bout, _ = base.communicate(timeout=SECONDS + 60)
            jc.kill()
            jc.wait()
            res["baseline"] = json.loads(bout)
            time.sleep(0.5)
            res.update(stored=journald_stored(unit), jstored=journald_stored(junit),
                       cpu_s=(c1 - c0) / os.sysconf("SC_CLK_TCK"), wall_s=t1 - t0, rss_kb=rss1, rss0_kb=rss0,
                       hwm_kb=hwm, dropped=dropped[0] if dropped else None)
            return res
        finally:
            for link in links:
                try:
                    os.unlink(link)
                except FileNotFoundError:
                    pass


def main():
    print("# pcctl WebSocket fan-out: %.0f s flood at journald's full rate per configuration" % SECONDS)
    print("# ratio = lines the slowest active follower got / lines journald stored; latency write()->frame;")
    print("# jctl = journalctl -f -o cat on a second flood in the same run, right after (baseline)")
    print("# dropped = lines the followers lost to ring overrun, all followers together (pcctl_ws_dropped_lines_total)")
    print("%-16s %9s %9s %8s %8s %8s %9s %9s %9s %9s %9s %7s %8s %8s %7s %9s" % (
        "followers", "journald", "lines/s", "min", "median", "ratio", "p50 ms", "p99 ms", "jctl", "jctl p50",
        "jctl p99", "cpu s", "rss MiB", "hwm MiB", "failed", "dropped"))
    for active, stalled in CONFIGS:
        r = run(active, stalled)
        ratio = r["min"] / r["stored"] if r["stored"] else 0
        jratio = r["baseline"]["lines"] / r["jstored"] if r["jstored"] else 0
        print("%-16s %9d %9.0f %8d %8d %7.1f%% %9.1f %9.1f %8.1f%% %9.1f %9.1f %7.2f %8.1f %8.1f %7d %9s" % (
            "%d%s" % (active, " +%d stalled" % stalled if stalled else ""), r["stored"], r["stored"] / SECONDS,
            r["min"], r["median"], 100 * ratio, r["p50_ms"], r["p99_ms"], 100 * jratio, r["baseline"]["p50_ms"],
            r["baseline"]["p99_ms"], r["cpu_s"], r["rss_kb"] / 1024, r["hwm_kb"] / 1024, r["failed"],
            r["dropped"] if r["dropped"] is not None else "-"), flush=True)


main()
