"""Client transport against a real `pcctl up`: TCP and unix socket, -a/-p/-u/-U and their environment
variables, authentication on and off (PC_API_TOKEN, --token-file, PC_API_TOKEN_PATH), the 401 message, and
connection refused (compat §3.1, §4.1, §4.3)."""
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import PCCTL, Project, main, wait_until  # noqa: E402

YAML = """
processes:
  web:
    command: "sleep 300"
  other:
    command: "sleep 300"
"""
TOKEN = "s3cret-token-0123456789-abcdef"
AUTH_MSG = "authentication failed: invalid or missing PC_API_TOKEN"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def clean_env(**kw):
    """The client's environment without any PC_* setting leaking in from the caller."""
    env = {k: "" for k in ("PC_ADDRESS", "PC_PORT_NUM", "PC_SOCKET_PATH", "PC_API_TOKEN", "PC_API_TOKEN_PATH")}
    env.update(kw)
    return env


def run(p, *args, env=None):
    e = dict(os.environ)
    for k in ("PC_ADDRESS", "PC_PORT_NUM", "PC_SOCKET_PATH", "PC_API_TOKEN", "PC_API_TOKEN_PATH"):
        e.pop(k, None)
    e.update(env or {})
    return subprocess.run([PCCTL, *args], cwd=p.dir, capture_output=True, text=True, timeout=60, env=e)


def ok_list(r):
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == "other\nweb\n", r.stdout


def test_tcp():
    port = free_port()
    with Project("cl-tcp", YAML, tcp_port=port) as p:
        p.up()
        ok_list(run(p, "process", "list", "-p", str(port)))
        ok_list(run(p, "list", "-a", "127.0.0.1", "--port", str(port)))
        ok_list(run(p, "list", "--address=localhost", "--port=%d" % port))
        ok_list(run(p, "list", env={"PC_PORT_NUM": str(port)}))
        ok_list(run(p, "list", env={"PC_PORT_NUM": str(port), "PC_ADDRESS": "127.0.0.1"}))
        # the flag beats the variable
        ok_list(run(p, "list", "-p", str(port), env={"PC_PORT_NUM": str(free_port())}))
        r = run(p, "process", "start", "web", "-p", str(port))
        assert r.returncode == 1 and "process web is already running" in r.stderr, r

        # the other verbs over TCP too
        P = ("-p", str(port))
        r = run(p, "process", "get", "web", "-o", "json", *P)
        assert r.returncode == 0 and '"name": "web"' in r.stdout, r
        r = run(p, "process", "restart", "web", *P)
        assert r.returncode == 0 and r.stdout == "Process web restarted\n", r
        r = run(p, "process", "stop", "web", *P)
        assert r.returncode == 0 and r.stdout == "Successfully stopped: 'web'\n", r
        wait_until(lambda: p.get("/process/web").json()["status"] == "Completed", what="web stopped")
        # ("other" keeps running, or the project would end with its last process)
        r = run(p, "process", "stop", "-v", "web", *P)
        assert r.returncode == 1, r
        assert r.stdout == "✘ Failed to stop web: process web is not running\n", r.stdout
        r = run(p, "project", "state", *P)
        assert r.returncode == 0 and r.stdout.startswith("Project:"), r
        r = run(p, "namespace", "ls", *P)
        assert r.returncode == 0 and r.stdout == "default\n", r
        r = run(p, "graph", *P)
        assert r.returncode == 0 and r.stdout == "Dependency Graph\n", r
        r = run(p, "process", "logs", "truncate", "web", *P)
        assert r.returncode == 0 and r.stdout == "Process web logs truncated\n", r
        r = run(p, "down", *P)
        assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r
        assert p.wait_exit(30) == 0



def test_connection_refused():
    with Project("cl-refused", YAML) as p:
        # invalid port settings are fatal before any request
        r = run(p, "list", env={"PC_PORT_NUM": "http"})
        assert r.returncode == 1 and "Invalid port number: http" in r.stderr, r
        r = run(p, "list", "-p", "70000")
        assert r.returncode == 1 and "invalid port" in r.stderr, r
        port = free_port()
        r = run(p, "process", "list", "-p", str(port))
        assert r.returncode == 1, r
        assert "connection refused" in r.stderr and ":%d" % port in r.stderr, r.stderr
        assert r.stdout == ""
        r = run(p, "down", "-a", "127.0.0.1", "-p", str(port))
        assert r.returncode == 1 and "connection refused" in r.stderr, r
        r = run(p, "namespace", "list", "-p", str(port))
        assert r.returncode == 1 and r.stdout.startswith("Failed to list namespaces: "), r
        # a unix socket path nobody listens on
        r = run(p, "process", "list", "-u", p.path("missing.sock"))
        assert r.returncode == 1 and "dial unix %s" % p.path("missing.sock") in r.stderr, r.stderr
        r = run(p, "project", "is-ready", env={"PC_SOCKET_PATH": p.path("missing.sock")})
        assert r.returncode == 1 and "missing.sock" in r.stderr, r.stderr


def test_unix_socket_env_and_flags():
    with Project("cl-uds", YAML) as p:
        p.up()
        ok_list(run(p, "list", "-u", p.socket))
        ok_list(run(p, "list", "--unix-socket", p.socket))
        ok_list(run(p, "list", env={"PC_SOCKET_PATH": p.socket}))
        # PC_SOCKET_PATH implies the socket even if a port is given
        ok_list(run(p, "list", "-p", str(free_port()), env={"PC_SOCKET_PATH": p.socket}))


def test_use_uds_discovers_the_controller_socket():
    with Project("cl-U", YAML) as p:
        tmp = p.path("tmp")
        os.makedirs(tmp)
        env = dict(os.environ, TMPDIR=tmp)
        env.pop("PC_SOCKET_PATH", None)
        up = subprocess.Popen([PCCTL, "up", "-t=false", "-U"], cwd=p.dir, env=env, stdin=subprocess.DEVNULL,
                              stdout=open(p.stdout_path, "w"), stderr=open(p.stderr_path, "w"),
                              start_new_session=True)
        p.proc = up
        sock = os.path.join(tmp, "process-compose-%d.sock" % up.pid)
        wait_until(lambda: os.path.exists(sock), timeout=15, what="the -U socket %s" % sock)
        ok_list(run(p, "list", "-U", env={"TMPDIR": tmp}))
        ok_list(run(p, "list", "--use-uds", env={"TMPDIR": tmp}))
        # with no live socket there, -U says so and how to fix it
        empty = p.path("empty")
        os.makedirs(empty)
        r = run(p, "list", "-U", env={"TMPDIR": empty})
        assert r.returncode == 1 and "-u" in r.stderr and "process-compose-<pid>.sock" in r.stderr, r.stderr
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=30)


def test_auth():
    with Project("cl-auth", YAML) as p:
        p.up(env={"PC_API_TOKEN": TOKEN}, wait=False)
        hdr = {"X-PC-Token-Key": TOKEN}
        wait_until(lambda: p.get("/live", headers=hdr).status == 200, timeout=15, what="/live with token")

        # no token, a wrong token: 401 → the message, exit 1
        for env in ({}, {"PC_API_TOKEN": "wrong-token-0123456789-abcdef"}):
            for args in (("process", "list"), ("project", "state"), ("down",), ("graph",),
                         ("process", "stop", "web"), ("project", "is-ready", "--wait")):
                r = run(p, *args, "-u", p.socket, env=env)
                assert r.returncode == 1, (args, env, r)
                assert r.stderr.strip() == AUTH_MSG, (args, r.stderr)
                assert r.stdout == "", (args, r.stdout)
            r = run(p, "namespace", "start", "default", "-u", p.socket, env=env)
            assert r.returncode == 1 and AUTH_MSG in r.stderr, r

        # the right token from each source
        ok_list(run(p, "list", "-u", p.socket, env={"PC_API_TOKEN": TOKEN}))
        tok = p.write("token", "  %s\n" % TOKEN)
        ok_list(run(p, "list", "-u", p.socket, "--token-file", tok))
        ok_list(run(p, "list", "-u", p.socket, env={"PC_API_TOKEN_PATH": tok}))
        # PC_API_TOKEN wins over the file
        bad = p.write("badtoken", "not-the-token-0123456789\n")
        ok_list(run(p, "list", "-u", p.socket, "--token-file", bad, env={"PC_API_TOKEN": TOKEN}))
        r = run(p, "list", "-u", p.socket, "--token-file", bad)
        assert r.returncode == 1 and r.stderr.strip() == AUTH_MSG, r
        # an unreadable token file is named
        r = run(p, "list", "-u", p.socket, "--token-file", p.path("nope"))
        assert r.returncode == 1 and p.path("nope") in r.stderr, r

        r = run(p, "process", "stop", "web", "-u", p.socket, env={"PC_API_TOKEN": TOKEN})
        assert r.returncode == 0 and r.stdout == "Successfully stopped: 'web'\n", r
        r = run(p, "down", "-u", p.socket, env={"PC_API_TOKEN": TOKEN})
        assert r.returncode == 0, r
        assert p.wait_exit(30) == 0


def test_auth_over_tcp():
    port = free_port()
    with Project("cl-auth-tcp", YAML, tcp_port=port) as p:
        p.up(env={"PC_API_TOKEN": TOKEN}, wait=False)
        wait_until(lambda: p.get("/live", headers={"X-PC-Token-Key": TOKEN}).status == 200, timeout=15,
                   what="/live with token")
        r = run(p, "list", "-p", str(port))
        assert r.returncode == 1 and r.stderr.strip() == AUTH_MSG, r
        ok_list(run(p, "list", "-p", str(port), env={"PC_API_TOKEN": TOKEN}))


main(globals())
