#!/usr/bin/env python3
"""What N stalled log followers cost (issue 13, "Bounded kernel buffers"): a `pcctl up` on loopback with a fast
producer, N followers that handshake with a 4 KiB receive buffer and never read, then the sum of the server's
Send-Q over their connections (ss), pcctl's queued bytes (/metrics) and its RSS. Bounded: N sockets, one run,
a --ws-write-timeout long enough that nobody is evicted while it measures.

    XDG_RUNTIME_DIR=/run/user/0 bench/ws-stalled-memory.py [N] [--ws-send-buffer BYTES]
"""
import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PCCTL = os.environ.get("PCCTL_BIN", os.path.join(os.path.dirname(__file__), "..", "build", "pcctl"))
N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000
EXTRA = [a for a in sys.argv[1:] if not a.isdigit()]
YAML = """name: wsmem%d
shell:
  shell_command: bash
  shell_argument: -c
processes:
  noisy:
    command: 'i=0; while true; do printf "line-%%06d %%s\\\\n" $i "................................"; i=$((i+1)); done'
""" % os.getpid()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def metric(port, name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    m = re.search(r"^%s (\d+)" % re.escape(name), body, re.M)
    return int(m.group(1)) if m else 0


def follower(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET /process/logs/ws?name=noisy&offset=0&follow=true HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (port, base64.b64encode(os.urandom(16)).decode())).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def main():
    d = tempfile.mkdtemp(prefix="pcctl-wsmem-")
    with open(os.path.join(d, "process-compose.yaml"), "w") as f:
        f.write(YAML)
    port = free_port()
    up = subprocess.Popen([PCCTL, "up", "-t=false", "-p", str(port), "--ws-write-timeout", "120"] + EXTRA, cwd=d,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    socks = []
    try:
        for _ in range(100):
            try:
                metric(port, "pcctl_ws_sessions")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
        socks = [follower(port) for _ in range(N)]
        time.sleep(8)   # every buffer fills
        out = subprocess.run(["ss", "-tnH", "state", "established", "( sport = :%d )" % port],
                             capture_output=True, text=True).stdout.splitlines()
        sendq = sum(int(l.split()[1]) for l in out)   # no State column with a state filter
        queued = metric(port, "pcctl_ws_queued_bytes")
        with open("/proc/%d/status" % up.pid) as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) * 1024
        print("%d stalled followers (%s): Send-Q %.1f MiB (%.0f KiB each), queued %.1f MiB (%.0f KiB each), "
              "total %.1f MiB; pcctl RSS %.1f MiB; sessions %d" %
              (N, " ".join(EXTRA) or "default SO_SNDBUF", sendq / 2**20, sendq / N / 1024, queued / 2**20,
               queued / N / 1024, (sendq + queued) / 2**20, rss / 2**20, metric(port, "pcctl_ws_sessions")))
    finally:
        for s in socks:
            s.close()
        up.terminate()
        up.wait(30)
        subprocess.run(["rm", "-rf", d])


main()
