#!/usr/bin/env bash
# Benchmark: load a generated 1000-process project with the compose loader, beside the time to merely parse
# the same YAML with libyaml (events only), in the same run. Target: the full load under 50 ms.
#
#   bench/compose-load.sh [BUILD_DIR] [N_PROCESSES]   (BENCH_QUICK=1: 5 runs instead of 21)
#
# Builds a small timing program against BUILD_DIR/libpcctl-core.a; needs no systemd.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init compose-load "${1:-}"
n=${2:-1000}
runs=$(bench_pick 5 21)
work=$TMP

# A realistic file: env, deps, probes, templates, availability, namespaces, replicas.
{
        echo 'version: "0.5"'
        echo 'environment: ["GLOBAL=1", "LOG=info"]'
        echo 'vars: {PORT: 8000}'
        echo 'processes:'
        for ((i = 0; i < n; i++)); do
                cat <<YAML
  proc$i:
    command: "echo proc$i \${HOME} {{ .PORT }} && sleep 1"
    working_dir: /tmp
    namespace: ns$((i % 10))
    environment:
      - "INDEX=$i"
      - "NAME=proc$i"
    availability:
      restart: on_failure
      backoff_seconds: 2
      max_restarts: 3
    readiness_probe:
      http_get:
        host: 127.0.0.1
        port: "{{ .PORT }}"
        path: /health
      period_seconds: 5
    shutdown:
      signal: 15
      timeout_seconds: 5
YAML
                if ((i > 0)); then
                        printf '    depends_on:\n      proc%d:\n        condition: process_healthy\n' $((i - 1))
                fi
        done
} > "$work/process-compose.yaml"

cat > "$work/bench.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>
#include "compose/compose.h"

/* CPU time of this process: on a shared, loaded machine wall time mostly measures the neighbours. */
static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        int RUNS = argc > 2 ? atoi(argv[2]) : 21;
        if (RUNS < 1 || RUNS > 64)
                RUNS = 21;
        double load[64], parse[64];
        FILE *f = fopen(argv[1], "r");
        char *text;
        long size;
        size_t n_processes = 0;

        fseek(f, 0, SEEK_END);
        size = ftell(f);
        rewind(f);
        text = malloc(size + 1);
        if (fread(text, 1, size, f) != (size_t) size)
                return 1;
        text[size] = 0;
        fclose(f);

        for (int i = 0; i < RUNS; i++) {
                ComposeLoadOptions o = { .disable_dotenv = true };
                ComposeProject *p = NULL;
                ComposeError e = {};
                double t0 = now_ms();
                char *files[] = { argv[1], NULL };
                o.files = files;
                if (compose_load(&o, &p, &e) < 0) {
                        fprintf(stderr, "load failed: %s\n", e.message);
                        return 1;
                }
                load[i] = now_ms() - t0;
                n_processes = p->n_processes;
                compose_project_free(p);

                t0 = now_ms();
                yaml_parser_t y;
                yaml_event_t ev;
                yaml_parser_initialize(&y);
                yaml_parser_set_input_string(&y, (unsigned char *) text, size);
                for (;;) {
                        if (!yaml_parser_parse(&y, &ev))
                                return 1;
                        int done = ev.type == YAML_STREAM_END_EVENT;
                        yaml_event_delete(&ev);
                        if (done)
                                break;
                }
                yaml_parser_delete(&y);
                parse[i] = now_ms() - t0;
        }
        qsort(load, RUNS, sizeof(double), cmp);
        qsort(parse, RUNS, sizeof(double), cmp);
        printf("file: %ld bytes, %zu processes (CPU time, %d runs)\n", size, n_processes, RUNS);
        printf("libyaml parse only : median %7.2f ms  (min %.2f, max %.2f)\n", parse[RUNS / 2], parse[0], parse[RUNS - 1]);
        printf("compose_load       : median %7.2f ms  (min %.2f, max %.2f)\n", load[RUNS / 2], load[0], load[RUNS - 1]);
        printf("ratio load/parse   : %.2fx\n", load[RUNS / 2] / parse[RUNS / 2]);
        printf("target < 50 ms     : %s\n", load[RUNS / 2] < 50 ? "met" : "MISSED");
        free(text);
        printf("result load_ms=%.2f parse_ms=%.2f\n", load[RUNS / 2], parse[RUNS / 2]);
        return load[RUNS / 2] < 50 ? 0 : 2;
}
C

bench_cc "$work/bench" "$work/bench.c" libsystemd libmicrohttpd libcjson yaml-0.1 nettle libcurl
rc=0
"$work/bench" "$work/process-compose.yaml" "$runs" | tee "$work/out" || rc=$?
read -r load parse < <(sed -n 's/^result load_ms=\([0-9.]*\) parse_ms=\([0-9.]*\)/\1 \2/p' "$work/out")
bench_result "load a $n-process project (CPU)" ms "${load:-}" "libyaml parse alone" "${parse:-}"

# End to end through the CLI, for reference (process start, load, JSON output), wall and CPU time.
TIMEFORMAT='pcctl config -o json: %R s wall, %U s user + %S s system CPU'
{ time "$PCCTL" config --disable-dotenv -f "$work/process-compose.yaml" -o json > /dev/null; } 2>&1
exit $rc
