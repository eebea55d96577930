#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Regenerate the compatibility corpus (tests/data/compat/) from a private libvirt 9.0.

As root on Debian 12. Installs what it needs (libvirt-daemon-system libvirt-clients virtinst
ovmf swtpm swtpm-tools, with a policy-rc.d that keeps every service from starting), then
starts a private libvirtd + virtlogd the way bench/run does: in a mount namespace of their own
whose /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt, /run/libvirt and /var/log/libvirt are
directories of this run (the host's libvirt state is never touched), under `tini -s`. The
namespace has its own network namespace too, so nothing libvirt does reaches the host's links.
Clients (virsh, virt-install) run inside it and connect with
qemu+unix:///system?socket=RUN/libvirt-sock.

In it: a `default` pool (/var/lib/libvirt/images) with one image per domain, a `default`
network (defined, not started), an install ISO and a kernel/initrd pair (empty files). For
every CASE below:

  NAME.virt-install.xml   `virt-install --print-xml --dry-run ...` (what users paste)
  NAME.dumpxml.xml        `virsh define` of it, then `virsh dumpxml` (libvirt's expanded form)
  NAME.libvirt.args       `virsh domxml-to-native qemu-argv` of the virt-install form, in the
                          form of the qemuxml .args goldens (environment, binary, one option a
                          line; words single-quoted where the shell needs it)
  NAME.dumpxml.libvirt.args   the same for the dumpxml form, only where it differs

A case libvirt refuses to convert gets NAME.libvirt-err (libvirt's message) instead of the
.args. Everything started is stopped by pid at the end. Run: tests/data/compat/regenerate.py
(about 3 minutes); `--only NAME...` regenerates some cases.
"""
import argparse
import ctypes
import hashlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = ["libvirt-daemon-system", "libvirt-clients", "virtinst", "ovmf", "swtpm",
            "swtpm-tools", "tini", "qemu-system-x86", "qemu-utils", "util-linux"]
LIBVIRT_DIRS = [("etc", "/etc/libvirt"), ("lib", "/var/lib/libvirt"),
                ("cache", "/var/cache/libvirt"), ("run", "/run/libvirt"),
                ("log", "/var/log/libvirt")]
IMAGES = "/var/lib/libvirt/images"
ISO = f"{IMAGES}/install.iso"
KERNEL = "/var/lib/libvirt/boot/vmlinuz"
INITRD = "/var/lib/libvirt/boot/initrd.img"
SHARE = "/var/lib/libvirt/share"

# Debian 12's osinfo-db (20221203) has no debian12, fedora38/39 or alpine3.18: the newest of
# each family it knows stands in for them (virt-install refuses an unknown --osinfo).
OS_DEFAULTS = ["debian11", "debiantesting", "fedora37", "ubuntu22.04", "ubuntu20.04", "win10",
               "win11", "win2k22", "alpinelinux3.17", "freebsd13.1", "rhel9.0",
               "centos-stream9", "opensuse15.4", "archlinux", "linux2022", "generic"]

# name -> (osinfo, extra virt-install arguments); every case gets --name NAME, --memory 2048,
# --vcpus 2, --import, its own qcow2 disk (virtio unless the case says otherwise) and
# --network network=default unless it names networks itself.
CASES = {f"os-{o}": (o, []) for o in OS_DEFAULTS}
CASES.update({
    # firmware and TPM
    "uefi": ("debian11", ["--boot", "uefi"]),
    "uefi-secure": ("fedora37", ["--boot", "uefi,firmware.feature0.name=secure-boot,"
                                 "firmware.feature0.enabled=yes,firmware.feature1.name="
                                 "enrolled-keys,firmware.feature1.enabled=yes"]),
    "uefi-insecure": ("fedora37", ["--boot", "uefi,firmware.feature0.name=secure-boot,"
                                   "firmware.feature0.enabled=no"]),
    "tpm-emulator": ("fedora37", ["--tpm", "emulator"]),
    "tpm-crb": ("fedora37", ["--boot", "uefi", "--tpm",
                             "backend.type=emulator,backend.version=2.0,model=tpm-crb"]),
    "bios-pc": ("debian11", ["--machine", "pc"]),
    "boot-order": ("debian11", ["--boot", "hd,cdrom,menu=on",
                                "--disk", f"device=cdrom,path={ISO}"]),
    "direct-kernel": ("linux2022", ["--boot", f"kernel={KERNEL},initrd={INITRD},"
                                    "kernel_args=console=ttyS0 root=/dev/vda1"]),
    # graphics, video, sound, input
    "graphics-vnc": ("debian11", ["--graphics", "vnc"]),
    "graphics-vnc-listen": ("debian11", ["--graphics", "vnc,listen=0.0.0.0,port=5907"]),
    "graphics-spice": ("fedora37", ["--graphics", "spice"]),
    "graphics-spice-listen-none": ("fedora37", ["--graphics", "spice,listen=none",
                                                "--video", "virtio"]),
    "graphics-none": ("debian11", ["--graphics", "none"]),
    "video-qxl": ("ubuntu22.04", ["--video", "qxl"]),
    "video-virtio": ("ubuntu22.04", ["--video", "virtio"]),
    "video-vga": ("debian11", ["--video", "vga"]),
    "video-bochs": ("debian11", ["--video", "bochs"]),
    "sound-ich9": ("fedora37", ["--sound", "ich9"]),
    "sound-ich6": ("debian11", ["--sound", "ich6"]),
    "sound-ac97": ("debian11", ["--machine", "pc", "--sound", "ac97"]),
    "input-virtio": ("debian11", ["--input", "keyboard,bus=virtio", "--input",
                                  "tablet,bus=virtio"]),
    # networks
    "net-bridge": ("debian11", ["--network", "bridge=br0,model=virtio"]),
    "net-user": ("debian11", ["--network", "user"]),
    "net-e1000e": ("debian11", ["--network", "network=default,model=e1000e"]),
    "net-two": ("debian11", ["--network", "network=default", "--network",
                             "bridge=br0,model=rtl8139,mac=52:54:00:12:34:56"]),
    "net-none": ("debian11", ["--network", "none"]),
    # disks and controllers
    "disk-cdrom": ("debian11", ["--disk", f"device=cdrom,path={ISO}"]),
    "disk-cdrom-sata-empty": ("win10", ["--disk", "device=cdrom,bus=sata"]),
    "disk-volume": ("debian11", ["--disk", "vol=default/@NAME@-2.qcow2"]),
    "disk-scsi": ("debian11", ["--controller", "scsi,model=virtio-scsi", "--disk",
                               f"path={IMAGES}/@NAME@-2.raw,bus=scsi,format=raw"]),
    "disk-sata": ("win10", ["--disk", f"path={IMAGES}/@NAME@-2.qcow2,bus=sata"]),
    "disk-options": ("debian11", ["--disk", f"path={IMAGES}/@NAME@-2.qcow2,cache=none,"
                                  "io=native,discard=unmap,detect_zeroes=unmap,serial=DATA2"]),
    "disk-readonly-shareable": ("debian11", ["--disk", f"path={IMAGES}/@NAME@-2.raw,"
                                             "format=raw,readonly=on", "--disk",
                                             f"path={IMAGES}/@NAME@-3.raw,format=raw,"
                                             "shareable=on,cache=none"]),
    "controller-usb2": ("debian11", ["--controller", "usb2"]),
    "controller-usb3": ("debian11", ["--controller", "usb3"]),
    "controller-virtio-serial": ("debian11", ["--controller", "virtio-serial"]),
    "controller-pci-bridges": ("debian11", ["--controller", "pci,index=16,model=pcie-root-port",
                                            "--controller",
                                            "pci,index=17,model=pcie-to-pci-bridge"]),
    # CPU, memory, tuning
    "cpu-host-passthrough": ("debian11", ["--cpu", "host-passthrough"]),
    "cpu-host-model": ("debian11", ["--cpu", "host-model"]),
    "cpu-named": ("debian11", ["--cpu", "Nehalem,+x2apic,-vme"]),
    "cpu-topology": ("debian11", ["--vcpus", "4,sockets=1,dies=1,cores=2,threads=2",
                                  "--cpu", "host-passthrough,cache.mode=passthrough"]),
    "numa": ("debian11", ["--vcpus", "4", "--cpu", "host-model,cell0.cpus=0-1,"
                          "cell0.memory=1048576,cell1.cpus=2-3,cell1.memory=1048576"]),
    "memory-max": ("debian11", ["--memory", "2048,currentMemory=1024"]),
    "memorybacking-virtiofs": ("fedora37", ["--memorybacking",
                                            "source.type=memfd,access.mode=shared",
                                            "--filesystem", f"source.dir={SHARE},"
                                            "target.dir=share,driver.type=virtiofs"]),
    "filesystem-9p": ("debian11", ["--filesystem", f"{SHARE},share9p,mode=mapped"]),
    "iothreads-cputune": ("debian11", ["--iothreads", "2", "--vcpus", "2,cpuset=0-1",
                                       "--cputune", "vcpupin0.vcpu=0,vcpupin0.cpuset=0,"
                                       "vcpupin1.vcpu=1,vcpupin1.cpuset=1"]),
    "memballoon-none": ("debian11", ["--memballoon", "none"]),
    # devices
    "rng-urandom": ("debian11", ["--rng", "/dev/urandom"]),
    "rng-builtin": ("debian11", ["--rng", "builtin"]),
    "channel-qga": ("debian11", ["--channel", "unix,target.type=virtio,"
                                 "target.name=org.qemu.guest_agent.0"]),
    "channel-spicevmc": ("fedora37", ["--graphics", "spice", "--channel", "spicevmc"]),
    "redirdev": ("fedora37", ["--graphics", "spice", "--redirdev", "usb,type=spicevmc",
                              "--redirdev", "usb,type=spicevmc"]),
    "smartcard": ("fedora37", ["--graphics", "spice", "--smartcard",
                               "passthrough,type=spicevmc"]),
    "serial-tcp": ("debian11", ["--serial", "tcp,host=127.0.0.1:4555,mode=bind,"
                                "protocol.type=telnet"]),
    "console-virtio": ("debian11", ["--console", "pty,target.type=virtio"]),
    "watchdog": ("debian11", ["--watchdog", "i6300esb,action=reset"]),
    "panic": ("debian11", ["--panic", "default"]),
    "vsock": ("debian11", ["--vsock", "cid.address=5"]),
    "sysinfo": ("debian11", ["--sysinfo", "bios.vendor=Acme,system.manufacturer=Acme,"
                             "system.product=Widget,system.serial=123"]),
    # features, clock, lifecycle, metadata
    "features-kvm-hidden": ("debian11", ["--features", "kvm_hidden=on,pmu.state=off"]),
    "clock-localtime": ("win10", ["--clock", "offset=localtime"]),
    "events": ("debian11", ["--events", "on_poweroff=destroy,on_reboot=restart,"
                            "on_crash=restart"]),
    "metadata": ("debian11", ["--metadata", "title=A title,description=Some text"]),
    # what virt-manager's "new VM" wizard writes for a desktop guest
    "desktop-win11": ("win11", ["--boot", "uefi", "--tpm", "emulator", "--graphics", "spice",
                                "--video", "qxl", "--sound", "ich9", "--redirdev",
                                "usb,type=spicevmc", "--redirdev", "usb,type=spicevmc",
                                "--channel", "spicevmc", "--rng", "/dev/urandom",
                                "--disk", f"device=cdrom,path={ISO},bus=sata"]),
    "desktop-fedora": ("fedora37", ["--boot", "uefi", "--graphics", "spice", "--video",
                                    "virtio", "--sound", "ich9", "--channel", "spicevmc",
                                    "--channel", "unix,target.type=virtio,"
                                    "target.name=org.qemu.guest_agent.0",
                                    "--rng", "/dev/urandom", "--cpu", "host-passthrough"]),
})


def log(msg):
    print(f"[compat {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, timeout=300, env=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=env, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd[:8])}… failed ({r.returncode}): "
                           f"{r.stderr.strip()[-800:]}")
    return r


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def pids():
    return {int(p) for p in os.listdir("/proc") if p.isdigit()}


def install():
    missing = [p for p in PACKAGES if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True).stdout.strip() != "install ok installed"]
    if not missing:
        log("packages: all present")
        return
    log(f"installing {' '.join(missing)}")
    policy = "/usr/sbin/policy-rc.d"
    wrote = False
    before = pids()
    if not os.path.exists(policy):
        # PID 1 is not systemd here: invoke-rc.d would start libvirtd and virtlogd through
        # their sysvinit scripts; 101 = "action forbidden"
        with open(policy, "w") as f:
            f.write("#!/bin/sh\n# tests/data/compat/regenerate.py, during an install\nexit 101\n")
        os.chmod(policy, 0o755)
        wrote = True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-q", "-y"]
    try:
        if run(apt + ["install", "--no-install-recommends"] + missing, check=False,
               env=env, timeout=1200).returncode != 0:
            run(apt + ["update"], env=env, timeout=600)
            run(apt + ["install", "--no-install-recommends"] + missing, env=env, timeout=1200)
    finally:
        if wrote:
            os.unlink(policy)
    for pid in pids() - before:  # anything the install started anyway, by pid
        if comm(pid) in ("libvirtd", "virtlogd", "virtlockd"):
            log(f"stopping {comm(pid)} ({pid}) started by the install")
            os.kill(pid, signal.SIGTERM)


class PrivateLibvirt:
    """libvirtd + virtlogd in mount and network namespaces of their own."""

    def __init__(self, work):
        self.w = work
        self.procs = []
        self.logf = None
        self.mntns = None

    def start(self):
        """Start them; on failure what started is left for stop() (main() calls it)."""
        os.makedirs(self.w, exist_ok=True)
        for sub, path in LIBVIRT_DIRS:
            if sub in ("etc", "lib") and os.path.isdir(path):  # config and layout, no state
                shutil.copytree(path, os.path.join(self.w, sub), symlinks=True)
            else:
                os.makedirs(os.path.join(self.w, sub))
        etc = os.path.join(self.w, "etc")
        shutil.rmtree(os.path.join(etc, "qemu", "networks", "autostart"), ignore_errors=True)
        shutil.rmtree(os.path.join(etc, "storage", "autostart"), ignore_errors=True)
        for d in ("qemu", "qemu/networks", "storage", "secrets", "nwfilter"):
            full = os.path.join(etc, d)
            for f in os.listdir(full) if os.path.isdir(full) else []:
                if f.endswith(".xml"):
                    os.unlink(os.path.join(full, f))
        lib = os.path.join(self.w, "lib")
        for d in ("qemu", "swtpm", "dnsmasq"):  # state of the host's domains stays behind
            shutil.rmtree(os.path.join(lib, d), ignore_errors=True)
        for d in ("images", "boot", "qemu", "qemu/nvram", "share"):
            os.makedirs(os.path.join(lib, d), exist_ok=True)
        with open(os.path.join(etc, "libvirtd.conf"), "w") as f:
            f.write('auth_unix_ro = "none"\nauth_unix_rw = "none"\n'
                    'unix_sock_ro_perms = "0700"\nunix_sock_rw_perms = "0700"\n')
        with open(os.path.join(etc, "qemu.conf"), "a") as f:
            f.write('\n# tests/data/compat/regenerate.py\nuser = "root"\ngroup = "root"\n')
        for _, path in LIBVIRT_DIRS:
            os.makedirs(path, exist_ok=True)
        script = " && ".join(f"mount --bind {self.w}/{sub} {path}" for sub, path in LIBVIRT_DIRS)
        self.holder = self.add(subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "--", "/bin/sh", "-c",
             script + " && echo ready && exec sleep 2147483647"], stdout=subprocess.PIPE))
        if self.holder.stdout.readline().strip() != b"ready":
            raise RuntimeError("cannot set up libvirt's namespaces")
        self.mntns = os.readlink(f"/proc/{self.holder.pid}/ns/mnt")
        self.ns = ["nsenter", f"--mount=/proc/{self.holder.pid}/ns/mnt",
                   f"--net=/proc/{self.holder.pid}/ns/net", "--"]
        self.logf = open(os.path.join(self.w, "daemons.log"), "w")
        # a fixed environment: QEMU's PATH in the recorded command lines comes from libvirtd's
        env = ["env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        self.add(subprocess.Popen(self.ns + env + ["tini", "-s", "--", "virtlogd"],
                                  stdout=self.logf, stderr=self.logf))
        self.add(subprocess.Popen(self.ns + env + ["tini", "-s", "--", "libvirtd", "-f",
                                             "/etc/libvirt/libvirtd.conf"],
                                  stdout=self.logf, stderr=self.logf))
        self.uri = f"qemu+unix:///system?socket={self.w}/run/libvirt-sock"
        for _ in range(400):
            if self.virsh("version", check=False).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"libvirtd did not answer; see {self.w}/daemons.log")

    def add(self, p):
        self.procs.append(p)
        return p

    def inside(self, cmd, check=True, timeout=300):
        return run(self.ns + cmd, check=check, timeout=timeout)

    def virsh(self, *args, check=True):
        return self.inside(["virsh", "-q", "-c", self.uri] + list(args), check=check)

    def stop(self):
        # everything of ours: the daemons' children (QEMU probes end with libvirtd, dnsmasq
        # would not exist: the network is never started), then tini, the holder
        mine = {p.pid for p in self.procs}
        for p in reversed(self.procs):
            if p.poll() is None:
                for kid in children(p.pid):
                    try:
                        os.kill(kid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for pid in pids() - mine if self.mntns else ():
            try:
                if os.readlink(f"/proc/{pid}/ns/mnt") == self.mntns and pid != os.getpid():
                    log(f"stopping leftover {comm(pid)} ({pid})")
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.logf:
            self.logf.close()


def children(pid):
    out = []
    for d in pids():
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                out.append(d)
        except (OSError, ValueError):
            pass
    return out


def argv_lines(native):
    """libvirt's one-line native form as the .args goldens write it."""
    words = shlex.split(native)
    env = []
    while words and "=" in words[0] and not words[0].startswith("/"):
        env.append(words.pop(0))

    def q(s):
        safe = s and all(c.isalnum() or c in "_@%+=:,./-" for c in s)
        return s if safe else "'" + s.replace("'", "'\\''") + "'"
    out = []
    for e in env:
        k, v = e.split("=", 1)
        out.append(k + "=" + (q(v) if v else ""))
    line = None
    for i, w in enumerate(words):
        if i == 0 or w.startswith("-"):
            if line is not None:
                out.append(line)
            line = q(w)
        else:
            line += " " + q(w)
    out.append(line)
    return " \\\n".join(out) + "\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def generate(lv, names):
    made, failed = [], []
    for name in names:
        osinfo, extra = CASES[name]
        extra = [a.replace("@NAME@", name) for a in extra]
        for n in (2, 3):
            for ext, fmt in ((".qcow2", "qcow2"), (".raw", "raw")):
                if f"{name}-{n}{ext}" in " ".join(extra):
                    lv.inside(["qemu-img", "create", "-q", "-f", fmt,
                               f"{IMAGES}/{name}-{n}{ext}", "1G"])
        lv.inside(["qemu-img", "create", "-q", "-f", "qcow2", f"{IMAGES}/{name}.qcow2", "8G"])
        lv.virsh("pool-refresh", "default")
        # the same UUID and MACs every time: a regeneration changes only what changed
        cmd = ["virt-install", "--connect", lv.uri, "--print-xml", "--dry-run", "--noautoconsole",
               "--name", name, "--uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"virtkit:{name}")),
               "--osinfo", osinfo, "--import"]
        if not any(a == "--memory" for a in extra):
            cmd += ["--memory", "2048"]
        if not any(a == "--vcpus" for a in extra):
            cmd += ["--vcpus", "2"]
        bus = ",bus=sata" if osinfo.startswith("win") else ""
        cmd += ["--disk", f"path={IMAGES}/{name}.qcow2,format=qcow2{bus}"]
        if not any(a == "--network" for a in extra):
            extra = ["--network", "network=default"] + extra
        nic = 0
        for i, a in enumerate(extra[:-1]):
            if a == "--network" and extra[i + 1] != "none" and "mac=" not in extra[i + 1]:
                h = hashlib.sha256(f"{name}/{nic}".encode()).digest()
                extra[i + 1] += f",mac=52:54:00:{h[0]:02x}:{h[1]:02x}:{h[2]:02x}"
                nic += 1
        cmd += extra
        r = lv.inside(cmd, check=False)
        if r.returncode != 0:
            log(f"{name}: virt-install failed: {r.stderr.strip()[-400:]}")
            failed.append((name, "virt-install", r.stderr.strip()[-400:]))
            continue
        vi = os.path.join(HERE, f"{name}.virt-install.xml")
        write(vi, r.stdout)
        inner = os.path.join(lv.w, "lib", "images", "in.xml")  # = IMAGES/in.xml inside
        shutil.copy(vi, inner)
        lv.virsh("undefine", "--nvram", name, check=False)
        d = lv.virsh("define", f"{IMAGES}/in.xml", check=False)
        if d.returncode != 0:
            log(f"{name}: virsh define failed: {d.stderr.strip()}")
            failed.append((name, "define", d.stderr.strip()))
            continue
        dump = lv.virsh("dumpxml", name).stdout
        write(os.path.join(HERE, f"{name}.dumpxml.xml"), dump)
        lv.virsh("undefine", "--nvram", name, check=False)
        results = {}
        for form, src in (("virt-install", vi), ("dumpxml", os.path.join(HERE,
                                                                         f"{name}.dumpxml.xml"))):
            shutil.copy(src, inner)
            n = lv.virsh("domxml-to-native", "qemu-argv", f"{IMAGES}/in.xml", check=False)
            results[form] = (n.returncode, argv_lines(n.stdout) if n.returncode == 0
                             else n.stderr.strip() + "\n")
        for stale in (".libvirt.args", ".libvirt-err", ".dumpxml.libvirt.args",
                      ".dumpxml.libvirt-err"):
            if os.path.exists(os.path.join(HERE, name + stale)):
                os.unlink(os.path.join(HERE, name + stale))
        rc, text = results["virt-install"]
        write(os.path.join(HERE, name + (".libvirt.args" if rc == 0 else ".libvirt-err")), text)
        if results["dumpxml"] != results["virt-install"]:
            rc2, text2 = results["dumpxml"]
            write(os.path.join(HERE, name + (".dumpxml.libvirt.args" if rc2 == 0
                                             else ".dumpxml.libvirt-err")), text2)
        if rc != 0:
            log(f"{name}: domxml-to-native refused: {text.strip()}")
        made.append(name)
    return made, failed


def versions():
    """What the corpus was recorded with (test-compat.py reads the qemu line)."""
    def pkg(p):
        return run(["dpkg-query", "-W", "-f=${Version}", p], check=False).stdout.strip()
    qemu = run(["qemu-system-x86_64", "--version"]).stdout.split()[3]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    write(os.path.join(HERE, "VERSIONS"),
          f"qemu {qemu}\nlibvirt {pkg('libvirt-daemon')}\nvirtinst {pkg('virtinst')}\n"
          f"osinfo-db {pkg('osinfo-db')}\novmf {pkg('ovmf')}\nswtpm {pkg('swtpm')}\n"
          f"host-cpu {cpu} (host-model CPUs are expanded from it)\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="cases to regenerate (default: all)")
    ap.add_argument("--no-install", action="store_true", help="do not run apt-get")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("regenerate.py: run as root (it installs packages and starts libvirtd)")
    names = args.only or sorted(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit(f"unknown cases: {' '.join(unknown)}")
    if not args.no_install:
        install()
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us
    work = tempfile.mkdtemp(prefix="vk-compat-")
    lv = None
    t0 = time.monotonic()
    try:
        lv = PrivateLibvirt(os.path.join(work, "libvirt"))
        lv.start()
        log(f"libvirtd up: {lv.virsh('version').stdout.splitlines()[-1].strip()}")
        # the default network (never started) and pool, an ISO, a kernel and initrd, a share
        lv.virsh("net-define", "/usr/share/libvirt/networks/default.xml")
        lv.virsh("pool-define-as", "default", "dir", "--target", IMAGES)
        lv.virsh("pool-start", "default")
        lv.inside(["sh", "-c", f"truncate -s 4M {ISO} && : > {KERNEL} && : > {INITRD}"])
        versions()
        made, failed = generate(lv, names)
        log(f"{len(made)} domains written, {len(failed)} failed, "
            f"{time.monotonic() - t0:.0f} s")
        for f in failed:
            log(f"  failed: {f}")
    finally:
        if lv:
            lv.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
