"""Small WebSocket helpers for the ws integration tests (Python standard library + Debian's websockets)."""
import base64
import os
import re
import socket
import subprocess
import time


def raw_upgrade(sock_path, path, rcvbuf=None):
    """Connects to the controller's unix socket, sends an upgrade request and reads exactly the 101 head.
    Returns the connected socket, positioned at the first frame."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(sock_path)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: unix\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        c = s.recv(1)
        if not c:
            raise AssertionError("connection closed during the handshake: %r" % head)
        head += c
    status = int(head.split(b" ", 2)[1])
    return s, status, head


def read_frame(s):
    """One unmasked server frame: (opcode, payload)."""
    def need(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise EOFError("connection closed")
            b += c
        return b
    h = need(2)
    op, ln = h[0] & 0x0f, h[1] & 0x7f
    assert h[1] & 0x80 == 0, "server frames are never masked"
    if ln == 126:
        ln = int.from_bytes(need(2), "big")
    elif ln == 127:
        ln = int.from_bytes(need(8), "big")
    return op, need(ln)


def server_peer_inode(client_inode):
    """The inode of the server end of a unix stream connection, from ss(8)."""
    out = subprocess.run(["ss", "-xn"], capture_output=True, text=True).stdout
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[0] == "u_str" and f[-1] == str(client_inode):
            return int(f[-3])
    return None


def recv_queue(inode):
    """Bytes waiting in the receive queue of a unix stream socket, from ss(8); None if not found."""
    out = subprocess.run(["ss", "-xn"], capture_output=True, text=True).stdout
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[0] == "u_str" and f[-3] == str(inode):
            return int(f[2])
    return None


def wait_buffers_full(inode, quiet=0.3, timeout=10):
    """Waits until the receive queue of a stopped reader stops growing for `quiet` seconds; returns the
    monotonic time of its last growth (when the server's writes started to block)."""
    deadline = time.monotonic() + timeout
    last, t_last = None, time.monotonic()
    while time.monotonic() < deadline:
        q = recv_queue(inode)
        now = time.monotonic()
        if q != last:
            last, t_last = q, now
        elif q and now - t_last >= quiet:
            return t_last
        time.sleep(0.02)
    raise AssertionError("the stalled reader's buffer kept changing (last %r)" % last)


def has_socket(pid, inode):
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%d]" % inode:
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def metric(project, name):
    r = project.get("/metrics")
    m = re.search(r"^%s (\d+)" % re.escape(name), r.body, re.M)
    return int(m.group(1)) if m else None
