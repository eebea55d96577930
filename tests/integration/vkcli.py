# SPDX-License-Identifier: LGPL-2.1-or-later
"""vkcli: what the CLI tests (test-cli.py and its groups, cli_embed.py) share: running
`virtkit -c URI ...` and checking its exit status and output, a small domain's XML."""

import os
import re
import signal

import vkguest
from vkharness import check, check_eq
from vkhost import kvm_usable

NO_SUCH = 'error: io.virtkit.Qemu.NoSuchDomain: '
UUID_RE = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
S = {}  # state one group's setup leaves for its tests


def domain_xml(name, uuid=None, virt=None, graphics=True):
    virt = virt or ('kvm' if kvm_usable() else 'qemu')
    return (f"<domain type='{virt}'><name>{name}</name>"
            + (f"<uuid>{uuid}</uuid>" if uuid else '')
            + "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
            + ("<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>" if graphics else '')
            + "</devices></domain>")


def write(h, name, text):
    path = h.path(name)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def virtkit_path(h):
    return os.path.join(h.builddir, 'tools', 'virtkit')


def vk(h, uri, *args, user=None, env=None, timeout=30):
    """Run `virtkit -c URI ARGS...` to completion (bounded); returns a Result."""
    return h.run([virtkit_path(h), '-c', uri] + list(args), user=user, env=env,
                 timeout=timeout)


def ok(h, uri, *args, **kw):
    r = vk(h, uri, *args, **kw)
    check(r.rc == 0 and r.err == '', 'virtkit failed:', r)
    return r


def fails(h, uri, rc, *args, **kw):
    r = vk(h, uri, *args, **kw)
    check_eq(r.rc, rc, f'exit status of {r}')
    check(r.out == '', 'nothing on stdout when failing:', r)
    return r


def no_qemu_left(h, what):
    left = vkguest.qemu_pids(h)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    check_eq(left, [], f'QEMUs left after {what}')
