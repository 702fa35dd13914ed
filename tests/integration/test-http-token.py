#!/usr/bin/env python3
"""The API token as a secret (issue 13, "Token"): a token file readable by group or others gets a warning, and
the token never appears in a reply or in pcctl's output, whatever a client sends (wrong tokens included)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402

TOKEN = "s3cret-token-ABCDEFGHIJ-0123456789"
WRONG = "wrong-token-KLMNOPQRST-9876543210"
YAML = """
processes:
  a:
    command: exec sleep 600
"""


def run_with_token_file(mode):
    with Project("token%o" % mode, YAML) as p:
        tok = p.write("token", TOKEN + "\n")
        os.chmod(tok, mode)
        p.up("--token-file", tok, wait=False, env={"PC_LOG_LEVEL": "debug"})
        hdr = {"X-PC-Token-Key": TOKEN}
        wait_until(lambda: os.path.exists(p.socket) and p.get("/live", headers=hdr).status == 200, timeout=15,
                   what="/live with the token")
        replies = [p.get("/processes"), p.get("/processes", headers={"X-PC-Token-Key": WRONG}),
                   p.post("/project/stop", headers={"X-PC-Token-Key": TOKEN[:-1]}),
                   p.get("/process/logs/ws?name=a&offset=0&follow=true",
                         headers={"X-PC-Token-Key": WRONG, "Upgrade": "websocket", "Connection": "Upgrade"})]
        for r in replies:
            assert r.status == 401, r
            assert TOKEN not in r.body and WRONG not in r.body and TOKEN[:-1] not in r.body, r
            assert not any(TOKEN in v or WRONG in v for v in r.headers.values()), r.headers
        assert p.post("/project/stop", headers=hdr, timeout=30).status == 200
        assert p.wait_exit(30) == 0
        out = p.stdout() + p.stderr()
        assert TOKEN not in out and WRONG not in out, out[-2000:]
        return p.stderr()


def test_group_readable_token_file_warns():
    err = run_with_token_file(0o640)
    assert "token file" in err and "group or others" in err, err[-2000:]


def test_world_readable_token_file_warns():
    err = run_with_token_file(0o604)
    assert "group or others" in err, err[-2000:]


def test_private_token_file_does_not_warn():
    err = run_with_token_file(0o600)
    assert "group or others" not in err, err[-2000:]


if __name__ == "__main__":
    main(globals())
