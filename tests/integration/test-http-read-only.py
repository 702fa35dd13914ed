"""pcctl up --read-only: every state-changing route (POST, PATCH, DELETE) is refused with 403 and an error
body, nothing changes; GETs, the log and state streams, and the client verbs that only read still work."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main  # noqa: E402
from ws_client_util import raw_upgrade, read_frame  # noqa: E402

YAML = """
processes:
  web:
    command: "echo hello from web && sleep 300"
"""

REFUSED = [
    ("POST", "/process", {"name": "web", "command": "sleep 1"}),
    ("DELETE", "/process/logs/web", None),
    ("PATCH", "/process/stop/web", None),
    ("PATCH", "/process/signal/web/15", None),
    ("PATCH", "/processes/stop", ["web"]),
    ("POST", "/process/start/web", None),
    ("POST", "/process/restart/web", None),
    ("POST", "/process/send-keys/web", {"keys": "x"}),
    ("PATCH", "/process/scale/web/2", None),
    ("POST", "/project/stop", None),
    ("POST", "/project", {"processes": {}}),
    ("POST", "/project/configuration", None),
    ("POST", "/namespace/start/default", None),
    ("POST", "/namespace/stop/default", None),
    ("POST", "/namespace/restart/default", None),
]


def test_read_only():
    with Project("ro", YAML) as p:
        p.up("--read-only")
        s = p.wait_state("web", lambda s: s["status"] == "Running")
        pid = s["pid"]
        for method, path, body in REFUSED:
            r = p.request(method, path, body)
            assert r.status == 403, (method, path, r)
            assert r.json() == {"error": "read-only mode: the API does not change the project"}, (method, path, r)
        # nothing changed
        s = p.state("web")
        assert s["status"] == "Running" and s["pid"] == pid and s["restarts"] == 0, s
        # an unknown route is still 404
        assert p.request("POST", "/no/such/route").status == 404
        # reads work
        for path in ("/live", "/processes", "/process/web", "/process/info/web", "/project/state", "/graph",
                     "/namespaces", "/project/name", "/process/logs/web/0/10", "/metrics"):
            r = p.get(path)
            assert r.status == 200, (path, r)
        assert "hello from web" in p.get("/process/logs/web/0/10").body
        # the streams still work (they are GET upgrades)
        s, status, head = raw_upgrade(p.socket, "/process/logs/ws?name=web&offset=10&follow=true")
        try:
            assert status == 101, head
            op, payload = read_frame(s)
            assert op == 1 and b"hello from web" in payload, (op, payload)
        finally:
            s.close()
        s, status, head = raw_upgrade(p.socket, "/process/states/ws")
        try:
            assert status == 101, head
            op, payload = read_frame(s)
            assert op == 1 and b'"web"' in payload, (op, payload)
        finally:
            s.close()
        # client verbs: reading works, changing is refused with the server's message and exit 1
        r = p.pcctl("process", "list", "-u", p.socket)
        assert r.returncode == 0 and "web" in r.stdout, r
        r = p.pcctl("process", "stop", "web", "-u", p.socket)
        assert r.returncode == 1 and "read-only mode" in r.stderr, r
        assert p.state("web")["status"] == "Running"
        # the project still ends on a signal
        p.close()


def test_read_only_env():
    """PC_READ_ONLY (any value, as process-compose reads it) turns it on too."""
    with Project("roenv", YAML) as p:
        p.up(env={"PC_READ_ONLY": "1"})
        p.wait_state("web", lambda s: s["status"] == "Running")
        assert p.request("POST", "/process/restart/web").status == 403


main(globals())
