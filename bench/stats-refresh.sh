#!/bin/bash
# The cost of the mem/cpu cache with 100 running processes: the controller's and the service manager's CPU
# while nobody asks anything (the refresh alone), and the time of one GET /processes (sequential requests).
# Usage: bench/stats-refresh.sh [BUILD_DIR]   (default: build). Needs the sandbox (contrib/sandbox.sh).
# Env: N (100 processes) IDLE (20 s) REQUESTS (200)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${1:-build}
N=${N:-100}
IDLE=${IDLE:-20}
REQUESTS=${REQUESTS:-200}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
PCCTL=$(realpath "$BUILD/pcctl")
DIR=$(mktemp -d)
PROJECT=bench-stats-$$
PORT=$((20000 + $$ % 20000))
PCPID=

cleanup() {
        bench_stop_pcctl "$PCPID" "$PROJECT"
        rm -rf "$DIR"
}
trap cleanup EXIT

bench_write_sleepers "$DIR" "$PROJECT" "$N"
(cd "$DIR" && exec "$PCCTL" up -t=false -p "$PORT" --address 127.0.0.1 > "$DIR/up.log" 2>&1) &
PCPID=$!
bench_wait_running "$N" "$DIR/up.log" "http://127.0.0.1:$PORT/processes"
sleep 3 # the starts settle

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
MGR=$(pgrep -o -x systemd -u "$(id -u)" || true)

c0=$(ticks "$PCPID"); m0=$([ -n "$MGR" ] && ticks "$MGR" || echo 0)
sleep "$IDLE"
c1=$(ticks "$PCPID"); m1=$([ -n "$MGR" ] && ticks "$MGR" || echo 0)
awk -v a="$c0" -v b="$c1" -v c="$m0" -v d="$m1" -v hz="$HZ" -v t="$IDLE" -v n="$N" 'BEGIN {
        printf "# %d processes, %d s idle: controller CPU %.2f%% (%.1f ms/s), service manager CPU %.2f%% (%.1f ms/s)\n",
                n, t, (b - a) / hz / t * 100, (b - a) / hz / t * 1000, (d - c) / hz / t * 100, (d - c) / hz / t * 1000 }'

for _ in $(seq "$REQUESTS"); do
        curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/processes"
done | sort -n | awk '{ v[NR] = $1 } END {
        printf "# GET /processes, %d sequential requests: median %.2f ms, p90 %.2f ms, max %.2f ms\n",
                NR, v[int(NR / 2) + 1] * 1000, v[int(NR * 0.9)] * 1000, v[NR] * 1000 }'
curl -s "http://127.0.0.1:$PORT/processes" | grep -o '"mem":[0-9-]*' | sort | uniq -c | sort -rn | head -3 |
        sed 's/^/# mem values (count value): /'
