#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# start-embed.sh VIRTKIT N: median and min wall time of `virtkit start --paused` of a 64 MiB KVM
# domain on a throwaway embedded root, over N runs (each followed by destroy). As root this
# includes the cgroup (or scope) placement of the start. Compare two builds by alternating.
set -euo pipefail
V=$(readlink -f "$1"); N=$2; R=$(mktemp -d /tmp/vk-start-embed.XXXXXX)
trap 'rm -rf "$R"' EXIT
vk() { "$V" -c "qemu:///embed?root=$R/root" "$@" >/dev/null; }
cat > "$R/d.xml" <<XML
<domain type='kvm'><name>sb</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>
XML
vk define "$R/d.xml"
vk start sb --paused; vk destroy sb   # warm the capabilities cache
for _ in $(seq "$N"); do
    s=$(date +%s%N); vk start sb --paused; e=$(date +%s%N)
    vk destroy sb
    echo $(((e - s) / 1000))
done | sort -n | awk '{ a[NR] = $1 }
    END { printf "start --paused: median %.1f ms, min %.1f ms (n=%d)\n", a[int((NR + 1) / 2)] / 1000, a[1] / 1000, NR }'
