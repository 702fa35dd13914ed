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


# ---- issue 13: stall = no progress, measured on the socket, over TCP ----

# process-compose PR #495's producer: a shell loop forking `date` for every line (a few hundred lines/s).
SLOW_YAML = """
processes:
  noisy:
    command: 'while true; do echo "slow-$$(date +%s%N)"; done'
"""

# The follower of the seed's repro: 4 KiB receive buffer, the handshake, then it never reads again (it stops
# itself). After SIGCONT it reads what is left and says how its connection ended.
STALLED_TCP = r"""
import base64, os, signal, socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % (path, port, base64.b64encode(os.urandom(16)).decode())).encode())
head = b""
while not head.endswith(b"\r\n\r\n"):
    head += s.recv(1)
print("ready %s %d" % (head.split(b" ")[1].decode(), s.getsockname()[1]), flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
s.settimeout(10)
buf, how = b"", "timeout"
try:
    while True:
        c = s.recv(65536)
        if not c:
            how = "eof"; break
        buf += c
except ConnectionResetError:
    how = "reset"
except socket.timeout:
    pass
# the last frame a server sent: a close frame is 0x88
i, last = 0, None
while i + 2 <= len(buf):
    ln, h = buf[i + 1] & 0x7f, 2
    if ln == 126:
        ln, h = int.from_bytes(buf[i + 2:i + 4], "big"), 4
    elif ln == 127:
        ln, h = int.from_bytes(buf[i + 2:i + 10], "big"), 10
    if i + h + ln > len(buf):
        break
    last = (buf[i], buf[i + h:i + h + ln])
    i += h + ln
code = int.from_bytes(last[1][:2], "big") if last and last[0] == 0x88 else 0
print("%s %d close=%d" % (how, len(buf), code), flush=True)
"""


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_send_q(port, cport):
    """Send-Q of the server's end of the connection to 127.0.0.1:cport, from ss(8); None once it is gone."""
    out = subprocess.run(["ss", "-tnH", "state", "all", "( sport = :%d and dport = :%d )" % (port, cport)],
                         capture_output=True, text=True).stdout.split()
    return int(out[2]) if len(out) >= 5 else None


class Watcher:
    """Polls /metrics and the stalled connection's Send-Q every 50 ms in a thread."""

    def __init__(self, p, port, cport, evictions0):
        import threading
        self.p, self.port, self.cport, self.evictions0 = p, port, cport, evictions0
        self.t_evicted, self.max_sendq, self.stop = None, 0, False
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop:
            q = tcp_send_q(self.port, self.cport)
            if q is not None and self.t_evicted is None:
                self.max_sendq = max(self.max_sendq, q)
            if self.t_evicted is None and (metric(self.p, "pcctl_ws_evictions_total") or 0) > self.evictions0:
                self.t_evicted = time.monotonic()
            time.sleep(0.05)


async def tcp_follower_first_frames(port, n=3):
    t0 = time.monotonic()
    async with websockets.connect("ws://127.0.0.1:%d/process/logs/ws?name=noisy&offset=1&follow=true" % port,
                                  open_timeout=5, max_queue=None) as ws:
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(n)]
        return time.monotonic() - t0, frames


def lift_rate_limit(p):
    link = "/run/systemd/units/log-rate-limit-burst:" + p.unit("noisy")
    os.makedirs("/run/systemd/units", exist_ok=True)
    if not os.path.lexists(link):
        os.symlink("0", link)
    return link


def seed_repro(tag, yaml_text, timeout):
    """The seed's exact repro (issue 13): a follower that handshakes and never reads is evicted within
    timeout + 1 s of its last read, while tail-3, a new follower and REST answer within 1 s throughout."""
    port = free_port()
    with Project("wsseed-%s" % tag, yaml_text, tcp_port=port) as p:
        link = lift_rate_limit(p)
        stalled = watcher = None
        try:
            p.up(*(["--ws-write-timeout", str(timeout)] if timeout else []))
            # noisy has been running for a while, as in PR #495: its history (300 lines, some 30 KB of frames)
            # is more than the follower's receive buffer holds, so the last byte the follower's kernel takes
            # comes right after the handshake, whatever the producer's pace on a loaded machine (at ~50
            # lines/s a 4 KiB buffer took 1.3 s to fill from live lines alone)
            wait_until(lambda: len(p.get("/process/logs/noisy/0/300").json()["logs"]) >= 300, timeout=30,
                       what="noisy's first 300 lines")
            limit = timeout or 10
            evictions0 = metric(p, "pcctl_ws_evictions_total") or 0
            stalled = subprocess.Popen([sys.executable, "-c", STALLED_TCP, str(port),
                                        "/process/logs/ws?name=noisy&offset=0&follow=true"],
                                       stdout=subprocess.PIPE, text=True)
            ready = stalled.stdout.readline().split()
            t_last_read = time.monotonic()
            assert ready[:2] == ["ready", "101"], ready
            cport = int(ready[2])
            watcher = Watcher(p, port, cport, evictions0)
            worst = {"tail": 0.0, "follower": 0.0, "rest": 0.0}
            checks = 0
            while watcher.t_evicted is None and time.monotonic() - t_last_read < limit + 3:
                t0 = time.monotonic()
                r = subprocess.run([PCCTL, "process", "logs", "-p", str(port), "--tail", "3", "noisy"],
                                   capture_output=True, text=True, timeout=10)
                worst["tail"] = max(worst["tail"], time.monotonic() - t0)
                assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, (r.returncode, r.stdout, r.stderr)
                dt, frames = asyncio.run(tcp_follower_first_frames(port))
                worst["follower"] = max(worst["follower"], dt)
                assert all(f["process_name"] == "noisy" for f in frames), frames
                t0 = time.monotonic()
                r = p.get("/process/logs/noisy/0/3", timeout=5)
                worst["rest"] = max(worst["rest"], time.monotonic() - t0)
                assert r.status == 200 and len(r.json()["logs"]) == 3, r
                checks += 1
                time.sleep(0.2)
            assert watcher.t_evicted is not None, "not evicted %.1f s after the last read (timeout %s)" % (
                time.monotonic() - t_last_read, limit)
            t_evict = watcher.t_evicted - t_last_read
            assert limit - 0.5 <= t_evict <= limit + 1.0 * SLOW, "evicted %.2f s after the last read" % t_evict
            for k, v in worst.items():
                assert v < 1.0 * SLOW, "%s took %.2f s while a follower was stalled" % (k, v)
            # the kernel buffer is bounded (SO_SNDBUF): the stalled connection never pinned more than this
            assert watcher.max_sendq <= 160 * 1024, "Send-Q reached %d bytes" % watcher.max_sendq
            # SIGCONT after the eviction disturbs nothing; the client sees its end
            os.kill(stalled.pid, signal.SIGCONT)
            out = stalled.communicate(timeout=20)[0].split()
            assert out and out[0] in ("eof", "reset"), out
            assert p.get("/live", timeout=1).status == 200
            dt, _ = asyncio.run(tcp_follower_first_frames(port))
            assert dt < 1.0 * SLOW, dt
            assert p.proc.poll() is None, "controller died"
            print("  %s: evicted %.2f s after the last read (timeout %d s), max Send-Q %d B, worst tail-3 %.0f ms, "
                  "follower %.0f ms, REST %.0f ms over %d rounds; client: %s" %
                  (tag, t_evict, limit, watcher.max_sendq, worst["tail"] * 1000, worst["follower"] * 1000,
                   worst["rest"] * 1000, checks, " ".join(out)), flush=True)
        finally:
            if watcher:
                watcher.stop = True
            if stalled and stalled.poll() is None:
                os.kill(stalled.pid, signal.SIGCONT)
                stalled.kill()
                stalled.wait()
            try:
                os.unlink(link)
            except FileNotFoundError:
                pass


def test_seed_repro_slow_producer_timeout_3s():
    seed_repro("slow3", SLOW_YAML, 3)


def test_seed_repro_slow_producer_default_timeout():
    seed_repro("slowdef", SLOW_YAML, None)


def test_seed_repro_fast_producer_timeout_3s():
    seed_repro("fast3", YAML, 3)


# 100 active followers beside 10 stalled ones: the active ones lose nothing beyond what is reported in band.
PACED_YAML = """
shell:
  shell_command: bash
  shell_argument: -c
processes:
  noisy:
    command: 'i=0; while true; do for k in 1 2 3 4 5 6 7 8 9 10; do printf "line-%06d\\n" $i; i=$((i+1)); done; sleep 0.02; done'
"""


def ws_connect_raw(port, path, rcvbuf=None):
    import base64
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (path, port, base64.b64encode(os.urandom(16)).decode())).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        c = s.recv(1)
        assert c, head
        head += c
    assert head.startswith(b"HTTP/1.1 101"), head
    s.setblocking(False)
    return s


def parse_frames(buf):
    """Complete unmasked frames at the start of buf: (list of (opcode, payload), bytes consumed)."""
    out, i = [], 0
    while i + 2 <= len(buf):
        ln, h = buf[i + 1] & 0x7f, 2
        if ln == 126:
            if i + 4 > len(buf):
                break
            ln, h = int.from_bytes(buf[i + 2:i + 4], "big"), 4
        elif ln == 127:
            if i + 10 > len(buf):
                break
            ln, h = int.from_bytes(buf[i + 2:i + 10], "big"), 10
        if i + h + ln > len(buf):
            break
        out.append((buf[i] & 0x0f, bytes(buf[i + h:i + h + ln])))
        i += h + ln
    return out, i


def test_100_active_followers_beside_10_stalled():
    import selectors
    port = free_port()
    with Project("wsmany", PACED_YAML, tcp_port=port) as p:
        link = lift_rate_limit(p)
        socks = []
        try:
            p.up("--ws-write-timeout", "2")
            wait_until(lambda: len(p.get("/process/logs/noisy/0/5").json()["logs"]) >= 5, timeout=15,
                       what="noisy's first lines")
            evictions0 = metric(p, "pcctl_ws_evictions_total") or 0
            path = "/process/logs/ws?name=noisy&offset=1&follow=true&seq=true&notify_drops=true"
            stalled = [ws_connect_raw(port, path, rcvbuf=4096) for _ in range(10)]
            socks += stalled
            active = [ws_connect_raw(port, path) for _ in range(100)]
            socks += active
            sel = selectors.DefaultSelector()
            state = {}
            for s in active:
                state[s] = {"buf": bytearray(), "last": None, "lines": 0, "dropped": 0, "expect": None}
                sel.register(s, selectors.EVENT_READ)
            t_end = time.monotonic() + 5
            while time.monotonic() < t_end:
                for key, _ in sel.select(0.1):
                    st = state[key.fileobj]
                    try:
                        data = key.fileobj.recv(262144)
                    except BlockingIOError:
                        continue
                    assert data, "an active follower was disconnected"
                    st["buf"] += data
                    frames, used = parse_frames(st["buf"])
                    del st["buf"][:used]
                    for op, payload in frames:
                        if op != 1:
                            continue
                        f = json.loads(payload)
                        if "dropped" in f:
                            st["dropped"] += f["dropped"]
                            st["expect"] = f["next_seq"]
                            continue
                        seq = f["seq"]
                        if st["expect"] is not None:
                            # every line after the previous one, or exactly where a drop notice said
                            assert seq == st["expect"], "line %d after %r: lost without notice" % (seq, st["last"])
                        st["expect"], st["last"] = seq + 1, seq
                        st["lines"] += 1
            lines = [st["lines"] for st in state.values()]
            dropped = sum(st["dropped"] for st in state.values())
            assert min(lines) > 500, lines   # ~500 lines/s for 5 s; every active follower kept up
            wait_until(lambda: (metric(p, "pcctl_ws_evictions_total") or 0) >= evictions0 + 10, timeout=5,
                       what="the 10 stalled followers to be evicted")
            assert (metric(p, "pcctl_ws_evictions_total") or 0) == evictions0 + 10, "an active follower was evicted"
            print("  100 active: %d..%d lines each, %d dropped in total (reported in band); 10 stalled evicted"
                  % (min(lines), max(lines), dropped), flush=True)
        finally:
            for s in socks:
                s.close()
            try:
                os.unlink(link)
            except FileNotFoundError:
                pass


main(globals())
