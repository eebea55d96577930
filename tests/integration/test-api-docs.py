#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The API reference in docs/api/ is what the daemons really serve.

For each daemon: the varlink interface description (org.varlink.service.GetInterfaceDescription)
and the D-Bus introspection of its manager object (busctl introspect --xml-interface on a
private session bus) must equal docs/api/io.virtkit.<Drv>.varlink and
docs/api/io.virtkit.<Drv>1.xml; qemud's forwarded io.virtkit.Secret, io.virtkit.Network and
io.virtkit.Storage must equal docs/api/io.virtkit.{Secret,Network,Storage}.via-qemud.varlink. VK_TEST_REGENERATE=1
rewrites them; a file in docs/api/ that no daemon produced fails the test.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (DRIVERS, check, run_tests, varlink_raw_call,  # noqa: E402
                       wait_until)

REGENERATE = os.environ.get('VK_TEST_REGENERATE') == '1'
S = {}


def docs_dir(h):
    return os.path.join(h.srcdir, 'docs', 'api')


def setup(h):
    h.start_buses()
    S['daemons'] = {}
    for drv, (daemon, stem) in DRIVERS.items():
        root = h.path(f'root-{drv}')
        p = h.spawn([h.daemon_path(drv), '--session', '--root', root, '--bus', 'session'],
                    daemon, log=f'{drv}')
        sock = os.path.join(root, 'run', f'io.virtkit.{stem}')
        wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, f'{sock}')
        check(p.poll() is None, f'{daemon} exited:', h.log_text(drv))
        h.wait_bus_name(f'io.virtkit.{stem}1', session=True)
        S['daemons'][drv] = sock
    S['used'] = set()


def compare(h, name, got):
    path = os.path.join(docs_dir(h), name)
    S['used'].add(name)
    if REGENERATE:
        with open(path, 'w') as f:
            f.write(got)
        return
    check(os.path.exists(path), f'{path} is missing (VK_TEST_REGENERATE=1 writes it)')
    with open(path) as f:
        want = f.read()
    check(got == want, f'{path} differs from what the daemon serves; run the test with '
          'VK_TEST_REGENERATE=1 and review the diff')


def test_varlink_descriptions(h):
    for drv, sock in S['daemons'].items():
        stem = DRIVERS[drv][1]
        reply = varlink_raw_call(sock, 'org.varlink.service.GetInterfaceDescription',
                                 {'interface': f'io.virtkit.{stem}'})
        check(reply and 'parameters' in reply, f'{drv}: no description:', reply)
        compare(h, f'io.virtkit.{stem}.varlink', reply['parameters']['description'])
    # what qemud's front door forwards to secretd, networkd and storaged (without the local and
    # admin methods)
    for stem in ('Secret', 'Network', 'Storage'):
        reply = varlink_raw_call(S['daemons']['qemu'],
                                 'org.varlink.service.GetInterfaceDescription',
                                 {'interface': f'io.virtkit.{stem}'})
        check(reply and 'parameters' in reply, f'qemu: no description of io.virtkit.{stem}:',
              reply)
        compare(h, f'io.virtkit.{stem}.via-qemud.varlink', reply['parameters']['description'])


def test_dbus_introspection(h):
    for drv in S['daemons']:
        stem = DRIVERS[drv][1]
        r = h.busctl('--xml-interface', 'introspect', f'io.virtkit.{stem}1',
                     f'/io/virtkit/{stem}1', session=True)
        check(r.rc == 0, f'{drv}: introspect failed:', r)
        compare(h, f'io.virtkit.{stem}1.xml', r.out)


def test_no_stale_docs(h):
    stale = sorted(set(os.listdir(docs_dir(h))) - S['used'] - {'README.md'})
    check(not stale, 'files in docs/api/ that no daemon serves:', stale)


if __name__ == '__main__':
    sys.exit(run_tests('api-docs', [test_varlink_descriptions, test_dbus_introspection,
                                    test_no_stale_docs], setup=setup))
