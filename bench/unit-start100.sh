#!/usr/bin/env bash
# Start 100 `sleep 600` units until all are running, in four ways in the same run, and print the times
# and the ratios to the raw baseline:
#   raw         pipelined StartTransientUnit calls with sd-bus directly (bench/unit-start100.c raw)
#   driver      pcctl's unit driver (bench/unit-start100.c driver)
#   pcctl-up    `pcctl up` on a generated project of 100 processes, until the API shows all Running
#               (only when this build's `pcctl up` works)
#   systemd-run a sequential loop of `systemd-run --user` (it waits for each start job)
# Each way runs ROUNDS times (default 5), interleaved; the median is reported. Every unit is stopped
# between runs. Usage: bench/unit-start100.sh [BUILD_DIR] [N] [ROUNDS]
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${2:-100}
rounds=${3:-5}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}

[ -f "$build/libpcctl-core.a" ] || { echo "build $build first (ninja -C $build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'cleanup_all; rm -rf "$tmp"' EXIT
prog=$tmp/unit-start100
# The benchmark links the same static library as pcctl; bench/ has no meson targets of its own.
cc -O2 -D_GNU_SOURCE -std=gnu11 -I"$src/src" -I"$build" "$src/bench/unit-start100.c" "$build/libpcctl-core.a" \
        $(pkg-config --cflags --libs libsystemd libmicrohttpd libcjson yaml-0.1 nettle libcurl) -lwslay -lm -o "$prog"

project=bench$$
slice="pcctl-$project.slice"

cleanup_all() {
        systemctl --user stop "$slice" >/dev/null 2>&1 || true
        systemctl --user reset-failed "pcctl-$project-*" >/dev/null 2>&1 || true
}

wait_empty() {
        for _ in $(seq 1 200); do
                [ -z "$(systemctl --user list-units --all --plain --no-legend "pcctl-$project-*" "$slice")" ] && return 0
                sleep 0.05
        done
        echo "units of $project still loaded" >&2
        return 1
}

now() { date +%s.%N; }

run_systemd_run() {
        local t0 t1
        t0=$(now)
        for i in $(seq 0 $((n - 1))); do
                systemd-run --user -q --unit="pcctl-$project-s$i.service" --slice="$slice" \
                        -p Type=exec -p KillMode=control-group -p StartLimitIntervalSec=0 -p IgnoreSIGPIPE=no \
                        -p SyslogIdentifier="pcctl-$project-s$i" /bin/sleep 600
        done
        t1=$(now)
        echo "systemd-run $n $(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')"
}

have_up=0
pcctl=$build/pcctl
if "$pcctl" up --help >/dev/null 2>&1; then
        have_up=1
        projdir=$tmp/proj
        mkdir -p "$projdir"
        {
                echo "name: $project"
                echo "processes:"
                for i in $(seq 0 $((n - 1))); do
                        printf '  s%d:\n    command: "exec /bin/sleep 600"\n' "$i"
                done
        } > "$projdir/process-compose.yaml"
fi

run_pcctl_up() {
        local t0 t1 sock=$tmp/api.sock pid running
        rm -f "$sock"
        t0=$(now)
        (cd "$projdir" && exec "$pcctl" up -t=false --unix-socket "$sock" >"$tmp/up.log" 2>&1) &
        pid=$!
        local deadline=$((SECONDS + 120))
        while [ $SECONDS -lt $deadline ]; do
                running=$(curl -s --unix-socket "$sock" http://x/processes 2>/dev/null |
                          jq '[.data[] | select(.status == "Running")] | length' 2>/dev/null || echo 0)
                [ "${running:-0}" -ge "$n" ] && break
                sleep 0.01
        done
        t1=$(now)
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        [ "${running:-0}" -ge "$n" ] || { echo "pcctl up: only ${running:-0} of $n Running" >&2; tail -5 "$tmp/up.log" >&2; return 1; }
        echo "pcctl-up $n $(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')"
}

ways="raw driver systemd-run"
[ $have_up = 1 ] && ways="raw driver pcctl-up systemd-run"
ways=${BENCH_WAYS:-$ways}   # e.g. BENCH_WAYS="raw driver" (raw must be among them)
declare -A times
cleanup_all; wait_empty
for r in $(seq 1 "$rounds"); do
        for way in $ways; do
                case $way in
                raw|driver) line=$("$prog" "$way" "$n" "$project") ;;
                pcctl-up) line=$(run_pcctl_up) || { echo "round $r: pcctl-up failed"; cleanup_all; wait_empty; continue; } ;;
                systemd-run) line=$(run_systemd_run) ;;
                esac
                echo "round $r: $line"
                times[$way]="${times[$way]:-} $(echo "$line" | awk '{print $3}')"
                cleanup_all; wait_empty
        done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
base=$(echo "${times[raw]}" | median)
echo
echo "start $n units until running, median of $rounds (seconds, ratio to raw pipelined baseline):"
for way in $ways; do
        m=$(echo "${times[$way]}" | median)
        printf '  %-12s %7.3f s   %5.2fx\n' "$way" "$m" "$(echo "$m / $base" | bc -l)"
done
[ $have_up = 1 ] || echo "  (pcctl up not available in this build: skipped)"
