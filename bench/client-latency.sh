#!/bin/bash
# Wall time of one client call: `pcctl process list` (a fresh process, libcurl, JSON parse, sort, print)
# against `curl` fetching the same GET /processes (the baseline: one HTTP request from a small C program),
# both over the controller's unix socket with N processes, and likewise for `pcctl project is-ready`.
# Usage: bench/client-latency.sh [BUILD_DIR]   (default: build). Needs the sandbox (contrib/sandbox.sh).
# Env: N (100 processes) CALLS (200 calls per measurement)
set -euo pipefail
cd "$(dirname "$0")/.."
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
        if [ -n "$PCPID" ]; then
                kill -TERM "$PCPID" 2>/dev/null || true
                for _ in $(seq 100); do kill -0 "$PCPID" 2>/dev/null || break; sleep 0.2; done
        fi
        systemctl --user stop "pcctl-$PROJECT.slice" >/dev/null 2>&1 || true
        systemctl --user reset-failed "pcctl-$PROJECT-*" >/dev/null 2>&1 || true
        rm -rf "$DIR"
}
trap cleanup EXIT

{
        echo "name: $PROJECT"
        echo "processes:"
        for i in $(seq -w 1 "$N"); do
                printf '  proc-%s:\n    command: "sleep 3600"\n' "$i"
        done
} > "$DIR/process-compose.yaml"

(cd "$DIR" && exec "$PCCTL" up -t=false -u "$SOCK" > "$DIR/up.log" 2>&1) &
PCPID=$!
running=0
for _ in $(seq 300); do
        running=$(curl -s --unix-socket "$SOCK" http://unix/processes 2>/dev/null | grep -o '"status":"Running"' | wc -l || true)
        [ "$running" -ge "$N" ] && break
        sleep 0.2
done
[ "$running" -ge "$N" ] || { echo "only $running of $N processes running"; tail "$DIR/up.log"; exit 1; }
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
