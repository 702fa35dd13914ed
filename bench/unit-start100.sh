#!/usr/bin/env bash
# Start N `sleep 600` units until all are running, in three ways in the same run, interleaved, median of
# ROUNDS (default 5), every unit stopped between runs:
#   raw         pipelined StartTransientUnit calls with sd-bus directly (bench/unit-start100.c raw)
#   driver      pcctl's unit driver, the layer `pcctl up` starts units with (bench/unit-start100.c driver)
#   systemd-run a sequential loop of `systemd-run --user` (it waits for each start job)
# `pcctl up` as a whole is measured by core-start100.sh.
# Usage: bench/unit-start100.sh [BUILD_DIR] [N] [ROUNDS]   (BENCH_QUICK=1: 20 units, 1 round)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init unit-start100 "${1:-}"
bench_need_systemd
n=${2:-$(bench_pick 20 100)}
rounds=${3:-$(bench_pick 1 5)}
project=bench$$

prog=$TMP/unit-start100
bench_cc "$prog" bench/unit-start100.c
bench_at_exit bench_stop_units "$project"

ways=${BENCH_WAYS:-"raw driver systemd-run"}   # e.g. BENCH_WAYS="raw driver"
declare -A times
bench_stop_units "$project"; bench_wait_units_gone "$project"
for r in $(seq 1 "$rounds"); do
        for way in $ways; do
                case $way in
                raw|driver) T=$("$prog" "$way" "$n" "$project" | awk '{ print $3 }') ;;
                systemd-run) T=$(bench_systemd_run_loop "$project" "$n") ;;
                esac
                echo "round $r: $way $n $T s"
                times[$way]="${times[$way]:-} $T"
                bench_stop_units "$project"; bench_wait_units_gone "$project"
        done
done

declare -A med
for way in $ways; do med[$way]=$(echo "${times[$way]}" | bench_median); done
echo "# start $n units until running, median of $rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
bench_result "start $n units, unit driver" s "${med[driver]:-}" "raw sd-bus pipelined" "${med[raw]:-}"
bench_result "start $n units, unit driver" s "${med[driver]:-}" "systemd-run loop" "${med[systemd-run]:-}"
