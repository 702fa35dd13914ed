#!/bin/bash
# Following one process's log with the user-facing clients, each writing to a terminal (bench/logs-tail.py):
#   pcctl process logs -f   the controller's WebSocket stream
#   pcctl logs -f -o cat    the journal directly (no controller)
#   journalctl -f -o cat    the baseline for both: the same unit's lines in the same journal
#   supervisorctl tail -f   the same writer run by supervisord (its stdout log file, over its HTTP socket)
#   pm2 logs --raw          the same writer run by PM2 (its daemon's log bus), when PM2 can be had
# Two figures each: write()->terminal latency at RATE lines/s (p50, p99; the pcctl-side clients and
# journalctl follow one writer together), and throughput: a writer of TPUT_N lines, one write() each, as fast
# as journald (or supervisord) takes them, followed by one client at a time (on 2 cores side-by-side clients
# would measure each other); lines/s from the first line's write() to the last line's arrival, and lines
# lost. The pcctl units' journald rate limit is lifted, for them only (as PID 1 does for LogRateLimitBurst=0).
# Usage: bench/logs-tail.sh [BUILD_DIR]   Needs root.   (BENCH_QUICK=1: 50 lines, 5000 lines)
# Env: LAT_N (300) RATE (50) TPUT_N (20000) LOGS_TAIL_PIPE (1: the clients write to a pipe, not a terminal)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init logs-tail "${1:-}"
bench_need_systemd
bench_need_root
bench_need_supervisor
have_pm2=0
bench_need_pm2 && have_pm2=1
LAT_N=${LAT_N:-$(bench_pick 50 300)}
RATE=${RATE:-50}
TPUT_N=${TPUT_N:-$(bench_pick 5000 20000)}
PROJECT=logtail$$
SOCK=$TMP/api.sock
WRITER=$TMP/logs-bench
bench_cc "$WRITER" bench/logs-bench.c libsystemd

# The same processes under pcctl and under supervisord: each prints "warm" lines until its go-NAME file
# exists, then writes.
names="lat tpproc tplogs tpjctl"
cmd() { # cmd NAME N RATE DIR: the shell command line
        echo "while [ ! -e $4/go-$1 ]; do echo warm; sleep 0.1; done; exec $WRITER write $2 $3"
}
{
        echo "name: $PROJECT"
        echo "processes:"
        printf '  lat:\n    command: "%s"\n' "$(cmd lat "$LAT_N" "$RATE" "$TMP")"
        for p in tpproc tplogs tpjctl; do printf '  %s:\n    command: "%s"\n' "$p" "$(cmd "$p" "$TPUT_N" 0 "$TMP")"; done
        echo '  keep:'
        echo '    command: "sleep 3600"'
} > "$TMP/process-compose.yaml"
for p in $names; do bench_lift_rate_limit "pcctl-$PROJECT-$p.service"; done
bench_up "$TMP" "$PROJECT" -u "$SOCK"
bench_wait_running 5 "$TMP/up.log" --unix-socket "$SOCK" http://unix/processes

SV=$TMP/sv
bench_supervisord_conf "$SV"
for p in lat tpsv; do
        n=$LAT_N rate=$RATE
        [ $p = tpsv ] && n=$TPUT_N rate=0
        printf "[program:%s]\ncommand=sh -c '%s'\nstartsecs=0\nautorestart=false\n" "$p" "$(cmd $p "$n" "$rate" "$SV")"
        printf 'stdout_logfile=%s/%s.log\nstdout_logfile_maxbytes=0\n' "$SV" "$p"
done >> "$SV/supervisord.conf"
bench_supervisord_start "$SV"
bench_supervisord_wait_running "$SV" 2

if [ $have_pm2 = 1 ]; then
        mkdir -p "$TMP/pm2app"
        printf '{"apps": [{"name": "lat", "script": "sh", "args": ["-c", "%s"], "interpreter": "none", "autorestart": false},
 {"name": "tppm2", "script": "sh", "args": ["-c", "%s"], "interpreter": "none", "autorestart": false}]}\n' \
                "$(cmd lat "$LAT_N" "$RATE" "$TMP/pm2app")" "$(cmd tppm2 "$TPUT_N" 0 "$TMP/pm2app")" > "$TMP/pm2.json"
        "$PM2" start "$TMP/pm2.json" > "$TMP/pm2.log" 2>&1 || { tail "$TMP/pm2.log"; have_pm2=0; }
fi

declare -A client=(
        [proc]="$PCCTL process logs -f -u $SOCK"
        [logs]="$PCCTL logs -f -o cat --project $PROJECT"
        [jctl]="journalctl -f -n 0 -q -o cat SYSLOG_IDENTIFIER=pcctl-$PROJECT-"
        [sv]="supervisorctl -c $SV/supervisord.conf tail -f"
        [pm2]="${PM2:-pm2} logs --raw --lines 0"
)
declare -A label=([proc]="pcctl process logs -f" [logs]="pcctl logs -f" [jctl]="journalctl -f" [sv]="supervisorctl tail -f"
        [pm2]="pm2 logs")
# follow_start KEY PROCESS N OUT: start one client of PROCESS's log in the background
follow_start() {
        local args
        if [ "$1" = jctl ]; then args="${client[jctl]}$2"; else args="${client[$1]} $2"; fi
        # shellcheck disable=SC2086
        /usr/bin/python3 bench/logs-tail.py follow "$3" 5 "$4.ready" -- $args > "$4" 2> "$4.err" &
        FOLLOWERS+=($!)
        READY+=("$4.ready")
}
# follow_wait: wait for the started clients
follow_wait() { wait "${FOLLOWERS[@]}"; FOLLOWERS=() READY=(); }
FOLLOWERS=() READY=()
# go DIR NAME: let the writer NAME (under pcctl: DIR=$TMP, supervisord: $SV) start, once every started
# client has shown a warm-up line (30 s at most)
go() {
        local f
        for _ in $(seq 300); do
                for f in "${READY[@]}"; do [ -e "$f" ] || { sleep 0.1; continue 2; }; done
                break
        done
        for f in "${READY[@]}"; do [ -e "$f" ] || echo "# ${f##*/}: the client showed no line in 30 s" >&2; done
        touch "$1/go-$2"
}
# j FILE KEY: a figure of a client's JSON result ("-" when it has none)
j() {
        /usr/bin/python3 -c 'import json, sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception:
    v = None
print("-" if v is None else ("%.2f" % v if isinstance(v, float) else v))' "$1" "$2"
}

# alone KEY PROCESS N OUT: one client and its writer, nothing else
alone() { follow_start "$1" "$2" "$3" "$4"; go "${godir[$1]}" "$2"; follow_wait; }
declare -A godir=([proc]=$TMP [logs]=$TMP [jctl]=$TMP [sv]=$SV [pm2]=$TMP/pm2app)
others="sv"
[ $have_pm2 = 0 ] || others="sv pm2"

echo "# latency: $LAT_N lines at $RATE lines/s"
for k in proc logs jctl; do follow_start $k lat "$LAT_N" "$TMP/lat-$k"; done
go "$TMP" lat
follow_wait
for k in $others; do alone $k lat "$LAT_N" "$TMP/lat-$k"; done
echo "# throughput: $TPUT_N lines, one client at a time"
for k in proc logs jctl $others; do alone $k "tp$k" "$TPUT_N" "$TMP/tp-$k"; done
for f in "$TMP"/lat-* "$TMP"/tp-*; do case $f in *.err) ;; *) echo "${f##*/}: $(cat "$f")" ;; esac; done

for m in p50_ms p99_ms; do
        for k in proc logs; do
                bench_result "${label[$k]} latency ${m%_ms}" ms "$(j "$TMP/lat-$k" $m)" "journalctl -f" "$(j "$TMP/lat-jctl" $m)"
        done
        for k in $others; do
                bench_result "${label[proc]} latency ${m%_ms}" ms "$(j "$TMP/lat-proc" $m)" "${label[$k]}" "$(j "$TMP/lat-$k" $m)"
        done
done
for k in proc logs; do
        bench_result "${label[$k]}, $TPUT_N lines" lines/s "$(j "$TMP/tp-$k" lines_per_s)" "journalctl -f" "$(j "$TMP/tp-jctl" lines_per_s)"
done
for k in $others; do
        bench_result "${label[proc]}, $TPUT_N lines" lines/s "$(j "$TMP/tp-proc" lines_per_s)" "${label[$k]}" "$(j "$TMP/tp-$k" lines_per_s)"
done
for k in proc logs jctl $others; do
        r=$(j "$TMP/tp-$k" received)
        [ "$r" = "$TPUT_N" ] || echo "# ${label[$k]} received $r of $TPUT_N lines in the throughput run"
done
