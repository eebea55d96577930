#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo.sh BUILDDIR: the main job until the VM lifecycle lands: start the four daemons on a
# throwaway root and a private D-Bus bus, and query each over varlink and over D-Bus.
set -euo pipefail
B=$(readlink -f "${1:-build}")
T=$(mktemp -d /tmp/virtkit-demo.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

cat > "$T/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$T/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile 2>"$T/bus.log" &
PIDS+=($!)
export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus.sock"
for _ in $(seq 100); do [ -S "$T/bus.sock" ] && break; sleep 0.05; done

varlink() { # SOCKET METHOD [JSON]
    printf '{"method":"%s","parameters":%s}\0' "$2" "${3:-{\}}" |
        socat -t 5 - "UNIX-CONNECT:$1" | tr -d '\0'
    echo
}

for d in qemud:Qemu secretd:Secret networkd:Network storaged:Storage; do
    daemon=${d%%:*} name=${d##*:}
    "$B/daemons/virtkit-$daemon" --root "$T/root" --bus session &
    PIDS+=($!)
    sock="$T/root/run/io.virtkit.$name"
    for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
    for _ in $(seq 100); do
        busctl --user status "io.virtkit.${name}1" >/dev/null 2>&1 && break
        sleep 0.05
    done

    echo "== virtkit-$daemon"
    echo "   varlink  io.virtkit.$name.GetVersion:  $(varlink "$sock" "io.virtkit.$name.GetVersion")"
    echo "   D-Bus    io.virtkit.${name}1 GetVersion: $(busctl --user call "io.virtkit.${name}1" \
        "/io/virtkit/${name}1" "io.virtkit.${name}1.Manager" GetVersion)"
done
echo
echo "== the io.virtkit.Qemu interface, as varlink describes it"
varlink "$T/root/run/io.virtkit.Qemu" org.varlink.service.GetInterfaceDescription \
    '{"interface":"io.virtkit.Qemu"}' |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["parameters"]["description"])' |
    sed -n '1,12p'
echo "== stopping the daemons"
