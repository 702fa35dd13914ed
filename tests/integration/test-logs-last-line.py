#!/usr/bin/env python3
"""No line is lost at the end of `pcctl up`: the last lines of a process that ends the project reach up's
stdout before up exits, also when journald writes them seconds after the process exited, and under load.

Up waits for journald's Synchronize answer (every line the units wrote is then in the journal files), then
reads the files to their end (core/manager-check.c). The race it closes, a poll that skipped the file while
journald linked the last entry, is reproduced deterministically in tests/unit/test-journal-follower.c."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, Skip, main  # noqa: E402

JOURNAL_VARLINK = "/run/systemd/journal/io.systemd.journal"


def lines_of(p, name):
    prefix = "[%s\t] " % name
    return [line[len(prefix):] for line in p.stdout().splitlines() if line.startswith(prefix)]


def journal_lines(p, name):
    ident = p.unit(name)[:-len(".service")]
    r = subprocess.run(["journalctl", "--no-pager", "-o", "cat", "SYSLOG_IDENTIFIER=" + ident],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.splitlines()


def require_sync():
    # journald serves Synchronize to root only; without it up falls back to a quiet spell of 300 ms
    if os.geteuid() != 0 or not os.path.exists(JOURNAL_VARLINK):
        raise Skip("journald's Synchronize call is not available to this user")


# A process that prints 100 000 lines and exits: its stream is in journald's socket, and journald gets through
# it seconds after the exit (it stores the first ~30 000 and drops the rest: its rate limit, per unit and
# priority). The last line, with priority err ("<3>", its own rate-limit group), is stored, seconds late.
# Before the fix up exited 300 ms after the stored lines stopped coming, without it (every run).
BACKLOG = """processes:
  app:
    command: "seq 1 100000; echo '<3>app-last-line'"
    availability: {exit_on_end: true}
"""


def test_last_line_behind_a_backlog():
    require_sync()
    with Project("lastline-backlog", BACKLOG) as p:
        t0 = time.monotonic()
        p.up(api=False)
        rc = p.wait_exit(timeout=60)
        took = time.monotonic() - t0
        assert rc == 0, (rc, p.stderr())
        out = lines_of(p, "app")
        assert out and out[-1] == "app-last-line", (took, len(out), out[-3:], p.stderr()[-2000:])
        # every line journald stored, in its order: none lost in between either
        stored = journal_lines(p, "app")
        assert out == stored, (len(out), len(stored), took)
        assert "did not confirm" not in p.stderr(), p.stderr()
        print("up took %.2f s for %d lines" % (took, len(out)))


# The scenario of test-core-lifecycle's test_process_healthy_dependent, the one that lost its line, many times
# under CPU load: a process prints one line and exits, which ends the project while another one still runs.
ONE_LINE = """processes:
  db:
    command: sleep 600
  app:
    command: sleep 0.2; echo app-last-line
    availability: {exit_on_end: true}
"""
RUNS = 12


def test_last_line_of_each_run_under_load():
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"], start_new_session=True)
            for _ in range(os.cpu_count() or 2)]
    try:
        missing = []
        for i in range(RUNS):
            with Project("lastline-%d" % i, ONE_LINE) as p:
                p.up(api=False)
                rc = p.wait_exit(timeout=60)
                assert rc == 0, (i, rc, p.stderr())
                if lines_of(p, "app") != ["app-last-line"]:
                    missing.append((i, p.stdout()))
        assert not missing, "%d of %d runs lost the last line: %r" % (len(missing), RUNS, missing)
    finally:
        for h in hogs:
            os.killpg(h.pid, signal.SIGKILL)
            h.wait()


if __name__ == "__main__":
    main(globals())
