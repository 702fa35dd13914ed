#!/bin/bash
# WebSocket fan-out benchmark (issue 7): 1, 10, 100, 1000 followers of a process writing at journald's full
# rate, and 100 followers beside 10 stalled ones. Ratio = lines each follower got / lines journald stored.
# Usage: bench/ws-fanout.sh [BUILD_DIR] [SECONDS] [CONFIGS e.g. 1+0,100+10]. Needs the sandbox and root (it
# lifts journald's rate limit for its own unit only, as PID 1 would for LogRateLimitBurst=0).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -o "$OUT/ws-fanout" bench/ws-fanout.c
ulimit -n 65536 2>/dev/null || true
exec /usr/bin/python3 bench/ws-fanout.py "$BUILD" "$OUT/ws-fanout" "${2:-3}" "${3:-1+0,10+0,100+0,1000+0,100+10}"
