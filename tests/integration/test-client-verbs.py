"""Client verbs (process, project, namespace, graph, down, list) against a real `pcctl up`, over the unix
socket: each verb's output and exit code as compat §4.2/§4.3 describe them."""
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402

YAML = """
processes:
  web:
    command: "sleep 300"
  api/v1:
    command: "sleep 300"
    depends_on:
      web:
        condition: process_started
  batch:
    command: "echo done"
  off:
    command: "sleep 300"
    disabled: true
  worker:
    command: "sleep 300"
    namespace: infra
"""


def cli(p, *args, **kw):
    return p.pcctl(*args, "-u", p.socket, **kw)


def expect(r, rc, stdout=None, stderr_has=None, stdout_has=None):
    msg = "pcctl exited %d (want %d)\nstdout: %r\nstderr: %r" % (r.returncode, rc, r.stdout, r.stderr)
    assert r.returncode == rc, msg
    if stdout is not None:
        assert r.stdout == stdout, msg
    if stdout_has is not None:
        assert stdout_has in r.stdout, msg
    if stderr_has is not None:
        assert stderr_has in r.stderr, msg


def state(p, name):
    """GET /process/NAME with the name as one escaped segment (names here contain '/')."""
    r = p.get("/process/" + urllib.parse.quote(name, safe=""))
    return r.json() if r.status == 200 else None


def wait_state(p, name, pred, what=None, timeout=15):
    return wait_until(lambda: (lambda s: s if s and pred(s) else None)(state(p, name)), timeout=timeout,
                      what=what or "state of %s" % name)


def running(p, name):
    return wait_state(p, name, lambda s: s["status"] == "Running", what="%s Running" % name)


def test_list_get_and_formats():
    with Project("cl-list", YAML) as p:
        p.up()
        running(p, "web")
        running(p, "api/v1")
        names = sorted(["web", "api/v1", "batch", "off", "worker"])

        r = cli(p, "process", "list")
        expect(r, 0, stdout="".join(n + "\n" for n in names))
        # the aliases, with the option before the verb as well
        expect(p.pcctl("list", "-u", p.socket), 0, stdout=r.stdout)
        expect(cli(p, "ls"), 0, stdout=r.stdout)

        r = cli(p, "process", "list", "-o", "json")
        expect(r, 0)
        states = json.loads(r.stdout)
        assert [s["name"] for s in states] == names, states
        assert "\n\t{\n\t\t\"name\": " in r.stdout, r.stdout[:200]   # tab-indented like Go's MarshalIndent
        web = [s for s in states if s["name"] == "web"][0]
        assert web["status"] == "Running" and web["pid"] > 0, web

        r = cli(p, "process", "list", "-o", "wide")
        expect(r, 0)
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["PID", "NAME", "NAMESPACE", "STATUS", "AGE", "HEALTH", "RESTARTS",
                                    "EXITCODE"], lines[0]
        assert lines[0].endswith("   "), repr(lines[0])
        rows = {ln.split()[1]: ln.split() for ln in lines[1:]}
        assert set(rows) == set(names), rows
        assert rows["web"][3] == "Running" and int(rows["web"][0]) == web["pid"], rows["web"]
        assert rows["worker"][2] == "infra", rows["worker"]
        assert rows["off"][3] == "Disabled", rows["off"]

        # get: wide by default, JSON array of one with -o json
        r = cli(p, "process", "get", "web")
        expect(r, 0)
        assert r.stdout.splitlines()[0].split()[0] == "PID" and len(r.stdout.splitlines()) == 2, r.stdout
        r = cli(p, "process", "get", "api/v1", "-o", "json")
        expect(r, 0)
        got = json.loads(r.stdout)
        assert isinstance(got, list) and len(got) == 1 and got[0]["name"] == "api/v1", got

        # an unknown process: the server's 400 text, exit 1
        r = cli(p, "process", "get", "nope")
        expect(r, 1, stdout="", stderr_has="no such process")
        # a bad output format is refused before any request
        expect(cli(p, "process", "list", "-o", "yaml"), 1, stderr_has="unknown output format yaml")


def test_start_stop_restart():
    with Project("cl-ssr", YAML) as p:
        p.up()
        running(p, "web")
        running(p, "api/v1")

        r = cli(p, "process", "stop", "web")
        expect(r, 0, stdout="Successfully stopped: 'web'\n")
        wait_state(p, "web", lambda s: s["status"] == "Completed", what="web stopped")

        # stopping what is not running: 207 from the server, exit 1
        r = cli(p, "process", "stop", "web")
        expect(r, 1, stdout="Failed to stop: 'web'\n")
        r = cli(p, "process", "stop", "api/v1", "web")
        expect(r, 1, stdout="Successfully stopped 'api/v1' but encountered failures for: 'web'\n")
        r = cli(p, "process", "stop", "-v", "web", "nope")
        expect(r, 1)
        assert r.stdout.startswith("✘ Failed to stop web: process web is not running\n"), r.stdout
        assert "✘ Failed to stop nope: " in r.stdout or "✘ Unknown status for process nope" in r.stdout, r.stdout

        r = cli(p, "process", "start", "web")
        expect(r, 0, stdout="Process web started\n")
        running(p, "web")
        r = cli(p, "process", "start", "web")
        expect(r, 1, stdout="", stderr_has="process web is already running")
        r = cli(p, "process", "start", "nope")
        expect(r, 1, stderr_has="no such process: nope")

        # names with '/' go as one percent-encoded segment
        r = cli(p, "process", "start", "api/v1")
        expect(r, 0, stdout="Process api/v1 started\n")
        running(p, "api/v1")
        old = state(p, "api/v1")["pid"]
        r = cli(p, "process", "restart", "api/v1")
        expect(r, 0, stdout="Process api/v1 restarted\n")
        st = wait_state(p, "api/v1", lambda s: s["status"] == "Running" and s["pid"] != old,
                          what="api/v1 restarted")
        assert st["pid"] != old

        r = cli(p, "process", "stop", "-v", "web", "api/v1")
        expect(r, 0, stdout="✓ Successfully stopped web\n✓ Successfully stopped api/v1\n")

        # usage errors
        expect(cli(p, "process", "stop"), 1, stderr_has="expected at least 1 argument")
        expect(cli(p, "process", "start", "a", "b"), 1, stderr_has="expected 1 argument")
        expect(cli(p, "process", "bogus"), 1, stderr_has="unknown command 'bogus'")


def test_scale_ports_truncate():
    port = free_port()
    yaml = YAML + """
  srv:
    command: "exec python3 -m http.server %d --bind 127.0.0.1"
""" % port
    with Project("cl-misc", yaml) as p:
        p.up()
        running(p, "web")
        running(p, "srv")

        def ports_ok():
            r = cli(p, "process", "ports", "srv")
            return r if r.returncode == 0 and str(port) in r.stdout else None
        r = wait_until(ports_ok, timeout=15, what="srv listening")
        assert r.stdout == "Process srv TCP ports: [%d]\n" % port, r.stdout

        r = cli(p, "process", "ports", "web")
        expect(r, 0, stdout="Process web TCP ports: []\n")
        cli(p, "process", "stop", "batch")
        r = cli(p, "process", "ports", "batch")
        expect(r, 1, stderr_has="not running")

        r = cli(p, "process", "logs", "truncate", "batch")
        expect(r, 0, stdout="Process batch logs truncated\n")
        assert p.get("/process/logs/batch/0/0").json()["logs"] == []

        expect(cli(p, "process", "scale", "web", "x"), 1, stderr_has="second argument must be an integer")
        expect(cli(p, "process", "scale", "web", "0"), 1, stderr_has="cannot scale process web")
        r = cli(p, "process", "scale", "web", "2")
        expect(r, 0)
        wait_until(lambda: len([n for n in p.states() if n.startswith("web")]) == 2, timeout=15,
                   what="two web replicas")


def test_project_state():
    yaml = """
processes:
  slow:
    command: "sleep 300"
  batch:
    command: "echo ok"
  off:
    command: "sleep 300"
    disabled: true
"""
    with Project("cl-ready", yaml) as p:
        p.up()
        running(p, "slow")
        # `batch` counts as running until it has ended
        p.wait_state("batch", lambda s: s["status"] == "Completed")

        r = cli(p, "project", "state")
        expect(r, 0)
        lines = r.stdout.splitlines()
        assert lines[0].startswith("Project:           ") and lines[0].endswith(p.name), lines
        keys = [ln.split(":")[0] for ln in lines if not ln.startswith("\t")]
        assert keys[:7] == ["Project", "User", "Version", "Up Time", "Processes", "Running Processes",
                            "File Names"], keys
        assert "Processes:         3" in lines, lines
        assert "Running Processes: 1" in lines, lines
        assert "\t - %s" % p.path("process-compose.yaml") in lines or "\t - process-compose.yaml" in lines, lines
        r = cli(p, "project", "state", "--with-memory")
        expect(r, 0, stdout_has="Running Processes: ")

        expect(cli(p, "project", "state", "--wait"), 1, stderr_has="--wait applies to 'is-ready' only")


def test_is_ready_health_probe():
    yaml = """
processes:
  slow:
    command: "sleep 300"
    readiness_probe:
      exec:
        command: "test -f ready-flag"
      period_seconds: 1
  batch:
    command: "echo ok"
  off:
    command: "sleep 300"
    disabled: true
"""
    with Project("cl-probe", yaml) as p:
        p.up()
        running(p, "slow")
        r = cli(p, "project", "is-ready")
        expect(r, 1, stdout="")
        # a probe that has not passed yet: "-" reads as Unknown, or "Not Ready" once it failed
        assert r.stderr in ("processes are not ready:\n• slow (health is Unknown)\n",
                            "processes are not ready:\n• slow (health is Not Ready)\n"), r.stderr

        # --wait returns once the probe passes
        import subprocess
        from pcctl_harness import PCCTL
        w = subprocess.Popen([PCCTL, "project", "is-ready", "--wait", "-u", p.socket], cwd=p.dir,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)
            assert w.poll() is None, "is-ready --wait returned before the probe passed"
            with open(p.path("ready-flag"), "w"):
                pass
            wait_state(p, "slow", lambda s: s["is_ready"] == "Ready", timeout=15,
                       what="the controller to report slow Ready (is its readiness probe running?)")
            out, err = w.communicate(timeout=10)
            assert w.returncode == 0, (w.returncode, out, err)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        expect(cli(p, "project", "is-ready"), 0, stdout="")


def test_is_ready_wait_polls():
    # No probes: "slow" stays Pending (not ready) until "gate" completes, which it does once the flag exists.
    yaml = """
processes:
  gate:
    command: "while [ ! -f ready-flag ]; do sleep 0.2; done"
  slow:
    command: "sleep 300"
    depends_on:
      gate:
        condition: process_completed_successfully
"""
    import subprocess
    from pcctl_harness import PCCTL
    with Project("cl-wait", yaml) as p:
        p.up()
        running(p, "gate")
        r = cli(p, "project", "is-ready")
        expect(r, 1, stdout="")
        assert r.stderr == "processes are not ready:\n• slow (status is Pending)\n", r.stderr

        w = subprocess.Popen([PCCTL, "project", "is-ready", "--wait", "-u", p.socket], cwd=p.dir,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        assert w.poll() is None, "is-ready --wait returned before the project was ready"
        with open(p.path("ready-flag"), "w"):
            pass
        out, err = w.communicate(timeout=30)
        assert w.returncode == 0, (w.returncode, out, err)
        assert out == "" and err == "", (out, err)
        assert state(p, "slow")["status"] == "Running"
        expect(cli(p, "project", "is-ready"), 0, stdout="")


def test_is_ready_exit_code_reason():
    yaml = """
processes:
  bad:
    command: "exit 3"
  fine:
    command: "exit 0"
  off:
    command: "sleep 300"
    disabled: true
  up:
    command: "sleep 300"
"""
    with Project("cl-exit", yaml) as p:
        p.up()
        wait_state(p, "bad", lambda s: s["status"] == "Completed", what="bad completed")
        wait_state(p, "fine", lambda s: s["status"] == "Completed", what="fine completed")
        r = cli(p, "project", "is-ready")
        expect(r, 1, stdout="")
        assert r.stderr == "processes are not ready:\n• bad (failed with exit code 3)\n", r.stderr


def test_namespaces():
    with Project("cl-ns", YAML) as p:
        p.up()
        running(p, "worker")

        for verb in ("list", "ls"):
            expect(cli(p, "namespace", verb), 0, stdout="default\ninfra\n")
        expect(cli(p, "ns", "ls"), 0, stdout="default\ninfra\n")

        r = cli(p, "namespace", "stop", "infra")
        expect(r, 0, stdout="Namespace 'infra' stopped successfully\n")
        # the stop is over when the process has ended (Terminating is not running either)
        wait_state(p, "worker", lambda s: s["status"] == "Completed", what="worker stopped")
        assert state(p, "web")["status"] == "Running"

        r = cli(p, "ns", "start", "infra")
        expect(r, 0, stdout="Namespace 'infra' started successfully\n")
        running(p, "worker")
        old = state(p, "worker")["pid"]

        r = cli(p, "namespace", "restart", "infra", timeout=90)
        expect(r, 0, stdout="Namespace 'infra' restarted successfully\n")
        wait_state(p, "worker", lambda s: s["status"] == "Running" and s["pid"] != old, what="worker restarted")

        r = cli(p, "namespace", "start", "nope")
        expect(r, 1)
        assert r.stdout.startswith("Failed to start namespace 'nope': "), r.stdout
        assert "nope" in r.stdout[len("Failed to start namespace 'nope': "):], r.stdout


def test_graph():
    with Project("cl-graph", YAML) as p:
        p.up()
        running(p, "api/v1")

        r = cli(p, "graph")
        expect(r, 0, stdout="Dependency Graph\n"
                            "└── api/v1 [Running]\n"
                            "    └── web <started> [Running]\n")
        r = cli(p, "graph", "-f", "json")
        expect(r, 0)
        g = json.loads(r.stdout)
        assert g == p.get("/graph").json(), (g, p.get("/graph").body)
        assert g["nodes"]["api/v1"]["depends_on"]["web"]["dependency_type"] == "started", g
        assert "\n  \"nodes\": {" in r.stdout, r.stdout
        r = cli(p, "graph", "--format", "mermaid")
        expect(r, 0, stdout="flowchart LR\n    api/v1 --> web\n\n")
        expect(cli(p, "graph", "-f", "yaml"), 1, stderr_has="unknown format 'yaml'")


def test_project_update():
    with Project("cl-update", YAML) as p:
        p.up()
        running(p, "web")

        # the same file again: nothing changes
        r = cli(p, "project", "update", "-f", p.path("process-compose.yaml"))
        expect(r, 0, stdout="No processes were updated\n")

        text = open(p.path("process-compose.yaml")).read()
        text = text.replace('command: "sleep 300"\n  api/v1', 'command: "sleep 301"\n  api/v1', 1)
        text += "  extra:\n    command: \"sleep 300\"\n"
        p.write("v2.yaml", text.replace("  worker:\n    command: \"sleep 300\"\n    namespace: infra\n", ""))
        r = cli(p, "project", "update", "-v", "-f", p.path("v2.yaml"), timeout=90)
        expect(r, 0)
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["PROCESS", "STATUS"], lines
        rows = {ln.split()[1]: (ln.split()[0], ln.split()[2]) for ln in lines[1:]}
        assert rows.get("web") == ("↺", "updated"), rows
        assert rows.get("extra") == ("▲", "added"), rows
        assert rows.get("worker") == ("▼", "removed"), rows
        running(p, "extra")

        p.write("v3.yaml", text.replace("sleep 301", "sleep 302"))
        r = cli(p, "project", "update", "-f", p.path("v3.yaml"), timeout=90)
        expect(r, 0, stdout="Project updated successfully\n")

        # -f is required (PC_CONFIG_FILES unset); a broken file fails before any request
        env = {"PC_CONFIG_FILES": ""}
        r = p.pcctl("project", "update", "-u", p.socket, env=env)
        expect(r, 1, stderr_has="config")
        p.write("bad.yaml", "processes: [\n")
        expect(cli(p, "project", "update", "-f", p.path("bad.yaml")), 1, stderr_has="Failed to load project")


def test_down():
    with Project("cl-down", YAML) as p:
        p.up()
        running(p, "web")
        r = cli(p, "down", timeout=90)
        expect(r, 0, stdout="", )
        assert r.stderr == "", r.stderr
        assert p.wait_exit(30) == 0
        # nobody listens any more: the client fails with exit 1
        r = cli(p, "down")
        expect(r, 1, stderr_has="failed to stop project")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


main(globals())
