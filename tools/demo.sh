#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo.sh BUILDDIR: the main job. The seed page's example domains (docs/drvqemu's "Example
# domain XML config") on the virtkit daemons, as the system instance runs them:
#  - virtkit-networkd, -storaged and -qemud from BUILDDIR on a private --root, inside a network
#    namespace of their own (nothing on the host's network changes);
#  - the `default` NAT network (conf/networks/default.xml) and a `default` dir pool with a
#    qcow2 volume `myos` whose backing file is the volume `base.qcow2`;
#  - the first example, "QEMU emulated guest" (a NIC on the `default` network; its boot CD is
#    iPXE, which asks the network for an address): started, it gets a DHCP lease;
#  - the third example's disk (<disk type='volume'><source pool='default' volume='myos'/>)
#    started under a QEMU that runs as the unprivileged user virtkit-qemu (qemu.conf user, as
#    the system instance does), which opens the volume and its backing volume;
#  - both destroyed: every image has its owner back; then everything is removed again.
# Needs root (a bridge, a netns, a QEMU user); as a user without sudo it runs
# tools/demo-embed.sh instead (a VM with the QEMU driver embedded in the CLI, no root).
set -euo pipefail
B=$(readlink -f "${1:-build}")
SRC=$(dirname "$(dirname "$(readlink -f "$0")")")

if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        exec sudo "$0" "$B"
    fi
    echo "demo: not root and no sudo: the daemons' demo needs root; running the embedded one"
    exec "$SRC/tools/demo-embed.sh" "$B"
fi

T=$(mktemp -d /tmp/virtkit-demo.XXXXXX)
chmod 711 "$T"
R=$T/root
NS=virtkit-demo-$$
URI="qemu+unix:///system?socket=$R/run/io.virtkit.Qemu"
QEMU_USER=virtkit-qemu
PIDS=()
vk() { "$B/tools/virtkit" -c "$URI" "$@"; }
step() { printf '\n\033[1m$ virtkit %s\033[0m\n' "$*"; vk "$@"; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

cleanup() {
    local rc=$?
    for d in QEMU-fedora-i686 myos-demo; do vk destroy "$d" >/dev/null 2>&1 || true; done
    vk net-destroy default >/dev/null 2>&1 || true
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    done
    pkill -9 -f "$R/run/qemu/" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    if [ $rc != 0 ]; then
        for l in "$T"/*.log; do [ -s "$l" ] && { echo "--- $l"; tail -20 "$l"; }; done
    fi
    rm -rf "$T"
}
trap cleanup EXIT

# The iPXE boot CD, from Debian's ipxe package (unpacked, not installed: installing it adds
# an entry to the host's boot menu).
iso=/var/cache/virtkit-demo/ipxe.iso
if [ ! -s "$iso" ]; then
    mkdir -p /var/cache/virtkit-demo/deb
    (cd /var/cache/virtkit-demo/deb &&
        { apt-get download -q ipxe >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && apt-get download -q ipxe >/dev/null; }; })
    dpkg-deb --fsys-tarfile /var/cache/virtkit-demo/deb/ipxe_*.deb |
        tar -xO ./usr/lib/ipxe/ipxe.iso >"$iso.tmp"
    mv "$iso.tmp" "$iso"
    rm -rf /var/cache/virtkit-demo/deb
fi
cp "$iso" "$T/boot.iso"

# QEMU's user, as installing virtkit makes it (sysusers.d), and the instance's qemu.conf
systemd-sysusers "$B/units/virtkit-sysusers.conf" >/dev/null
mkdir -p "$R/etc"
printf 'user = "%s"\ngroup = "kvm"\n' "$QEMU_USER" >"$R/etc/qemu.conf"
type=qemu
setpriv --reuid="$QEMU_USER" --regid=kvm --init-groups test -r /dev/kvm -a -w /dev/kvm \
    2>/dev/null && type=kvm

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
for d in network storage qemu; do
    ip netns exec "$NS" "$B/daemons/virtkit-${d}d" --root "$R" --bus none >"$T/$d.log" 2>&1 &
    PIDS+=($!)
done
for s in Network Storage Qemu; do
    for _ in $(seq 100); do [ -S "$R/run/io.virtkit.$s" ] && break; sleep 0.1; done
done
echo "Daemons: virtkit-networkd, -storaged, -qemud on $R, in the network namespace $NS"
echo "Connection: $URI"

step net-define "$SRC/conf/networks/default.xml"
step net-start default
step net-list --all

mkdir -p "$T/images"
cat >"$T/pool.xml" <<XML
<pool type='dir'>
  <name>default</name>
  <target><path>$T/images</path></target>
</pool>
XML
step pool-define "$T/pool.xml"
step pool-start default
step vol-create-as default base.qcow2 1G --format qcow2
step vol-create-as default myos 1G --format qcow2 --backing-vol base.qcow2 \
    --backing-vol-format qcow2
step vol-create-as default fedora.img 64M --format raw
step vol-list default --details

# The seed page's first example, as printed there but for the two host paths
cat >"$T/fedora.xml" <<XML
<domain type='qemu'>
  <name>QEMU-fedora-i686</name>
  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
  <memory>219200</memory>
  <currentMemory>219200</currentMemory>
  <vcpu>2</vcpu>
  <os>
    <type arch='i686' machine='pc'>hvm</type>
    <boot dev='cdrom'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='cdrom'>
      <source file='$T/boot.iso'/>
      <target dev='hdc'/>
      <readonly/>
    </disk>
    <disk type='file' device='disk'>
      <source file='$T/images/fedora.img'/>
      <target dev='hda'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
    </interface>
    <graphics type='vnc' port='-1'/>
  </devices>
</domain>
XML
say "The seed page's first example (boot CD: iPXE; disk: the volume fedora.img)"
step define "$T/fedora.xml"
step start QEMU-fedora-i686
printf '\nWaiting for the guest to ask for an address'
for _ in $(seq 120); do
    vk domifaddr QEMU-fedora-i686 2>/dev/null | grep -q ipv4 && break
    printf .
    sleep 1
done
echo
step domifaddr QEMU-fedora-i686
step net-dhcp-leases default

# The third example's disk: the volume myos (qcow2, backed by base.qcow2), on virtio-scsi
cat >"$T/myos.xml" <<XML
<domain type='$type'>
  <name>myos-demo</name>
  <memory>131072</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch="x86_64">hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <clock sync="localtime"/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='scsi' index='0' model='virtio-scsi'/>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='myos'/>
      <target bus='scsi' dev='sda'/>
    </disk>
    <interface type='user'>
      <mac address='24:42:53:21:52:45'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' port='-1'/>
  </devices>
</domain>
XML
say "The seed page's third example's disk: the volume myos and its backing volume"
step define "$T/myos.xml"
step start myos-demo
step list --all
say "The QEMU processes and their users"
ps -o user:14,pid,args -C qemu-system-x86_64 | grep -E "USER|guest=(QEMU-fedora-i686|myos-demo)," |
    cut -c1-110
say "The images while QEMU runs (handed to $QEMU_USER)"
ls -l "$T/images"
say "What QEMU opened for myos-demo's disk (query-named-block-nodes: file, read-only)"
vk qemu-monitor-command myos-demo '{"execute":"query-named-block-nodes","arguments":{"flat":true}}' |
    python3 -c 'import json,sys
for n in json.load(sys.stdin)["return"]:
    if n["drv"] in ("qcow2", "raw"): print("  %s  ro=%s" % (n["file"], n["ro"]))'

step destroy QEMU-fedora-i686
step destroy myos-demo
say "The images after destroy (owners given back)"
ls -l "$T/images"
step undefine QEMU-fedora-i686
step undefine myos-demo
step net-destroy default
step pool-destroy default
echo
echo "Done: the examples ran under $R with the daemons of $B; everything is removed again."
