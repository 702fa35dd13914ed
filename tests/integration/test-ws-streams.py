"""Both WebSocket streams against a real `pcctl up`, read with a real client library (Debian's python3-websockets):
exact frames of compat §3.4/§3.5, follow and batch modes, our resume and drop-notice parameters, the upgrade
refusals, and the client verbs `pcctl process logs` / `pcctl process monitor`."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import PCCTL, Project, main, wait_until  # noqa: E402
from ws_client_util import raw_upgrade  # noqa: E402

import websockets  # noqa: E402

YAML = """
processes:
  ticker:
    command: 'i=0; while [ $i -lt 100000 ]; do echo "tick $i <&>"; i=$((i+1)); sleep 0.05; done'
  short:
    command: 'echo one; echo two; echo three; sleep 1; exit 3'
    availability:
      restart: "no"
"""


async def collect(sock, path, n, timeout=5.0, **kw):
    """Up to n text frames, and how the connection ended (close code or None if still open)."""
    frames = []
    async with websockets.unix_connect(sock, "ws://localhost" + path, max_queue=None, **kw) as ws:
        try:
            while len(frames) < n:
                frames.append(await asyncio.wait_for(ws.recv(), timeout))
        except websockets.ConnectionClosed:
            return frames, ws.close_code
        return frames, None


def ticks(frames):
    return [int(json.loads(f)["message"].split()[1]) for f in frames]


def test_log_stream_frames_and_modes():
    with Project("wslogs", YAML) as p:
        p.up()
        wait_until(lambda: len(p.get("/process/logs/ticker/0/0").json()["logs"]) >= 10, what="10 ticks")

        # Batch: the last `offset` lines, exact frame bytes, then a normal close.
        frames, code = asyncio.run(collect(p.socket, "/process/logs/ws?name=ticker&offset=3&follow=false", 100))
        assert code == 1000, code
        assert len(frames) == 3, frames
        for f in frames:
            j = json.loads(f)
            assert list(j) == ["message", "process_name"], j
            assert j["process_name"] == "ticker"
            # Go's encoder: HTML characters escaped, one object per line
            assert f.endswith("}\n") and "\\u003c\\u0026\\u003e" in f, repr(f)
            assert j["message"].endswith("<&>")
        t = ticks(frames)
        assert t == list(range(t[0], t[0] + 3)), t

        # Follow: the tail, then live lines in order without gaps.
        frames, code = asyncio.run(collect(p.socket, "/process/logs/ws?name=ticker&offset=2&follow=true", 8))
        assert code is None and len(frames) == 8
        t = ticks(frames)
        assert t == list(range(t[0], t[0] + 8)), t

        # offset=0 means every buffered line; several names interleave on one connection.
        frames, code = asyncio.run(collect(p.socket, "/process/logs/ws?name=short,ticker&offset=0&follow=false",
                                           10000))
        assert code == 1000
        by = {}
        for f in frames:
            j = json.loads(f)
            by.setdefault(j["process_name"], []).append(j["message"])
        assert by["short"] == ["one", "two", "three"], by.get("short")
        assert len(by["ticker"]) >= 10

        # Resume: seq=true adds "seq"; since_seq continues without loss or duplicates.
        frames, _ = asyncio.run(collect(p.socket, "/process/logs/ws?name=ticker&offset=3&follow=false&seq=true", 3))
        j = [json.loads(f) for f in frames]
        assert [list(x) for x in j] == [["message", "process_name", "seq"]] * 3, j
        last = j[-1]["seq"]
        assert [x["seq"] for x in j] == [last - 2, last - 1, last]
        frames, _ = asyncio.run(collect(p.socket, "/process/logs/ws?name=ticker&follow=true&seq=true&since_seq=%d"
                                        % (last + 1), 5))
        j = [json.loads(f) for f in frames]
        assert [x["seq"] for x in j] == list(range(last + 1, last + 6)), j
        assert ticks(frames)[0] == ticks([json.dumps({"message": "tick %d" % (ticks(frames[:1])[0])})])[0]

        # Resuming behind the ring: the notice says how many lines were lost, then lines follow.
        frames, _ = asyncio.run(collect(p.socket, "/process/logs/ws?name=ticker&follow=false&since_seq=0"
                                        "&notify_drops=true&seq=true", 1))
        first = json.loads(frames[0])
        ring_first = last + 1 - len(p.get("/process/logs/ticker/0/0").json()["logs"])
        if ring_first > 0:
            assert first.get("dropped", 0) > 0 and first["process_name"] == "ticker", first

        # Unknown process: upgrade succeeds, no frames; the batch closes at once.
        frames, code = asyncio.run(collect(p.socket, "/process/logs/ws?name=nope&offset=0&follow=false", 5))
        assert frames == [] and code == 1000


def test_upgrade_refusals():
    with Project("wsrefuse", YAML) as p:
        p.up()
        s, status, head = raw_upgrade(p.socket, "/process/logs/ws?name=ticker&offset=abc&follow=true")
        assert status == 400, head
        body = s.recv(4096).decode()
        assert 'strconv.Atoi: parsing \\"abc\\": invalid syntax' in body, body
        s.close()
        s, status, head = raw_upgrade(p.socket, "/process/logs/ws?name=ticker&follow=true")
        assert status == 400, head
        s.close()
        # A foreign Origin is refused like gorilla's default CheckOrigin.
        r = p.get("/process/states/ws", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                 "Sec-WebSocket-Version": "13",
                                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                 "Origin": "http://evil.example"})
        assert r.status == 403, r
        r = p.get("/process/states/ws", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                 "Sec-WebSocket-Version": "8",
                                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        # gorilla answers 400 (not RFC 6455's 426)
        assert r.status == 400, r
        assert r.json() == {"error": "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' "
                                     "header"}, r


def test_state_stream_snapshot_and_events():
    with Project("wsstates", YAML) as p:
        p.up()
        wait_until(lambda: p.state("ticker") and p.state("ticker")["status"] == "Running", what="ticker running")

        async def watch():
            events = []
            async with websockets.unix_connect(p.socket, "ws://localhost/process/states/ws", max_queue=None) as ws:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    try:
                        f = await asyncio.wait_for(ws.recv(), 1)
                    except asyncio.TimeoutError:
                        continue
                    events.append(f)
                    j = json.loads(f)
                    if not j.get("snapshot") and j["state"]["name"] == "short" and not j["state"]["is_running"]:
                        break
                if len(events) < 2:
                    return events
                # restart the ticker: live events follow
                p.post("/process/restart/ticker")
                left_running = False
                while time.monotonic() < deadline + 10:
                    f = await asyncio.wait_for(ws.recv(), 10)
                    events.append(f)
                    j = json.loads(f)
                    if j["state"]["name"] != "ticker":
                        continue
                    if j["state"]["status"] != "Running":
                        left_running = True
                    elif left_running:
                        break
            return events

        events = [json.loads(f) for f in asyncio.run(watch())]
        snaps = [e for e in events if e.get("snapshot")]
        assert sorted(e["state"]["name"] for e in snaps) == ["short", "ticker"], snaps
        assert list(snaps[0]) == ["snapshot", "state"]
        live = [e for e in events if not e.get("snapshot")]
        assert all(list(e) == ["state"] for e in live), live
        end = [e for e in live if e["state"]["name"] == "short" and not e["state"]["is_running"]]
        assert end and end[-1]["state"]["exit_code"] == 3 and end[-1]["state"]["status"] == "Completed", end
        tick = [e["state"]["status"] for e in live if e["state"]["name"] == "ticker"]
        assert tick and tick[-1] == "Running" and any(x != "Running" for x in tick), tick

        # name filter
        async def filtered():
            async with websockets.unix_connect(p.socket, "ws://localhost/process/states/ws?name=%20ticker%20",
                                               max_queue=None) as ws:
                return [json.loads(await asyncio.wait_for(ws.recv(), 5))]
        f = asyncio.run(filtered())
        assert f[0]["state"]["name"] == "ticker" and f[0]["snapshot"] is True


def test_client_verbs():
    with Project("wsverbs", YAML) as p:
        p.up()
        wait_until(lambda: len(p.get("/process/logs/short/0/0").json()["logs"]) == 3, what="short's lines")
        r = p.pcctl("process", "logs", "-u", p.socket, "short")
        assert r.returncode == 0 and r.stdout == "one\ntwo\nthree\n", r
        r = p.pcctl("process", "logs", "-u", p.socket, "-n", "2", "short")
        assert r.stdout == "two\nthree\n", r
        r = p.pcctl("process", "logs", "-u", p.socket, "-n", "1", "short,ticker")
        lines = r.stdout.splitlines()
        assert "[short\t] three" in lines and any(x.startswith("[ticker\t] tick ") for x in lines), lines
        r = p.pcctl("process", "logs", "-u", p.socket, "-n", "1", "--raw-log", "short,ticker")
        assert "three" in r.stdout.splitlines(), r
        r = p.pcctl("process", "logs", "-u", p.socket, "-n", "x", "short")
        assert r.returncode == 1 and "-n, --tail" in r.stderr

        # -f: lines keep coming until Ctrl+C, which closes cleanly (exit 0).
        proc = subprocess.Popen([PCCTL, "process", "logs", "-u", p.socket, "-f", "-n", "1", "ticker"],
                                stdout=subprocess.PIPE, text=True)
        got = [proc.stdout.readline() for _ in range(4)]
        assert all(x.startswith("tick ") for x in got), got
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0

        # monitor: snapshot lines, json mode is one event per line
        proc = subprocess.Popen([PCCTL, "process", "monitor", "-u", p.socket, "-o", "json", "ticker"],
                                stdout=subprocess.PIPE, text=True)
        first = json.loads(proc.stdout.readline())
        assert first["snapshot"] is True and first["state"]["name"] == "ticker", first
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
        proc = subprocess.Popen([PCCTL, "process", "monitor", "-u", p.socket], stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        assert " snapshot " in line and ("ticker" in line or "short" in line), line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0


main(globals())
