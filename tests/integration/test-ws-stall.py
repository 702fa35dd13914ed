"""THE REGRESSION THAT MUST NEVER COME BACK (process-compose PR #495, compat §5.6).

A process floods its output; a WebSocket follower completes the handshake and then stops reading (SIGSTOP,
small socket buffers). Once its buffers are full and it starts losing lines, everything else must go on:
`pcctl process logs --tail 3` answers within 1 s, a second follower gets frames within 1 s, the REST log range
answers, the flood keeps reaching the ring buffer, the stalled session's socket is closed by the server within
--ws-write-timeout + 1 s, and SIGCONT on the stalled client disturbs nothing. Ten runs in a row, each a few
seconds, each with its own project and unit.
"""
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import PCCTL, Project, main, wait_until  # noqa: E402
from ws_client_util import has_socket, metric, raw_upgrade, server_peer_inode, wait_buffers_full  # noqa: E402

import websockets  # Debian python3-websockets  # noqa: E402

RUNS = int(os.environ.get("PCCTL_WS_STALL_RUNS", "10"))
WRITE_TIMEOUT = 2.0
# Sanitizer builds start and run several times slower; their CI job may scale the latency bounds (not the
# eviction bound, which is the server's own timer).
SLOW = float(os.environ.get("PCCTL_TEST_TIME_FACTOR", "1"))

# bash without a fork per line (~20 k lines/s here); $$ escapes the loader's ${} substitution.
YAML = """
shell:
  shell_command: bash
  shell_argument: -c
processes:
  noisy:
    command: 'i=0; while true; do printf "line-%06d %s000\\n" $i $${EPOCHREALTIME/./}; i=$((i+1)); done'
"""

# The stalled client: a separate process (so it can be SIGSTOPped) with a tiny receive buffer. It reads
# frames until stopped; after SIGCONT it reports how its connection ended.
STALLED = r"""
import socket, sys, os
sys.path.insert(0, sys.argv[3])
from ws_client_util import raw_upgrade, read_frame
s, status, _ = raw_upgrade(sys.argv[1], sys.argv[2], rcvbuf=4096)
s.settimeout(None)
print("ready %d %d" % (status, os.fstat(s.fileno()).st_ino), flush=True)
n = 0
try:
    while True:
        op, data = read_frame(s)
        n += 1
        if op == 8:
            print("close %d" % n, flush=True); break
except (EOFError, ConnectionError) as e:
    print("eof %d %s" % (n, type(e).__name__), flush=True)
"""


def latest_line(p):
    r = p.get("/process/logs/noisy/0/1")
    assert r.status == 200, r
    logs = r.json()["logs"]
    m = re.match(r"line-(\d{6,}) \d+$", logs[-1]) if logs else None
    return int(m.group(1)) if m else -1


async def follower_first_frame(sock_path):
    t0 = time.monotonic()
    # max_queue=None: websockets stops reading when its queue of unread messages is full, and would then wait
    # its whole close_timeout for our close frame behind the flood.
    async with websockets.unix_connect(sock_path, "ws://localhost/process/logs/ws?name=noisy&offset=1&follow=true",
                                       open_timeout=5, max_queue=None) as ws:
        frames = []
        while len(frames) < 5:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        return time.monotonic() - t0, frames


def one_run(k):
    with Project("wsstall%d" % k, YAML) as p:
        link = "/run/systemd/units/log-rate-limit-burst:" + p.unit("noisy")
        # journald caps a unit at ~37 500 lines per 30 s; lift it for this unit only (systemd-notes §4.6).
        os.makedirs("/run/systemd/units", exist_ok=True)
        if not os.path.lexists(link):
            os.symlink("0", link)
        stalled = None
        try:
            p.up("--ws-write-timeout", str(WRITE_TIMEOUT))
            pid = p.proc.pid
            wait_until(lambda: latest_line(p) > 1000, timeout=15, what="noisy's lines in the ring")
            seen = [latest_line(p)]

            stalled = subprocess.Popen([sys.executable, "-c", STALLED, p.socket,
                                        "/process/logs/ws?name=noisy&offset=0&follow=true",
                                        os.path.dirname(os.path.abspath(__file__))],
                                       stdout=subprocess.PIPE, text=True)
            ready = stalled.stdout.readline().split()
            assert ready[:2] == ["ready", "101"], ready
            server_inode = wait_until(lambda: server_peer_inode(int(ready[2])), timeout=5,
                                      what="the server end of the stalled connection")
            assert has_socket(pid, server_inode)
            dropped0 = metric(p, "pcctl_ws_dropped_lines_total") or 0
            evictions0 = metric(p, "pcctl_ws_evictions_total") or 0

            os.kill(stalled.pid, signal.SIGSTOP)
            # Full buffers: the client's receive queue stops growing (the server's writes block from then on)
            # and the ring overruns the stalled session, which starts losing lines.
            t_full = wait_buffers_full(int(ready[2]), quiet=0.2)
            wait_until(lambda: (metric(p, "pcctl_ws_dropped_lines_total") or 0) > dropped0, timeout=10,
                       interval=0.01, what="the stalled session to lose lines")
            assert has_socket(pid, server_inode), "evicted before the checks ran"

            # 1. pcctl process logs --tail 3 answers within 1 s
            t0 = time.monotonic()
            r = subprocess.run([PCCTL, "process", "logs", "-u", p.socket, "--tail", "3", "noisy"],
                               capture_output=True, text=True, timeout=10)
            dt = time.monotonic() - t0
            lines = r.stdout.splitlines()
            assert r.returncode == 0, r.stderr
            assert len(lines) == 3 and all(re.match(r"line-\d{6,} \d+$", x) for x in lines), lines
            nums = [int(x.split()[0][5:]) for x in lines]
            assert nums == sorted(nums) and nums[-1] - nums[0] == 2, nums
            assert dt < 1.0 * SLOW, "process logs --tail 3 took %.2fs" % dt

            # 2. a second follower gets frames within 1 s
            dt2, frames = asyncio.run(follower_first_frame(p.socket))
            assert all(f["process_name"] == "noisy" and f["message"].startswith("line-") for f in frames), frames
            assert dt2 < 1.0 * SLOW, "second follower needed %.2fs for 5 frames" % dt2

            # 3. the REST log range answers
            t0 = time.monotonic()
            r = p.get("/process/logs/noisy/0/3", timeout=5)
            assert r.status == 200 and len(r.json()["logs"]) == 3, r
            assert time.monotonic() - t0 < 1.0 * SLOW

            # 4. output capture never stopped
            seen.append(latest_line(p))
            assert seen[-1] > seen[-2], seen

            # 5. the server closes the stalled socket within the write timeout + 1 s
            wait_until(lambda: not has_socket(pid, server_inode), timeout=WRITE_TIMEOUT + 5, interval=0.02,
                       what="the server to close the stalled session's socket")
            t_closed = time.monotonic() - t_full
            assert t_closed <= WRITE_TIMEOUT + 1.0 * SLOW, "stalled socket closed after %.2fs" % t_closed
            assert (metric(p, "pcctl_ws_evictions_total") or 0) == evictions0 + 1

            # 6. SIGCONT on the stalled client disturbs nothing
            os.kill(stalled.pid, signal.SIGCONT)
            out, _ = stalled.communicate(timeout=10)
            assert out.split()[0] in ("eof", "close"), out
            assert p.get("/live").status == 200
            dt3, frames = asyncio.run(follower_first_frame(p.socket))
            assert dt3 < 1.0 * SLOW and frames[-1]["message"].startswith("line-")
            seen.append(latest_line(p))
            assert seen[-1] > seen[-2], seen
            assert p.proc.poll() is None, "controller died"
            print("  run %d: tail-3 %.0f ms, 2nd follower %.0f ms, stalled socket closed %.2f s after its buffers filled "
                  "(timeout %.1f s), lines %d→%d" % (k, dt * 1000, dt2 * 1000, t_closed, WRITE_TIMEOUT,
                                                   seen[0], seen[-1]), flush=True)
        finally:
            if stalled and stalled.poll() is None:
                os.kill(stalled.pid, signal.SIGCONT)
                stalled.kill()
                stalled.wait()
            try:
                os.unlink(link)
            except FileNotFoundError:
                pass


def test_stalled_follower_costs_only_itself():
    for k in range(RUNS):
        one_run(k)


main(globals())
