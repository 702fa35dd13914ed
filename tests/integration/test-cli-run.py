"""pcctl run PROCESS [-- ARGS]: the process in the foreground on the user's terminal, its dependencies in the
background as units, and the process's exit code as pcctl's (process-compose's `run`).

The terminal is a real pseudo-terminal (Python's pty), so the test sees what a user sees: the process's output
on the terminal, its input from the terminal, isatty() true for its stdin and stdout."""
import os
import pty
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import PCCTL, Project, main  # noqa: E402

YAML = """
processes:
  db:
    command: "touch db.started && sleep 300"
    readiness_probe:
      exec:
        command: "test -f db.started"
      initial_delay_seconds: 0
      period_seconds: 1
  app:
    command: "./app.sh first"
    depends_on:
      db:
        condition: process_healthy
  other:
    command: "touch other.started && sleep 300"
"""

APP = """#!/bin/sh
echo "app args: $*"
test -f db.started && echo "db was ready"
[ -t 0 ] && [ -t 1 ] && echo "stdio is a terminal"
echo "type a line:"
read line
echo "got: $line"
exit 3
"""


def run_in_pty(p, args, answer=None, timeout=60):
    """Runs pcctl in a new pty; returns (exit code, everything written to the terminal). When the terminal
    shows 'type a line:', answer is typed."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(p.dir)
            os.execv(PCCTL, [PCCTL, *args])
        finally:
            os._exit(127)
    out = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                out += data
            if answer is not None and not answered and b"type a line:" in out:
                os.write(fd, answer.encode() + b"\r")
                answered = True
        else:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("pcctl run did not end within %ss; terminal: %r" % (timeout, out))
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_run_foreground_exit_code():
    with Project("run", YAML, files={"app.sh": APP}) as p:
        os.chmod(p.path("app.sh"), 0o755)
        rc, out = run_in_pty(p, ["run", "-u", p.socket, "app", "--", "second", "third"], answer="hello there")
        assert rc == 3, "exit code %d, want 3; terminal:\n%s" % (rc, out)
        # process-compose appends the arguments to the command's shell string
        assert "app args: first second third" in out, out
        assert "db was ready" in out, out
        assert "stdio is a terminal" in out, out
        assert "got: hello there" in out, out
        # everything of the project is gone afterwards; 'other' (not a dependency) never ran
        assert not os.path.exists(p.path("other.started"))
        assert p.units() == [], p.units()


def test_run_no_deps():
    with Project("rundeps", YAML, files={"app.sh": APP}) as p:
        os.chmod(p.path("app.sh"), 0o755)
        rc, out = run_in_pty(p, ["run", "--no-deps", "-u", p.socket, "app"], answer="x")
        assert rc == 3, "exit code %d; terminal:\n%s" % (rc, out)
        assert "app args: first" in out, out
        assert "db was ready" not in out, out
        assert not os.path.exists(p.path("db.started"))


def test_run_exit_zero_and_pipe():
    """Without a terminal (pipes) the output still reaches pcctl's stdout."""
    with Project("runpipe", "processes:\n  hi:\n    command: \"echo piped output\"\n") as p:
        r = p.pcctl("run", "--no-server", "hi", timeout=60)
        assert r.returncode == 0, r
        assert "piped output" in r.stdout, r


def test_run_usage():
    with Project("runusage", YAML, files={"app.sh": APP}) as p:
        r = p.pcctl("run", "--no-server", "app", "extra", timeout=30)
        assert r.returncode == 1, r
        assert "Extra positional arguments provided! To pass args to PROCESS, separate them from " \
               "process-compose arguments with: --" in r.stdout + r.stderr, r
        r = p.pcctl("run", "--no-server", timeout=30)
        assert r.returncode == 1, r
        r = p.pcctl("run", "--no-server", "nosuch", timeout=30)
        assert r.returncode == 1, r
        assert "nosuch" in r.stderr, r


main(globals())
