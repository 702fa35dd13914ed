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
#   supervisord the same N programs under supervisord (command=/bin/sleep 600, no shell, startsecs=0), from
#               launch until its log says the last one entered RUNNING
#   pm2         the same N applications under PM2 (script /bin/sleep, interpreter none, no restart): from
#               `pm2 start` (its daemon included) until it returns, every application launched and online
#               (checked afterwards); skipped when PM2 cannot be had (lib.sh bench_need_pm2)
# Every unit is stopped between runs.
# Usage: bench/core-start100.sh [BUILD_DIR] [N] [ROUNDS]   (default 100 processes, 3 rounds: the lock held
# about 4 minutes; BENCH_QUICK=1: 20 processes, 1 round)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init core-start100 "${1:-}"
bench_need_systemd
bench_need_supervisor
have_pm2=0
bench_need_pm2 && have_pm2=1
n=${2:-$(bench_pick 20 100)}
rounds=${3:-$(bench_pick 1 3)}
project=corebench$$

prog=$TMP/unit-start100
bench_cc "$prog" bench/unit-start100.c
bench_at_exit bench_stop_units "$project"

projdir=$TMP/proj
entrydir=$TMP/proj-entry
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

# run_pcctl_up DIR: T = seconds from exec until pcctl's debug line says all N processes run
run_pcctl_up() {
        local dir=$1 t0 t1 fifo=$TMP/up.fifo pid line
        rm -f "$fifo"
        mkfifo "$fifo"
        t0=$(bench_now)
        (cd "$dir" && PC_LOG_LEVEL=debug exec "$PCCTL" up -t=false --no-server >/dev/null 2>"$fifo") &
        pid=$!
        line=$(grep -m1 -E "All [0-9]+ processes are running" <"$fifo" || true)
        t1=$(bench_now)
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        # the reader of pcctl's stderr is gone once the line was seen, so pcctl usually dies of SIGPIPE, as after
        # a crash: forget its state file, or the next run would adopt (and count as ended) what we stop
        rm -rf "${XDG_RUNTIME_DIR:?}/pcctl/$project"
        case "$line" in
        *"All $n processes are running"*) ;;
        *) echo "pcctl up did not report $n running processes: $line" >&2; return 1 ;;
        esac
        T=$(bench_elapsed "$t0" "$t1")
}

# run_supervisord: T = seconds from launching supervisord until its log says all N programs run
run_supervisord() {
        local t0 t1 dir=$TMP/sv
        rm -rf "$dir"
        bench_supervisord_conf "$dir"
        for i in $(seq 0 $((n - 1))); do
                printf '[program:s%d]\ncommand=/bin/sleep 600\nstartsecs=0\nautorestart=false\n' "$i"
        done >> "$dir/supervisord.conf"
        t0=$(bench_now)
        bench_supervisord_start "$dir"
        bench_supervisord_wait_running "$dir" "$n" || { bench_supervisord_stop "$BENCH_SVPID"; return 1; }
        t1=$(bench_now)
        bench_supervisord_stop "$BENCH_SVPID"
        T=$(bench_elapsed "$t0" "$t1")
}

# run_pm2: T = seconds of `pm2 start` of the N applications, its daemon's start included
run_pm2() {
        local t0 t1 online
        t0=$(bench_now)
        "$PM2" start "$TMP/pm2.json" > "$TMP/pm2.log" 2>&1 || { tail "$TMP/pm2.log" >&2; return 1; }
        t1=$(bench_now)
        online=$("$PM2" jlist 2>/dev/null | grep -o '"status":"online"' | wc -l)
        bench_pm2_kill
        [ "$online" -ge "$n" ] || { echo "pm2: $online of $n applications online" >&2; return 1; }
        T=$(bench_elapsed "$t0" "$t1")
}
if [ $have_pm2 = 1 ]; then
        {
                printf '{"apps": ['
                for i in $(seq 0 $((n - 1))); do
                        [ "$i" = 0 ] || printf ','
                        printf '{"name": "s%d", "script": "/bin/sleep", "args": "600", "interpreter": "none", "autorestart": false}' "$i"
                done
                printf ']}\n'
        } > "$TMP/pm2.json"
fi

raw() { T=$("$prog" raw "$n" "$project" "$@" | awk '{ print $3 }'); }

ways="raw raw-same raw-same-entry pcctl-up pcctl-entry systemd-run supervisord"
[ $have_pm2 = 1 ] && ways="$ways pm2"
declare -A times
bench_stop_units "$project"; bench_wait_units_gone "$project"
for r in $(seq 1 "$rounds"); do
        for way in $ways; do
                case $way in
                raw) raw ;;
                raw-same) raw -- "$PCCTL_EXEC" __exec '{ident}' -- bash -c 'exec /bin/sleep 600' ;;
                raw-same-entry) raw -- "$PCCTL_EXEC" __exec '{ident}' -- /bin/sleep 600 ;;
                pcctl-up) run_pcctl_up "$projdir" ;;
                pcctl-entry) run_pcctl_up "$entrydir" ;;
                systemd-run) T=$(bench_systemd_run_loop "$project" "$n") ;;
                supervisord) run_supervisord ;;
                pm2) run_pm2 ;;
                esac
                echo "round $r: $way $n $T s"
                times[$way]="${times[$way]:-} $T"
                bench_stop_units "$project"; bench_wait_units_gone "$project"
        done
done

declare -A med
for way in $ways; do med[$way]=$(echo "${times[$way]}" | bench_median); done
echo "# start $n processes until running, median of $rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
bench_result "start $n, command: (bash)" s "${med[pcctl-up]}" raw-same "${med[raw-same]}"
bench_result "start $n, entrypoint (no shell)" s "${med[pcctl-entry]}" raw-same-entry "${med[raw-same-entry]}"
bench_result "start $n, entrypoint (no shell)" s "${med[pcctl-entry]}" "raw (bare /bin/sleep)" "${med[raw]}"
bench_result "start $n, entrypoint (no shell)" s "${med[pcctl-entry]}" "systemd-run loop" "${med[systemd-run]}"
bench_result "start $n, entrypoint (no shell)" s "${med[pcctl-entry]}" supervisord "${med[supervisord]}"
[ $have_pm2 = 1 ] && bench_result "start $n, entrypoint (no shell)" s "${med[pcctl-entry]}" "pm2 start" "${med[pm2]}"
exit 0
