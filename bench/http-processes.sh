#!/bin/bash
# GET /processes with N processes under wrk: requests/s, p99, and the controller's CPU and memory.
# Baselines in the same run: pcctl's own GET /live (the server's floor: no JSON rendering), and python3's
# http.server serving the very bytes of /processes from a file (a plain static server; process-compose itself
# is not installed here).
# Usage: bench/http-processes.sh [BUILD_DIR]   (BENCH_QUICK=1: 2 s per wrk run)
# Env: N (100 processes) DURATION (10 s) CONNS (32) THREADS (2)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init http-processes "${1:-}"
bench_need_systemd
N=${N:-100}
DURATION=${DURATION:-$(bench_pick 2 10)}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
PROJECT=bench-http-$$
PORT=$((20000 + $$ % 20000))
BPORT=$((PORT + 1))

bench_write_sleepers "$TMP" "$PROJECT" "$N"
bench_up "$TMP" "$PROJECT" -p "$PORT" --address 127.0.0.1
PCPID=$BENCH_PCPID
bench_wait_running "$N" "$TMP/up.log" "http://127.0.0.1:$PORT/processes"
mkdir -p "$TMP/static"
curl -s "http://127.0.0.1:$PORT/processes" > "$TMP/static/processes"
echo "# $N processes running; GET /processes is $(stat -c %s "$TMP/static/processes") bytes"

# run_wrk LABEL URL PID -> prints one line; RPS, P99 (ms) and CPU (% of the server PID) for the results
run_wrk() {
        local label=$1 url=$2 pid=$3 t0 t1 out p50
        t0=$(bench_ticks "$pid")
        out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url")
        t1=$(bench_ticks "$pid")
        RPS=$(awk '/^Requests\/sec/ { print $2 }' <<< "$out")
        p50=$(awk '$1 == "50%" { print $2 }' <<< "$out")
        P99=$(awk '$1 == "99%" { v = $2; m = 1; if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1;
                                 else if (v ~ /s$/) m = 1000; sub(/[a-z]+$/, "", v); printf "%.2f", v * m }' <<< "$out")
        CPU=$(bench_cpu_percent "$t0" "$t1" "$DURATION")
        printf '%-28s %10s req/s   p50 %-9s p99 %-9s CPU %5s%%   RSS %6s kB\n' "$label" "$RPS" "$p50" "$P99 ms" \
                "$CPU" "$(bench_status_kb "$pid" VmRSS)"
}

echo "# wrk -t$THREADS -c$CONNS -d${DURATION}s; controller RSS before: $(bench_status_kb "$PCPID" VmRSS) kB"
run_wrk pcctl-processes "http://127.0.0.1:$PORT/processes" "$PCPID"
PC_RPS=$RPS PC_P99=$P99
run_wrk pcctl-live "http://127.0.0.1:$PORT/live" "$PCPID"
LIVE_RPS=$RPS

(cd "$TMP/static" && exec python3 -m http.server "$BPORT" --bind 127.0.0.1 > /dev/null 2>&1) &
PYPID=$!
bench_at_exit kill "$PYPID"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$BPORT/processes" && break; sleep 0.1; done
run_wrk python-static-processes "http://127.0.0.1:$BPORT/processes" "$PYPID"

echo "# controller peak RSS (VmHWM): $(bench_status_kb "$PCPID" VmHWM) kB; now RssAnon $(bench_status_kb "$PCPID" RssAnon) kB, RssFile $(bench_status_kb "$PCPID" RssFile) kB (journal files are mapped: RssFile)"
bench_result "GET /processes ($N) under wrk" req/s "$PC_RPS" "python static file" "$RPS"
bench_result "GET /processes ($N) under wrk, p99" ms "$PC_P99" "python static file" "$P99"
bench_result "GET /processes ($N) under wrk" req/s "$PC_RPS" "pcctl GET /live" "$LIVE_RPS"
