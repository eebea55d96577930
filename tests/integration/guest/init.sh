#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# init.sh: /init of the test guest's busybox initramfs (tests/integration/guest/build-guest.sh).
#
# The kernel command line picks what the guest does; each step prints a "VKGUEST:" marker on
# the serial console so a test can follow it from the console log:
#   vkguest=poweroff  power off at once ("VKGUEST: powering off")
#   vkguest=reboot    reboot at once ("VKGUEST: rebooting"); with on_reboot=restart the next
#                     boot reboots again, so the test ends it
#   vkguest=devices   list the PCI devices ("VKGUEST: pci SLOT VENDOR:DEVICE CLASS"), the ACPI
#                     TPM ("VKGUEST: acpi MSFT0101:NN"), the TPMs the kernel drives ("VKGUEST:
#                     tpm tpm0 version 2"), "VKGUEST: efi" when UEFI booted it and the kernel's
#                     "secureboot: Secure boot enabled|disabled" line, then "VKGUEST: devices
#                     listed" and power off
#   vkguest=wait      power off when the ACPI power button is pressed: the kernel's button
#                     driver (button.ko) reports it as KEY_POWER on the "Power Button" input
#                     device; evdev.ko gives it a /dev/input/event node, and one read of an
#                     event from that node is our cue ("VKGUEST: waiting for the power button",
#                     then "VKGUEST: power button")
# PID 1 must never exit (the kernel would panic), so every branch ends in a loop.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

mode=
for arg in $(cat /proc/cmdline); do
        case "$arg" in
        vkguest=*) mode=${arg#vkguest=} ;;
        esac
done
echo "VKGUEST: booted mode=$mode"

# Wait until the serial console has sent what was written to it: poweroff -f and reboot -f
# reset at once, and what the tty still queues is lost (a guest-tcg run saw no "booted" line of
# a guest that had rebooted). The port's transmit count stops moving when it is drained.
drain_console() {
        prev=
        for i in $(seq 100); do
                cur=$(grep '^0:' /proc/tty/driver/serial 2>/dev/null)
                [ -n "$cur" ] && [ "$cur" = "$prev" ] && return 0
                prev=$cur
                sleep 0.05
        done
}

power_button_event() {
        for d in /sys/class/input/input*; do
                [ "$(cat "$d/name" 2>/dev/null)" = "Power Button" ] || continue
                for e in "$d"/event*; do
                        [ -e "$e" ] && { echo "/dev/input/${e##*/}"; return 0; }
                done
        done
        return 1
}

case "$mode" in
poweroff)
        echo "VKGUEST: powering off"
        drain_console
        poweroff -f
        ;;
devices)
        for d in /sys/bus/pci/devices/*; do
                echo "VKGUEST: pci ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $(cat "$d/class")"
        done
        for d in /sys/bus/acpi/devices/MSFT0101*; do
                [ -e "$d" ] && echo "VKGUEST: acpi ${d##*/}"
        done
        # a TPM the kernel's driver talked to (it asks the TPM for its version)
        for d in /sys/class/tpm/tpm*; do
                [ -e "$d" ] && echo "VKGUEST: tpm ${d##*/} version $(cat "$d/tpm_version_major" 2>/dev/null)"
        done
        # booted by UEFI, and what the firmware told the EFI stub about secure boot
        [ -d /sys/firmware/efi ] && echo "VKGUEST: efi"
        dmesg | grep -o 'secureboot: .*' | sed 's/^/VKGUEST: /'
        echo "VKGUEST: devices listed"
        drain_console
        poweroff -f
        ;;
reboot)
        echo "VKGUEST: rebooting"
        drain_console
        reboot -f
        ;;
wait)
        insmod /lib/modules/evdev.ko
        insmod /lib/modules/button.ko
        dev=
        for i in $(seq 50); do
                dev=$(power_button_event) && break
                sleep 0.1
        done
        if [ -z "$dev" ]; then
                echo "VKGUEST: no power button input device"
        else
                # wait until devtmpfs has the node, then block until one event arrives
                for i in $(seq 50); do [ -c "$dev" ] && break; sleep 0.1; done
                # open it before saying so: evdev queues events for an open reader, so a press
                # that follows the line is never lost before dd runs (a guest-tcg run lost one)
                exec 3<"$dev"
                echo "VKGUEST: waiting for the power button on $dev"
                dd of=/dev/null bs=24 count=1 <&3 2>/dev/null
                echo "VKGUEST: power button"
                drain_console
                poweroff -f
        fi
        ;;
*)
        echo "VKGUEST: unknown mode '$mode'"
        ;;
esac
while :; do sleep 3600; done
