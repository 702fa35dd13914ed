#!/bin/bash
# Wall time of one client call: `pcctl process list` (a fresh process, libcurl, JSON parse, sort, print)
# against `curl` fetching the same GET /processes (the baseline: one HTTP request from a small C program),
# both over the controller's unix socket with N processes, and likewise for `pcctl project is-ready`.
# Usage: bench/client-latency.sh [BUILD_DIR]   (default: build). Needs the sandbox (contrib/sandbox.sh).
# Env: N (100 processes) CALLS (200 calls per measurement)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${1:-build}
N=${N:-100}
CALLS=${CALLS:-200}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
PCCTL=$(realpath "$BUILD/pcctl")
DIR=$(mktemp -d)
PROJECT=bench-client-$$
SOCK=$DIR/api.sock
PCPID=

cleanup() {
        bench_stop_pcctl "$PCPID" "$PROJECT"
        rm -rf "$DIR"
}
trap cleanup EXIT

bench_write_sleepers "$DIR" "$PROJECT" "$N"

(cd "$DIR" && exec "$PCCTL" up -t=false -u "$SOCK" > "$DIR/up.log" 2>&1) &
PCPID=$!
bench_wait_running "$N" "$DIR/up.log" --unix-socket "$SOCK" http://unix/processes
echo "# $N processes running; $CALLS calls per line; mean wall time per call"

# measure LABEL CMD... -> prints "LABEL  <ms per call>" and stores it in $LAST
measure() {
        local label=$1; shift
        "$@" > /dev/null   # warm up (page cache, first connection)
        local t0 t1
        t0=$(date +%s%N)
        for _ in $(seq "$CALLS"); do "$@" > /dev/null; done
        t1=$(date +%s%N)
        LAST=$(awk -v a="$t0" -v b="$t1" -v n="$CALLS" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }')
        printf '%-44s %8s ms\n' "$label" "$LAST"
}

measure "curl GET /processes (baseline)" curl -sf --unix-socket "$SOCK" http://unix/processes
BASE=$LAST
measure "pcctl process list" "$PCCTL" process list -u "$SOCK"
LIST=$LAST
measure "pcctl process list -o json" "$PCCTL" process list -o json -u "$SOCK"
JSON=$LAST
measure "pcctl project is-ready" "$PCCTL" project is-ready -u "$SOCK"
READY=$LAST
measure "curl GET /live (server floor)" curl -sf --unix-socket "$SOCK" http://unix/live

awk -v b="$BASE" -v l="$LIST" -v j="$JSON" -v r="$READY" 'BEGIN {
        printf "ratio pcctl process list / curl:          %.2f\n", l / b
        printf "ratio pcctl process list -o json / curl:  %.2f\n", j / b
        printf "ratio pcctl project is-ready / curl:      %.2f\n", r / b
}'
