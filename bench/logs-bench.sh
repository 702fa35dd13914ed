#!/bin/bash
# Log pipeline benchmark: pcctl's journal follower vs `journalctl -f -o cat` on the same unit, same run.
# Usage: bench/logs-bench.sh [BUILD_DIR]   (default: build). Needs the sandbox (contrib/sandbox.sh) and root
# for the throughput part (it lifts journald's rate limit for its own unit only, as PID 1 would).
# Env: LAT_N (300) LAT_RATE (50) TPUT_N (200000) IDLE_S (60)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc -I"$BUILD" -o "$OUT/logs-bench" bench/logs-bench.c \
        "$BUILD/libpcctl-core.a" $(pkg-config --cflags --libs libsystemd) -lm
PCCTL=$(realpath "$BUILD/pcctl")

echo "# write->ring latency, ${LAT_RATE:-50} lines/s, ${LAT_N:-300} lines"
"$OUT/logs-bench" latency "$PCCTL" "${LAT_N:-300}" "${LAT_RATE:-50}"
echo "# throughput, ${TPUT_N:-200000} lines, one write() per line, rate limit lifted for the unit"
"$OUT/logs-bench" throughput "$PCCTL" "${TPUT_N:-200000}"
echo "# idle CPU over ${IDLE_S:-60} s (10 registered quiet processes)"
"$OUT/logs-bench" idle "${IDLE_S:-60}"
