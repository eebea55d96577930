#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# lsm-init.sh: /init of the LSM test guest's initramfs (build-lsm-guest.sh): load the virtio
# and ext4 modules, mount the ext4 root file system on /dev/vda and hand over to its systemd
# (TEST-ENV.md section 6). The modules are loaded in the order of /lib/modules/order, which
# build-guest.sh wrote: virtio_ring must come before virtio. Every failure prints an
# "VKINITRD:" line on the serial console and powers off, so a test never waits for a guest
# that cannot boot.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

fail() {
        echo "VKINITRD: $*"
        poweroff -f
        while :; do sleep 3600; done
}

for m in $(cat /lib/modules/order); do
        insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done
for _ in $(seq 100); do
        [ -b /dev/vda ] && break
        sleep 0.1
done
[ -b /dev/vda ] || fail "no /dev/vda"
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda"
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /lib/systemd/systemd
