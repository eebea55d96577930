#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# record.py: record the capabilities probe conversation of a real QEMU (python3 stdlib only)
#
#   tests/data/qemucaps/record.py [/usr/bin/qemu-system-x86_64] > caps_7.2.0_x86_64.replies
#
# Run it as root where /dev/kvm works: under KVM the probe asks a second round, the CPU model
# expansions the host-model CPU is computed from (qemu-caps-hostcpu.c).
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


def expansion(model, migratable_off=False):
    m = {"name": model}
    if migratable_off:
        m["props"] = {"migratable": False}
    return ("query-cpu-model-expansion", {"type": "static", "model": m})


def is_candidate(name):
    # keep in sync with hostcpu_is_candidate() in drivers/qemu/caps/qemu-caps-hostcpu.c
    if name in ("host", "max", "base"):
        return False
    head, _, tail = name.rpartition("-")
    return not (head and tail[:1] == "v" and tail[1:].isdigit())


def second_round(replies):
    """The expansions of qemu_caps_hostcpu_requests(), from the first round's replies."""
    if replies["query-target"]["arch"] not in ("x86_64", "i386"):
        return []
    if not replies["query-kvm"]["enabled"]:
        return []
    if "query-cpu-model-expansion" not in [c["name"] for c in replies["query-commands"]]:
        return []
    out = [expansion("host"), expansion("host", True)]
    out += [expansion(d["name"]) for d in replies["query-cpu-definitions"]
            if is_candidate(d["name"])]
    return out


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
    replies = {}
    n = 2
    for cmd, cargs in COMMANDS:
        r = send(n, cmd, cargs)
        n += 1
        if cargs is None:
            replies[cmd] = r.get("return")
    for cmd, cargs in second_round(replies):
        send(n, cmd, cargs)
        n += 1
    send(n, "quit", None)
    proc.wait()
    os.rmdir(tmp)


main()
