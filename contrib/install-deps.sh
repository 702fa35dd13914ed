#!/usr/bin/env bash
# install-deps.sh: install what pcctl needs to build and test, from Debian 12 packages.
# Idempotent and non-interactive: when everything is present it does nothing (no apt-get update).
set -euo pipefail

packages=(
        # build
        build-essential meson ninja-build pkg-config
        libsystemd-dev libmicrohttpd-dev libcjson-dev libyaml-dev libwslay-dev libcurl4-openssl-dev nettle-dev
        # run and sandbox
        systemd dbus
        # tests, fuzzing, benchmarks
        clang libclang-rt-14-dev python3 python3-websockets systemd-journal-remote curl jq wrk supervisor
        procps iproute2 tmux
)

missing=()
for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
                missing+=("$p")
        fi
done

if [ ${#missing[@]} -eq 0 ]; then
        echo "install-deps: all ${#packages[@]} packages present"
        exit 0
fi

if [ "$(id -u)" != 0 ]; then
        sudo=sudo
else
        sudo=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Installing supervisor must not start a supervisord daemon on the machine.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
