#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The API reference in docs/api/ is what the daemons really serve.

For each daemon: the varlink interface description (org.varlink.service.GetInterfaceDescription)
and the D-Bus introspection of its manager object (busctl introspect --xml-interface on a
private session bus) must equal docs/api/io.virtkit.<Drv>.varlink and
docs/api/io.virtkit.<Drv>1.xml; qemud's forwarded io.virtkit.Secret, io.virtkit.Network and
io.virtkit.Storage must equal docs/api/io.virtkit.{Secret,Network,Storage}.via-qemud.varlink. VK_TEST_REGENERATE=1
rewrites them; a file in docs/api/ that no daemon produced fails the test.

The D-Bus XML carries an org.gtk.GDBus.DocString annotation on every io.virtkit.* interface,
method, argument, property and signal (of the manager object and of one object of each
object interface, which setup() defines), from the doc strings of the declarations
(`<daemon> --bus-docs`, the text the varlink IDL comments come from): sd-bus's vtables cannot
carry annotations, so the test adds them to what busctl introspect shows. A member or argument
without a doc string, or a doc string for a member the daemon does not serve, fails the test.
meson installs the per-interface files into share/dbus-1/interfaces.
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
    # one object of each object interface, to introspect it (defined, not started)
    pool_dir = h.path('pool')
    os.makedirs(pool_dir)
    for drv, method, params in (
            ('secret', 'io.virtkit.Secret.DefineSecret',
             {'xml': "<secret ephemeral='no' private='no'><usage type='tls'><name>docs</name>"
                     "</usage></secret>"}),
            ('network', 'io.virtkit.Network.DefineNetwork',
             {'xml': "<network><name>docs</name><bridge name='vkdocs0'/></network>"}),
            ('storage', 'io.virtkit.Storage.DefineStoragePool',
             {'xml': f"<pool type='dir'><name>docs</name><target><path>{pool_dir}</path>"
                     "</target></pool>"}),
            ('storage', 'io.virtkit.Storage.CreateStoragePool', {'pool': 'docs'}),
            ('storage', 'io.virtkit.Storage.CreateVolume',
             {'pool': 'docs', 'xml': "<volume><name>docs.img</name>"
                                     "<capacity unit='bytes'>1048576</capacity></volume>"}),
            ('qemu', 'io.virtkit.Qemu.DefineDomain',
             {'xml': "<domain type='qemu'><name>docs</name><memory unit='MiB'>64</memory>"
                     "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
                     "<devices/></domain>"})):
        reply = varlink_raw_call(S['daemons'][drv], method, params)
        check(reply and 'error' not in reply, f'{method}:', reply)


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


def annotate(drv, xml, docs, used):
    """@xml with a DocString annotation on each io.virtkit.* element that @docs describe
    (added to @used)."""
    out = []
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
    return '\n'.join(out) + ('\n' if xml.endswith('\n') else '')


def child_objects(h, name, path):
    """The paths below @path, each level down to the leaves that carry interfaces."""
    r = h.busctl('--list', 'tree', name, session=True)
    check(r.rc == 0, f'busctl tree {name} failed:', r)
    return sorted(p.strip() for p in r.out.splitlines() if p.strip().startswith(path + '/'))


def write_interfaces(h, stem, xml):
    """What meson installs into share/dbus-1/interfaces: one file per interface the daemon
    owns (not the standard ones, nor the ones it forwards)."""
    for m in re.finditer(r'^ <interface name="(io\.virtkit\.[^"]*)">\n.*?^ </interface>\n',
                         xml, re.M | re.S):
        if m.group(1).startswith(f'io.virtkit.{stem}1.'):
            compare(h, f'{m.group(1)}.xml', xml[:xml.index('<node>\n') + 7] + m.group(0) +
                    '</node>\n')


def test_dbus_introspection(h):
    for drv in S['daemons']:
        stem = DRIVERS[drv][1]
        r = h.busctl('--xml-interface', 'introspect', f'io.virtkit.{stem}1',
                     f'/io/virtkit/{stem}1', session=True)
        check(r.rc == 0, f'{drv}: introspect failed:', r)
        docs, used = bus_docs(h, drv), set()
        xml = annotate(drv, r.out, docs, used)
        compare(h, f'io.virtkit.{stem}1.xml', xml)
        write_interfaces(h, stem, xml)
        # each object interface, on the one object setup() defined
        seen = set()
        for path in child_objects(h, f'io.virtkit.{stem}1', f'/io/virtkit/{stem}1'):
            r = h.busctl('--xml-interface', 'introspect', f'io.virtkit.{stem}1', path,
                         session=True)
            check(r.rc == 0, f'{drv}: introspect {path} failed:', r)
            ifaces = set(re.findall(r'<interface name="(io\.virtkit\.[^"]*)">', r.out))
            if not ifaces or ifaces <= seen:
                continue
            seen |= ifaces
            write_interfaces(h, stem, annotate(drv, r.out, docs, used))
        stale = sorted('/'.join(k for k in key if k) for key in set(docs) - used)
        check(not stale, f'{drv}: doc strings for members the daemon does not serve:', stale)


def test_no_stale_docs(h):
    stale = sorted(set(os.listdir(docs_dir(h))) - S['used'] - {'README.md'})
    check(not stale, 'files in docs/api/ that no daemon serves:', stale)


if __name__ == '__main__':
    sys.exit(run_tests('api-docs', [test_varlink_descriptions, test_dbus_introspection,
                                    test_no_stale_docs], setup=setup))
