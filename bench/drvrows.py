# SPDX-License-Identifier: LGPL-2.1-or-later
"""The network and storage rows of bench/run (issues 15 and 16), next to libvirt 9.0's network
and storage drivers. See bench/README.md, "Networks and storage".

Each stack gets a network namespace made here and a private instance started in it:
libvirtd (all-in-one: its network, storage and QEMU drivers) in its own sandbox of
/etc/libvirt etc. (bench/run's Libvirt with a netns), and virtkit-qemud + virtkit-networkd +
virtkit-storaged on a private --root. Bridges, dnsmasq, firewall rules and taps live in those
namespaces only, so the bench never touches the host's networking and never meets a host
`default` network. The timed loops are drvbench-vk / drvbench-lv (one C source, two backends),
vkclient / lvclient for the VM rows.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
from vkhost import netns_nft_problem  # noqa: E402

import systems  # noqa: E402  (bench/systems.py)

# Named for this run (pid), so two runs or a crashed one do not collide.
TAG = f"{os.getpid() % 100000}"
PORT, PEER = "vkbport", "vkbpeer"     # the probe's veth: PORT goes on the bridge
PEER_MAC = "52:54:00:b0:0c:01"
BRIDGE = "vkbnet0"                    # the timed network's bridge
VM_BRIDGE = "vkbvm0"                  # the VM rows' network
POOL = "benchpool"

# The timed network: NAT like libvirt's `default`, with STP off and a static DHCP host for the
# probe's MAC. With STP on the kernel holds a new bridge port blocked for 2 × its minimum
# forward delay (4 s), and dnsmasq pings a dynamic address for 3 s before offering it: both
# the same for the two stacks, and each would hide the daemons' work behind seconds.
NET_XML = f"""<network>
  <name>@NAME@</name>
  <forward mode='nat'/>
  <bridge name='{BRIDGE}' stp='off' delay='0'/>
  <ip address='10.77.0.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.77.0.2' end='10.77.0.254'/>
      <host mac='{PEER_MAC}' ip='10.77.0.5'/>
    </dhcp>
  </ip>
</network>
"""
VM_NET_XML = NET_XML.replace(BRIDGE, VM_BRIDGE).replace("10.77.0.", "10.78.0.")
# The N networks of the list row: inactive, each its own bridge and subnet (N < 256).
LIST_NET_XML = """<network>
  <name>@NAME@</name>
  <forward mode='nat'/>
  <bridge name='vkbl@N@' stp='on' delay='0'/>
  <ip address='10.79.@N@.1' netmask='255.255.255.0'>
    <dhcp><range start='10.79.@N@.2' end='10.79.@N@.254'/></dhcp>
  </ip>
</network>
"""
VOL_XML = """<volume>
  <name>@NAME@</name>
  <capacity unit='GiB'>10</capacity>
  <allocation unit='bytes'>0</allocation>
  <target><format type='qcow2'/></target>
</volume>
"""
POOL_XML = """<pool type='dir'>
  <name>{name}</name>
  <target><path>{path}</path></target>
</pool>
"""
# The VM rows' guest: bench/run's minimal guest (128 MiB, one vCPU, no disk), with or without
# one virtio NIC on the VM network.
DOMAIN_XML = """<domain type='{virt}'>
  <name>@NAME@</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>{qemu}</emulator>{nic}
  </devices>
</domain>
"""
NIC_XML = """
    <interface type='network'>
      <mac address='52:54:00:b0:0d:01'/>
      <source network='vmnet'/>
      <model type='virtio'/>
    </interface>"""


class NetNS:
    """A network namespace of the bench with the probe's veth pair (both ends up, PEER with
    PEER_MAC; PORT goes on the bridge under test)."""

    def __init__(self, name):
        self.name = name
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        for cmd in (["link", "set", "lo", "up"],
                    ["link", "add", PORT, "type", "veth", "peer", "name", PEER],
                    ["link", "set", PEER, "address", PEER_MAC],
                    ["link", "set", PORT, "up"], ["link", "set", PEER, "up"]):
            subprocess.run(self.argv("ip", *cmd), check=True, capture_output=True)

    def argv(self, *a):
        return ["ip", "netns", "exec", self.name] + list(a)

    def delete(self):
        """Every process still in the namespace is ours (a daemon, dnsmasq, QEMU): killed."""
        r = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def problem():
    """None when this host can run the rows (networkd's tests' conditions: root, ip, nft,
    busybox, dnsmasq, nftables in a namespace of our own; and qemu-img), else why not."""
    if not shutil.which("qemu-img"):
        return "qemu-img is not installed"
    return netns_nft_problem(f"b{TAG}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def fill_pool(path, n):
    """@n volumes: half qcow2 (1 GiB, copies of one qemu-img image, sparse), half raw sparse
    1 GiB files, as a dir pool of VM images looks to a refresh."""
    os.makedirs(path)
    tmpl = os.path.join(path, ".template.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", tmpl, "1G"], check=True)
    for i in range(n):
        if i % 2 == 0:
            subprocess.run(["cp", "--sparse=always", tmpl,
                            os.path.join(path, f"vol{i:04d}.qcow2")], check=True)
        else:
            with open(os.path.join(path, f"vol{i:04d}.img"), "wb") as f:
                f.truncate(1 << 30)
    os.unlink(tmpl)


class Stack:
    """One side of the rows: the daemons in their namespace, the drvbench program, its target
    (virtkit: the root's run dir; libvirt: the URI), the pool's directory."""

    def __init__(self, side, ns, work):
        self.side = side            # bench/run's Libvirt or Virtkit on @ns
        self.name = side.name
        self.ns = ns
        self.lv = side.name == "libvirt"
        self.prog = os.path.join(systems.BUILD, "bench", "drvbench-" + ("lv" if self.lv else "vk"))
        self.target = side.uri if self.lv else os.path.join(side.root, "run")
        self.pool_dir = os.path.join(work, f"pool-{side.name}")

    def start(self):
        self.side.start()
        if not self.lv:
            self.side.start_siblings(("networkd", "storaged"))

    def stop(self):
        self.side.stop()

    def drv(self, *a, timeout=600):
        """A drvbench mode, in the stack's namespace; its JSON lines by "what"."""
        return systems.client_json(self.ns.argv(self.prog, self.target, *map(str, a)),
                                  timeout=timeout)

    def cli(self, *words, check=True):
        return systems.run(self.side.cli(*words), check=check)


class Rows:
    """The rows, for a bench/run Bench (@b) or the smoke run (@b None: virtkit only)."""

    def __init__(self, b, stacks, work, quick=False, smoke=False):
        self.b = b
        self.stacks = stacks
        self.work = work
        self.smoke = smoke
        self.quick = quick
        self.files = {}
        for key, text in (("net", NET_XML), ("vmnet", VM_NET_XML), ("listnet", LIST_NET_XML),
                          ("vol", VOL_XML)):
            self.files[key] = write(os.path.join(work, f"drv-{key}.xml"), text)

    def reps(self, n):
        return 1 if self.smoke else (max(1, n // 2) if self.quick else n)

    def sides(self, rep):
        return self.stacks if rep % 2 == 0 else self.stacks[::-1]

    def measure(self, figure, unit, s, fn):
        """Records fn()'s value for @s (a failure is logged and noted; fatal in smoke)."""
        if self.smoke:
            v = fn()
            systems.log(f"smoke: {figure} [{s.name}]: {v:.2f} {unit}" if v is not None else
                       f"smoke: {figure} [{s.name}]: ok")
            return
        self.b.measure(figure, unit, s.side, fn)

    def add(self, figure, unit, s, value):
        if self.b:
            self.b.res.add(figure, unit, s.name, value)

    def row(self, figure, unit):
        """Places @figure in the table now (before the rows its samples add as they go)."""
        if self.b:
            self.b.res.row(figure, unit)

    # ---- issue 15: networks
    def net_start(self, reps=7):
        systems.log("network start → DHCP OFFER, destroy")
        if not self.smoke:  # untimed: whatever a stack does on its first network start
            for s in self.stacks:
                s.drv("netstart", self.files["net"], "benchnet", BRIDGE, PORT, PEER)
        for rep in range(self.reps(reps)):
            for s in self.sides(rep):
                def f(s=s):
                    o = s.drv("netstart", self.files["net"], "benchnet", BRIDGE, PORT, PEER)
                    self.add("network define+start, until the calls return", "ms", s,
                             o["netstart-call"]["value"])
                    self.add("network destroy, until the call returns", "ms", s,
                             o["netdestroy"]["value"])
                    return o["netstart-dhcp"]["value"]
                self.row("network start: define → first DHCP OFFER", "ms")
                self.measure("network start: define → first DHCP OFFER", "ms", s, f)

    def vm_nic(self, reps=7):
        systems.log("VM start with one type='network' NIC, and without")
        virt = self.b.virt if self.b else ("kvm" if systems.kvm_usable() else "qemu")
        for s in self.stacks:
            s.drv("netup", self.files["vmnet"], "vmnet")
            for name, nic in (("nic-", NIC_XML), ("bare-", "")):
                xml = write(os.path.join(s.side.w, f"domain-{name}xml"),
                            DOMAIN_XML.format(virt=virt, qemu=systems.QEMU, nic=nic))
                s.side.client("define", name, 1, xml)
                if not self.smoke:  # untimed: the instance's first QEMU probe, first tap
                    s.side.client("startdestroy", f"{name}0000", 1)
        figs = {name: f"VM start (paused), {tag}, network daemons running"
                for name, tag in (("nic-0000", "one type='network' NIC"), ("bare-0000", "no NIC"))}
        try:
            for rep in range(self.reps(reps)):
                for name, fig in figs.items():
                    self.row(fig, "ms")
                    for s in self.sides(rep):
                        def f(s=s, name=name, fig=fig):
                            o = s.side.client("startdestroy", name, 1)
                            self.add(fig.replace("start (paused)", "destroy"), "ms", s,
                                     o["destroy"]["value"])
                            return o["start"]["value"]
                        self.measure(fig, "ms", s, f)
                if self.b:  # bare QEMU, the same guest without NIC: both rows' baseline
                    q = self.b.bare_qemu("P")
                    for fig in figs.values():
                        self.b.res.add(fig, "ms", "qemu", q)
                    self.b.reaper.reap_orphans()
        finally:
            for s in self.stacks:
                for name in ("nic-", "bare-"):
                    s.side.client("cleanup", name)
                s.drv("netdown", "vmnet")

    def net_list(self, n, reps=5):
        systems.log(f"{n} networks defined → list")
        k = 5 if self.smoke else (50 if self.quick else 100)
        defines = self.reps(3)
        for rep in range(defines):
            for s in self.sides(rep):
                def f(s=s, last=rep == defines - 1):
                    try:
                        return s.drv("netdefine", self.files["listnet"], "lst", n)[
                            "netdefine"]["value"]
                    finally:
                        if not last:
                            s.drv("netundefine", "lst", n)
                self.measure(f"define {n} networks on one connection", "ms", s, f)
        try:
            for rep in range(self.reps(reps)):
                for how, fig in self.list_figures(f"list, {n} networks defined", 3):
                    for s in self.sides(rep):
                        if how == "raw" and s.lv:
                            continue
                        self.measure(fig, "µs", s, lambda s=s, how=how: s.drv(
                            "netlist", k, n, how)["netlist"]["median"])
        finally:
            for s in self.stacks:
                s.drv("netundefine", "lst", n)

    @staticmethod
    def list_figures(base, calls):
        """The three list rows (see drvops.h): what the list call gives; with the details
        net-list / vol-list --details show (libvirt: @calls more calls an object); virtkit's
        reply scanned, not parsed."""
        return (("handles", base),
                ("details", f"{base} + details (libvirt: {calls} calls each)"),
                ("raw", f"{base}, reply scanned not parsed (virtkit only)"))

    # ---- issue 16: storage
    def pools_up(self, n):
        systems.log(f"dir pools of {n} volumes")
        for s in self.stacks:
            fill_pool(s.pool_dir, n)
            xml = write(os.path.join(s.side.w, "pool.xml"),
                        POOL_XML.format(name=POOL, path=s.pool_dir))
            s.cli("pool-define", xml)
            s.cli("pool-start", POOL)

    def pools_down(self):
        for s in self.stacks:
            s.cli("pool-destroy", POOL, check=False)
            s.cli("pool-undefine", POOL, check=False)
            shutil.rmtree(s.pool_dir, ignore_errors=True)

    def storage(self, n, reps=5):
        k_refresh = 1 if self.smoke else 3
        k_list = 3 if self.smoke else 20
        for rep in range(self.reps(reps)):
            for s in self.sides(rep):
                self.measure(f"pool refresh, {n} volumes", "ms", s,
                             lambda s=s: s.drv("refresh", POOL, k_refresh)["refresh"]["median"])
        systems.log("create a 10 GiB sparse qcow2 volume, delete it")
        for rep in range(self.reps(reps + 2)):
            for s in self.sides(rep):
                def f(s=s):
                    o = s.drv("volcreate", POOL, self.files["vol"], "bench.qcow2")
                    self.add("delete that volume", "ms", s, o["voldelete"]["value"])
                    return o["volcreate"]["value"]
                self.row("create a 10 GiB sparse qcow2 volume", "ms")
                self.measure("create a 10 GiB sparse qcow2 volume", "ms", s, f)
        systems.log(f"list {n} volumes")
        for rep in range(self.reps(reps)):
            for how, fig in self.list_figures(f"list {n} volumes", 2):
                for s in self.sides(rep):
                    if how == "raw" and s.lv:
                        continue
                    k = max(1, k_list // 5) if how == "details" else k_list
                    self.measure(fig, "ms", s, lambda s=s, how=how, k=k: s.drv(
                        "vollist", POOL, k, n, how)["vollist"]["median"])

    def run(self, n_nets, n_vols):
        self.net_start()
        self.vm_nic()
        self.net_list(n_nets)
        self.pools_up(n_vols)
        try:
            self.storage(n_vols)
        finally:
            self.pools_down()


def bench_rows(b):
    """The full run's rows: both stacks, each in its namespace; everything stopped and
    removed at the end, whatever happened."""
    why = problem()
    if why:
        systems.log(f"network and storage rows skipped: {why}")
        return
    nss, stacks = [], []
    try:
        for cls in (systems.Libvirt, systems.Virtkit):
            tag = "lv" if cls is systems.Libvirt else "vk"
            ns = NetNS(f"vkb-{tag}-{TAG}")
            nss.append(ns)
            side = cls(b.work, b.reaper, b.bus, b.logf, b.virt, tag=f"{cls.name}-drv",
                       netns=ns.name)
            stacks.append(Stack(side, ns, b.work))
        systems.log("network and storage rows: starting both stacks in their namespaces")
        for s in stacks:
            s.start()
        Rows(b, stacks, b.work, quick=b.a.quick).run(b.a.networks, b.a.volumes)
    finally:
        for s in stacks:
            s.stop()
        b.reaper.reap_orphans()
        for ns in nss:
            ns.delete()


def smoke_rows(work, reaper, bus, logf, virt):
    """bench/run --smoke: every new row once for virtkit, small counts; raises on failure.
    Returns a note when the host cannot run them (said, not failed)."""
    why = problem()
    if why:
        return f"network and storage rows skipped: {why}"
    ns = NetNS(f"vkb-smoke-{TAG}")
    vk = None
    try:
        vk = Stack(systems.Virtkit(work, reaper, bus, logf, virt, tag="virtkit-drv",
                                   netns=ns.name), ns, work)
        vk.start()
        rows = Rows(None, [vk], work, smoke=True)
        rows.net_start()
        rows.vm_nic()
        rows.net_list(3)
        rows.pools_up(10)
        try:
            rows.storage(10)
        finally:
            rows.pools_down()
    finally:
        if vk:
            vk.stop()
        reaper.reap_orphans()
        ns.delete()
    return None
