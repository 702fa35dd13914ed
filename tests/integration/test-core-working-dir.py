#!/usr/bin/env python3
"""Relative paths with ".." (issue 14 item 1): systemd refuses a WorkingDirectory= that contains "..", so
pcctl resolves working_dir, env_file, log_location and probe working dirs lexically against the project's
directory before they reach a unit or a file. Monorepos write `working_dir: ../frontend` all the time, and
process-compose's chain fixture has `working_dir: "../../"`. Observed from outside: what the processes print,
the files they and pcctl write, the exit code of `up`."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcctl_harness import Project, main, wait_until  # noqa: E402


def lines_of(p, name):
    prefix = "[%s\t] " % name
    return [line[len(prefix):] for line in p.stdout().splitlines() if line.startswith(prefix)]


def run(p, timeout=60):
    p.up(api=False)
    return p.wait_exit(timeout=timeout)


def test_working_dir_parent_and_chain():
    # the repro of issue 14: "../" and the chain fixture's "../../", each printing where it runs
    yaml = ("processes:\n"
            "  up1:\n"
            "    command: pwd\n"
            "    working_dir: \"../\"\n"
            "  up2:\n"
            "    command: pwd\n"
            "    working_dir: \"../../\"\n"
            "    depends_on:\n"
            "      up1:\n"
            "        condition: process_completed_successfully\n")
    with Project("wd-parent", yaml) as p:
        rc = run(p)
        parent = os.path.dirname(p.dir)
        assert rc == 0, "up exited %d; stdout:\n%s\nstderr:\n%s" % (rc, p.stdout(), p.stderr())
        assert lines_of(p, "up1") == [parent], (lines_of(p, "up1"), p.stdout())
        assert lines_of(p, "up2") == [os.path.dirname(parent)], (lines_of(p, "up2"), p.stdout())


def test_sibling_dir_env_file_log_location_and_probe():
    # a monorepo layout: the project next to its "frontend"; every path goes through ".."
    with Project("wd-sibling", None) as p:
        sibling = p.dir + "-frontend"
        os.makedirs(sibling)
        try:
            with open(os.path.join(sibling, "vars.env"), "w") as f:
                f.write("FROM_ENV_FILE=yes\n")
            name = os.path.basename(sibling)
            p.write("process-compose.yaml",
                    "name: %s\n"
                    "processes:\n"
                    "  front:\n"
                    "    command: \"pwd; echo env=$FROM_ENV_FILE; sleep 30\"\n"
                    "    working_dir: ../%s/\n"
                    "    env_file: ../%s/./vars.env\n"
                    "    log_location: ../%s/logs/../front.log\n"
                    "    readiness_probe:\n"
                    "      exec:\n"
                    "        command: \"pwd > probe-pwd.txt\"\n"
                    "        working_dir: ../%s\n"
                    "      period_seconds: 1\n"
                    "  after:\n"
                    "    command: \"echo front is ready\"\n"
                    "    depends_on:\n"
                    "      front:\n"
                    "        condition: process_healthy\n"
                    % (p.name, name, name, name, name))
            p.up()
            st = p.wait_state("after", lambda s: s["status"] == "Completed", timeout=30)
            assert st["exit_code"] == 0, st
            front = p.wait_state("front", lambda s: s["status"] == "Running")
            assert front["is_ready"] == "Ready", front
            wait_until(lambda: len(lines_of(p, "front")) >= 2, timeout=10, what="front's output")
            assert lines_of(p, "front")[:2] == [sibling, "env=yes"], p.stdout()
            with open(os.path.join(sibling, "probe-pwd.txt")) as f:
                assert f.read().strip() == sibling
            log = os.path.join(sibling, "front.log")
            wait_until(lambda: os.path.exists(log) and "env=yes" in open(log).read(), timeout=10,
                       what="front's log_location %s" % log)
        finally:
            p.close()
            shutil.rmtree(sibling, ignore_errors=True)


main(globals())
