#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# record.py: record the capabilities probe conversation of a real QEMU (python3 stdlib only)
#
#   tests/data/qemucaps/record.py [/usr/bin/qemu-system-x86_64] > caps_7.2.0_x86_64.replies
#
# Runs QEMU the way drivers/qemu/caps/qemu-caps.c does (same arguments, same QMP commands in the
# same order; test-caps replays this file against the real probe and fails on any
# difference) and writes every line exchanged, without the trailing CR: "<- " for what QEMU
# sent, "-> " for what we sent. Lines starting with "#" are comments.
#
# The golden tests run for every caps_VERSION_ARCH.replies here, so adding a QEMU is data only:
# record it, run `VK_TEST_REGENERATE=1 meson test -C build argv caps` to write its goldens
# (NAME.ARCH-MAJOR.MINOR.args/.argv-err, caps_/domcaps_VERSION_ARCH*.xml), review them, and mark
# a case that cannot have one for it with qemuargv/NAME.ARCH-MAJOR.MINOR.argv-skip (the reason).
import json
import os
import socket
import subprocess
import sys
import tempfile

# Keep in sync with probe_devices[] in drivers/qemu/caps/qemu-caps.c.
DEVICES = [
    "virtio-blk-pci", "virtio-net-pci", "virtio-scsi-pci", "scsi-hd", "scsi-cd", "ide-hd",
    "ide-cd", "usb-storage", "e1000", "e1000e", "rtl8139", "qxl-vga", "virtio-vga",
    "virtio-gpu-pci", "VGA", "qemu-xhci", "usb-tablet", "virtio-rng-pci", "virtio-balloon-pci",
    "pcie-root-port",
]

# Keep in sync with probe_commands[] in drivers/qemu/caps/qemu-caps.c.
COMMANDS = [
    ("query-version", None),
    ("query-target", None),
    ("query-kvm", None),
    ("query-machines", None),
    ("query-cpu-definitions", None),
    ("qom-list-types", None),
    ("query-commands", None),
    ("query-command-line-options", None),
    ("query-qmp-schema", None),
] + [("device-list-properties", {"typename": d}) for d in DEVICES]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/qemu-system-x86_64"
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    os.set_inheritable(theirs.fileno(), True)
    tmp = tempfile.mkdtemp(prefix="vk-record-")
    fd = theirs.fileno()
    # the C probe passes the socket as fd 3; the number does not change the conversation
    argv = [binary, "-S", "-no-user-config", "-nodefaults", "-nographic",
            "-machine", "none,accel=kvm:tcg",
            "-chardev", "socket,id=qmp,fd=%d" % fd, "-mon", "chardev=qmp,mode=control"]
    proc = subprocess.Popen(argv, pass_fds=[fd], stdin=subprocess.DEVNULL, cwd=tmp, env={})
    theirs.close()
    f = ours.makefile("rwb")
    out = sys.stdout
    out.write("# QMP conversation of the virtkit capabilities probe, recorded by record.py\n")
    out.write("# binary: %s\n" % binary)

    def recv():
        line = f.readline()
        if not line:
            raise SystemExit("QEMU closed the connection")
        line = line.decode().rstrip("\r\n")
        out.write("<- " + line + "\n")
        return json.loads(line)

    def send(n, cmd, args):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        msg["id"] = "vk-%d" % n
        line = json.dumps(msg)
        out.write("-> " + line + "\n")
        f.write(line.encode() + b"\n")
        f.flush()
        while True:
            reply = recv()
            if "event" not in reply:
                return reply

    recv()  # greeting
    send(1, "qmp_capabilities", None)
    for i, (cmd, args) in enumerate(COMMANDS):
        send(i + 2, cmd, args)
    send(len(COMMANDS) + 2, "quit", None)
    proc.wait()
    os.rmdir(tmp)


main()
