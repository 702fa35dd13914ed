#!/usr/bin/env bash
# sandbox.sh: make a real systemd user manager and journald available.
#
#   sandbox.sh start    bring them up if none is reachable (idempotent)
#   sandbox.sh stop     stop what this script started (never a manager it did not start)
#   sandbox.sh status   say whether a manager and journald answer, and how they were started
#   sandbox.sh env      print the environment to use: eval "$(contrib/sandbox.sh env)"
#
# On a normal systemd host (systemd is PID 1, a user manager runs for the user) it only reports what it
# found and changes nothing. On machines where systemd is installed but is not PID 1 (containers, CI), it
# starts a standalone systemd-journald and `systemd --user`, as ../shared/docs/systemd-notes.md §0 records:
# the manager refuses to start unless /run/systemd/system exists, so that directory is created for the
# start only and removed afterwards if this script created it.
#
# A stale socket file left by a dead manager or journald does not count: every check asks the socket.
set -euo pipefail

uid=$(id -u)
runtime_dir=${XDG_RUNTIME_DIR:-/run/user/$uid}
state_dir=/run/pcctl-sandbox
journal_stdout=/run/systemd/journal/stdout
private_socket=$runtime_dir/systemd/private

log() { printf 'sandbox: %s\n' "$*" >&2; }

# Does the user manager answer on its private socket?
manager_answers() {
        [ -S "$private_socket" ] || return 1
        # systemctl --user talks to the same private socket; a stale file gives "Connection refused".
        XDG_RUNTIME_DIR=$runtime_dir timeout 5 systemctl --user show -p Version >/dev/null 2>&1
}

# Does journald accept a stdout stream? (systemd-cat connects to the same socket units use.)
journald_answers() {
        [ -S "$journal_stdout" ] || return 1
        timeout 5 systemd-cat -t pcctl-sandbox-probe true >/dev/null 2>&1
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # wait_for SECONDS CMD...
        local deadline=$((SECONDS + $1)); shift
        until "$@"; do
                [ $SECONDS -lt $deadline ] || return 1
                sleep 0.1
        done
}

pid1_is_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

find_binary() { # the first existing path
        local p
        for p in "$@"; do [ -x "$p" ] && { echo "$p"; return 0; }; done
        return 1
}

start_journald() {
        local bin
        if journald_answers; then
                return 0
        fi
        bin=$(find_binary /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald) || {
                log "systemd-journald is not installed (apt-get install systemd)"; return 1; }
        mkdir -p "$state_dir" /run/systemd/journal
        # A socket file left by a journald that died would make the new one fail to bind.
        if ! pid_alive "$state_dir/journald.pid"; then
                rm -f /run/systemd/journal/socket /run/systemd/journal/stdout /run/systemd/journal/dev-log
        fi
        setsid "$bin" </dev/null >/dev/null 2>&1 &
        echo $! >"$state_dir/journald.pid"
        wait_for 10 journald_answers || { log "journald did not come up"; return 1; }
        log "started systemd-journald (pid $(cat "$state_dir/journald.pid"))"
}

start_manager() {
        local bin created=0 rc=0
        if manager_answers; then
                return 0
        fi
        bin=$(find_binary /lib/systemd/systemd /usr/lib/systemd/systemd) || {
                log "systemd is not installed (apt-get install systemd)"; return 1; }
        mkdir -p "$state_dir" "$runtime_dir"
        chmod 700 "$runtime_dir"
        if pid_alive "$state_dir/manager.pid"; then
                log "a sandbox manager (pid $(cat "$state_dir/manager.pid")) runs but does not answer; stopping it"
                kill "$(cat "$state_dir/manager.pid")" 2>/dev/null || true
                sleep 1
        fi
        rm -f "$private_socket"
        if [ ! -d /run/systemd/system ]; then
                mkdir -p /run/systemd/system
                created=1
        fi
        # Default logging: debug logging to the console makes every unit start ~20x slower (notes §0.3).
        XDG_RUNTIME_DIR=$runtime_dir setsid "$bin" --user </dev/null >/dev/null 2>&1 &
        echo $! >"$state_dir/manager.pid"
        wait_for 20 manager_answers || rc=1
        if [ $created = 1 ]; then
                rmdir /run/systemd/system 2>/dev/null || true
        fi
        if [ $rc != 0 ]; then
                log "the user manager did not come up"
                return 1
        fi
        log "started systemd --user (pid $(cat "$state_dir/manager.pid"), XDG_RUNTIME_DIR=$runtime_dir)"
}

cmd_start() {
        if manager_answers && journald_answers; then
                if pid_alive "$state_dir/manager.pid"; then
                        log "sandbox already running (manager pid $(cat "$state_dir/manager.pid"))"
                else
                        log "a user manager is reachable at $private_socket; nothing to do"
                fi
                return 0
        fi
        if pid1_is_systemd && [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -S "$private_socket" ]; then
                log "systemd is PID 1 but the user manager at $private_socket does not answer"
                return 1
        fi
        start_journald
        start_manager
}

cmd_stop() {
        local f stopped=0
        for f in manager journald; do
                if pid_alive "$state_dir/$f.pid"; then
                        kill "$(cat "$state_dir/$f.pid")" 2>/dev/null || true
                        wait_for 10 bash -c "! kill -0 $(cat "$state_dir/$f.pid") 2>/dev/null" || \
                                kill -9 "$(cat "$state_dir/$f.pid")" 2>/dev/null || true
                        log "stopped sandbox $f"
                        stopped=1
                fi
                rm -f "$state_dir/$f.pid"
        done
        [ $stopped = 1 ] || log "no sandbox was running; nothing stopped"
}

cmd_status() {
        local rc=0 how
        if manager_answers; then
                if pid_alive "$state_dir/manager.pid"; then
                        how="started by contrib/sandbox.sh (pid $(cat "$state_dir/manager.pid"))"
                elif pid1_is_systemd; then
                        how="provided by the host's systemd (PID 1)"
                else
                        how="started outside this script"
                fi
                echo "manager:  reachable at $private_socket, $how"
        else
                echo "manager:  not reachable at $private_socket"
                rc=1
        fi
        if journald_answers; then
                if pid_alive "$state_dir/journald.pid"; then
                        how="started by contrib/sandbox.sh (pid $(cat "$state_dir/journald.pid"))"
                elif pid1_is_systemd; then
                        how="provided by the host's systemd (PID 1)"
                else
                        how="started outside this script"
                fi
                echo "journald: reachable at $journal_stdout, $how"
        else
                echo "journald: not reachable at $journal_stdout"
                rc=1
        fi
        echo "env:      XDG_RUNTIME_DIR=$runtime_dir"
        return $rc
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) echo "export XDG_RUNTIME_DIR=$runtime_dir" ;;
*) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
