#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The API reference in docs/api/ is what the daemons really serve.

For each daemon: the varlink interface description (org.varlink.service.GetInterfaceDescription)
and the D-Bus introspection of its manager object (busctl introspect --xml-interface on a
private session bus) must equal docs/api/io.virtkit.<Drv>.varlink and
docs/api/io.virtkit.<Drv>1.xml; qemud's forwarded io.virtkit.Secret and io.virtkit.Network
must equal docs/api/io.virtkit.{Secret,Network}.via-qemud.varlink. VK_TEST_REGENERATE=1
rewrites them; a file in docs/api/ that no daemon produced fails the test.

The D-Bus XML carries an org.gtk.GDBus.DocString annotation on every io.virtkit.* interface,
method, argument and signal, from the doc strings of the declarations (`<daemon> --bus-docs`,
the text the varlink IDL comments come from): sd-bus's vtables cannot carry annotations, so
the test adds them to what busctl introspect shows. A member or argument without a doc
string, or a doc string for a member the daemon does not serve, fails the test. meson installs
these files into share/dbus-1/interfaces.
"""

import os
import re
import subprocess
import sys
from xml.sax.saxutils import quoteattr

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
    # what qemud's front door forwards to secretd and networkd (without the local and admin
    # methods)
    for stem in ('Secret', 'Network'):
        reply = varlink_raw_call(S['daemons']['qemu'],
                                 'org.varlink.service.GetInterfaceDescription',
                                 {'interface': f'io.virtkit.{stem}'})
        check(reply and 'parameters' in reply, f'qemu: no description of io.virtkit.{stem}:',
              reply)
        compare(h, f'io.virtkit.{stem}.via-qemud.varlink', reply['parameters']['description'])


DOC = 'org.gtk.GDBus.DocString'


def bus_docs(h, drv):
    """{(interface, kind, member, arg): doc} from the daemon's declarations."""
    out = subprocess.run([h.daemon_path(drv), '--bus-docs'], check=True, capture_output=True,
                         text=True).stdout
    docs = {}
    for line in out.splitlines():
        iface, kind, member, arg, doc = line.split('\t')
        docs[(iface, kind, member, arg)] = doc
    return docs


def annotate(drv, xml, docs):
    """@xml with a DocString annotation on each io.virtkit.* element that @docs describe."""
    out, used = [], set()
    iface = kind = member = None

    def annotation(indent, key):
        doc = docs.get(key)
        check(doc, f'{drv}: no doc string for {"/".join(k for k in key if k)}: add one '
              'to the declaration')
        used.add(key)
        return f'{indent}<annotation name="{DOC}" value={quoteattr(doc)}/>'

    for line in xml.splitlines():
        m = re.match(r'^( *)<(interface|method|signal|property|arg) (.*?)(/?)>$', line)
        if not m or iface is None and m.group(2) != 'interface':
            out.append(line)
            continue
        indent, tag, attrs, empty = m.groups()
        name = re.search(r'\bname="([^"]*)"', attrs).group(1)
        if tag == 'interface':
            iface = name if name.startswith('io.virtkit.') else None
            out.append(line)
            if iface:
                out.append(annotation(indent + ' ', (iface, 'interface', '', '')))
            continue
        if tag in ('method', 'signal', 'property'):
            kind, member = tag, name
            key = (iface, kind, member, '')
        else:
            d = re.search(r'\bdirection="([^"]*)"', attrs)
            key = (iface, kind, member, f'{d.group(1)}:{name}' if d and kind == 'method'
                   else name)
        if empty:
            out.append(f'{indent}<{tag} {attrs}>')
            out.append(annotation(indent + ' ', key))
            out.append(f'{indent}</{tag}>')
        else:
            out.append(line)
            out.append(annotation(indent + ' ', key))
    stale = sorted('/'.join(k for k in key if k) for key in set(docs) - used)
    check(not stale, f'{drv}: doc strings for members the daemon does not serve:', stale)
    return '\n'.join(out) + ('\n' if xml.endswith('\n') else '')


def test_dbus_introspection(h):
    for drv in S['daemons']:
        stem = DRIVERS[drv][1]
        r = h.busctl('--xml-interface', 'introspect', f'io.virtkit.{stem}1',
                     f'/io/virtkit/{stem}1', session=True)
        check(r.rc == 0, f'{drv}: introspect failed:', r)
        xml = annotate(drv, r.out, bus_docs(h, drv))
        compare(h, f'io.virtkit.{stem}1.xml', xml)
        # what meson installs into share/dbus-1/interfaces: one file per interface the daemon
        # owns (not the standard ones, nor the ones it forwards)
        for m in re.finditer(r'^ <interface name="(io\.virtkit\.[^"]*)">\n.*?^ </interface>\n',
                             xml, re.M | re.S):
            if m.group(1).startswith(f'io.virtkit.{stem}1.'):
                compare(h, f'{m.group(1)}.xml', xml[:xml.index('<node>\n') + 7] + m.group(0) +
                        '</node>\n')


def test_no_stale_docs(h):
    stale = sorted(set(os.listdir(docs_dir(h))) - S['used'] - {'README.md'})
    check(not stale, 'files in docs/api/ that no daemon serves:', stale)


if __name__ == '__main__':
    sys.exit(run_tests('api-docs', [test_varlink_descriptions, test_dbus_introspection,
                                    test_no_stale_docs], setup=setup))
