#!/usr/bin/env python3
"""test-summary.py TESTLOG.json...: summarise meson test logs.

Prints per-suite counts and ends with the line `N passed, N failed` (failed counts FAIL, TIMEOUT and
ERROR results). Exits 1 when anything failed, or when $CI is set and any integration test was skipped:
the integration suite must run against a real user manager in CI, never be skipped.
"""
import json
import os
import sys

passed = failed = skipped = 0
skipped_integration = []
per_suite = {}
for path in sys.argv[1:]:
    if not os.path.exists(path):
        print("missing test log: %s" % path)
        failed += 1
        continue
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            result = t.get("result", "")
            # meson 1.0 has no "suite" member: the name reads "<project>:<suite> / <test>".
            suites = [s.split(":")[-1] for s in t.get("suite", [])] or \
                [t.get("name", "").split(" / ")[0].split(":")[-1]]
            suite = suites[0] if suites else "?"
            c = per_suite.setdefault(suite, [0, 0, 0])
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
                c[0] += 1
            elif result == "SKIP":
                skipped += 1
                c[2] += 1
                if "integration" in suites:
                    skipped_integration.append(t.get("name"))
            else:
                failed += 1
                c[1] += 1
                print("failed: %s (%s)" % (t.get("name"), result))

for s in sorted(per_suite):
    p, f, k = per_suite[s]
    print("suite %-12s %d passed, %d failed, %d skipped" % (s, p, f, k))
rc = 1 if failed else 0
if skipped_integration and os.environ.get("CI"):
    print("integration tests were skipped in CI: %s" % ", ".join(skipped_integration))
    rc = 1
if passed + failed == 0:
    print("no test ran")
    rc = 1
print("%d passed, %d failed" % (passed, failed) + (", %d skipped" % skipped if skipped else ""))
sys.exit(rc)
