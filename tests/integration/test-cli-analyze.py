"""pcctl analyze critical-chain [PROCESS...] against a running 5-process project whose dependencies wait for
readiness probes: the tree, and @offset / +duration that agree with the processes' own start and ready times
(GET /processes, which come from the units' ExecMainStartTimestamp and the controller's probe results)."""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main  # noqa: E402

YAML = """
processes:
  base:
    command: "sleep 0.7 && touch base.ok && sleep 300"
    readiness_probe:
      exec:
        command: "test -f base.ok"
      period_seconds: 1
  cache:
    command: "sleep 300"
    depends_on:
      base:
        condition: process_healthy
    readiness_probe:
      exec:
        command: "true"
      initial_delay_seconds: 1
      period_seconds: 1
  worker:
    command: "sleep 300"
    depends_on:
      base:
        condition: process_started
  api:
    command: "sleep 300"
    depends_on:
      cache:
        condition: process_healthy
      worker:
        condition: process_started
    readiness_probe:
      exec:
        command: "true"
      initial_delay_seconds: 1
      period_seconds: 1
  lone:
    command: "sleep 300"
"""

LINE = re.compile(r"^(?P<tree>(?:│ |  )*(?:├─|└─)?)(?P<name>[^ ]+)(?: @(?P<at>(?:\d+min )?[\d.]+(?:ns|us|ms|s)))?"
                  r"(?: \+(?P<dur>[\d.]+(?:ns|us|ms|s)))?(?P<rest>.*)$")


def seconds(s):
    """A critical-chain time ("512ms", "1.234s", "1min 2.345s") in seconds."""
    m = re.fullmatch(r"(?:(\d+)min )?([\d.]+)(ns|us|ms|s)", s)
    assert m, s
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(3)]
    return int(m.group(1) or 0) * 60 + float(m.group(2)) * scale


def rfc3339(s):
    """RFC 3339 with nanoseconds → POSIX seconds."""
    m = re.fullmatch(r"(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", s)
    base = datetime.datetime.fromisoformat(m.group(1) + (m.group(3) if m.group(3) != "Z" else "+00:00"))
    return base.timestamp() + (float("0." + m.group(2)) if m.group(2) else 0.0)


def parse(out):
    """The tree after the header: [(depth, name, at, dur, rest)]."""
    rows = []
    for line in out.split("\n\n", 2)[2].splitlines():
        m = LINE.match(line)
        assert m, "unparsable line %r in\n%s" % (line, out)
        depth = len(m.group("tree")) // 2
        rows.append((depth, m.group("name"), m.group("at"), m.group("dur"), m.group("rest")))
    return rows


def test_critical_chain():
    with Project("chain", YAML) as p:
        p.up()
        p.wait_state("api", lambda s: s["is_ready"] == "Ready", timeout=30)
        r = p.pcctl("analyze", "critical-chain", "-u", p.socket)
        assert r.returncode == 0, r
        out = r.stdout
        assert "\x1b" not in out, "colour on a pipe: %r" % out
        head = out.splitlines()
        assert head[0] == 'The time when unit became ready is printed after the "@" character.', out
        assert head[1] == 'The time the unit took to become ready is printed after the "+" character.', out
        assert head[2] == "", out
        assert head[3].startswith("Project: ") and p.name in head[3], out
        assert head[4].startswith("Started: "), out
        assert head[5].startswith("Up time: "), out

        states = p.states()
        project = p.get("/project/state").json()
        t0 = rfc3339(project["startTime"])
        rows = parse(out)
        names = [row[1] for row in rows]
        # roots are what nothing depends on, slowest first: api (waits for two probes) before lone
        roots = [row[1] for row in rows if row[0] == 0]
        assert roots == ["api", "lone"], out
        assert names == ["api", "cache", "base", "worker", "base", "lone"], out

        by_name = {}
        for depth, name, at, dur, rest in rows:
            s = states[name]
            assert at is not None, "no @offset for %s:\n%s" % (name, out)
            ready = rfc3339(s["process_ready_time"])
            start = rfc3339(s["process_start_time"])
            # the offset is the ready time after the project's start, to the printed millisecond
            assert abs(seconds(at) - (ready - t0)) < 0.0015, (name, at, ready - t0, out)
            if s["has_ready_probe"]:
                assert dur is not None, "no +duration for %s:\n%s" % (name, out)
                assert abs(seconds(dur) - (ready - start)) < 0.0015, (name, dur, ready - start, out)
            else:
                assert dur is None and abs(ready - start) < 1e-6, (name, s, out)
            assert "not ready" not in rest and "not started" not in rest, out
            by_name[name] = (seconds(at), start - t0)

        # a dependent waiting for a healthy dependency became ready, and started, after it became ready
        for dependent, dependency in (("api", "cache"), ("cache", "base")):
            assert by_name[dependent][1] >= by_name[dependency][0] - 0.0015, (dependent, dependency, by_name)
            assert by_name[dependent][0] >= by_name[dependency][0], (dependent, dependency, by_name)
        # process_started: worker started after base did
        assert by_name["worker"][1] >= by_name["base"][1], by_name
        # the probes' delays show: base needs 0.7 s, cache and api one initial delay each after it
        assert by_name["base"][0] >= 0.7 and by_name["api"][0] >= by_name["base"][0] + 2.0, by_name

        # PROCESS...: only those chains
        r = p.pcctl("analyze", "critical-chain", "-u", p.socket, "cache")
        assert r.returncode == 0, r
        assert [row[1] for row in parse(r.stdout)] == ["cache", "base"], r.stdout
        r = p.pcctl("analyze", "critical-chain", "-u", p.socket, "nosuch")
        assert r.returncode == 1 and "unknown process: nosuch" in r.stderr, r
        # a verb without its subcommand prints its help
        r = p.pcctl("analyze", "-u", p.socket)
        assert "critical-chain" in r.stdout, r


main(globals())
