#!/bin/bash
# The cost of the mem/cpu cache with N running processes: the controller's and the service manager's CPU
# while nobody asks anything (the refresh alone), and the time of one GET /processes (sequential requests)
# over the controller's unix socket. Baseline in the same run: supervisord with the same N programs, idle,
# and its status call (XML-RPC supervisor.getAllProcessInfo over its unix socket, which has no mem/cpu).
# Usage: bench/stats-refresh.sh [BUILD_DIR]   (BENCH_QUICK=1: 5 s idle, 20 requests)
# Env: N (100 processes) IDLE (20 s) REQUESTS (200)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init stats-refresh "${1:-}"
bench_need_systemd
bench_need_supervisor
N=${N:-100}
IDLE=${IDLE:-$(bench_pick 5 20)}
REQUESTS=${REQUESTS:-$(bench_pick 20 200)}
PROJECT=bench-stats-$$
SOCK=$TMP/api.sock

bench_write_sleepers "$TMP" "$PROJECT" "$N"
bench_up "$TMP" "$PROJECT" -u "$SOCK"
PCPID=$BENCH_PCPID
bench_wait_running "$N" "$TMP/up.log" --unix-socket "$SOCK" http://unix/processes

SV=$TMP/sv
bench_supervisord_sleepers "$SV" "$N"
sleep 3 # the starts settle

MGR=$(pgrep -o -x systemd -u "$(id -u)" || true)
c0=$(bench_ticks "$PCPID"); s0=$(bench_ticks "$BENCH_SVPID"); m0=$([ -n "$MGR" ] && bench_ticks "$MGR" || echo 0)
sleep "$IDLE"
c1=$(bench_ticks "$PCPID"); s1=$(bench_ticks "$BENCH_SVPID"); m1=$([ -n "$MGR" ] && bench_ticks "$MGR" || echo 0)
echo "# $N processes, $IDLE s idle: service manager CPU $(bench_cpu_percent "$m0" "$m1" "$IDLE") %"
bench_result "idle CPU, $N processes, $IDLE s" "% CPU" "$(bench_cpu_percent "$c0" "$c1" "$IDLE")" \
        "supervisord idle" "$(bench_cpu_percent "$s0" "$s1" "$IDLE")"

# median_ms CURL_ARGS...: median wall time of REQUESTS sequential requests, in ms; prints median/p90/max
median_ms() {
        for _ in $(seq "$REQUESTS"); do curl -s -o /dev/null -w '%{time_total}\n' "$@"; done | sort -n |
                awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f\n", v[int(NR / 2) + 1] * 1000, v[int(NR * 0.9)] * 1000, v[NR] * 1000 }'
}
RPC='<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName></methodCall>'
read -r pc_med pc_p90 pc_max < <(median_ms --unix-socket "$SOCK" http://unix/processes)
read -r sv_med sv_p90 sv_max < <(median_ms --unix-socket "$SV/sv.sock" -H 'Content-Type: text/xml' \
        --data-binary "$RPC" http://localhost/RPC2)
echo "# $REQUESTS sequential requests: GET /processes median $pc_med p90 $pc_p90 max $pc_max ms;" \
     "getAllProcessInfo median $sv_med p90 $sv_p90 max $sv_max ms"
bench_result "status of $N processes, one request" ms "$pc_med" "supervisord getAllProcessInfo" "$sv_med"
curl -s --unix-socket "$SOCK" http://unix/processes | grep -o '"mem":[0-9-]*' | sort | uniq -c | sort -rn | head -3 |
        sed 's/^/# mem values (count value): /'
