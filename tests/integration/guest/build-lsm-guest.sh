#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-lsm-guest.sh: print the paths of a Debian guest whose kernel runs AppArmor, for the
# end-to-end LSM tests (test-apparmor-guest.py), building what no run has cached yet.
#
# Three parts, each cached on its own under CACHE_DIR:
#   - the Debian rootfs of nspawn/rootfs.sh (systemd, dbus, polkitd, qemu-system-x86 and
#     apparmor), checked here for the programs the LSM tests need;
#   - Debian's kernel, from build-guest.sh's guest dir (AppArmor is on by default in it);
#   - an initramfs made of busybox, lsm-init.sh as /init and the virtio and ext4 modules that
#     build-guest.sh keeps beside that kernel, so the kernel can mount an ext4 root on
#     /dev/vda and start its systemd (TEST-ENV.md section 6).
# The kernel and initramfs go into CACHE_DIR/lsm-guest-<hash>, where the hash covers this
# recipe's version, the kernel guest dir (its name is a hash of the kernel package), busybox
# and lsm-init.sh; it is built in a temp dir and renamed into place under a lock, like the
# other caches. The root file system image itself is made per test run (it holds the build
# tree under test): `mkfs.ext4 -d` of a copy or overlay of the rootfs.
#
# Usage: build-lsm-guest.sh [CACHE_DIR]   (default /var/cache/virtkit-test)
# Output: two lines on stdout, the guest dir (vmlinuz, initrd.img) and the rootfs; progress on
# stderr. Exit 0, or 1 when a build failed or the rootfs lacks a program.
set -euo pipefail

RECIPE_VERSION=1
HERE=$(dirname "$(realpath "$0")")
INIT=$HERE/lsm-init.sh
BUSYBOX=${VK_GUEST_BUSYBOX:-/bin/busybox}
CACHE=${1:-/var/cache/virtkit-test}

if [ ! -x "$BUSYBOX" ]; then
        echo "build-lsm-guest.sh: $BUSYBOX is missing (busybox-static)" >&2
        exit 1
fi

ROOTFS=$("$HERE/../nspawn/rootfs.sh" "$CACHE")
for p in usr/bin/qemu-system-x86_64 usr/sbin/apparmor_parser lib/systemd/systemd; do
        if [ ! -x "$ROOTFS/$p" ]; then
                echo "build-lsm-guest.sh: $ROOTFS has no /$p (nspawn/rootfs.sh must include" \
                     "qemu-system-x86 and apparmor)" >&2
                exit 1
        fi
done

KERNEL=$("$HERE/build-guest.sh" "$CACHE")
[ -f "$KERNEL/modules/order" ] || {
        echo "build-lsm-guest.sh: $KERNEL has no modules/order" >&2
        exit 1
}
BBVER=$("$BUSYBOX" 2>&1 | awk 'NR == 1')
HASH=$(printf '%s\n' "$RECIPE_VERSION" "$(basename "$KERNEL")" "$BBVER" \
              "$(sha256sum < "$INIT")" | sha256sum | cut -c1-16)
GUEST=$CACHE/lsm-guest-$HASH

exec 9>"$CACHE/lsm-guest-$HASH.lock"
flock -w 120 9 || { echo "build-lsm-guest.sh: timed out waiting for $GUEST.lock" >&2; exit 1; }

if [ ! -f "$GUEST/.virtkit-guest-complete" ]; then
        # leftovers of builds that died half way (we hold the lock: nobody is building now)
        rm -rf "$CACHE/.build-lsm-guest-$HASH".*
        TMP=$(mktemp -d "$CACHE/.build-lsm-guest-$HASH.XXXXXX")
        trap 'rm -rf "$TMP"' EXIT
        echo "build-lsm-guest.sh: building $GUEST" >&2

        I=$TMP/initrd
        mkdir -p "$I"/bin "$I"/proc "$I"/sys "$I"/dev "$I"/newroot "$I"/lib/modules
        cp "$BUSYBOX" "$I/bin/busybox"
        cp "$INIT" "$I/init"
        chmod 0755 "$I/init"
        cp "$KERNEL"/modules/*.ko "$KERNEL/modules/order" "$I/lib/modules/"

        mkdir "$TMP/out"
        (cd "$I" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) \
                > "$TMP/out/initrd.img"
        cp "$KERNEL/vmlinuz" "$KERNEL/kernel-package" "$TMP/out/"
        chmod 0644 "$TMP/out"/*
        chmod 0755 "$TMP/out"
        touch "$TMP/out/.virtkit-guest-complete"
        rm -rf "$GUEST"
        mv "$TMP/out" "$GUEST"
fi
echo "$GUEST"
echo "$ROOTFS"
