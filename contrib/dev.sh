#!/usr/bin/env bash
# dev.sh: the two quick-start commands of README.md.
#
#   contrib/dev.sh up [COMPOSE-FILE]   install, build, bring up a user manager if needed, run `pcctl up`
#                                      on the bundled example (examples/hello) or on COMPOSE-FILE
#   contrib/dev.sh test                install, build, bring up a user manager if needed, run every test
#                                      suite (unit, integration, fuzz); ends with "N passed, N failed"
#
# Environment: BUILD_DIR (default build), MESON_ARGS (extra `meson setup` arguments), SUITES (default
# "unit integration fuzz").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build}
cd "$top"

prepare() {
        bash contrib/install-deps.sh
        if [ ! -f "$build/build.ninja" ]; then
                # shellcheck disable=SC2086
                meson setup "$build" -Dwerror=true ${MESON_ARGS:-}
        else
                meson setup --reconfigure "$build" >/dev/null
        fi
        ninja -C "$build"
        bash contrib/sandbox.sh start
        eval "$(bash contrib/sandbox.sh env)"
}

cmd_up() {
        local file=${1:-examples/hello/process-compose.yaml}
        prepare
        file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
        cd "$(dirname "$file")"
        shift || true
        exec "$top/$build/pcctl" up -f "$file" "$@"
}

cmd_test() {
        local suites=${SUITES:-unit integration fuzz} args=() rc=0
        prepare
        for s in $suites; do args+=(--suite "$s"); done
        meson test -C "$build" --print-errorlogs "${args[@]}" || rc=$?
        python3 contrib/test-summary.py "$build/meson-logs/testlog.json" || rc=1
        return $rc
}

case "${1:-}" in
up) shift; cmd_up "$@" ;;
test) shift; cmd_test "$@" ;;
*) echo "usage: $0 up [COMPOSE-FILE] | test" >&2; exit 2 ;;
esac
