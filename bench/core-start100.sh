#!/usr/bin/env bash
# `pcctl up` of N `sleep 600` processes until all are Running, beside the unit area's baselines, in the
# same run, interleaved, median of ROUNDS:
#   raw         pipelined StartTransientUnit calls with sd-bus directly (bench/unit-start100.c raw)
#   raw-same    the same, with exactly the command line `pcctl up` gives its units for pcctl-up's processes
#               (pcctl-exec __exec IDENT -- bash -c 'exec /bin/sleep 600'): the baseline for pcctl-up, which
#               runs the same units; what is left between them is the controller's own cost
#   raw-same-entry  likewise for pcctl-entry (pcctl-exec __exec IDENT -- /bin/sleep 600)
#   pcctl-up    `pcctl up --no-server` on a generated project, from exec until pcctl reports every process
#               running (its debug line "All N processes are running", printed when the last started()
#               arrived; the time is taken here, when the line is read, so it includes loading the YAML,
#               connecting to the manager, process start-up and the pipe). Each process is
#               `command: "exec /bin/sleep 600"`, so every unit runs pcctl-exec, then bash, then sleep.
#   pcctl-entry the same with `entrypoint: [/bin/sleep, "600"]`: no shell, so the difference to pcctl-up is
#               what bash costs (the raw baseline runs /bin/sleep directly)
#   systemd-run a sequential loop of `systemd-run --user` (it waits for each start job)
#   supervisord the same N programs under supervisord (startsecs=0), from launch until its log says the last
#               one entered RUNNING (skipped when supervisord is not installed)
# Ratios are to the raw baseline. Every unit is stopped between runs.
# Usage: bench/core-start100.sh [BUILD_DIR] [N] [ROUNDS]
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${2:-100}
rounds=${3:-5}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}

[ -x "$build/pcctl" ] && [ -f "$build/libpcctl-core.a" ] || { echo "build $build first" >&2; exit 1; }
tmp=$(mktemp -d)
project=corebench$$
slice="pcctl-$project.slice"

cleanup_all() {
        systemctl --user stop "$slice" >/dev/null 2>&1 || true
        systemctl --user reset-failed "pcctl-$project-*" >/dev/null 2>&1 || true
}
trap 'cleanup_all; rm -rf "$tmp"' EXIT

wait_empty() {
        for _ in $(seq 1 400); do
                [ -z "$(systemctl --user list-units --all --plain --no-legend "pcctl-$project-*")" ] && return 0
                sleep 0.05
        done
        echo "units of $project still loaded" >&2
        return 1
}

prog=$tmp/unit-start100
cc -O2 -D_GNU_SOURCE -std=gnu11 -I"$src/src" -I"$build" "$src/bench/unit-start100.c" "$build/libpcctl-core.a" \
        $(pkg-config --cflags --libs libsystemd libmicrohttpd libcjson yaml-0.1 nettle libcurl) -lwslay -lm -o "$prog"

projdir=$tmp/proj
entrydir=$tmp/proj-entry
mkdir -p "$projdir" "$entrydir"
{
        echo "name: $project"
        echo "processes:"
        for i in $(seq 0 $((n - 1))); do
                printf '  s%d:\n    command: "exec /bin/sleep 600"\n' "$i"
        done
} > "$projdir/process-compose.yaml"
{
        echo "name: $project"
        echo "processes:"
        for i in $(seq 0 $((n - 1))); do
                printf '  s%d:\n    entrypoint: ["/bin/sleep", "600"]\n' "$i"
        done
} > "$entrydir/process-compose.yaml"

now() { date +%s.%N; }

run_pcctl_up() {
        local dir=$1 way=$2 t0 t1 fifo=$tmp/up.fifo pid line
        rm -f "$fifo"
        mkfifo "$fifo"
        t0=$(now)
        (cd "$dir" && PC_LOG_LEVEL=debug exec "$build/pcctl" up -t=false --no-server >/dev/null 2>"$fifo") &
        pid=$!
        line=$(grep -m1 -E "All [0-9]+ processes are running" <"$fifo" || true)
        t1=$(now)
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        # the reader of pcctl's stderr is gone once the line was seen, so pcctl usually dies of SIGPIPE, as after
        # a crash: forget its state file, or the next run would adopt (and count as ended) what cleanup_all stops
        rm -rf "${XDG_RUNTIME_DIR:?}/pcctl/$project"
        case "$line" in
        *"All $n processes are running"*) ;;
        *) echo "pcctl up did not report $n running processes: $line" >&2; return 1 ;;
        esac
        echo "$way $n $(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')"
}

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

run_supervisord() {
        local t0 t1 dir=$tmp/sv pid
        rm -rf "$dir"
        mkdir -p "$dir"
        {
                printf '[supervisord]\nnodaemon=true\nlogfile=%s/sv.log\npidfile=%s/sv.pid\nloglevel=info\n' "$dir" "$dir"
                printf '[unix_http_server]\nfile=%s/sv.sock\n' "$dir"
                for i in $(seq 0 $((n - 1))); do
                        printf '[program:s%d]\ncommand=/bin/sleep 600\nstartsecs=0\nautorestart=false\n' "$i"
                done
        } > "$dir/supervisord.conf"
        t0=$(now)
        supervisord -c "$dir/supervisord.conf" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 1 2000); do
                [ "$(cat "$dir/sv.log" 2>/dev/null | grep -c 'entered RUNNING state')" -ge "$n" ] && break
                sleep 0.005
        done
        t1=$(now)
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        echo "supervisord $n $(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')"
}

ways="raw raw-same raw-same-entry pcctl-up pcctl-entry systemd-run"
command -v supervisord >/dev/null && ways="$ways supervisord"
declare -A times
cleanup_all; wait_empty
for r in $(seq 1 "$rounds"); do
        for way in $ways; do
                case $way in
                raw) line=$("$prog" raw "$n" "$project") ;;
                raw-same) line=$("$prog" raw "$n" "$project" -- "$build/pcctl-exec" __exec '{ident}' -- \
                                 bash -c 'exec /bin/sleep 600' | sed 's/^raw /raw-same /') ;;
                raw-same-entry) line=$("$prog" raw "$n" "$project" -- "$build/pcctl-exec" __exec '{ident}' -- \
                                       /bin/sleep 600 | sed 's/^raw /raw-same-entry /') ;;
                pcctl-up) line=$(run_pcctl_up "$projdir" pcctl-up) ;;
                pcctl-entry) line=$(run_pcctl_up "$entrydir" pcctl-entry) ;;
                systemd-run) line=$(run_systemd_run) ;;
                supervisord) line=$(run_supervisord) ;;
                esac
                echo "round $r: $line"
                times[$way]="${times[$way]:-} $(echo "$line" | awk '{print $3}')"
                cleanup_all; wait_empty
        done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
base=$(echo "${times[raw]}" | median)
echo
echo "start $n processes until running, median of $rounds (seconds, ratio to the raw pipelined baseline, and"
echo "for pcctl, to raw pipelined starts of the very units it starts):"
same_up=$(echo "${times[raw-same]}" | median)
same_entry=$(echo "${times[raw-same-entry]}" | median)
for way in $ways; do
        m=$(echo "${times[$way]}" | median)
        same=
        case $way in
        pcctl-up) same=$(printf '   %5.2fx of raw-same' "$(echo "$m / $same_up" | bc -l)") ;;
        pcctl-entry) same=$(printf '   %5.2fx of raw-same-entry' "$(echo "$m / $same_entry" | bc -l)") ;;
        esac
        printf '  %-15s %7.3f s   %5.2fx%s\n' "$way" "$m" "$(echo "$m / $base" | bc -l)" "$same"
done
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
