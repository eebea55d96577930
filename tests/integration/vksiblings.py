# SPDX-License-Identifier: LGPL-2.1-or-later
"""vksiblings: virtkit-networkd, -storaged and -secretd of one system instance (a private
--root) beside a qemud on the same root, for the tests of qemud's forwarding and org.libvirt.

networkd runs in a network namespace of the test's own (its default network's bridge,
dnsmasq and nftables rules never touch the machine's); qemud reaches it through its varlink
socket under the root, which namespaces do not separate. Each daemon answers on
ROOT/run/<interface>; none is on a bus (qemud calls them over varlink). Everything stops at
the harness's teardown: the daemons by pid, then whatever is left in the namespace, which is
deleted.
"""

import os
import signal
import subprocess

from vkharness import check, wait_until
from vkhost import netns_nft_problem

SOCKETS = {'network': 'io.virtkit.Network', 'storage': 'io.virtkit.Storage',
           'secret': 'io.virtkit.Secret'}


class Netns:
    """A network namespace, for Harness.threads: deleted at teardown with what runs in it."""

    def __init__(self, name):
        self.name = name
        subprocess.run(['ip', 'netns', 'add', name], check=True)
        subprocess.run(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'],
                       check=True)

    def argv(self, argv):
        return ['ip', 'netns', 'exec', self.name] + list(argv)

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            r = subprocess.run(['ip', 'netns', 'pids', self.name], capture_output=True,
                               text=True)
            pids = [int(p) for p in r.stdout.split()]
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            try:
                wait_until(lambda: not subprocess.run(['ip', 'netns', 'pids', self.name],
                                                      capture_output=True,
                                                      text=True).stdout.split(), 5,
                           f'the processes of {self.name} to exit')
                break
            except AssertionError:
                continue
        subprocess.run(['ip', 'netns', 'del', self.name], capture_output=True)


def problem(tag):
    """Why networkd cannot run here (root, ip, nft, dnsmasq in a namespace), or None."""
    return netns_nft_problem(tag)


def socket_path(root, drv):
    return os.path.join(root, 'run', SOCKETS[drv])


def start(h, root, drivers=('network', 'storage', 'secret'), tag=None):
    """Start the sibling daemons @drivers on @root (networkd in a namespace of its own).
    Returns {driver: Popen}."""
    tag = tag or str(os.getpid() % 100000)
    procs = {}
    for drv in drivers:
        argv = [h.daemon_path(drv), '--root', root, '--bus', 'none', '-v']
        if drv == 'network':
            ns = Netns(f'vkt-sib-{tag}')
            h.threads.append(ns)
            argv = ns.argv(argv)
        p = procs[drv] = h.spawn(argv, f'virtkit-{drv}d', log=f'{drv}d')
        sock = socket_path(root, drv)
        wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 15, sock)
        check(p.poll() is None, f'virtkit-{drv}d exited:', h.log_text(f'{drv}d'))
    return procs


def define_defaults(call, root, srcdir):
    """What a system instance's first start defines, which an instance with --root (embedded)
    does not: the `default` network (inactive) and the dir pool `default` under @root (built,
    active, autostarted), defined through @call(path, interface, method, signature, *args)
    -> D-Bus result, i.e. through qemud's org.libvirt. Returns (network path, pool path)."""
    with open(os.path.join(srcdir, 'conf', 'networks', 'default.xml')) as f:
        net = call('/org/libvirt/QEMU', 'org.libvirt.Connect', 'NetworkDefineXML', 's',
                   f.read())[0]
    images = os.path.join(root, 'images')
    pool = call('/org/libvirt/QEMU', 'org.libvirt.Connect', 'StoragePoolDefineXML', 'su',
                f"<pool type='dir'><name>default</name><target><path>{images}</path>"
                "</target></pool>", 0)[0]
    call(pool, 'org.libvirt.StoragePool', 'Create', 'u', 1)  # WITH_BUILD
    call(pool, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', 'org.libvirt.StoragePool',
         'Autostart', 'b', 'true')
    return net, pool
