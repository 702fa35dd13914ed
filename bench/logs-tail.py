#!/usr/bin/python3
"""One log client following a process's lines, as a user sees them: the client writes to a terminal (a pty,
so its stdio is line-buffered as it would be for a person), and this reads the terminal.

    logs-tail.py follow N TIMEOUT READY -- CMD...

Before it starts, the writer's process prints "warm" lines; the first one this sees shows that CMD follows the
log, and it creates the file READY. Then the writer (bench/logs-bench.c `write`) stamps each line with
CLOCK_REALTIME ns: "L <i> <ns>". This stops at line N-1, after TIMEOUT s without a new line (counted from
READY), or after 300 s. Prints one
JSON object: lines received (distinct indexes), latency write()->read p50/p99/max in ms, and lines/s from the
first line's write() to the last line's arrival (the rate the client keeps up with).
With LOGS_TAIL_PIPE=1 in the environment the client writes to a pipe instead (as in `... -f | grep`).
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

LINE = re.compile(rb"L (\d+) (\d+)")


def pct(v, p):
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))] if v else None


def follow(n, timeout, ready, cmd):
    if os.environ.get("LOGS_TAIL_PIPE"):
        master, slave = os.pipe()
    else:
        master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    os.close(slave)
    seen, lat, buf = set(), [], b""
    attached = False
    first_ns = last_ns = None
    last_progress, deadline = time.monotonic(), time.monotonic() + 300
    done = False
    while not done:
        now = time.monotonic()
        if (attached and now - last_progress > timeout) or now > deadline:
            break
        r, _, _ = select.select([master], [], [], 0.2)
        if not r:
            continue
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:         # the client exited and the pty closed
            break
        if not chunk:
            break
        t = time.time_ns()
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if not attached and b"warm" in line:
                attached = True
                last_progress = time.monotonic()
                open(ready, "w").close()
            m = LINE.search(line)
            if not m:
                continue
            i, ns = int(m.group(1)), int(m.group(2))
            if i in seen:
                continue
            seen.add(i)
            lat.append((t - ns) / 1e6)
            if i == 0:
                first_ns = ns
            last_ns = t
            last_progress = time.monotonic()
            if i == n - 1:
                done = True
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    proc.wait()
    os.close(master)
    lat.sort()
    rate = None
    if first_ns is not None and last_ns and last_ns > first_ns:
        rate = len(seen) / ((last_ns - first_ns) / 1e9)
    print(json.dumps({"received": len(seen), "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                      "max_ms": lat[-1] if lat else None, "lines_per_s": rate}))


if __name__ == "__main__":
    if len(sys.argv) > 5 and sys.argv[1] == "follow" and sys.argv[5] == "--":
        follow(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[6:])
    else:
        sys.exit("usage: logs-tail.py follow N TIMEOUT READY -- CMD...")
