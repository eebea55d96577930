#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo-embed.sh BUILDDIR: the main job without root. Start a real VM with the QEMU driver embedded in the virtkit
# CLI (qemu:///embed?root=…, no daemon, no root needed), show it running, and stop it.
set -euo pipefail
B=$(readlink -f "${1:-build}")
T=$(mktemp -d /tmp/virtkit-demo.XXXXXX)
URI="qemu:///embed?root=$T/root"
vk() { "$B/tools/virtkit" -c "$URI" "$@"; }
cleanup() {
    vk destroy demo >/dev/null 2>&1 || true
    vk undefine demo >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT

# KVM where this user may use it, else TCG (software emulation)
type=qemu
[ -r /dev/kvm ] && [ -w /dev/kvm ] && type=kvm
cat > "$T/demo.xml" <<XML
<domain type='$type'>
  <name>demo</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>
XML

step() { printf '\n\033[1m$ virtkit %s\033[0m\n' "$*"; vk "$@"; }

echo "Connection: $URI  (accelerator: $type)"
step define "$T/demo.xml"
step start demo
step list --all
step dominfo demo
step qemu-monitor-command demo --pretty '{"execute":"query-status"}'
printf '\n\033[1mThe QEMU process\033[0m\n'
pgrep -a -f 'guest=demo,' | cut -c1-150
printf '\n\033[1m$ virtkit dumpxml demo   (excerpt: the live XML)\033[0m\n'
vk dumpxml demo | grep -E "<domain|<graphics" || true
step destroy demo
step list --all
step undefine demo
echo
echo "Done: the VM ran under $T/root with no daemon; everything is removed again."
