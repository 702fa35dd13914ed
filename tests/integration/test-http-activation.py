#!/usr/bin/python3
"""Socket activation: pcctl serves the API on the socket it is given (sd_listen_fds), with
systemd-socket-activate (TCP and unix) and with the units/ files run by the real user manager."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import (PCCTL, SOURCE_ROOT, Project, UnixHTTPConnection, cleanup_units, main,  # noqa: E402
                           systemctl, wait_until)

YAML = "processes:\n  sleeper:\n    command: sleep 600\n"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get_unix(path, url):
    c = UnixHTTPConnection(path, timeout=10)
    try:
        c.request("GET", url)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def get_tcp(port, url):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", url)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_socket_activate_unix():
    with Project("http-act-uds", YAML) as p:
        sock = p.path("act.sock")
        proc = subprocess.Popen(["systemd-socket-activate", "-E", "XDG_RUNTIME_DIR", "-l", sock, PCCTL, "up", "-t=false"], cwd=p.dir,
                                stdout=open(p.stdout_path, "w"), stderr=open(p.stderr_path, "w"),
                                start_new_session=True)
        try:
            wait_until(lambda: os.path.exists(sock), timeout=10, what="activation socket")
            # The first connection starts pcctl, which answers on the inherited socket.
            status, body = get_unix(sock, "/live")
            assert status == 200 and body == '{"status":"alive"}', (status, body)
            wait_until(lambda: '"status":"Running"' in get_unix(sock, "/process/sleeper")[1], timeout=15,
                       what="sleeper running")
            # The inherited socket replaces the default TCP listener: pcctl opened no socket of its own.
            # systemd-socket-activate execs pcctl: same pid.
            pid = proc.pid
            if proc.poll() is None:
                with open("/proc/net/tcp") as f:
                    listeners = [l.split()[9] for l in f.readlines()[1:] if l.split()[3] == "0A"]
                fds = []
                for fd in os.listdir("/proc/%d/fd" % pid):
                    try:
                        fds.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
                    except FileNotFoundError:
                        pass   # closed meanwhile (a connection of ours ending): not a listener
                mine = [fd[8:-1] for fd in fds if fd.startswith("socket:[")]
                assert not set(mine) & set(listeners), "pcctl listens on TCP too"
        finally:
            stop(proc)
        assert proc.returncode is not None


def test_socket_activate_tcp():
    port = free_port()
    with Project("http-act-tcp", YAML) as p:
        proc = subprocess.Popen(["systemd-socket-activate", "-E", "XDG_RUNTIME_DIR", "-l", "127.0.0.1:%d" % port,
                                 PCCTL, "up", "-t=false"],
                                cwd=p.dir, stdout=open(p.stdout_path, "w"), stderr=open(p.stderr_path, "w"),
                                start_new_session=True)
        try:
            wait_until(lambda: get_tcp(port, "/live")[0] == 200, timeout=15, what="/live on the activated port")
            status, body = get_tcp(port, "/processes")
            assert status == 200 and '"name":"sleeper"' in body, body
        finally:
            stop(proc)


def test_units():
    """units/pcctl@.socket + pcctl@.service, installed as runtime units under a unique name, with ExecStart
    pointing at this build."""
    tag = "pcctlt%d" % os.getpid()
    unit_dir = os.path.join(os.environ["XDG_RUNTIME_DIR"], "systemd", "user")
    os.makedirs(unit_dir, exist_ok=True)
    with open(os.path.join(SOURCE_ROOT, "units", "pcctl@.service")) as f:
        service = f.read().replace("ExecStart=pcctl ", "ExecStart=%s " % PCCTL).replace("pcctl@%i.socket",
                                                                                        tag + "@%i.socket")
    with open(os.path.join(SOURCE_ROOT, "units", "pcctl@.socket")) as f:
        sock_unit = f.read().replace("%t/pcctl/", "%%t/%s/" % tag)
    assert ("ExecStart=%s up" % PCCTL) in service
    svc_path = os.path.join(unit_dir, tag + "@.service")
    sock_path = os.path.join(unit_dir, tag + "@.socket")
    with open(svc_path, "w") as f:
        f.write(service)
    with open(sock_path, "w") as f:
        f.write(sock_unit)
    with Project("http-units", YAML) as p:
        inst = subprocess.run(["systemd-escape", "--path", p.dir], capture_output=True, text=True,
                              check=True).stdout.strip()
        sock = os.path.join(os.environ["XDG_RUNTIME_DIR"], tag, inst + ".sock")
        try:
            systemctl("daemon-reload", check=True)
            r = systemctl("start", "%s@%s.socket" % (tag, inst))
            assert r.returncode == 0, r.stderr
            wait_until(lambda: os.path.exists(sock), timeout=10, what=sock)
            assert oct(os.stat(sock).st_mode & 0o777) == "0o600"
            assert systemctl("is-active", "%s@%s.service" % (tag, inst)).stdout.strip() != "active"
            status, body = get_unix(sock, "/live")
            assert status == 200, (status, body)
            assert systemctl("is-active", "%s@%s.service" % (tag, inst)).stdout.strip() == "active"
            wait_until(lambda: '"status":"Running"' in get_unix(sock, "/process/sleeper")[1], timeout=15,
                       what="sleeper running under the service")
            status, body = get_unix(sock, "/project/name")
            assert p.name in body, body
        finally:
            systemctl("stop", "%s@%s.service" % (tag, inst), "%s@%s.socket" % (tag, inst))
            systemctl("reset-failed", "%s@%s.service" % (tag, inst))
            os.unlink(svc_path)
            os.unlink(sock_path)
            systemctl("daemon-reload")
            cleanup_units(p.name)


main(globals())
