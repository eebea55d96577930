#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's main job, `./quickstart.sh demo` (tools/demo.sh), as root.

It runs the seed page's example domains on virtkit-networkd, -storaged and -qemud from this
build: the first example's NIC on the `default` network gets a DHCP lease (domifaddr and
net-dhcp-leases show the same address), the third example's disk (a pool volume whose qcow2
has a backing volume) is opened by a QEMU running as the unprivileged virtkit-qemu, every image
has its owner back after destroy, and nothing is left: no network namespace, no QEMU, no
dnsmasq, no temporary directory.
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, proc_cmdlines, run_tests  # noqa: E402


def test_demo(h):
    demo = os.path.join(os.environ['VK_TOP_SRCDIR'], 'tools', 'demo.sh')
    before = set(glob.glob('/tmp/virtkit-demo.*'))
    r = h.run(['bash', demo, h.builddir], timeout=300)
    out = re.sub(r'\x1b\[[0-9;]*m', '', r.out)
    check(r.rc == 0, 'demo.sh failed:', r)
    m = re.search(r'Daemons: .* on (/tmp/virtkit-demo\.\w+)/root, in the network namespace '
                  r'(\S+)', out)
    check(m, 'the demo names its root and namespace:', out)
    tmp, ns = m.group(1), m.group(2)

    # the first example got an address, the same in domifaddr and in networkd's leases
    ifaddr = out.split('$ virtkit domifaddr QEMU-fedora-i686', 1)[-1]
    m = re.search(r' vnet0\s+(52:54:00:[0-9a-f:]{8})\s+ipv4\s+(192\.168\.122\.\d+)/24', ifaddr)
    check(m, 'domifaddr shows a lease on the default network:', out)
    mac, ip = m.groups()
    leases = out.split('$ virtkit net-dhcp-leases default', 1)[-1]
    check(re.search(rf'{mac}\s+ipv4\s+{re.escape(ip)}/24', leases), 'net-dhcp-leases:', out)

    # the third example's disk: QEMU as virtkit-qemu opened myos and its backing volume
    procs = out.split('The QEMU processes and their users', 1)[-1]
    check(re.search(r'^virtkit-qemu\s+\d+ .*guest=myos-demo,', procs, re.M),
          'myos-demo\'s QEMU runs as virtkit-qemu:', out)
    nodes = out.split("What QEMU opened for myos-demo's disk", 1)[-1].split('\n\n')[0]
    check(re.search(rf'{re.escape(tmp)}/images/myos\s+ro=False', nodes) and
          re.search(rf'{re.escape(tmp)}/images/base\.qcow2\s+ro=True', nodes),
          'QEMU opened myos read-write and base.qcow2 read-only:', nodes)
    running = out.split('The images while QEMU runs', 1)[-1].split('\n\n')[0]
    check(re.search(r'virtkit-qemu .* myos$', running, re.M),
          'myos handed to virtkit-qemu while it runs:', running)
    after = out.split('The images after destroy (owners given back)', 1)[-1].split('\n\n')[0]
    files = [line for line in after.splitlines() if line.startswith('-')]
    check_eq(len(files), 3, 'images listed after destroy')
    check(all(' root root ' in line for line in files), 'owners given back:', after)
    check('Done: the examples ran' in out, 'the demo finished:', out)

    # nothing left behind
    check(not os.path.exists(tmp), f'{tmp} removed')
    check_eq(set(glob.glob('/tmp/virtkit-demo.*')) - before, set(), 'demo directories left')
    netns = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
    check(ns not in netns, f'network namespace {ns} left:', netns)
    left = [c for _, c, _ in proc_cmdlines() if tmp.encode() in c]
    check_eq(left, [], 'processes of the demo left')


if __name__ == '__main__':
    sys.exit(run_tests('demo', [test_demo]))
