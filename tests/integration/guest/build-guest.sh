#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-guest.sh: print the path of a tiny test guest (Debian's kernel + a busybox initramfs
# whose /init is init.sh beside this file), building it first if no run has cached it yet.
#
# The directory holds vmlinuz and initrd.img, and in modules/ the kernel's virtio and ext4
# modules, for guests that boot a root file system from a virtio disk (build-lsm-guest.sh
# builds their initramfs from them; modules/order lists them in load order). Its name carries
# a hash of everything the guest depends on (this recipe's version, the kernel package and
# version apt would pick, the busybox version, init.sh), so a new kernel or a changed init
# builds a new guest and never reuses a stale one. It is built in a temp dir beside the cache
# and renamed into place (atomic), under a lock so parallel runs wait for one another instead
# of racing (like nspawn/rootfs.sh).
# Needs apt-get (download only: nothing is installed), dpkg and busybox-static; the image has
# no cpio binary, so busybox's own cpio packs the initramfs.
#
# Usage: build-guest.sh [CACHE_DIR]   (default /var/cache/virtkit-test)
# Output: the guest dir on stdout, progress on stderr. Exit 0, or 1 when the build failed.
set -euo pipefail

RECIPE_VERSION=2
HERE=$(dirname "$(realpath "$0")")
INIT=$HERE/init.sh
BUSYBOX=${VK_GUEST_BUSYBOX:-/bin/busybox}
CACHE=${1:-/var/cache/virtkit-test}

[ -x "$BUSYBOX" ] || { echo "build-guest.sh: $BUSYBOX is missing (busybox-static)" >&2; exit 1; }
# the kernel apt would install now (linux-image-amd64 depends on exactly one). The filters read
# all their input: one that stops early would kill the writer with SIGPIPE, and pipefail with it.
PKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
      awk '/Depends: linux-image-[0-9]/ && !done { print $2; done = 1 }')
[ -n "$PKG" ] || { echo "build-guest.sh: apt knows no linux-image-amd64" >&2; exit 1; }
KVER=${PKG#linux-image-}
PKGVER=$(apt-cache policy "$PKG" | awk '/Candidate:/ && !done { print $2; done = 1 }')
BBVER=$("$BUSYBOX" 2>&1 | awk 'NR == 1')

HASH=$(printf '%s\n' "$RECIPE_VERSION" "$PKG" "$PKGVER" "$BBVER" "$(sha256sum < "$INIT")" |
       sha256sum | cut -c1-16)
GUEST=$CACHE/guest-$HASH

mkdir -p "$CACHE"
exec 9>"$CACHE/guest-$HASH.lock"
# a cold build takes about 5-10 s (a 70 MB download); waiting for another run's build is bounded
flock -w 200 9 || { echo "build-guest.sh: timed out waiting for $GUEST.lock" >&2; exit 1; }

if [ -f "$GUEST/.virtkit-guest-complete" ]; then
        echo "$GUEST"
        exit 0
fi

# leftovers of builds that died half way (we hold the lock: nobody is building now)
rm -rf "$CACHE/.build-guest-$HASH".*

TMP=$(mktemp -d "$CACHE/.build-guest-$HASH.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "build-guest.sh: building $GUEST from $PKG $PKGVER" >&2
# apt's _apt user cannot write into our root-only temp dir: let it
chmod 0755 "$TMP"
if ! (cd "$TMP" && timeout 150 apt-get -q download "$PKG=$PKGVER") > "$TMP/apt.log" 2>&1; then
        echo "build-guest.sh: apt-get download $PKG failed:" >&2
        tail -n 20 "$TMP/apt.log" >&2
        exit 1
fi
dpkg -x "$TMP"/"$PKG"_*.deb "$TMP/kx"
MODS=$TMP/kx/lib/modules/$KVER/kernel

I=$TMP/initrd
mkdir -p "$I"/bin "$I"/proc "$I"/sys "$I"/dev "$I"/lib/modules
cp "$BUSYBOX" "$I/bin/busybox"
cp "$INIT" "$I/init"
chmod 0755 "$I/init"
# power button as an input event (see init.sh); both have no dependencies in Debian's kernel
for m in drivers/input/evdev.ko drivers/acpi/button.ko; do
        if [ ! -f "$MODS/$m" ]; then
                echo "build-guest.sh: $PKG has no $m (compressed modules?)" >&2
                exit 1
        fi
        cp "$MODS/$m" "$I/lib/modules/"
done

mkdir "$TMP/out"
# a root file system on a virtio disk (build-lsm-guest.sh): the modules in load order, which
# matters (virtio_ring before virtio, or "Unknown symbol virtio_break_device")
mkdir "$TMP/out/modules"
for m in drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko \
        drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko \
        drivers/virtio/virtio_pci.ko drivers/block/virtio_blk.ko lib/crc16.ko fs/mbcache.ko \
        fs/jbd2/jbd2.ko crypto/crc32c_generic.ko fs/ext4/ext4.ko; do
        if [ ! -f "$MODS/$m" ]; then
                echo "build-guest.sh: $PKG has no $m (built in, or compressed?)" >&2
                exit 1
        fi
        cp "$MODS/$m" "$TMP/out/modules/"
        basename "$m" .ko >> "$TMP/out/modules/order"
done
(cd "$I" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) > "$TMP/out/initrd.img"
cp "$TMP/kx/boot/vmlinuz-$KVER" "$TMP/out/vmlinuz"
printf '%s %s\n' "$PKG" "$PKGVER" > "$TMP/out/kernel-package"
find "$TMP/out" -type f -exec chmod 0644 {} +
chmod 0755 "$TMP/out" "$TMP/out/modules"
touch "$TMP/out/.virtkit-guest-complete"

rm -rf "$GUEST"
mv "$TMP/out" "$GUEST"
echo "$GUEST"
