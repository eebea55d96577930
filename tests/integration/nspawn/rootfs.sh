#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# rootfs.sh: print the path of a Debian rootfs for the nspawn suite, building it first if no
# run has cached it yet.
#
# The rootfs depends only on what is below (suite, mirror, package list, and this file's
# RECIPE_VERSION); its directory name carries a hash of those, so changing the list builds a
# new one and never reuses a stale tree. It is built in a temp dir beside the cache and renamed
# into place (atomic), under a lock so parallel runs wait for one another instead of racing.
# Failed builds leave only their temp dir, which the next run removes.
#
# Usage: rootfs.sh [CACHE_DIR]   (default /var/cache/virtkit-test)
# Output: the rootfs path on stdout, progress on stderr. Exit 0, or 1 when the build failed.
set -euo pipefail

RECIPE_VERSION=1
SUITE=bookworm
MIRROR=${VK_NSPAWN_MIRROR:-http://deb.debian.org/debian}
# systemd + logind + polkitd, as TEST-ENV.md section 5 (debootstrap cannot resolve the virtual
# "logind" that polkitd needs without libpam-systemd), the user bus, and the runtime libraries
# of the daemons; QEMU for VMs in their machine scopes, and AppArmor for the same tree booted as
# a TCG guest (tests/integration/guest).
PACKAGES=(
    systemd systemd-sysv systemd-container dbus dbus-user-session libpam-systemd polkitd
    libglib2.0-0 libjson-glib-1.0-0 libsystemd0 libxml2 libgnutls30
    libselinux1 libapparmor1 libcap-ng0 libnl-3-200 libnl-route-3-200 libnftables1
    qemu-system-x86 apparmor
)

CACHE=${1:-/var/cache/virtkit-test}
HASH=$(printf '%s\n' "$RECIPE_VERSION" "$SUITE" "$MIRROR" "${PACKAGES[@]}" | sha256sum | cut -c1-16)
ROOTFS=$CACHE/rootfs-$HASH

mkdir -p "$CACHE"
exec 9>"$CACHE/rootfs-$HASH.lock"
# a cold build takes about 50-70 s; a run waiting for another run's build waits this long at most
flock -w 270 9 || { echo "rootfs.sh: timed out waiting for $CACHE/rootfs-$HASH.lock" >&2; exit 1; }

if [ -f "$ROOTFS/.virtkit-rootfs-complete" ]; then
    echo "$ROOTFS"
    exit 0
fi

# leftovers of builds that died half way (we hold the lock: nobody is building now)
rm -rf "$CACHE/.build-$HASH".*

TMP=$(mktemp -d "$CACHE/.build-$HASH.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "rootfs.sh: building $ROOTFS with debootstrap (about 70 s)" >&2
include=$(IFS=,; echo "${PACKAGES[*]}")
if ! timeout 240 debootstrap --variant=minbase --include="$include" "$SUITE" "$TMP/root" \
        "$MIRROR" > "$TMP/debootstrap.log" 2>&1; then
    echo "rootfs.sh: debootstrap failed; the end of its log:" >&2
    tail -n 30 "$TMP/debootstrap.log" >&2
    exit 1
fi

R=$TMP/root
# 40 MB of .debs nobody needs again
rm -f "$R"/var/cache/apt/archives/*.deb
# an empty machine-id: systemd (nspawn) sets a fresh one at each boot of a copy
: > "$R/etc/machine-id"
# the console is read-only (nspawn --console=read-only): no getty on it
ln -sf /dev/null "$R/etc/systemd/system/console-getty.service"
touch "$R/.virtkit-rootfs-complete"

rm -rf "$ROOTFS"
mv "$R" "$ROOTFS"
echo "$ROOTFS"
