#!/bin/bash
# Probe benchmark: one check through pcctl's non-blocking Probe vs a naive blocking baseline doing the same
# work in the same run (fork+exec+waitpid; curl_easy_perform), and the loop's responsiveness while many
# probes run (worst lateness of a 10 ms timer). Pure local: no systemd needed.
# Usage: bench/probe-bench.sh [BUILD_DIR]   (BENCH_QUICK=1: 50 checks, 3 s loop)
# Env: N (500) PROBES (100) DURATION (10)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init probe-bench "${1:-}"
N=${N:-$(bench_pick 50 500)}
DURATION=${DURATION:-$(bench_pick 3 10)}
bench_cc "$TMP/probe-bench" bench/probe-bench.c libsystemd libcurl

# mean_us OUT LABEL: the mean of a report line of probe-bench
mean_us() { sed -n "s/^$2 .* mean=\([0-9.]*\) us.*/\1/p" "$1"; }

echo "# one exec check (sh -c true), $N times"
"$TMP/probe-bench" exec "$N" | tee "$TMP/exec"
echo "# one http_get check against a local server, $N times"
"$TMP/probe-bench" http "$N" | tee "$TMP/http"
echo "# ${PROBES:-100} probes, period 1 s, for $DURATION s"
"$TMP/probe-bench" loop "${PROBES:-100}" "$DURATION"
bench_result "one exec probe check (mean)" us "$(mean_us "$TMP/exec" 'exec probe')" "fork+exec+waitpid" \
        "$(mean_us "$TMP/exec" 'exec baseline')"
bench_result "one http_get probe check (mean)" us "$(mean_us "$TMP/http" 'http probe')" "curl_easy_perform" \
        "$(mean_us "$TMP/http" 'http baseline')"
