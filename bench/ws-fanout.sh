#!/bin/bash
# WebSocket fan-out benchmark (issue 7): 1, 10, 100, 1000 followers of a process writing at journald's full
# rate, and 100 followers beside 10 stalled ones. Ratio = lines each follower got / lines journald stored.
# Usage: bench/ws-fanout.sh [BUILD_DIR] [SECONDS] [CONFIGS e.g. 1+0,100+10]. Needs root (it lifts journald's
# rate limit for its own unit only, as PID 1 would for LogRateLimitBurst=0).
# BENCH_QUICK=1: 2 s floods, 10 and 100+10 followers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init ws-fanout "${1:-}"
bench_need_systemd
bench_need_root
cc -O2 -std=gnu11 -D_GNU_SOURCE -o "$TMP/ws-fanout" bench/ws-fanout.c
ulimit -n 65536 2>/dev/null || true
/usr/bin/python3 bench/ws-fanout.py "$BUILD" "$TMP/ws-fanout" "${2:-$(bench_pick 2 3)}" \
        "${3:-$(bench_pick 10+0,100+10 1+0,10+0,100+0,1000+0,100+10)}" | tee "$TMP/out"
# one row per configuration: the slowest active follower's share of journald's stored lines, and the
# write()->frame latency beside `journalctl -f` on a second flood right after
awk 'NR > 5 && $1 ~ /^[0-9]+$/' "$TMP/out" | while read -r line; do
        set -- $line
        followers=$1
        [ "$2" = "+10" ] && { followers="$1 +10 stalled"; shift 2; }
        # fields after the label: journald lines/s min median ratio p50 p99 jctl jctl_p50 jctl_p99 ...
        bench_result "ws $followers followers, min share" % "${6%\%}" "journalctl -f share" "${9%\%}"
        bench_result "ws $followers followers, latency p99" ms "$8" "journalctl -f p99" "${11}"
done
