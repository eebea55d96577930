#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# quickstart.sh: install what a fresh Debian 12 machine needs, build, and either run the main
# job ("demo") or every test ("test"). Idempotent: packages already there are not reinstalled,
# an existing build directory is reused.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

PACKAGES=(
    # build
    meson ninja-build pkg-config gcc libc6-dev
    libsystemd-dev libxml2-dev libglib2.0-dev libjson-glib-dev libgnutls28-dev
    libselinux1-dev libapparmor-dev libcap-ng-dev libpolkit-gobject-1-dev libcmocka-dev
    libnl-3-dev libnl-route-3-dev libnftables-dev
    # run: QEMU, D-Bus, polkit, socket activation
    qemu-system-x86 qemu-utils dbus polkitd libglib2.0-bin systemd ovmf swtpm swtpm-tools
    # networkd: DHCP/DNS for virtual networks, the nft tool for checks
    dnsmasq-base nftables iptables
    # tests: an independent varlink client, raw sockets, users, a real systemd in a container
    golang-go golang-github-varlink-go-dev socat passwd util-linux procps openssh-server
    systemd-container debootstrap
    # storaged's fs and logical pools: mkfs.ext4/mkfs.xfs, the lvm tools
    e2fsprogs xfsprogs lvm2
    # a tiny real guest (Debian's kernel + a busybox initramfs), D-Bus clients in python, openssl
    busybox-static python3-dbus python3-gi openssl
    # security drivers: offline AppArmor profile compiler for the profile checks
    apparmor
    # the Cockpit browser test: cockpit-ws and its bridge, headless Chromium, a DevTools client
    # and the OS list of the page (cockpit-machines itself is unpacked by the test:
    # installing it pulls in libvirt)
    cockpit-ws cockpit-bridge chromium python3-websocket gir1.2-libosinfo-1.0
    # the style check: C formatting and Python lint
    clang-format pyflakes3
)

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "quickstart: need root to run: $*" >&2; exit 1; fi
}

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "quickstart: installing ${missing[*]}"
    as_root apt-get -o DPkg::Lock::Timeout=600 update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
        --no-install-recommends "${missing[@]}"
}

build() { # DIR [meson options...]
    local dir=$1; shift
    [ -f "$dir/build.ninja" ] || meson setup "$dir" -Dwerror=true "$@"
    meson compile -C "$dir"
}

summary() { # prints "N passed, N failed" over the given build dirs' last test runs
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
ok = bad = skip = 0
for d in sys.argv[1:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): ok += 1
        elif r == "SKIP": skip += 1
        else: bad += 1
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
}

case "${1:-}" in
demo)
    install_packages
    build build
    exec tools/demo.sh build
    ;;
test)
    install_packages
    build build
    build build-asan -Db_sanitize=address,undefined -Db_lundef=false
    rc=0
    meson test -C build --print-errorlogs --num-processes 2 || rc=1
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 || rc=1
    tools/check-style.sh || rc=1
    summary build build-asan
    exit $rc
    ;;
*)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
