"""pcctl version, --version, info and completion bash|zsh|fish: their output, and the bash completion loaded in
a real bash, completing verbs, flags and (through the API of a running project) process names."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import PCCTL, Project, main  # noqa: E402

SOURCE_ROOT = os.environ.get("PCCTL_SOURCE_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))


def meson_version():
    with open(os.path.join(SOURCE_ROOT, "meson.build")) as f:
        return re.search(r"version:\s*'([^']+)'", f.read()).group(1)


def pcctl(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([PCCTL, *args], capture_output=True, text=True, timeout=30, env=e, cwd=cwd)


def test_version():
    v = meson_version()
    r = pcctl("version")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "pcctl", r.stdout
    assert lines[1] == "%-15s %s" % ("Version:", v), r.stdout
    r = pcctl("version", "--short")
    assert r.returncode == 0 and r.stdout == v + "\n", r
    r = pcctl("version", "-s")
    assert r.returncode == 0 and r.stdout == v + "\n", r
    r = pcctl("--version")
    assert r.returncode == 0 and r.stdout == "pcctl %s\n" % v, r
    r = pcctl("version", "--bogus")
    assert r.returncode == 1, r


def test_info():
    r = pcctl("info", env={"PC_PORT_NUM": "8123"})
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "pcctl", r.stdout
    fields = {}
    for line in lines[1:]:
        m = re.match(r"^(.{15}) (.*)$", line)
        assert m, "line %r is not process-compose's '%%-15s %%s'" % line
        fields[m.group(1).strip()] = m.group(2)
    assert fields["Version:"] == meson_version(), fields
    assert fields["API:"] == "localhost:8123", fields
    assert fields["State:"] == os.path.join(os.environ["XDG_RUNTIME_DIR"], "pcctl"), fields
    assert "journal" in fields["Logs:"], fields
    assert fields["Manager:"].startswith("user"), fields


def bash_complete(line, env=None, cwd=None):
    """Loads `pcctl completion bash` in a bash and completes the last word of line."""
    words = line.split(" ")
    script = ('source <(%s completion bash) || exit 9\n'
              'COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%s; COMP_POINT=${#COMP_LINE}\n'
              '_pcctl pcctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
              'printf "%%s\\n" "${COMPREPLY[@]}"\n') % (
                  PCCTL, " ".join("'%s'" % w for w in words), len(words) - 1, "'%s'" % line)
    e = dict(os.environ)
    e["PATH"] = os.path.dirname(PCCTL) + ":" + e["PATH"]
    e.update(env or {})
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, env=e, cwd=cwd)
    assert r.returncode == 0, r
    return r.stdout.split()


def test_completion_bash():
    r = pcctl("completion", "bash")
    assert r.returncode == 0, r
    check = subprocess.run(["bash", "-n"], input=r.stdout, capture_output=True, text=True)
    assert check.returncode == 0, check
    loaded = subprocess.run(["bash", "-c", "source <(%s completion bash) && complete -p pcctl" % PCCTL],
                            capture_output=True, text=True)
    assert loaded.returncode == 0 and "pcctl" in loaded.stdout and "-F" in loaded.stdout, loaded
    verbs = bash_complete("pcctl ")
    for v in ("up", "run", "down", "process", "analyze", "info", "version", "completion", "logs"):
        assert v in verbs, verbs
    assert bash_complete("pcctl pro") == ["process", "project"]
    assert "stop" in bash_complete("pcctl process ")
    assert "--read-only" in bash_complete("pcctl up --re")
    assert "--no-deps" in bash_complete("pcctl run --no")
    assert bash_complete("pcctl completion ") == ["bash", "fish", "zsh"]
    assert bash_complete("pcctl analyze ") == ["critical-chain"]


def test_completion_process_names():
    yaml = "processes:\n  alpha:\n    command: sleep 300\n  beta:\n    command: sleep 300\n"
    with Project("compl", yaml) as p:
        p.up()
        p.wait_state("alpha", lambda s: s["status"] == "Running")
        env = {"PC_SOCKET_PATH": p.socket}
        assert bash_complete("pcctl process stop ", env) == ["alpha", "beta"]
        assert bash_complete("pcctl process restart a", env) == ["alpha"]
        assert bash_complete("pcctl analyze critical-chain b", env) == ["beta"]
        # -u on the command line names the socket too
        assert bash_complete("pcctl process start -u %s " % p.socket) == ["alpha", "beta"]
        # every verb that takes a process name: attach (one), logs, process logs
        assert bash_complete("pcctl attach ", env) == ["alpha", "beta"]
        assert bash_complete("pcctl attach -u %s b" % p.socket) == ["beta"]
        assert bash_complete("pcctl attach alpha ", env) == []
        assert bash_complete("pcctl logs ", env) == ["alpha", "beta"]
        assert bash_complete("pcctl logs -n 5 alpha b", env) == ["beta"]
        assert bash_complete("pcctl process logs a", env) == ["alpha"]
        assert bash_complete("pcctl process logs truncate ", env) == ["alpha", "beta"]
        # logs needs no controller: without an API, the names of the project file in the working directory
        none = {"PC_SOCKET_PATH": "/nonexistent.sock"}
        assert bash_complete("pcctl logs ", none, cwd=p.dir) == ["alpha", "beta"]
    # no API: no names, no error
    assert bash_complete("pcctl process stop ", {"PC_SOCKET_PATH": "/nonexistent.sock"}) == []


def test_completion_zsh_fish():
    r = pcctl("completion", "zsh")
    assert r.returncode == 0 and r.stdout.startswith("#compdef pcctl"), r
    r = pcctl("completion", "fish")
    assert r.returncode == 0 and "complete -c pcctl" in r.stdout, r
    for sh in ("zsh", "fish"):
        exe = subprocess.run(["sh", "-c", "command -v " + sh], capture_output=True, text=True).stdout.strip()
        if exe:
            check = subprocess.run([exe, "-n"], input=pcctl("completion", sh).stdout, capture_output=True,
                                   text=True)
            assert check.returncode == 0, (sh, check)
    r = pcctl("completion", "powershell")
    assert r.returncode == 1, r
    r = pcctl("completion")
    assert r.returncode == 1, r


main(globals())
