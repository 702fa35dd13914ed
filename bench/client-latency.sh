#!/bin/bash
# Wall time of one client call: `pcctl process list` (a fresh process, libcurl, JSON parse, sort, print)
# against `curl` fetching the same GET /processes (one HTTP request from a small C program), both over the
# controller's unix socket with N processes, and likewise for `pcctl project is-ready`. Beside them, the
# same question to supervisord running the same N programs: `supervisorctl status`.
# Usage: bench/client-latency.sh [BUILD_DIR]   (BENCH_QUICK=1: 20 calls per measurement)
# Env: N (100 processes) CALLS (200 calls per measurement; supervisorctl a quarter of them)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init client-latency "${1:-}"
bench_need_systemd
bench_need_supervisor
N=${N:-100}
CALLS=${CALLS:-$(bench_pick 20 200)}
PROJECT=bench-client-$$
SOCK=$TMP/api.sock

bench_write_sleepers "$TMP" "$PROJECT" "$N"
bench_up "$TMP" "$PROJECT" -u "$SOCK"
bench_wait_running "$N" "$TMP/up.log" --unix-socket "$SOCK" http://unix/processes

SV=$TMP/sv
bench_supervisord_sleepers "$SV" "$N"
echo "# $N processes running under pcctl and under supervisord; mean wall time per call"

# measure CALLS CMD... -> LAST = ms per call (after one warm-up call)
measure() {
        local calls=$1 t0
        shift
        "$@" > /dev/null || true   # warm up (page cache, first connection)
        t0=$(bench_now)
        for _ in $(seq "$calls"); do "$@" > /dev/null || true; done
        LAST=$(awk -v s="$(bench_elapsed "$t0")" -v n="$calls" 'BEGIN { printf "%.2f", s / n * 1000 }')
}

measure "$CALLS" curl -sf --unix-socket "$SOCK" http://unix/processes; BASE=$LAST
measure "$CALLS" curl -sf --unix-socket "$SOCK" http://unix/live; LIVE=$LAST
measure "$CALLS" "$PCCTL" process list -u "$SOCK"; LIST=$LAST
measure "$CALLS" "$PCCTL" process list -o json -u "$SOCK"; JSON=$LAST
measure "$CALLS" "$PCCTL" project is-ready -u "$SOCK"; READY=$LAST
svcalls=$(( CALLS / 4 > 5 ? CALLS / 4 : 5 ))
measure "$svcalls" bench_supervisorctl "$SV" status; SVST=$LAST

echo "# curl GET /live (the server's floor): $LIVE ms"
bench_result "pcctl process list, $N processes" ms "$LIST" "curl GET /processes" "$BASE"
bench_result "pcctl process list -o json" ms "$JSON" "curl GET /processes" "$BASE"
bench_result "pcctl project is-ready" ms "$READY" "curl GET /processes" "$BASE"
bench_result "pcctl process list, $N processes" ms "$LIST" "supervisorctl status" "$SVST"
