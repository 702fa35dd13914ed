#!/usr/bin/env python3
"""A process's log ring lives as long as the process (issue 11): `POST /process` empties its log in place,
as process-compose's new buffer does, and a WebSocket follower that was attached before the update goes on
with the new run's lines, under sequence numbers that keep growing, without reconnecting."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import Project, main, wait_until  # noqa: E402

import websockets  # noqa: E402

YAML = """
processes:
  talker:
    command: 'i=0; while true; do echo "old $i"; i=$((i+1)); sleep 0.1; done'
"""

NEW_COMMAND = 'i=0; while true; do echo "new $i"; i=$((i+1)); sleep 0.1; done'


def messages(p):
    return [line["message"] if isinstance(line, dict) else line
            for line in p.get("/process/logs/talker/0/0").json()["logs"]]


async def follow_across_update(p):
    frames = []
    path = "/process/logs/ws?name=talker&offset=0&follow=true&seq=true&notify_drops=true"
    async with websockets.unix_connect(p.socket, "ws://localhost" + path, max_queue=None) as ws:
        while sum(1 for f in frames if f["message"].startswith("old ")) < 3:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        info = p.get("/process/info/talker").json()
        info["command"] = NEW_COMMAND
        r = await asyncio.get_running_loop().run_in_executor(None, lambda: p.post("/process", info))
        assert r.status == 200, r
        while sum(1 for f in frames if f.get("message", "").startswith("new ")) < 3:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 15)))
    return frames


def test_follower_keeps_following_across_an_update():
    with Project("logs-update", YAML) as p:
        p.up()
        p.wait_state("talker", lambda s: s["status"] == "Running")
        wait_until(lambda: any(m.startswith("old ") for m in messages(p)), what="the first line")
        frames = asyncio.run(follow_across_update(p))
        lines = [f for f in frames if "message" in f]
        seqs = [f["seq"] for f in lines]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
        # no drop notice: the follower read every line it was sent
        assert all("dropped" not in f for f in frames), frames
        new = [f for f in lines if f["message"].startswith("new ")]
        assert [f["message"] for f in new[:3]] == ["new 0", "new 1", "new 2"], new
        assert new[0]["seq"] > max(f["seq"] for f in lines if f["message"].startswith("old ")), lines
        # the log was emptied by the update: the old run's lines are gone from it (one may come late from
        # the journal, after the old run's end emptied it)
        wait_until(lambda: "new 3" in messages(p), what="the new run's fourth line")
        assert sum(m.startswith("old ") for m in messages(p)) <= 1, messages(p)


main(globals())
