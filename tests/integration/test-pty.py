#!/usr/bin/env python3
"""Interactive processes (is_interactive, is_tty): a pseudo-terminal per run, its output in the journal,
POST /process/send-keys, the terminal WebSocket /process/pty/ws and `pcctl attach` (driven in tmux)."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import signal  # noqa: E402
from pcctl_harness import PCCTL, Project, Skip, escape, main, systemctl, wait_until  # noqa: E402
from ws_client_util import raw_upgrade, read_frame  # noqa: E402

YAML = """
processes:
  repl:
    command: "python3 -i -q"
    is_interactive: true
  plain:
    command: "sleep 600"
"""


def client_frame(opcode, payload):
    """A masked client frame (RFC 6455 §5.3)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_until(s, needle, timeout=10.0):
    """Binary frames of the terminal stream until needle was seen; returns all bytes read."""
    got = b""
    deadline = time.monotonic() + timeout
    while needle not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("%r not seen on the terminal stream within %ss; got %r" % (needle, timeout, got))
        s.settimeout(left)
        op, data = read_frame(s)
        if op == 0x2:
            got += data
        elif op == 0x8:
            raise AssertionError("stream closed (%r) before %r; got %r" % (data, needle, got))
    return got


def log_lines(p, name):
    r = p.get("/process/logs/%s/0/1000" % name)
    assert r.status == 200, r
    return r.json()["logs"]


def test_send_keys_reaches_log_and_terminal_stream():
    with Project("pty-keys", YAML) as p:
        p.up()
        p.wait_state("repl", lambda s: s["status"] == "Running")
        s, status, head = raw_upgrade(p.socket, "/process/pty/ws?name=repl")
        assert status == 101, head
        # the prompt, from the scrollback a new client gets first or live
        read_until(s, b">>> ")
        r = p.post("/process/send-keys/repl", {"keys": "print(6*7)\n"})
        assert r.status == 200, r
        assert r.json() == {"name": "repl"}, r
        read_until(s, b"42")
        wait_until(lambda: "42" in log_lines(p, "repl"), timeout=10, what="42 in the log of repl")
        # process-compose's escapes: a literal backslash-n ends the line too
        r = p.post("/process/send-keys/repl", {"keys": "print(6*8)\\n"})
        assert r.status == 200, r
        read_until(s, b"48")
        wait_until(lambda: "48" in log_lines(p, "repl"), timeout=10, what="48 in the log of repl")
        # the prompt, written without a newline, is logged after a short delay
        wait_until(lambda: any(l.startswith(">>>") for l in log_lines(p, "repl")), timeout=5,
                   what="the prompt in the log")
        # the journal has it: pcctl logs reads it from there
        out = p.pcctl("logs", "--no-pager", "-o", "cat", "repl").stdout
        assert "42" in out.splitlines(), out
        s.close()


def test_terminal_stream_input_and_resize():
    with Project("pty-ws", YAML) as p:
        p.up()
        p.wait_state("repl", lambda s: s["status"] == "Running")
        s, status, head = raw_upgrade(p.socket, "/process/pty/ws?name=repl")
        assert status == 101, head
        read_until(s, b">>> ")
        s.sendall(client_frame(0x1, json.dumps({"type": "resize", "cols": 101, "rows": 37}).encode()))
        s.sendall(client_frame(0x2, b"import os; print(tuple(os.get_terminal_size(0)))\r"))
        read_until(s, b"(101, 37)")
        s.close()


def test_terminal_stream_errors():
    with Project("pty-wserr", YAML) as p:
        p.up()
        p.wait_state("plain", lambda s: s["status"] == "Running")
        for q, code in (("name=plain", 400), ("name=nope", 404), ("", 400)):
            s, status, head = raw_upgrade(p.socket, "/process/pty/ws?" + q)
            assert status == code, (q, head)
            s.close()


def test_read_only_refuses_the_terminal():
    with Project("pty-ro", YAML) as p:
        p.up("--read-only")
        p.wait_state("repl", lambda s: s["status"] == "Running")
        s, status, head = raw_upgrade(p.socket, "/process/pty/ws?name=repl")
        assert status == 403, head
        s.close()
        assert p.post("/process/send-keys/repl", {"keys": "x"}).status == 403


def test_send_keys_errors():
    with Project("pty-err", YAML) as p:
        p.up()
        p.wait_state("plain", lambda s: s["status"] == "Running")
        r = p.post("/process/send-keys/plain", {"keys": "x"})
        assert r.status == 400, r
        assert r.json() == {"error": "process plain is not interactive; cannot send keys"}, r
        r = p.post("/process/send-keys/nope", {"keys": "x"})
        assert r.status == 400, r
        assert r.json() == {"error": "process nope does not exist"}, r
        r = p.post("/process/send-keys/repl", '{"keys":}')
        assert r.status == 400, r


def live(p):
    try:
        return p.get("/live", timeout=2).status == 200
    except OSError:
        return False


def test_terminal_survives_a_controller_restart():
    """up -D keeps the terminal's master side in systemd's fd store: a kill -9 of the controller restarts it
    (Restart=on-abnormal) with the terminal, and the REPL that runs on it keeps its session."""
    with Project("pty-store", YAML) as p:
        ctrl = "pcctl-%s.service" % escape(p.name)
        r = p.pcctl("up", "-D", "-t=false", "-u", p.socket)
        assert r.returncode == 0, r
        try:
            wait_until(lambda: live(p), timeout=15, what="the detached controller's API")
            p.wait_state("repl", lambda s: s["status"] == "Running")
            pid = p.state("repl")["pid"]
            assert p.post("/process/send-keys/repl", {"keys": "x = 6*7\n"}).status == 200
            main_pid = int(systemctl("show", "-p", "MainPID", "--value", ctrl).stdout.strip())
            assert main_pid > 0
            os.kill(main_pid, signal.SIGKILL)

            def restarted():
                n = systemctl("show", "-p", "MainPID", "--value", ctrl).stdout.strip()
                return n not in ("", "0", str(main_pid)) and live(p)
            wait_until(restarted, timeout=20, what="systemd to restart the controller")
            p.wait_state("repl", lambda s: s["status"] == "Running")
            assert p.state("repl")["pid"] == pid, "the REPL was not adopted"
            # the same session: x survived, and the terminal's output still reaches the log and the stream
            s, status, head = raw_upgrade(p.socket, "/process/pty/ws?name=repl")
            assert status == 101, head
            r = p.post("/process/send-keys/repl", {"keys": "print(x + 1)\n"})
            assert r.status == 200, r
            read_until(s, b"43")
            wait_until(lambda: "43" in log_lines(p, "repl"), timeout=10, what="43 in the log after the restart")
            s.close()
        finally:
            p.pcctl("down", "-u", p.socket, timeout=60)
            systemctl("stop", ctrl)
            systemctl("reset-failed", ctrl)


SCHEDULED = """
processes:
  ticktty:
    command: 'tty; echo "line $(date +%s.%N)"; sleep 1'
    is_tty: true
    schedule:
      interval: 2s
"""


def test_scheduled_runs_get_the_terminal():
    """Every run the timer starts (not only one pcctl starts) runs on the process's terminal: `tty` names a
    /dev/pts path, and the output is in the log and on /process/pty/ws, across runs."""
    with Project("pty-sched", SCHEDULED) as p:
        p.up()

        def runs():
            return [l for l in log_lines(p, "ticktty") if l.startswith("line ")]
        wait_until(lambda: len(runs()) >= 1, timeout=8, what="the first run's line")
        # a later run, started by the timer: connect to its terminal while it runs
        p.wait_state("ticktty", lambda s: s["status"] == "Running", timeout=8)
        s, status, head = raw_upgrade(p.socket, "/process/pty/ws?name=ticktty")
        assert status == 101, head
        n, t_conn = len(runs()), time.time()

        def later(text):
            return [float(t) for t in re.findall(r"line (\d+\.\d+)", text) if float(t) > t_conn]
        # the next runs' output reaches the open terminal stream (it stays open between runs), and the log
        got = b""
        while len(later(got.decode(errors="replace"))) < 2:
            got += read_until(s, b"line ", timeout=8)
        wait_until(lambda: len(runs()) >= n + 2, timeout=8, what="two more runs' lines in the log")
        s.close()
        ttys = [l for l in log_lines(p, "ticktty") if l.startswith("/dev/")]
        assert len(ttys) >= n + 2, log_lines(p, "ticktty")
        assert all(re.fullmatch(r"/dev/pts/\d+", t) for t in ttys), ttys
        assert b"not a tty" not in got and not [l for l in log_lines(p, "ticktty") if "not a tty" in l]


def test_scheduled_terminal_after_a_controller_restart():
    """Without the fd store (a foreground controller), the terminal the timer's runs open goes with the
    controller: the next `up` replaces the timer by one for its own terminal, and the runs have it again."""
    with Project("pty-sched-re", SCHEDULED) as p:
        p.up()

        def ttys():
            return [l for l in log_lines(p, "ticktty") if l.startswith("/dev/pts/")]
        wait_until(lambda: ttys(), timeout=8, what="a run on the terminal")
        p.proc.kill()
        p.proc.wait()
        p.up()
        t0 = time.time()

        def later():
            return [l for l in log_lines(p, "ticktty") if l.startswith("line ") and float(l.split()[1]) > t0]
        wait_until(lambda: len(later()) >= 2, timeout=10, what="two runs after the return")
        logs = log_lines(p, "ticktty")
        after = logs[logs.index(later()[0]) - 1]
        assert re.fullmatch(r"/dev/pts/\d+", after), logs
        assert "UnitExists" not in p.stderr(), p.stderr()


SEND_KEYS = """
processes:
  keys:
    command: "python3 -q -i -c 'import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN)'"
    is_interactive: true
    shutdown:
      send_keys: "exit()\\n"
      timeout_seconds: 20
  deaf:
    command: "python3 -q -i -c 'import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN)'"
    is_interactive: true
    shutdown:
      send_keys: "ignored\\n"
      timeout_seconds: 2
"""


def test_stop_by_send_keys():
    """shutdown.send_keys: a stop writes the keys to the terminal, and the process ends by them (exit code 0,
    although it ignores SIGHUP and SIGTERM); one that ignores the keys is killed after timeout_seconds."""
    with Project("pty-stopkeys", SEND_KEYS) as p:
        p.up()
        for name in ("keys", "deaf"):
            # the prompt: the REPL runs, its signal handlers are in place
            wait_until(lambda: any(l.startswith(">>>") for l in log_lines(p, name)), timeout=10,
                       what="the prompt of " + name)
        t0 = time.monotonic()
        r = p.patch("/process/stop/keys")
        assert r.status == 200, r
        s = p.wait_state("keys", lambda s: s["status"] == "Completed", timeout=10)
        took = time.monotonic() - t0
        assert s["exit_code"] == 0, s
        assert took < 5, took                  # by the keys, not by the 20 s kill
        assert "exit()" in " ".join(log_lines(p, "keys")), log_lines(p, "keys")

        t0 = time.monotonic()
        r = p.patch("/process/stop/deaf")
        assert r.status == 200, r
        s = p.wait_state("deaf", lambda s: s["status"] == "Completed", timeout=15)
        took = time.monotonic() - t0
        assert s["exit_code"] == -1, s         # SIGKILL
        assert 1.5 < took < 8, took
        assert "ignored" in " ".join(log_lines(p, "deaf")), log_lines(p, "deaf")


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", "pcctl-it-%d" % os.getpid(), *args], capture_output=True, text=True,
                          check=check, timeout=10)


def test_attach_in_tmux():
    if not shutil.which("tmux"):
        raise Skip("tmux is not installed (contrib/install-deps.sh installs it)")
    with Project("pty-attach", YAML) as p:
        p.up()
        p.wait_state("repl", lambda s: s["status"] == "Running")
        done = p.path("attach.done")
        cmd = "%s attach -u %s repl; echo exit=$? > %s; sleep 30" % (PCCTL, p.socket, done)
        try:
            tmux("new-session", "-d", "-s", "att", "-x", "100", "-y", "30", cmd)

            def pane():
                return tmux("capture-pane", "-p", "-t", "att").stdout
            wait_until(lambda: ">>>" in pane(), timeout=10, what="the prompt in the attached terminal")
            tmux("send-keys", "-t", "att", "print(6*7)", "Enter")
            wait_until(lambda: "42" in pane().splitlines(), timeout=10, what="42 in the attached terminal")
            wait_until(lambda: "42" in log_lines(p, "repl"), timeout=10, what="42 in the log of repl")
            # the terminal's size reached the process
            tmux("send-keys", "-t", "att", "import os; print(tuple(os.get_terminal_size(0)))", "Enter")
            wait_until(lambda: "(100, 30)" in pane(), timeout=10, what="the pane's size in the process")
            # the terminal is the process's controlling terminal: Ctrl-C interrupts it, as in a shell
            tmux("send-keys", "-t", "att", "C-c")
            wait_until(lambda: "KeyboardInterrupt" in pane(), timeout=10, what="Ctrl-C to reach the REPL")
            # Ctrl-] detaches: attach exits 0, the process keeps running
            tmux("send-keys", "-t", "att", "C-]")
            wait_until(lambda: os.path.exists(done), timeout=10, what="attach to exit after Ctrl-]")
            with open(done) as f:
                assert f.read().strip() == "exit=0"
            assert p.state("repl")["status"] == "Running"
        finally:
            tmux("kill-server", check=False)
        r = p.pcctl("attach", "-u", p.socket, "plain")
        assert r.returncode != 0 and "not interactive" in r.stderr, r


main(globals())
