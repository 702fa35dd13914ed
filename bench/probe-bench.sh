#!/bin/bash
# Probe benchmark: one check through pcctl's non-blocking Probe vs a naive blocking baseline doing the same
# work in the same run (fork+exec+waitpid; curl_easy_perform), and the loop's responsiveness while many
# probes run (worst lateness of a 10 ms timer). Pure local: no systemd needed.
# Usage: bench/probe-bench.sh [BUILD_DIR]   (default: build).  Env: N (500) PROBES (100) DURATION (10)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc -I"$BUILD" -o "$OUT/probe-bench" bench/probe-bench.c \
        "$BUILD/libpcctl-core.a" $(pkg-config --cflags --libs libsystemd libcurl) -lm

echo "# one exec check (sh -c true), ${N:-500} times"
"$OUT/probe-bench" exec "${N:-500}"
echo "# one http_get check against a local server, ${N:-500} times"
"$OUT/probe-bench" http "${N:-500}"
echo "# ${PROBES:-100} probes, period 1 s, for ${DURATION:-10} s"
"$OUT/probe-bench" loop "${PROBES:-100}" "${DURATION:-10}"
