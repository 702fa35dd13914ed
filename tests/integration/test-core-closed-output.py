#!/usr/bin/env python3
"""The controller outlives the readers of its output: `pcctl up | head -3` must not kill it.

Without this, the first write after the reader left killed `pcctl up` with SIGPIPE, and the project's units
went on without a controller (no restarts, no API, no logs)."""
import os
import signal
import subprocess
import time

from pcctl_harness import PCCTL, Project, main, wait_until

YAML = """
processes:
  talk:
    command: "while true; do echo tick; sleep 0.05; done"
"""


def test_up_survives_closed_stdout_and_stderr():
    with Project("closed-out", YAML) as p:
        p.proc = subprocess.Popen([PCCTL, "up", "-t=false", "-u", p.socket], cwd=p.dir,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True)
        # the reader takes three lines, as `| head -3` does, then goes away; so does stderr's reader
        for _ in range(3):
            assert p.proc.stdout.readline().startswith(b"[talk"), "no process output on stdout"
        p.proc.stdout.close()
        p.proc.stderr.close()
        # 40 more lines are written into the closed pipe during this second
        time.sleep(2.0)
        assert p.proc.poll() is None, "pcctl up died (exit %r) after its output pipe closed" % p.proc.returncode
        st = p.wait_state("talk", lambda s: s["status"] == "Running")
        assert st["restarts"] == 0, st
        # the log path is not affected: the ring still gets the new lines
        n = len(p.get("/process/logs/talk/0/1000").json()["logs"])
        wait_until(lambda: len(p.get("/process/logs/talk/0/1000").json()["logs"]) > n, timeout=10,
                   what="new log lines after stdout closed")
        p.proc.send_signal(signal.SIGTERM)
        assert p.proc.wait(timeout=30) == 0, "pcctl up exit code %r" % p.proc.returncode
        wait_until(lambda: not p.units(), timeout=10, what="units gone after SIGTERM")


main(globals())
