"""pcctl logs against the real journal: byte-identical to journalctl for the same entries, filters, several
processes in one time-ordered view, compose-file project discovery, and -f seeing a new line."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pcctl_harness import PCCTL, escape, main, systemctl, wait_until  # noqa: E402

PROJECT = "t%d-cli" % os.getpid()
ESC = escape(PROJECT)


def ident(proc):
    return "pcctl-%s-%s" % (ESC, escape(proc))


def run_unit(proc, script, wait=True):
    i = ident(proc)
    args = ["systemd-run", "--user", "-q", "--unit=%s.service" % i, "-p", "SyslogIdentifier=%s" % i]
    args += ["--wait"] if wait else ["--no-block"]
    args += [PCCTL, "__exec", i, "--", "sh", "-c", script]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    systemctl("reset-failed", "%s.service" % i)


def journal_matches(procs):
    terms = []
    for field in ("SYSLOG_IDENTIFIER", "_SYSTEMD_UNIT", "_SYSTEMD_USER_UNIT"):
        if terms:
            terms.append("+")
        for p in procs:
            terms.append("%s=%s%s" % (field, ident(p), "" if field == "SYSLOG_IDENTIFIER" else ".service"))
    for field in ("OBJECT_SYSTEMD_UNIT", "OBJECT_SYSTEMD_USER_UNIT"):
        terms += ["+", "MESSAGE_ID=a596d6fe7bfa4994828e72309e95d61e"]
        terms += ["%s=%s.service" % (field, ident(p)) for p in procs]
    return terms


def journalctl(*args):
    return subprocess.run(["journalctl", "--no-pager", *args], capture_output=True, timeout=60).stdout


COMPOSE_DIR = tempfile.mkdtemp(prefix="logscli-")
with open(os.path.join(COMPOSE_DIR, "process-compose.yaml"), "w") as _f:
    _f.write("name: %s\nprocesses:\n  web:\n    command: echo\n  db:\n    command: echo\n" % PROJECT)


def pcctl_logs(*args, cwd=None):
    """pcctl logs in a directory whose compose file names the project (fast: no identifier scan)."""
    if args[:1] == ("--project",) and cwd is None:
        args = args[2:]
        cwd = COMPOSE_DIR
    r = subprocess.run([PCCTL, "logs", *args], capture_output=True, timeout=60, cwd=cwd)
    return r


SCRIPT_WEB = r"""
echo 'first web line'
echo 'to stderr' >&2
printf 'tab\there and \033[1;31mcolour\033[0m end\n'
printf 'carriage\r\n'
printf 'bin\377\376 data\n'
printf 'unicode é ✓ line\n'
head -c 5000 /dev/zero | tr '\0' 'x'; echo
echo '"quotes" and \backslash'
echo 'last web line'
"""

SCRIPT_DB = r"""
echo 'db says hello'
echo 'db error' >&2
echo 'db bye'
"""

_started = False


def setup():
    global _started
    if _started:
        return
    run_unit("web", SCRIPT_WEB)
    run_unit("db", SCRIPT_DB)
    # the journal has them once journalctl sees all 12 lines
    wait_until(lambda: journalctl("-o", "cat", *journal_matches(["web", "db"])).count(b"\n") >= 12,
               timeout=10, what="12 lines in the journal")
    _started = True


def split_members(line):
    """Top-level "key":value members of a compact JSON object, as raw bytes."""
    assert line.startswith(b"{") and line.endswith(b"}"), line[:80]
    body, out, depth, instr, esc, start = line[1:-1], [], 0, False, False, 0
    for i, c in enumerate(body):
        ch = chr(c)
        if instr:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                instr = False
        elif ch == '"':
            instr = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(body[start:i])
            start = i + 1
    out.append(body[start:])
    return out


def test_short_cat_export_verbose_identical():
    setup()
    m = journal_matches(["web", "db"])
    for mode in ("short", "short-iso", "short-precise", "short-monotonic", "short-iso-precise", "short-unix",
                 "cat", "export", "verbose"):
        ours = pcctl_logs("--project", PROJECT, "-o", mode)
        theirs = journalctl("-o", mode, *m)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == theirs, "%s differs:\n%r\n%r" % (mode, ours.stdout[:600], theirs[:600])
    # a sanity check that the interesting entries are really in there
    short = pcctl_logs("--project", PROJECT, "-o", "short").stdout
    assert b"blob data]" in short and b"tab        here and colour end" in short
    assert b"db says hello" in short and b"first web line" in short


def test_json_identical_modulo_key_order():
    setup()
    m = journal_matches(["web", "db"])
    for mode in ("json",):
        ours = pcctl_logs("--project", PROJECT, "-o", mode).stdout.splitlines()
        theirs = journalctl("-o", mode, *m).splitlines()
        assert len(ours) == len(theirs) == 12, (len(ours), len(theirs))
        for a, b in zip(ours, theirs):
            # journalctl orders keys by a randomly seeded hash table; members must be byte-identical
            assert sorted(split_members(a)) == sorted(split_members(b)), (a[:300], b[:300])
            ja = json.loads(a)
            assert list(ja)[:4] == ["__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID"]
    pretty = pcctl_logs("--project", PROJECT, "-o", "json-pretty").stdout
    theirs = journalctl("-o", "json-pretty", *m)
    def norm(text):
        return sorted(line.rstrip(b",") for line in text.splitlines())
    assert norm(pretty) == norm(theirs)
    objs = [json.loads(o) for o in pcctl_logs("--project", PROJECT, "-o", "json").stdout.splitlines()]
    blob = [bytes(o["MESSAGE"]) for o in objs if isinstance(o.get("MESSAGE"), list)]
    assert b"bin\xff\xfe data" in blob and b"tab\there and \x1b[1;31mcolour\x1b[0m end" in blob, blob
    assert any(o.get("MESSAGE") is None for o in objs)       # the 5000-byte line is null, as in journalctl


def test_filters_match_journalctl():
    setup()
    m = journal_matches(["web", "db"])
    for ours, theirs in [
        (["-n", "3"], ["-n", "3"]),
        (["-n3", "-r"], ["-n3", "-r"]),
        (["-r"], ["-r"]),
        (["-p", "err"], ["-p", "err"]),
        (["--priority=info..info"], ["--priority=info..info"]),
        (["-g", "DB"], ["-g", "DB"]),
        (["-g", "db"], ["-g", "db"]),
        (["-S", "-1h", "-U", "now"], ["-S", "-1h", "-U", "now"]),
        (["-S", "tomorrow"], ["-S", "tomorrow"]),
    ]:
        a = pcctl_logs("--project", PROJECT, "-o", "short", *ours)
        b = journalctl("-o", "short", *theirs, *m)
        assert a.stdout == b, "%s: %r != %r" % (ours, a.stdout[:400], b[:400])
    err = pcctl_logs("--project", PROJECT, "-o", "cat", "-p", "err").stdout
    assert sorted(err.splitlines()) == [b"db error", b"to stderr"], err
    # one process, and the -- No entries -- line when nothing matches
    # stdout and stderr are two journal streams: their relative order is journald's
    assert sorted(pcctl_logs("--project", PROJECT, "-o", "cat", "db").stdout.splitlines()) == \
        [b"db bye", b"db error", b"db says hello"]
    none = pcctl_logs("--project", PROJECT, "-S", "tomorrow")
    assert none.stdout == b"-- No entries --\n" and none.returncode == 0
    nogrep = pcctl_logs("--project", PROJECT, "-g", "no-such-text-anywhere")
    assert nogrep.returncode == 1


def test_bad_flags_are_named():
    for args, word in ((["-o", "nope"], b"nope"), (["--lines=x"], b"--lines"), (["-S", "garbage date"], b"--since"),
                       (["-p", "loud"], b"--priority"), (["-g", "("], b"--grep")):
        r = pcctl_logs("--project", PROJECT, *args)
        assert r.returncode != 0 and word in r.stderr, (args, r.stderr)


def test_project_without_compose_file():
    setup()
    # --project finds the processes among the journal's identifiers (no compose file needed)
    with tempfile.TemporaryDirectory(prefix="logscli-") as d:
        a = subprocess.run([PCCTL, "logs", "--project", PROJECT, "-o", "short", "web", "db"], capture_output=True,
                           cwd=d, timeout=60)
        assert a.returncode == 0, a.stderr
        assert a.stdout == journalctl("-o", "short", *journal_matches(["web", "db"]))
        missing = subprocess.run([PCCTL, "logs"], capture_output=True, cwd=d, timeout=60)
        assert missing.returncode != 0 and b"--project" in missing.stderr
    unknown = pcctl_logs("nosuch", cwd=COMPOSE_DIR)
    assert unknown.returncode != 0 and b"nosuch" in unknown.stderr


def test_follow_sees_new_line():
    proc = "live"
    p = subprocess.Popen([PCCTL, "logs", "--project", PROJECT, "-f", "-o", "cat", proc], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    # (--project with a name that never logged: matched by name, no scan result needed)
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        run_unit(proc, "echo hello-live", wait=False)
        os.set_blocking(p.stdout.fileno(), False)
        buf = b""
        while b"hello-live\n" not in buf:
            assert time.monotonic() - t0 < 10, "pcctl logs -f did not show the line: %r" % buf
            time.sleep(0.02)
            chunk = p.stdout.read()
            if chunk:
                buf += chunk
        assert p.poll() is None
    finally:
        p.terminate()
        p.wait(timeout=10)


try:
    main(globals())
finally:
    import shutil
    shutil.rmtree(COMPOSE_DIR, ignore_errors=True)
