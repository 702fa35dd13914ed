#!/bin/bash
# Log pipeline benchmark: pcctl's journal follower vs `journalctl -f -o cat` on the same unit, same run.
# Usage: bench/logs-bench.sh [BUILD_DIR]   Needs root for the throughput part (it lifts journald's rate limit
# for its own unit only, as PID 1 would).   (BENCH_QUICK=1: 100 lines, 20000 lines, 5 s idle)
# Env: LAT_N (300) LAT_RATE (50) TPUT_N (200000) IDLE_S (60)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init logs-bench "${1:-}"
bench_need_systemd
bench_need_root
LAT_N=${LAT_N:-$(bench_pick 100 300)}
LAT_RATE=${LAT_RATE:-50}
TPUT_N=${TPUT_N:-$(bench_pick 20000 200000)}
IDLE_S=${IDLE_S:-$(bench_pick 5 60)}
bench_cc "$TMP/logs-bench" bench/logs-bench.c libsystemd

# kv FILE KEY: a key=value figure of logs-bench's output
kv() { sed -n "s/^$2=//p" "$1"; }

rc=0
echo "# write->ring latency, $LAT_RATE lines/s, $LAT_N lines"
"$TMP/logs-bench" latency "$PCCTL_EXEC" "$LAT_N" "$LAT_RATE" | tee "$TMP/lat" || rc=1
echo "# throughput, $TPUT_N lines, one write() per line, rate limit lifted for the unit"
"$TMP/logs-bench" throughput "$PCCTL_EXEC" "$TPUT_N" | tee "$TMP/tput" || rc=1
echo "# idle CPU over $IDLE_S s (10 registered quiet processes)"
"$TMP/logs-bench" idle "$IDLE_S" | tee "$TMP/idle" || rc=1

bench_result "follower latency p50, $LAT_RATE lines/s" ms "$(kv "$TMP/lat" latency_pcctl_p50_ms)" "journalctl -f" \
        "$(kv "$TMP/lat" latency_journalctl_p50_ms)"
bench_result "follower latency p99, $LAT_RATE lines/s" ms "$(kv "$TMP/lat" latency_pcctl_p99_ms)" "journalctl -f" \
        "$(kv "$TMP/lat" latency_journalctl_p99_ms)"
bench_result "follower throughput, $TPUT_N lines" lines/s "$(kv "$TMP/tput" throughput_pcctl_lines_per_s)" \
        "journalctl -f" "$(kv "$TMP/tput" throughput_journalctl_lines_per_s)"
bench_result "idle follower CPU, $IDLE_S s" "% CPU" "$(kv "$TMP/idle" idle_pcctl_cpu_percent)" "journalctl -f" \
        "$(kv "$TMP/idle" idle_journalctl_cpu_percent)"
exit $rc
