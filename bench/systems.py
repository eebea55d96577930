# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/systems.py: what bench/run measures with: processes and their cleanup (Reaper), and
the two systems under test, libvirtd + virtlogd in a private mount namespace (Libvirt) and
virtkit's daemons on an embedded root with a private dbus-daemon (Virtkit)."""

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, "build-bench")
LIFECYCLE = ["DefineDomain", "StartDomain", "DestroyDomain", "ListDomains", "GetDomainXML"]
QEMU = "/usr/bin/qemu-system-x86_64"
LIBVIRT_DIRS = [("etc", "/etc/libvirt"), ("lib", "/var/lib/libvirt"),
                ("cache", "/var/cache/libvirt"), ("run", "/run/libvirt"),
                ("log", "/var/log/libvirt")]
# The minimal guest of every lifecycle row: 128 MiB, one vCPU, no disk, no NIC.
DOMAIN_XML = """<domain type='{virt}'>
  <name>@NAME@</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>{qemu}</emulator></devices>
</domain>
"""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes and cleanup

class Reaper:
    """Everything this run starts, stopped by pid at exit; orphans come to us (subreaper)."""

    def __init__(self):
        self.procs = []          # Popen objects, stopped in reverse order
        self.extra_pids = set()  # pids to kill at the end (daemons we killed the parent of)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        self.me = os.getpid()
        # QEMUs whose daemon was killed become our children: reap them as they exit, as a
        # systemd PID 1 would (libvirt waits for a killed QEMU's pid to vanish)
        signal.signal(signal.SIGCHLD, lambda signum, frame: self.reap_qemu())

    def reap_qemu(self):
        try:
            with open(f"/proc/{self.me}/task/{self.me}/children") as f:
                kids = f.read().split()
        except OSError:
            return
        for k in kids:
            try:
                with open(f"/proc/{k}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            if st[st.rindex(")") + 2] == "Z" and \
                    st[st.index("(") + 1:st.rindex(")")].startswith("qemu-system"):
                try:
                    os.waitpid(int(k), os.WNOHANG)
                except ChildProcessError:
                    pass

    def add(self, p):
        self.procs.append(p)
        return p

    def children(self):
        """Pids whose parent is us (our Popens and reparented orphans)."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[1]) == self.me:
                out.append((int(d), fields[0]))
        return out

    def reap_orphans(self):
        """Reap zombies that are not ours through Popen (QEMUs re-parented to us)."""
        mine = {p.pid for p in self.procs if p.returncode is None}
        for pid, state in self.children():
            if state == "Z" and pid not in mine:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def stop_all(self):
        for p in reversed(self.procs):
            stop_popen(p)
        # orphans (QEMU of a killed daemon, a daemon whose client died): TERM, wait, KILL
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            pids = [pid for pid, st in self.children() if st != "Z"] + \
                [p for p in self.extra_pids if pid_alive(p)]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.time() + wait
            while time.time() < deadline and any(pid_alive(p) for p in pids):
                self.reap_orphans()
                time.sleep(0.05)
        self.reap_orphans()


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        return st[st.rindex(")") + 2] != "Z"
    except OSError:
        return False


def stop_popen(p, grace=10.0):
    if p.returncode is not None:
        return
    try:
        if p.stdin and not p.stdin.closed:
            try:
                p.stdin.write(b"stop\n")
                p.stdin.close()
            except (BrokenPipeError, OSError):
                pass
        else:
            p.terminate()
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                m = re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M)
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total / 1024.0


def run(cmd, timeout=600, check=True, env=None, quiet=False):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed ({r.returncode}): "
                           f"{r.stderr.decode(errors='replace').strip()[-800:]}")
    return r


def time_cli(cmd):
    """Wall time of one CLI run in ms (SIGCHLD held back, so no reaping lands in it)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
    try:
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ms = (time.perf_counter() - t0) * 1000
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGCHLD])
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed ({r.returncode}): "
                           f"{r.stderr.decode(errors='replace').strip()[-400:]}")
    return ms


def client_json(cmd, timeout=600, env=None):
    """Run a bench client; returns its JSON lines as a dict keyed by "what"."""
    r = run(cmd, timeout=timeout, env=env)
    out = {}
    for line in r.stdout.decode().splitlines():
        if line.startswith("{"):
            o = json.loads(line)
            out[o["what"]] = o
    return out


# ---------------------------------------------------------------- the two systems

class DaemonRun:
    """A daemon started by a client's `coldstart` mode; alive until stop()."""

    def __init__(self, reaper, cmd, logf, env=None):
        self.p = reaper.add(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=logf, env=env))
        line = self.p.stdout.readline().decode()
        if not line.startswith("{"):
            self.p.wait(timeout=30)
            raise RuntimeError(f"{os.path.basename(cmd[0])} coldstart failed (see the log)")
        o = json.loads(line)
        self.ms = o["value"]
        self.pid = o["pid"]

    def stop(self):
        stop_popen(self.p)


class Libvirt:
    name = "libvirt"

    def __init__(self, work, reaper, bus_addr, logf, virt, tag="libvirt", netns=None):
        """@tag names the instance's directory under @work; with @netns (a network namespace
        of the bench) every process of the instance runs in that namespace, and the
        instance starts with no network defined (the host's `default` is not copied)."""
        self.w = os.path.join(work, tag)
        self.reaper = reaper
        self.logf = logf
        self.bus = bus_addr
        self.lv = os.path.join(BUILD, "bench", "lvclient")
        self.uri = f"qemu+unix:///system?socket={self.w}/run/libvirt-sock"
        self.daemon = None
        self.dbus = None
        os.makedirs(self.w)
        for sub, path in LIBVIRT_DIRS:
            if sub in ("etc", "lib") and os.path.isdir(path):  # config and layout; no state
                shutil.copytree(path, os.path.join(self.w, sub), symlinks=True)
                shutil.copystat(path, os.path.join(self.w, sub))
            else:
                os.makedirs(os.path.join(self.w, sub))
        # no network autostarts (no bridge, no dnsmasq), whatever the host has
        shutil.rmtree(os.path.join(self.w, "etc", "qemu", "networks", "autostart"),
                      ignore_errors=True)
        if netns:
            shutil.rmtree(os.path.join(self.w, "etc", "qemu", "networks"), ignore_errors=True)
        for d in ("qemu", "storage", "secrets"):
            for f in os.listdir(os.path.join(self.w, "etc", d)) if os.path.isdir(
                    os.path.join(self.w, "etc", d)) else []:
                if f.endswith(".xml"):
                    os.unlink(os.path.join(self.w, "etc", d, f))
        with open(os.path.join(self.w, "etc", "libvirtd.conf"), "w") as f:
            # root clients only (the sockets live in this run's directory); no polkit: the
            # host has no system bus. virtkit, too, lets root in without asking polkit.
            f.write('auth_unix_ro = "none"\nauth_unix_rw = "none"\n'
                    'unix_sock_ro_perms = "0700"\nunix_sock_rw_perms = "0700"\n')
        with open(os.path.join(self.w, "etc", "qemu.conf"), "a") as f:
            # /dev/kvm is 0600 root here (no udev rules): QEMU runs as root, as virtkit's does
            f.write('\n# bench/run\nuser = "root"\ngroup = "root"\n')
        # the mount namespace holder: later processes enter it with nsenter (and its network
        # namespace: `ip netns exec` first, so the holder's /sys is that namespace's)
        for _, path in LIBVIRT_DIRS:
            os.makedirs(path, exist_ok=True)
        script = " && ".join(f"mount --bind {self.w}/{sub} {path}" for sub, path in LIBVIRT_DIRS)
        self.holder = reaper.add(subprocess.Popen(
            (["ip", "netns", "exec", netns] if netns else []) +
            ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
             script + " && echo ready && exec sleep 2147483647"],
            stdout=subprocess.PIPE, stderr=logf))
        if self.holder.stdout.readline().strip() != b"ready":
            raise RuntimeError("cannot set up libvirt's mount namespace")
        self.ns = ["nsenter", f"--mount=/proc/{self.holder.pid}/ns/mnt"] + \
            ([f"--net=/proc/{self.holder.pid}/ns/net"] if netns else []) + ["--"]
        # its pid file in this instance's /run/libvirt: the default, /run/virtlogd.pid, is
        # the host's (and a second instance's)
        self.virtlogd = reaper.add(subprocess.Popen(
            self.ns + ["tini", "-s", "--", "virtlogd", "-p", "/run/libvirt/virtlogd.pid"],
            stdout=logf, stderr=logf))
        for _ in range(200):
            if os.path.exists(os.path.join(self.w, "run", "virtlogd-sock")):
                break
            time.sleep(0.025)
        self.xml = os.path.join(self.w, "domain.xml")
        with open(self.xml, "w") as f:
            f.write(DOMAIN_XML.format(virt=virt, qemu=QEMU))
        self.has_lifecycle = True

    def daemon_cmd(self):
        return self.ns + ["tini", "-s", "--", "libvirtd", "-f", "/etc/libvirt/libvirtd.conf"]

    def coldstart(self, check="version"):
        return DaemonRun(self.reaper, [self.lv, "coldstart", self.uri, check, "--"] +
                         self.daemon_cmd(), self.logf)

    def daemon_pids(self, run):
        """libvirtd (tini's child) and virtlogd."""
        pids = [c for c in children_of(run.pid) if comm(c) == "libvirtd"]
        pids += [c for c in children_of(self.virtlogd.pid) if comm(c) == "virtlogd"]
        return pids

    def main_pid(self, run):
        return next(c for c in children_of(run.pid) if comm(c) == "libvirtd")

    def rss(self, run):
        return rss_mib(self.daemon_pids(run))

    def start(self):
        self.daemon = self.coldstart()

    def stop(self):
        self.stop_dbus()
        if self.daemon:
            self.daemon.stop()
            self.daemon = None

    def start_dbus(self):
        self.dbus = self.reaper.add(subprocess.Popen(
            self.ns + ["env", f"DBUS_SYSTEM_BUS_ADDRESS={self.bus}", "libvirt-dbus", "--system"],
            stdout=self.logf, stderr=self.logf))
        wait_bus_name(self.bus, "org.libvirt")

    def stop_dbus(self):
        if self.dbus:
            stop_popen(self.dbus)
            self.dbus = None

    def client(self, *a, timeout=600):
        return client_json([self.lv, a[0], self.uri] + [str(x) for x in a[1:]], timeout=timeout)

    def rtt(self, what, k, domain=None):
        return self.client("rtt", what, k, *([domain] if domain else []))[what]["median"]

    def dbus_rtt(self, what, k, domain=None):
        vk = os.path.join(BUILD, "bench", "vkclient")
        return client_json([vk, "dbus-rtt", self.bus, "lv", what, str(k)] +
                           ([domain] if domain else []))[what]["median"]

    def cli(self, *words):
        return ["virsh", "-q", "-c", self.uri] + list(words)


class Virtkit:
    name = "virtkit"

    def __init__(self, work, reaper, bus_addr, logf, virt, tag="virtkit", netns=None):
        """@tag and @netns as for Libvirt: with @netns every daemon runs in it."""
        self.w = os.path.join(work, tag)
        self.netns = netns
        self.root = os.path.join(self.w, "root")
        self.reaper = reaper
        self.logf = logf
        self.bus = bus_addr
        self.vk = os.path.join(BUILD, "bench", "vkclient")
        self.sock = os.path.join(self.root, "run", "io.virtkit.Qemu")
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus_addr)
        self.daemon = None
        self.siblings = []
        os.makedirs(self.w)
        self.xml = os.path.join(self.w, "domain.xml")
        with open(self.xml, "w") as f:
            f.write(DOMAIN_XML.format(virt=virt, qemu=QEMU))
        self.has_lifecycle = None  # known once a daemon runs
        # qemud serves org.libvirt too when the name is free: on the bench's one bus it must
        # leave the name to libvirt-dbus, whose column would otherwise measure virtkit
        os.makedirs(os.path.join(self.root, "etc"))
        with open(os.path.join(self.root, "etc", "qemu.conf"), "w") as f:
            f.write("libvirt_dbus = 0\n")

    def daemon_cmd(self, drv="qemud"):
        return (["ip", "netns", "exec", self.netns] if self.netns else []) + \
            [os.path.join(BUILD, "daemons", f"virtkit-{drv}"), "--root", self.root,
             "--bus", "session"]

    def coldstart(self, check="version"):
        return DaemonRun(self.reaper, [self.vk, "coldstart", self.sock, check, "--"] +
                         self.daemon_cmd(), self.logf, env=self.env)

    def main_pid(self, run):
        return run.pid

    def rss(self, run):
        return rss_mib([run.pid])

    def start(self):
        self.daemon = self.coldstart()
        if self.has_lifecycle is None:
            r = subprocess.run([self.vk, "has-methods", self.sock] + LIFECYCLE,
                               stdout=subprocess.PIPE, stderr=self.logf)
            self.has_lifecycle = r.returncode == 0
            if not self.has_lifecycle:
                log(f"virtkit-qemud lacks lifecycle methods: {r.stdout.decode().strip()}")
        wait_bus_name(self.bus, "io.virtkit.Qemu1")

    def stop(self):
        for s in self.siblings:
            s.stop()
        self.siblings = []
        if self.daemon:
            self.daemon.stop()
            self.daemon = None

    def start_siblings(self, drvs=("secretd", "networkd", "storaged")):
        """secretd, networkd, storaged (or those of @drvs) on the same root: the four-daemon
        RSS, the network and storage rows."""
        for drv, iface in (("secretd", "Secret"), ("networkd", "Network"),
                           ("storaged", "Storage")):
            if drv not in drvs:
                continue
            sock = os.path.join(self.root, "run", f"io.virtkit.{iface}")
            self.siblings.append(DaemonRun(
                self.reaper, [self.vk, "coldstart", sock, "version", "--"] +
                self.daemon_cmd(drv), self.logf, env=self.env))

    def sibling_rss(self):
        return rss_mib([s.pid for s in self.siblings])

    def client(self, *a, timeout=600):
        return client_json([self.vk, a[0], self.sock] + [str(x) for x in a[1:]],
                           timeout=timeout)

    def rtt(self, what, k, domain=None):
        return self.client("rtt", what, k, *([domain] if domain else []))[what]["median"]

    def dbus_rtt(self, what, k, domain=None):
        return client_json([self.vk, "dbus-rtt", self.bus, "vk", what, str(k)] +
                           ([domain] if domain else []))[what]["median"]

    def cli(self, *words):
        return [os.path.join(BUILD, "tools", "virtkit"), "-c",
                f"qemu+unix:///system?socket={self.sock}"] + list(words)


def wait_bus_name(addr, name, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if subprocess.run(["busctl", f"--address={addr}", "status", name],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.02)
    raise RuntimeError(f"{name} did not appear on the bus")


def start_bus(work, reaper, logf):
    conf = os.path.join(work, "bus.conf")
    sock = os.path.join(work, "bus.sock")
    with open(conf, "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
    reaper.add(subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork",
                                 "--nopidfile"], stdout=logf, stderr=logf))
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.025)
    return f"unix:path={sock}"


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return True
    except OSError:
        return False
