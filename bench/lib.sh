# Shared by the benchmark scripts (source it, then call bench_init). A script is only its measurement: the
# preamble (build lookup, sandbox, temporary directory, cleanup), the baselines' set-up and the result lines
# are here.
#
# Every script reports its figures with bench_result: one line on stdout, and one row in $BENCH_RESULTS (a
# tab-separated file, when set: bench/run collects the rows of every benchmark into one table).
# BENCH_QUICK=1 asks for fewer iterations (a smoke check, the figures are noisy); see bench_pick.

# bench_init NAME [BUILD_DIR]: the preamble. Sets BENCH_NAME, SRC (the source tree, also the working
# directory), BUILD (absolute), PCCTL, PCCTL_EXEC, TMP (a private directory removed at exit) and QUICK (0/1);
# exports XDG_RUNTIME_DIR; installs the exit trap that runs the bench_at_exit commands, newest first.
bench_init() {
        BENCH_NAME=$1
        SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
        cd "$SRC" || exit 1
        BUILD=$(cd "${2:-build}" 2>/dev/null && pwd) || { echo "$BENCH_NAME: no build directory ${2:-build}" >&2; exit 1; }
        [ -x "$BUILD/pcctl" ] && [ -f "$BUILD/libpcctl-core.a" ] ||
                { echo "$BENCH_NAME: build $BUILD first (meson setup $BUILD && ninja -C $BUILD)" >&2; exit 1; }
        PCCTL=$BUILD/pcctl
        PCCTL_EXEC=$BUILD/pcctl-exec
        QUICK=${BENCH_QUICK:-0}
        export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
        TMP=$(mktemp -d "${TMPDIR:-/tmp}/pcctl-bench.XXXXXX")
        BENCH_EXIT_HOOKS=()
        trap _bench_exit EXIT
        trap 'exit 130' INT TERM
}

# bench_at_exit CMD...: run CMD (one shell word list, evaluated) when the script exits, whatever the reason.
bench_at_exit() { BENCH_EXIT_HOOKS+=("$*"); }

_bench_exit() {
        local i
        for ((i = ${#BENCH_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${BENCH_EXIT_HOOKS[i]}" || true; done
        rm -rf "$TMP"
}

# bench_pick QUICK_VALUE FULL_VALUE: the value for the current mode.
bench_pick() { if [ "$QUICK" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# bench_need_systemd: a user manager and journald (contrib/sandbox.sh start: idempotent, and a no-op on a
# host where systemd runs the user's session).
bench_need_systemd() {
        if ! systemctl --user show -p Version >/dev/null 2>&1; then
                bash "$SRC/contrib/sandbox.sh" start >&2 || { echo "$BENCH_NAME: no user manager" >&2; exit 1; }
        fi
        eval "$(bash "$SRC/contrib/sandbox.sh" env)"
}

# bench_need_root: lifting journald's rate limit for one unit writes under /run/systemd (root only).
bench_need_root() {
        [ "$(id -u)" = 0 ] || { echo "$BENCH_NAME: needs root (it lifts journald's rate limit for its own unit)" >&2; exit 1; }
}

# bench_need_supervisor: supervisord and supervisorctl (the Debian package, installed when missing, as
# contrib/install-deps.sh would). The package's own supervisord service is not left running: a
# policy-rc.d keeps it from starting, and one that started anyway is shut down.
bench_need_supervisor() {
        command -v supervisord >/dev/null && command -v supervisorctl >/dev/null && return 0
        local policy=/usr/sbin/policy-rc.d own_policy=0
        if [ ! -e "$policy" ]; then
                printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
        fi
        echo "# installing supervisor (Debian package)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                supervisor; } >/dev/null 2>&1 || echo "$BENCH_NAME: apt-get install supervisor failed" >&2
        [ $own_policy = 1 ] && rm -f "$policy"
        if [ -f /var/run/supervisord.pid ] && kill -0 "$(cat /var/run/supervisord.pid)" 2>/dev/null; then
                supervisorctl -c /etc/supervisor/supervisord.conf shutdown >/dev/null 2>&1 ||
                        kill "$(cat /var/run/supervisord.pid)"
        fi
        command -v supervisord >/dev/null
}

# bench_cc OUT SOURCE.c [PKG...]: build a benchmark program against BUILD's libpcctl-core.a, with the
# pkg-config packages PKG (default: all of pcctl's).
bench_cc() {
        local out=$1 source=$2 pkgs
        shift 2
        pkgs=${*:-libsystemd libmicrohttpd libcjson yaml-0.1 nettle libcurl}
        # shellcheck disable=SC2046,SC2086
        ${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -I"$SRC/src" -I"$SRC" -I"$BUILD" "$source" "$BUILD/libpcctl-core.a" \
                $(pkg-config --cflags --libs $pkgs) -lwslay -lm -o "$out"
}

bench_now() { date +%s.%N; }

# bench_elapsed T0 [T1]: seconds from T0 (bench_now) to T1 (default now), 3 decimals.
bench_elapsed() { awk -v a="$1" -v b="${2:-$(bench_now)}" 'BEGIN { printf "%.3f", b - a }'; }

# bench_median: the median of the numbers on stdin (separated by blanks or newlines).
bench_median() {
        tr ' ' '\n' | grep -v '^$' | sort -g |
                awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B: A / B with 2 decimals ("-" when either is missing or B is 0).
bench_ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-";
                                         else printf "%.2f", a / b }'
}

# bench_result MEASURE UNIT PCCTL_FIGURE BASELINE_NAME BASELINE_FIGURE: one figure of pcctl beside a baseline
# measured in the same run; the ratio is pcctl / baseline (so below 1 is better for times, above 1 for
# rates: UNIT says which).
bench_result() {
        local measure=$1 unit=$2 fig=$3 bname=$4 bfig=$5 ratio
        ratio=$(bench_ratio "$fig" "$bfig")
        printf '= %-40s pcctl %10s %-8s %-22s %10s   ratio %s\n' "$measure" "$fig" "$unit" "$bname" "$bfig" "$ratio"
        if [ -n "${BENCH_RESULTS:-}" ]; then
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BENCH_NAME" "$measure" "$unit" "$fig" "$bname" "$bfig" \
                        "$ratio" >> "$BENCH_RESULTS"
        fi
}

# bench_ticks PID: user+system CPU clock ticks of PID (0 when it is gone); bench_cpu_percent T0 T1 SECONDS.
bench_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
bench_cpu_percent() {
        awk -v a="$1" -v b="$2" -v t="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz / t * 100 }'
}
# bench_status_kb PID KEY: a /proc/PID/status figure in kB (VmRSS, VmHWM, ...).
bench_status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# --- pcctl projects -----------------------------------------------------------------------------------

# bench_write_sleepers DIR PROJECT N: DIR/process-compose.yaml with N processes proc-01.. running sleep 3600.
bench_write_sleepers() {
        local dir=$1 project=$2 n=$3 i
        {
                echo "name: $project"
                echo "processes:"
                for i in $(seq -w 1 "$n"); do
                        printf '  proc-%s:\n    command: "sleep 3600"\n' "$i"
                done
        } > "$dir/process-compose.yaml"
}

# bench_up DIR PROJECT ARGS...: `pcctl up -t=false ARGS` in DIR in the background (log: DIR/up.log); sets
# BENCH_PCPID. At exit the controller is stopped and the project's units are gone (bench_stop_pcctl).
bench_up() {
        local dir=$1 project=$2
        shift 2
        (cd "$dir" && exec "$PCCTL" up -t=false "$@" > "$dir/up.log" 2>&1) &
        BENCH_PCPID=$!
        bench_at_exit bench_stop_pcctl "$BENCH_PCPID" "$project"
}

# bench_wait_running N LOG CURL_ARGS...: wait (60 s at most) until GET /processes, fetched with curl and
# CURL_ARGS, reports N processes Running; else print LOG's tail and fail.
bench_wait_running() {
        local n=$1 log=$2 running=0
        shift 2
        for _ in $(seq 300); do
                running=$(curl -s "$@" 2>/dev/null | grep -o '"status":"Running"' | wc -l || true)
                [ "$running" -ge "$n" ] && return 0
                sleep 0.2
        done
        echo "only $running of $n processes running"
        tail "$log"
        return 1
}

# bench_stop_pcctl PID PROJECT: SIGTERM the controller (PID may be empty), wait up to 20 s, then make sure
# the project's units are gone.
bench_stop_pcctl() {
        local pid=$1 project=$2
        if [ -n "$pid" ]; then
                kill -TERM "$pid" 2>/dev/null || true
                for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        fi
        bench_stop_units "$project"
}

# bench_stop_units PROJECT: stop the project's slice (so every unit in it) and forget failed units.
bench_stop_units() {
        systemctl --user stop "pcctl-$1.slice" >/dev/null 2>&1 || true
        systemctl --user reset-failed "pcctl-$1-*" >/dev/null 2>&1 || true
}

# bench_wait_units_gone PROJECT: wait (20 s at most) until no unit of PROJECT is loaded.
bench_wait_units_gone() {
        for _ in $(seq 400); do
                [ -z "$(systemctl --user list-units --all --plain --no-legend "pcctl-$1-*" "pcctl-$1.slice")" ] && return 0
                sleep 0.05
        done
        echo "units of $1 still loaded" >&2
        return 1
}

# bench_systemd_run_loop PROJECT N: the `systemd-run --user` baseline: N `sleep 600` units named as pcctl
# names them, started one after the other (each call waits for its start job); prints the seconds.
bench_systemd_run_loop() {
        local project=$1 n=$2 t0 i
        t0=$(bench_now)
        for i in $(seq 0 $((n - 1))); do
                systemd-run --user -q --unit="pcctl-$project-s$i.service" --slice="pcctl-$project.slice" \
                        -p Type=exec -p KillMode=control-group -p StartLimitIntervalSec=0 -p IgnoreSIGPIPE=no \
                        -p SyslogIdentifier="pcctl-$project-s$i" /bin/sleep 600
        done
        bench_elapsed "$t0"
}

# bench_lift_rate_limit UNIT: no journald rate limit for UNIT only (what PID 1 writes for
# LogRateLimitIntervalSec=0/LogRateLimitBurst=0), restored at exit.
bench_lift_rate_limit() {
        local burst=/run/systemd/units/log-rate-limit-burst:$1 interval=/run/systemd/units/log-rate-limit-interval:$1
        mkdir -p /run/systemd/units
        ln -sfn 0 "$burst"
        ln -sfn 0 "$interval"
        bench_at_exit rm -f "'$burst'" "'$interval'"
}

# --- supervisord ---------------------------------------------------------------------------------------

# bench_supervisord_conf DIR: DIR/supervisord.conf's header (foreground, log, pid file, unix socket
# DIR/sv.sock); append [program:x] sections, then bench_supervisord_start DIR.
bench_supervisord_conf() {
        local dir=$1
        mkdir -p "$dir"
        {
                printf '[supervisord]\nnodaemon=true\nlogfile=%s/sv.log\npidfile=%s/sv.pid\nloglevel=info\n' "$dir" "$dir"
                printf 'childlogdir=%s\n' "$dir"
                printf '[unix_http_server]\nfile=%s/sv.sock\n' "$dir"
                printf '[supervisorctl]\nserverurl=unix://%s/sv.sock\n' "$dir"
                printf '[rpcinterface:supervisor]\n'
                printf 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n'
        } > "$dir/supervisord.conf"
}

# bench_supervisord_start DIR: run supervisord on DIR/supervisord.conf in the background; sets BENCH_SVPID;
# stopped (with its programs) at exit or by bench_supervisord_stop.
bench_supervisord_start() {
        supervisord -c "$1/supervisord.conf" > /dev/null 2>&1 &
        BENCH_SVPID=$!
        bench_at_exit bench_supervisord_stop "$BENCH_SVPID"
}

bench_supervisord_stop() {
        local pid=$1
        kill -0 "$pid" 2>/dev/null || return 0
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
}

# bench_supervisord_sleepers DIR N: supervisord in DIR with N programs proc-01.. running sleep 3600 (as
# bench_write_sleepers), started and all running (BENCH_SVPID).
bench_supervisord_sleepers() {
        local dir=$1 n=$2 i
        bench_supervisord_conf "$dir"
        for i in $(seq -w 1 "$n"); do
                printf '[program:proc-%s]\ncommand=sleep 3600\nstartsecs=0\n' "$i"
        done >> "$dir/supervisord.conf"
        bench_supervisord_start "$dir"
        bench_supervisord_wait_running "$dir" "$n"
}

# bench_supervisorctl DIR ARGS...: supervisorctl against the supervisord of DIR.
bench_supervisorctl() { local dir=$1; shift; supervisorctl -c "$dir/supervisord.conf" "$@"; }

# bench_supervisord_wait_running DIR N [TRIES]: wait until supervisord's log says N programs entered
# RUNNING (checks every 5 ms).
bench_supervisord_wait_running() {
        local dir=$1 n=$2 running
        for _ in $(seq "${3:-4000}"); do
                running=$(grep -c 'entered RUNNING state' "$dir/sv.log" 2>/dev/null || true)
                [ "${running:-0}" -ge "$n" ] && return 0
                sleep 0.005
        done
        echo "supervisord: fewer than $n programs running" >&2
        return 1
}

# --- PM2 -----------------------------------------------------------------------------------------------

BENCH_PM2_VERSION=7.0.4

# bench_need_pm2: PM2 (the Node.js process manager) as a baseline, when it can be had: `pm2` on PATH, else
# pm2@BENCH_PM2_VERSION installed once from npm (77 packages, no install scripts) under
# ~/.cache/pcctl-bench. Sets PM2 and PM2_HOME (private to this run; its daemon is killed at exit). Fails,
# saying so, without npm.
bench_need_pm2() {
        local dir=${XDG_CACHE_HOME:-$HOME/.cache}/pcctl-bench/pm2-$BENCH_PM2_VERSION
        PM2=$(command -v pm2 || true)
        if [ -z "$PM2" ]; then
                if [ ! -x "$dir/node_modules/.bin/pm2" ] && command -v npm >/dev/null; then
                        echo "# installing pm2@$BENCH_PM2_VERSION from npm into $dir" >&2
                        npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
                                "pm2@$BENCH_PM2_VERSION" >/dev/null 2>&1 || true
                fi
                [ -x "$dir/node_modules/.bin/pm2" ] && PM2=$dir/node_modules/.bin/pm2
        fi
        if [ -z "$PM2" ]; then
                echo "# PM2 is not available (no pm2, and npm could not install it): no PM2 figures" >&2
                return 1
        fi
        export PM2_HOME=$TMP/pm2
        bench_at_exit bench_pm2_kill
}

# bench_pm2_kill: stop PM2's daemon of this run and every application it runs.
bench_pm2_kill() {
        local pid
        [ -f "$PM2_HOME/pm2.pid" ] || return 0
        pid=$(cat "$PM2_HOME/pm2.pid")
        timeout 30 "$PM2" kill > /dev/null 2>&1 || true
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        rm -f "$PM2_HOME/pm2.pid"
}
