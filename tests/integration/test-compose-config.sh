#!/usr/bin/env bash
# pcctl config end to end: discovery, -f merge, -n, -o json/yaml, errors on stderr with exit code 1.
set -uo pipefail

pcctl=${PCCTL_BIN:?}
fixtures=${PCCTL_TEST_FIXTURES:?}/compose
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

check() { # description, condition...
        local what=$1
        shift
        if "$@"; then
                echo "ok - $what"
        else
                echo "not ok - $what"
                fail=1
        fi
}

# discovery in the working directory, .env used for substitution
cat > "$work/process-compose.yaml" <<'YAML'
processes:
  hello:
    command: "echo ${GREETING:-none} $$HOME"
YAML
echo 'GREETING=from-dotenv' > "$work/.env"
out=$(cd "$work" && env -u PC_CONFIG_FILES "$pcctl" config -o json)
check "discovery + .env substitution" test "$(jq -r '.Processes.hello.command' <<<"$out")" = 'echo from-dotenv $HOME'
check "discovered file name is absolute" test "$(jq -r '.FileNames[0]' <<<"$out")" = "$work/process-compose.yaml"
out=$(cd "$work" && "$pcctl" config -o json --disable-dotenv)
check "--disable-dotenv" test "$(jq -r '.Processes.hello.command' <<<"$out")" = 'echo none $HOME'

# -f merge and -n
out=$("$pcctl" config --disable-dotenv -f "$fixtures/merge-base.yaml" -f "$fixtures/merge-override.yaml" -o json)
check "-f merge: override command" test "$(jq -r '.Processes.web.command' <<<"$out")" = 'echo web2'
check "-f merge: processes added" test "$(jq -r '.Processes | keys | join(",")' <<<"$out")" = 'cache,db,web'
out=$("$pcctl" config --disable-dotenv -f "$fixtures/multi-namespace.yaml" -n foobar -o json)
check "-n admission" test "$(jq -r '.Processes | keys | join(",")' <<<"$out")" = 'bar,foo'
out=$(PC_NAMESPACES=baz "$pcctl" config --disable-dotenv -f "$fixtures/multi-namespace.yaml" -o json)
check "PC_NAMESPACES" test "$(jq -r '.Processes | keys | join(",")' <<<"$out")" = 'baz'

# yaml output loads back
"$pcctl" config --disable-dotenv -f "$fixtures/templates.yaml" > "$work/dump.yaml"
out=$("$pcctl" config --disable-dotenv -f "$work/dump.yaml" -o json)
check "yaml output loads back" test "$(jq -r '.Processes["web-2"].command' <<<"$out")" = 'echo hi from 2 on 8002'

# errors: message on stderr, nothing on stdout, exit 1
printf 'processes:\n  web:\n    command: x\n    replicas: two\n' > "$work/bad.yaml"
"$pcctl" config --disable-dotenv -f "$work/bad.yaml" > "$work/stdout" 2> "$work/stderr"
rc=$?
check "type error exits 1" test "$rc" = 1
check "type error message" grep -qxF "$work/bad.yaml:4:15: 'replicas' must be an integer, got \"two\"" "$work/stderr"
check "nothing on stdout" test ! -s "$work/stdout"
"$pcctl" config --disable-dotenv -f "$fixtures/circular.yaml" 2> "$work/stderr" > /dev/null
check "circular exits 1" test $? = 1
check "cycle named" grep -q "process1 -> process2 -> process3 -> process1" "$work/stderr"
(cd "$work" && rm -f process-compose.yaml && "$pcctl" config 2> "$work/stderr" > /dev/null)
check "no config exits 1" test $? = 1
check "no config message" grep -qxF "no config files found in $work" "$work/stderr"
printf 'processes:\n  w:\n    command: x\n    x-systemd:\n      MemroyMax: 1G\n' > "$work/xs.yaml"
"$pcctl" config --disable-dotenv -f "$work/xs.yaml" > /dev/null 2> "$work/stderr"
check "bad x-systemd property exits 1" test $? = 1
check "bad x-systemd property named at its position" grep -q "^$work/xs.yaml:5:18: process w: x-systemd: .*MemroyMax" "$work/stderr"
"$pcctl" up --disable-dotenv -f "$work/xs.yaml" -t=false --no-server > /dev/null 2> "$work/stderr"
check "up refuses the bad x-systemd property" test $? = 1
check "up names it as config does" grep -qx "$work/xs.yaml:5:18: process w: x-systemd: unknown property 'MemroyMax'" "$work/stderr"
"$pcctl" config -o toml > /dev/null 2>&1
check "bad -o exits 1" test $? = 1

exit $fail
