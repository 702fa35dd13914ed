#!/usr/bin/python3
"""JSON replies are valid UTF-8 whatever a process prints (issue 14 item 6): an invalid byte of the process's
output, or of a name taken from the URL, becomes U+FFFD as Go's encoder writes it, so a strict parser
(Python's json.loads on the raw bytes) reads every reply."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, UnixHTTPConnection, main, wait_until  # noqa: E402

YAML = r"""
processes:
  bin:
    command: >-
      printf 'a\377b\n'; printf 'caf\303\251 \342\202\254\n'; exec sleep 600
"""


def raw_get(p, path):
    """GET path; returns (status, body bytes) without any decoding."""
    conn = UnixHTTPConnection(p.socket, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def strict_json(body):
    """json.loads on the raw bytes: raises on invalid UTF-8, as Python's strict decoder does."""
    return json.loads(body)


def test_logs_invalid_utf8():
    with Project("json-utf8", YAML) as p:
        p.up()
        p.wait_state("bin", lambda s: s["status"] == "Running")

        def two_lines():
            status, body = raw_get(p, "/process/logs/bin/0/10")
            return status == 200 and body.count(b"\n") == 0 and len(strict_json(body)["logs"]) >= 2
        wait_until(lambda: raw_get(p, "/process/logs/bin/0/10")[1].count(b"caf") > 0, timeout=10,
                   what="both lines in the ring")
        status, body = raw_get(p, "/process/logs/bin/0/10")
        assert status == 200, (status, body)
        assert b"\xff" not in body, body
        logs = strict_json(body)["logs"]
        # The invalid byte is one U+FFFD; valid multi-byte text passes unchanged.
        assert logs[:2] == ["a\ufffdb", "caf\u00e9 \u20ac"], logs
        assert two_lines()

        # A name from the URL, echoed in an error, follows the same rule.
        status, body = raw_get(p, "/process/logs/x%FFy/0/10")
        assert status >= 400, (status, body)
        err = strict_json(body)["error"]
        assert "\ufffd" in err and "x" in err and "y" in err, err
        status, body = raw_get(p, "/process/info/x%FFy")
        assert status >= 400 and "\ufffd" in strict_json(body)["error"], (status, body)

        # The process list and state carry only valid UTF-8.
        for path in ("/processes", "/process/bin", "/project/state", "/graph"):
            status, body = raw_get(p, path)
            assert status == 200, (path, status, body)
            strict_json(body)


main(globals())
