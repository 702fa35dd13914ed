#!/usr/bin/env python3
"""Browsers as hostile clients (issue 13 §2): origin and host checks against a live `pcctl up` over TCP.

A page the user visits may send "simple" cross-origin requests (no preflight) and, through DNS rebinding, make
its own host name point at 127.0.0.1. Each of these is refused with 403 and a JSON error, and the project keeps
running; curl-like clients (no Origin), pcctl's client verbs and a same-origin page keep working."""
import base64
import http.client
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main  # noqa: E402

YAML = """
processes:
  a:
    command: 'while true; do echo tick; sleep 0.2; done'
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def raw(port, method, path, headers, body=b"", addr="127.0.0.1"):
    """A request with exactly these headers (http.client would add its own Host)."""
    s = socket.create_connection((addr, port), timeout=10)
    try:
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        for k, v in headers:
            head += "%s: %s\r\n" % (k, v)
        head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        s.sendall(head.encode() + body)
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
            if data.startswith(b"HTTP/1.1 101") and b"\r\n\r\n" in data:
                break
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, rest


def upgrade_headers(host, origin=None):
    h = [("Host", host), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
         ("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode()), ("Sec-WebSocket-Version", "13")]
    if origin:
        h.append(("Origin", origin))
    return h


def assert_forbidden(status, hdrs, body, what):
    assert status == 403, "%s: expected 403, got %d %r" % (what, status, body[:200])
    assert hdrs.get("content-type", "").startswith("application/json"), (what, hdrs)
    assert "error" in json.loads(body), (what, body)


def assert_running(p, port):
    s, _, body = raw(port, "GET", "/process/a", [("Host", "127.0.0.1:%d" % port)])
    assert s == 200, body
    assert json.loads(body)["status"] == "Running", body
    assert p.proc.poll() is None


def test_browser_attacks_refused_and_normal_clients_work():
    port = free_port()
    with Project("origin", YAML, tcp_port=port) as p:
        p.up()
        p.wait_state("a", lambda s: s["status"] == "Running")

        # 1. the "simple" cross-origin POST a page can send without preflight
        st, h, b = raw(port, "POST", "/project/stop", [("Host", "evil.example:%d" % port),
                                                      ("Origin", "http://evil.example"),
                                                      ("Content-Type", "text/plain")], b"x")
        assert_forbidden(st, h, b, "cross-origin POST /project/stop")
        assert_running(p, port)
        # the same with a loopback Host: the Origin alone refuses it
        st, h, b = raw(port, "POST", "/project/stop", [("Host", "localhost:%d" % port),
                                                      ("Origin", "http://evil.example"),
                                                      ("Content-Type", "text/plain")], b"x")
        assert_forbidden(st, h, b, "cross-origin POST with a loopback Host")
        # a page of another local server (another port) is another origin too
        st, h, b = raw(port, "PATCH", "/process/stop/a", [("Host", "localhost:%d" % port),
                                                         ("Origin", "http://localhost:3000")])
        assert_forbidden(st, h, b, "cross-origin PATCH from another local port")
        st, h, b = raw(port, "PATCH", "/process/stop/a", [("Host", "localhost:%d" % port), ("Origin", "null")])
        assert_forbidden(st, h, b, "Origin: null")
        assert_running(p, port)

        # 2. a foreign Host (DNS rebinding: evil.example now resolves to 127.0.0.1), even without Origin
        st, h, b = raw(port, "GET", "/processes", [("Host", "evil.example:%d" % port)])
        assert_forbidden(st, h, b, "foreign Host")
        st, h, b = raw(port, "POST", "/project/stop", [("Host", "evil.example:%d" % port)])
        assert_forbidden(st, h, b, "foreign Host POST")
        assert_running(p, port)

        # 3. the cross-origin WebSocket upgrade, DNS-rebinding style: Origin and Host both the foreign site
        for path in ("/process/logs/ws?name=a&offset=0&follow=true", "/process/states/ws"):
            st, h, b = raw(port, "GET", path, upgrade_headers("evil.example:%d" % port,
                                                             "http://evil.example:%d" % port))
            assert_forbidden(st, h, b, "rebinding upgrade " + path)
            st, h, b = raw(port, "GET", path, upgrade_headers("localhost:%d" % port, "http://evil.example"))
            assert_forbidden(st, h, b, "cross-origin upgrade " + path)
        assert_running(p, port)

        # what keeps working: no Origin (curl, process-compose's client) ...
        st, h, b = raw(port, "GET", "/processes", [("Host", "localhost:%d" % port)])
        assert st == 200, b
        assert "access-control-allow-origin" not in h, h
        st, h, b = raw(port, "GET", "/live", [("Host", "[::1]:%d" % port)])
        assert st == 200, b
        st, h, b = raw(port, "GET", "/live", [("Host", "app.localhost:%d" % port)])
        assert st == 200, b
        # ... a same-origin page (the future dashboard): reads, a state change and the upgrade
        same = "http://localhost:%d" % port
        st, h, b = raw(port, "GET", "/processes", [("Host", "localhost:%d" % port), ("Origin", same)])
        assert st == 200, b
        assert "access-control-allow-origin" not in h, h
        st, h, b = raw(port, "PATCH", "/process/stop/nope", [("Host", "LOCALHOST:%d" % port),
                                                            ("Origin", "http://localhost:%d" % port)])
        assert st != 403, (st, b)
        st, h, b = raw(port, "GET", "/process/states/ws", upgrade_headers("127.0.0.1:%d" % port,
                                                                         "http://127.0.0.1:%d" % port))
        assert st == 101, (st, b)
        # ... pcctl's client verbs
        r = p.pcctl("process", "list", "-p", str(port))
        assert r.returncode == 0 and "a" in r.stdout, (r.returncode, r.stdout, r.stderr)
        # ... and curl-style clients through http.client
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/process/a")
        assert c.getresponse().status == 200
        c.close()
        assert_running(p, port)

        # a same-origin stop is a legitimate one
        st, h, b = raw(port, "POST", "/project/stop", [("Host", "localhost:%d" % port), ("Origin", same)])
        assert st == 200, (st, b)
        assert p.wait_exit(30) == 0


def test_allowed_host_flag():
    port = free_port()
    with Project("allowhost", YAML, tcp_port=port) as p:
        p.up("--allowed-host", "pcctl.example", "--allowed-host", "Other.Example:9999")
        p.wait_state("a", lambda s: s["status"] == "Running")
        st, h, b = raw(port, "GET", "/processes", [("Host", "pcctl.example:%d" % port)])
        assert st == 200, b
        st, h, b = raw(port, "GET", "/processes", [("Host", "other.example")])
        assert st == 200, b
        st, h, b = raw(port, "GET", "/processes", [("Host", "evil.example:%d" % port)])
        assert_forbidden(st, h, b, "a host not in --allowed-host")
        # an allowed host behind a proxy: same-origin requests from it work, other origins still do not
        st, h, b = raw(port, "PATCH", "/process/stop/nope", [("Host", "pcctl.example"),
                                                           ("Origin", "https://pcctl.example")])
        assert st != 403, (st, b)
        st, h, b = raw(port, "PATCH", "/process/stop/a", [("Host", "pcctl.example"),
                                                        ("Origin", "https://evil.example")])
        assert_forbidden(st, h, b, "a foreign origin on an allowed host")
        assert_running(p, port)


def test_unix_socket_is_exempt_from_host_checks():
    with Project("originuds", YAML) as p:
        p.up()
        p.wait_state("a", lambda s: s["status"] == "Running")
        # any Host over the unix socket (its file mode is the guard)
        r = p.get("/processes", headers={"Host": "whatever.example"})
        assert r.status == 200, r
        # but a cross-origin state change is still refused
        r = p.patch("/process/stop/a", headers={"Host": "whatever.example", "Origin": "http://evil.example"})
        assert r.status == 403, r
        assert p.state("a")["status"] == "Running"


if __name__ == "__main__":
    main(globals())
