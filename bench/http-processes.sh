#!/bin/bash
# GET /processes with 100 processes under wrk: requests/s, p99, and the controller's CPU and memory.
# Baselines in the same run: pcctl's own GET /live (the server's floor: no JSON rendering), and python3's
# http.server serving the very bytes of /processes from a file (a plain static server; process-compose itself
# is not installed here).
# Usage: bench/http-processes.sh [BUILD_DIR]   (default: build). Needs the sandbox (contrib/sandbox.sh).
# Env: N (100 processes) DURATION (10 s) CONNS (32) THREADS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${1:-build}
N=${N:-100}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
PCCTL=$(realpath "$BUILD/pcctl")
DIR=$(mktemp -d)
PROJECT=bench-http-$$
PORT=$((20000 + $$ % 20000))
BPORT=$((PORT + 1))
PCPID=
PYPID=

cleanup() {
        [ -n "$PYPID" ] && kill "$PYPID" 2>/dev/null || true
        bench_stop_pcctl "$PCPID" "$PROJECT"
        rm -rf "$DIR"
}
trap cleanup EXIT

bench_write_sleepers "$DIR" "$PROJECT" "$N"

(cd "$DIR" && exec "$PCCTL" up -t=false -p "$PORT" --address 127.0.0.1 > "$DIR/up.log" 2>&1) &
PCPID=$!
bench_wait_running "$N" "$DIR/up.log" "http://127.0.0.1:$PORT/processes"
curl -s "http://127.0.0.1:$PORT/processes" > "$DIR/processes"
echo "# $N processes running; GET /processes is $(stat -c %s "$DIR/processes") bytes"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

# run_wrk LABEL URL PID -> prints one line
run_wrk() {
        local label=$1 url=$2 pid=$3 t0 t1 out rps p99 cpu
        t0=$(ticks "$pid")
        out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url")
        t1=$(ticks "$pid")
        rps=$(awk '/^Requests\/sec/ { print $2 }' <<< "$out")
        p99=$(awk '$1 == "99%" { print $2 }' <<< "$out")
        p50=$(awk '$1 == "50%" { print $2 }' <<< "$out")
        cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v d="$DURATION" 'BEGIN { printf "%.0f", (b - a) / hz / d * 100 }')
        printf '%-28s %10s req/s   p50 %-9s p99 %-9s CPU %4s%%   RSS %6s kB\n' "$label" "$rps" "$p50" "$p99" \
                "$cpu" "$(rss "$pid")"
        echo "$rps" > "$DIR/rps-$label"
}

rss0=$(rss "$PCPID")
echo "# wrk -t$THREADS -c$CONNS -d${DURATION}s; controller RSS before: $rss0 kB"
run_wrk pcctl-processes "http://127.0.0.1:$PORT/processes" "$PCPID"
run_wrk pcctl-live "http://127.0.0.1:$PORT/live" "$PCPID"

mkdir -p "$DIR/static"
cp "$DIR/processes" "$DIR/static/processes"
(cd "$DIR/static" && exec python3 -m http.server "$BPORT" --bind 127.0.0.1 > /dev/null 2>&1) &
PYPID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$BPORT/processes" && break; sleep 0.1; done
run_wrk python-static-processes "http://127.0.0.1:$BPORT/processes" "$PYPID"

echo "# controller peak RSS (VmHWM): $(hwm "$PCPID") kB; now $(awk '/^RssAnon|^RssFile/ { printf "%s %s kB ", $1, $2 }' "/proc/$PCPID/status")(journal files are mapped: RssFile)"
awk -v a="$(cat "$DIR/rps-pcctl-processes")" -v b="$(cat "$DIR/rps-python-static-processes")" \
    -v c="$(cat "$DIR/rps-pcctl-live")" \
    'BEGIN { printf "# ratio pcctl /processes vs python static file: %.1fx; /processes vs /live: %.2f\n", a / b, a / c }'
