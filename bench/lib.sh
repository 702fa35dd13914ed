# Shared by the benchmark scripts that run `pcctl up` on a project of N sleepers (source it).

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
        systemctl --user stop "pcctl-$project.slice" >/dev/null 2>&1 || true
        systemctl --user reset-failed "pcctl-$project-*" >/dev/null 2>&1 || true
}
