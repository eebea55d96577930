#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt-dbus's org.libvirt API served by the real virtkit-qemud on its own bus connection
(docs/libvirt-dbus.md). QEMU starts paused (-S, TCG): no guest runs. One group per run:

  system   private system bus with polkitd: conformance of every member cockpit-machines uses
           with libvirt-dbus 1.4's interface XML (tests/data/libvirt-dbus, from Debian's
           package), the object paths, GetAll/GetStats values as a variant in a variant,
           per-caller authorisation (read-only for any user, changes need root or polkit),
           Create/Destroy and GetState, DomainEvent signals, bad input
  names    a call to org.libvirt activates qemud (the built activation file); org.libvirt
           already owned by another program: qemud goes on without it; qemu.conf
           libvirt_dbus = 0 serves nothing of it
  objects  networkd, storaged and secretd beside qemud on the same private root (networkd in
           a network namespace): org.libvirt.Network, StoragePool, StorageVol and Secret
           members and signatures as libvirt-dbus 1.4 declares them, every member against the
           real daemons, NetworkEvent/StoragePoolEvent/SecretEvent and the pool's Refresh
           signal, per-caller authorisation with the siblings' polkit actions, and a sibling
           that is gone (List* empty, other calls an error naming it)
  session  the session instance of a normal user on a private session bus
"""

import os
import re
import signal
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
import vksiblings  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
NAME, ROOT = 'org.libvirt', '/org/libvirt/QEMU'
CONNECT, DOMAIN = 'org.libvirt.Connect', 'org.libvirt.Domain'
NETWORK, POOL, VOL, SECRET = ('org.libvirt.Network', 'org.libvirt.StoragePool',
                              'org.libvirt.StorageVol', 'org.libvirt.Secret')
PROPS = 'org.freedesktop.DBus.Properties'
DATA = os.path.join(os.environ.get('VK_TOP_SRCDIR', '.'), 'tests', 'data', 'libvirt-dbus')
# what cockpit-machines 288 uses of the two interfaces, and what we serve of them
MEMBERS = {
    CONNECT: ['LibVersion', 'Version', 'Hostname', 'Encrypted', 'Secure', 'ListDomains',
              'DomainLookupByName', 'DomainLookupByUUID', 'DomainDefineXML', 'DomainCreateXML',
              'GetCapabilities', 'GetDomainCapabilities', 'NodeGetMemoryStats', 'ListNetworks',
              'ListStoragePools', 'ListInterfaces', 'ListNodeDevices', 'ListSecrets',
              'signal DomainEvent', 'NetworkLookupByName', 'NetworkLookupByUUID',
              'NetworkDefineXML', 'StoragePoolLookupByName', 'StoragePoolLookupByUUID',
              'StoragePoolDefineXML', 'StorageVolLookupByPath', 'SecretLookupByUUID',
              'signal NetworkEvent', 'signal StoragePoolEvent', 'signal SecretEvent',
              'NetworkCreateXML', 'StoragePoolCreateXML', 'StorageVolLookupByKey',
              'SecretLookupByUsage', 'SecretDefineXML'],
    DOMAIN: ['Name', 'UUID', 'Id', 'Active', 'Persistent', 'Autostart', 'OSType', 'Updated',
             'SchedulerType', 'GetXMLDesc', 'GetState', 'Create', 'Shutdown', 'Destroy',
             'Reboot', 'Reset', 'Suspend', 'Resume', 'Undefine', 'GetStats',
             'InterfaceAddresses', 'ListDomainSnapshots', 'InjectNMI', 'SendKey', 'SetMemory',
             'Rename', 'GetMetadata', 'SetMetadata', 'GetVcpuPinInfo', 'PinVcpu',
             'GetEmulatorPinInfo', 'PinEmulator', 'GetVcpus', 'AttachDevice', 'DetachDevice',
             'UpdateDevice',
             'signal BalloonChange', 'signal ControlError', 'signal DeviceAdded',
             'signal DeviceRemoved', 'signal DiskChange', 'signal MetadataChange',
             'signal Reboot', 'signal TrayChange', 'signal IOError', 'signal RTCChange',
             'signal Watchdog'],
}
S = {}


def domain_xml(name):
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>")


def dom_path(uuid):
    return f'{ROOT}/domain/_{uuid.replace("-", "_")}'


def cleanup_qemus(h):
    for pid in vkharness.qemu_pids(h.tmp, QEMU):
        os.kill(pid, signal.SIGKILL)


class QemuKiller:
    """Teardown (Harness.threads): the QEMUs of this run, which outlive qemud by design."""

    def __init__(self, h):
        self.h = h

    def stop(self):
        cleanup_qemus(self.h)


def call(h, path, iface, method, sig=None, *args, user=None, session=False, ok=True):
    # "--": arguments such as -1 are no options
    r = h.busctl('--json=short', '--', 'call', NAME, path, iface, method,
                 *([sig] + [str(a) for a in args] if sig else []), user=user, session=session,
                 timeout=30)
    if not ok:
        return r
    check(r.rc == 0, f'{iface}.{method} failed:', r)
    return r.json()['data'] if r.out.strip() else None


def get_all(h, path, iface, user=None, session=False):
    r = h.busctl('--json=short', 'call', NAME, path, PROPS, 'GetAll', 's', iface, user=user,
                 session=session)
    check(r.rc == 0, f'GetAll {iface}:', r)
    return r.json()['data'][0]


def unwrap2(v, what):
    """A value libvirt-dbus sends as a variant inside a variant: its inner value."""
    check(isinstance(v, dict) and v.get('type') == 'v', f'{what} is a variant in a variant:', v)
    return v['data']['data']


def state(h, uuid):
    return call(h, dom_path(uuid), DOMAIN, 'GetState', 'u', 0)[0]


def start_daemon(h, extra_conf=None):
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    h.install_bus_policies([os.path.join(h.srcdir, 'conf', 'dbus', 'virtkit-org.libvirt.conf')])
    h.start_polkitd()
    root = h.path('root')
    os.makedirs(os.path.join(root, 'etc'))
    if extra_conf:
        with open(os.path.join(root, 'etc', 'qemu.conf'), 'w') as f:
            f.write(extra_conf)
    return h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'system', '-v'],
                   'virtkit-qemud', log='qemud')


class Monitor:
    def __init__(self, h):
        self.h = h
        h.spawn(['stdbuf', '-oL', 'gdbus', 'monitor', '--address', h.system_bus, '--dest',
                 NAME], 'gdbus monitor', log='gdbus-monitor')
        wait_until(lambda: 'is owned by' in h.log_text('gdbus-monitor'), 10,
                   'gdbus monitor to start')

    def wait(self, pattern, what):
        rx = re.compile(pattern)
        return wait_until(lambda: any(rx.search(ln) for ln in
                                      self.h.log_text('gdbus-monitor').splitlines()),
                          15, what, interval=0.05)


# --- system ---

def setup_system(h):
    h.threads.append(QemuKiller(h))
    S['daemon'] = start_daemon(h)
    h.wait_bus_name(NAME)
    h.wait_bus_name('io.virtkit.Qemu1')


def introspected(h, path):
    r = h.busctl('--xml-interface', 'introspect', NAME, path)
    check(r.rc == 0, f'introspect {path}:', r)
    return ET.fromstring(r.out)


def members(node, iface):
    """{name: (kind, signature)} of @iface in an introspection tree."""
    out = {}
    for i in node.iter('interface'):
        if i.get('name') != iface:
            continue
        for m in i:
            if m.tag == 'property':
                out[m.get('name')] = ('property', m.get('type'), m.get('access'))
            elif m.tag in ('method', 'signal'):
                key = m.get('name') if m.tag == 'method' else f'signal {m.get("name")}'
                out[key] = (m.tag, tuple((a.get('type'), a.get('direction', 'out'))
                                                   for a in m.findall('arg')))
    return out


def test_conformance_with_libvirt_dbus_xml(h):
    _, uuid = call(h, '/io/virtkit/Qemu1', 'io.virtkit.Qemu1.Manager', 'DefineDomain', 's',
                   domain_xml('conf1'))
    S['uuid'] = uuid
    for iface, path in ((CONNECT, ROOT), (DOMAIN, dom_path(uuid))):
        want = members(ET.parse(os.path.join(DATA, f'{iface}.xml')).getroot(), iface)
        got = members(introspected(h, path), iface)
        for m in MEMBERS[iface]:
            check(m in want, f'{iface}.{m} is in libvirt-dbus 1.4\'s XML')
            check_eq(got.get(m), want[m], f'{iface}.{m} as libvirt-dbus declares it')
        # and nothing of our own invention on libvirt-dbus's interfaces
        check_eq(sorted(got), sorted(MEMBERS[iface]), f'the members of {iface} we serve')


def test_paths_round_trip(h):
    uuid = S['uuid']
    path = call(h, ROOT, CONNECT, 'DomainLookupByName', 's', 'conf1')[0]
    check_eq(path, dom_path(uuid), 'DomainLookupByName: _<uuid with - as _>')
    check_eq(call(h, ROOT, CONNECT, 'DomainLookupByUUID', 's', uuid)[0], path,
             'DomainLookupByUUID gives the same path')
    check_eq(call(h, ROOT, CONNECT, 'ListDomains', 'u', 0)[0], [path], 'ListDomains')
    props = get_all(h, path, DOMAIN)
    check_eq(unwrap2(props['UUID'], 'UUID'), uuid, 'the UUID behind the path')
    check_eq(unwrap2(props['Name'], 'Name'), 'conf1', 'Name')
    check_eq(unwrap2(props['Id'], 'Id'), 0, 'Id of a shut off domain (libvirt-dbus: 0)')
    check('SchedulerType' not in props, 'GetAll leaves out what fails (shut off):', props)
    r = h.busctl('tree', NAME)
    check(r.rc == 0 and path in r.out, 'busctl tree shows the domain:', r)
    # the plain Get: one variant, like libvirt-dbus
    r = h.busctl('--json=short', 'get-property', NAME, path, DOMAIN, 'Name')
    check(r.rc == 0 and r.json()['data'] == 'conf1', 'Get Name:', r)
    for flags, want in ((1, []), (2, [path]), (4, [path]), (8, []), (64, [path]), (16, [])):
        check_eq(call(h, ROOT, CONNECT, 'ListDomains', 'u', flags)[0], want,
                 f'ListDomains({flags})')


def test_connect_answers(h):
    c = get_all(h, ROOT, CONNECT)
    check(unwrap2(c['LibVersion'], 'LibVersion') >= 9000000, 'LibVersion:', c)
    check_eq(unwrap2(c['Encrypted'], 'Encrypted'), False, 'Encrypted')
    check_eq(unwrap2(c['Secure'], 'Secure'), True, 'Secure')
    for m in ('ListNetworks', 'ListStoragePools', 'ListInterfaces', 'ListNodeDevices',
              'ListSecrets'):
        check_eq(call(h, ROOT, CONNECT, m, 'u', 0)[0], [], f'{m} answers an empty list')
    stats = call(h, ROOT, CONNECT, 'NodeGetMemoryStats', 'iu', -1, 0)[0]
    check(stats.get('total', 0) > 0, 'NodeGetMemoryStats has total:', stats)
    # no networkd, storaged or secretd on this root: lists are empty, the rest names the daemon
    for m, arg, want in (('NetworkLookupByName', 'default', 'virtkit-networkd is not reachable'),
                         ('StoragePoolLookupByName', 'default', 'virtkit-storaged is not '
                          'reachable'),
                         ('StorageVolLookupByPath', '/x', 'virtkit-storaged is not reachable'),
                         ('SecretLookupByUUID', '00000000-0000-4000-8000-000000000001',
                          'virtkit-secretd is not reachable'),
                         ('NetworkDefineXML', '<network/>', 'virtkit-networkd is not reachable')):
        r = call(h, ROOT, CONNECT, m, 's', arg, ok=False)
        check(r.rc != 0 and want in r.err and 'org.libvirt.Error' in h.dbus_send(
            NAME, ROOT, f'{CONNECT}.{m}', f'string:{arg}').err,
              f'{m} without the sibling: org.libvirt.Error naming it:', r)
    caps = call(h, ROOT, CONNECT, 'GetCapabilities')[0]
    check('<capabilities>' in caps, 'GetCapabilities:', caps[:200])
    dc = call(h, ROOT, CONNECT, 'GetDomainCapabilities', 'ssssu', '', 'x86_64', '', 'qemu', 0)[0]
    check('<domainCapabilities>' in dc, 'GetDomainCapabilities:', dc[:200])
    # Cockpit's call: no emulator, no virt type, the machine of the VM
    dc = call(h, ROOT, CONNECT, 'GetDomainCapabilities', 'ssssu', '', 'x86_64', 'pc', '', 0)[0]
    check('<domainCapabilities>' in dc, 'GetDomainCapabilities as Cockpit calls it:', dc[:200])


def test_read_only_for_users_changes_need_polkit(h):
    a = h.add_user()
    S['user'] = a
    path = dom_path(S['uuid'])
    check_eq(call(h, ROOT, CONNECT, 'ListDomains', 'u', 0, user=a)[0], [path],
             'ListDomains by a normal user')
    check_eq(call(h, path, DOMAIN, 'GetState', 'u', 0, user=a)[0], [5, 0],
             'GetState by a normal user: shut off')
    xml = call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0, user=a)[0]
    check('<name>conf1</name>' in xml, 'GetXMLDesc by a normal user:', xml[:200])
    r = call(h, path, DOMAIN, 'GetXMLDesc', 'u', 1, user=a, ok=False)
    check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'GetXMLDesc(SECURE) needs manage:', r)
    r = call(h, path, DOMAIN, 'Create', 'u', 1, user=a, ok=False)
    refused = re.compile(r'(not authorised|interactive authentication required), '
                         r'action io\.virtkit\.qemu\.manage')
    check(r.rc != 0 and refused.search(r.err), 'Create by a normal user is refused:', r)
    r = h.busctl('set-property', NAME, path, DOMAIN, 'Autostart', 'b', 'true', user=a)
    check(r.rc != 0 and refused.search(r.err), 'Autostart by a normal user is refused:', r)
    r = h.dbus_send(NAME, path, 'org.freedesktop.DBus.Properties.Set', f'string:{DOMAIN}',
                    'string:Autostart', 'variant:boolean:true', user=a)
    check(r.rc != 0 and 'org.libvirt.Error' in r.err, 'the refusal is org.libvirt.Error:', r)
    check_eq(state(h, S['uuid']), [5, 0], 'still shut off')
    h.add_polkit_rule('50-libvirt-dbus.rules', f'''
polkit.addRule(function(action, subject) {{
    if (action.id == "io.virtkit.qemu.manage" && subject.user == "{a.name}")
        return polkit.Result.YES;
}});
''')
    wait_until(lambda: call(h, path, DOMAIN, 'Create', 'u', 1, user=a, ok=False).rc == 0, 15,
               'Create allowed by the polkit rule')
    check_eq(state(h, S['uuid']), [3, 1],
             'paused (VIR_DOMAIN_START_PAUSED: libvirt says PAUSED_USER)')
    call(h, path, DOMAIN, 'Destroy', 'u', 0, user=a)
    check_eq(state(h, S['uuid']), [5, 2], 'shut off, destroyed')
    r = h.busctl('set-property', NAME, path, DOMAIN, 'Autostart', 'b', 'true', user=a)
    check(r.rc == 0, 'Autostart set with the rule:', r)
    check_eq(unwrap2(get_all(h, path, DOMAIN)['Autostart'], 'Autostart'), True, 'Autostart')


def test_lifecycle_and_events(h):
    mon = Monitor(h)
    uuid = S['uuid']
    path = dom_path(uuid)
    rx = re.escape(f"{ROOT}: {CONNECT}.DomainEvent (objectpath '{path}'")
    call(h, path, DOMAIN, 'Create', 'u', 1)
    try:
        mon.wait(rx + r', 2, 0\)', 'DomainEvent started/booted')
        mon.wait(rx + r', 3, 0\)', 'DomainEvent suspended/paused')
        props = get_all(h, path, DOMAIN)
        check(unwrap2(props['Active'], 'Active') and unwrap2(props['Id'], 'Id') > 0,
              'Active with an id:', props)
        check_eq(unwrap2(props['SchedulerType'], 'SchedulerType'), ['posix', 0], 'SchedulerType')
        stats = call(h, path, DOMAIN, 'GetStats', 'uu', 0, 0)[0]
        check_eq(unwrap2(stats['state.state'], 'state.state'), 3, 'GetStats state.state')
        check_eq(unwrap2(stats['balloon.maximum'], 'balloon.maximum'), 65536, 'balloon.maximum')
        check_eq(unwrap2(stats['vcpu.current'], 'vcpu.current'), 1, 'vcpu.current')
        check(unwrap2(stats['balloon.rss'], 'balloon.rss') > 1024, 'balloon.rss: QEMU\'s RSS:', stats)
        check_eq(unwrap2(stats['vcpu.0.state'], 'vcpu.0.state'), 1, 'vcpu.0.state')
        check(unwrap2(stats['vcpu.0.time'], 'vcpu.0.time') >= 0 and 'vcpu.1.time' not in stats,
              'vcpu.0.time, of the one vCPU thread:', stats)
        check_eq(call(h, path, DOMAIN, 'InterfaceAddresses', 'uu', 0, 0)[0], [],
                 'InterfaceAddresses (none known)')
        check_eq(call(h, path, DOMAIN, 'ListDomainSnapshots', 'u', 0)[0], [], 'no snapshots')
        xml = call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0)[0]
        check(re.search(r"<domain type='qemu' id='\d+'", xml), 'live XML with an id:', xml[:200])
        call(h, path, DOMAIN, 'Reboot', 'u', 0)
        mon.wait(re.escape(f'{path}: {DOMAIN}.Reboot ()'), 'the domain\'s Reboot signal')
        # Ctrl+Alt+Del in linux codes (0), then 'a' in qnum (9) held 50 ms; NMI: QEMU takes them
        call(h, path, DOMAIN, 'SendKey', 'uuauu', 0, 0, 3, 29, 56, 111, 0)
        call(h, path, DOMAIN, 'SendKey', 'uuauu', 9, 50, 1, 30, 0)
        call(h, path, DOMAIN, 'InjectNMI', 'u', 0)
        for args, msg in (([10, 0, 1, 30, 0], 'unknown codeset 10'),
                          ([2, 0, 1, 0x7f, 0], 'cannot translate keycode 127 of atset1'),
                          ([0, 0, 17] + list(range(2, 19)) + [0], 'nkeycodes must be'),
                          ([0, 0, 0, 0], 'nkeycodes must be'),
                          ([0, 0, 1, 30, 1], 'unsupported flags (0x1)')):
            r = call(h, path, DOMAIN, 'SendKey', 'uuauu', *args, ok=False)
            check(r.rc != 0 and msg in r.err, f'SendKey {args}: {msg!r}', r)
        r = call(h, path, DOMAIN, 'InjectNMI', 'u', 0, user=h.add_user(), ok=False)
        check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'InjectNMI needs manage:', r)
        r = call(h, path, DOMAIN, 'Rename', 'su', 'other', 0, ok=False)
        check(r.rc != 0 and 'Requested operation is not valid: cannot rename active domain'
              in r.err, 'Rename of a running domain:', r)
        check_eq(state(h, uuid), [3, 1], 'still paused after the keys and the NMI')
        call(h, path, DOMAIN, 'Resume')
        mon.wait(rx + r', 4, 0\)', 'DomainEvent resumed/unpaused')
        call(h, path, DOMAIN, 'Suspend')
        check_eq(state(h, uuid), [3, 1], 'paused by the user')
        call(h, path, DOMAIN, 'Destroy', 'u', 0)
        mon.wait(rx + r', 5, 1\)', 'DomainEvent stopped/destroyed')
        check_eq(state(h, uuid), [5, 2], 'shut off, destroyed')
        tpath = call(h, ROOT, CONNECT, 'DomainCreateXML', 'su', domain_xml('trans1'), 1)[0]
        check_eq(call(h, tpath, DOMAIN, 'GetState', 'u', 0)[0], [3, 1],
                 'DomainCreateXML(paused) made a paused transient domain')
        check_eq(unwrap2(get_all(h, tpath, DOMAIN)['Persistent'], 'Persistent'), False,
                 'a transient domain')
        call(h, tpath, DOMAIN, 'Destroy', 'u', 0)
        r = call(h, tpath, DOMAIN, 'GetState', 'u', 0, ok=False)
        check(r.rc != 0, 'a stopped transient domain is gone:', r)
    finally:
        cleanup_qemus(h)  # a failed check must not leave QEMU behind


def test_block_stats(h):
    raw, qcow = h.path('disk.raw'), h.path('disk.qcow2')
    with open(raw, 'wb') as f:
        f.truncate(8 << 20)    # sparse: allocation < physical
    r = h.run(['qemu-img', 'create', '-q', '-f', 'qcow2', qcow, '1G'])
    check(r.rc == 0, 'qemu-img create:', r)
    disks = ''.join(f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
                    f"<source file='{path}'/><target dev='{dev}' bus='virtio'/></disk>"
                    for fmt, path, dev in (('raw', raw, 'vda'), ('qcow2', qcow, 'vdb')))
    xml = domain_xml('disks1').replace('<devices/>', f'<devices>{disks}</devices>')
    path = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', xml)[0]
    stats = {k: unwrap2(v, k) for k, v in
             call(h, path, DOMAIN, 'GetStats', 'uu', 32, 0)[0].items()}
    check_eq(stats.get('block.count'), 2, 'block.count')
    check_eq([stats.get('block.0.name'), stats.get('block.1.name')], ['vda', 'vdb'], 'names')
    check_eq(stats.get('block.0.path'), raw, 'block.0.path')
    check_eq(stats.get('block.0.capacity'), 8 << 20, 'raw: capacity is the file size')
    check_eq(stats.get('block.0.physical'), 8 << 20, 'raw: physical')
    check(stats.get('block.0.allocation', 1 << 30) < 8 << 20, 'sparse raw: allocation:', stats)
    check_eq(stats.get('block.1.capacity'), 1 << 30, 'qcow2: capacity from its header')
    check(0 < stats.get('block.1.physical', 0) < 1 << 20, 'qcow2: physical:', stats)
    check('state.state' not in stats, 'only the block group was asked for:', stats)
    check('block.0.rd.reqs' not in stats, 'no I/O counters while shut off:', stats)
    # running (paused): QEMU's query-blockstats gives the I/O counters, by disk
    call(h, path, DOMAIN, 'Create', 'u', 1)
    try:
        stats = {k: unwrap2(v, k) for k, v in
                 call(h, path, DOMAIN, 'GetStats', 'uu', 32 | 16, 0)[0].items()}
        for i in (0, 1):
            for key in ('rd.reqs', 'rd.bytes', 'rd.times', 'wr.reqs', 'wr.bytes', 'wr.times',
                        'fl.reqs', 'fl.times'):
                check(isinstance(stats.get(f'block.{i}.{key}'), int),
                      f'block.{i}.{key} of the running domain:', stats)
        check_eq(stats.get('block.1.capacity'), 1 << 30, 'the sizes are still there')
        check_eq(stats.get('net.count'), 0, 'net.count: no interfaces')
        call(h, path, DOMAIN, 'Destroy', 'u', 0)
    finally:
        cleanup_qemus(h)
    call(h, path, DOMAIN, 'Undefine', 'u', 0)


def memory_kib(h, path):
    """(<memory>, <currentMemory>) of the inactive XML, in KiB."""
    xml = call(h, path, DOMAIN, 'GetXMLDesc', 'u', 2)[0]
    root = ET.fromstring(xml)
    units = {'KiB': 1, 'MiB': 1024, 'GiB': 1 << 20}
    return tuple(int(root.find(e).text) * units[root.find(e).get('unit', 'KiB')]
                 for e in ('memory', 'currentMemory'))


def test_set_memory(h):
    # Cockpit's memory dialog: SetMemory(KiB, VIR_DOMAIN_AFFECT_CONFIG [| LIVE when running]),
    # after a DomainDefineXML for a new maximum
    xml = domain_xml('mem1').replace("<memory unit='MiB'>64</memory>",
                                     "<memory unit='MiB'>256</memory>")
    path = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', xml)[0]
    # (KiB, flags, (<memory>, <currentMemory>) or the error expected, what)
    for kib, flags, want, what in (
            (131072, 2, (262144, 131072), 'SetMemory(CONFIG): currentMemory'),
            (196608, 0, (262144, 196608), 'SetMemory(CURRENT) of a shut off domain'),
            (524288, 2, 'invalid argument: cannot set memory higher than max memory',
             'SetMemory above the maximum'),
            (393216, 6, (393216, 196608), 'SetMemory(CONFIG|MEM_MAXIMUM)'),
            (131072, 6, (131072, 131072), 'a lower maximum lowers the current')):
        r = call(h, path, DOMAIN, 'SetMemory', 'tu', kib, flags, ok=False)
        if isinstance(want, str):
            check(r.rc != 0 and want in r.err, f'{what}:', r)
        else:
            check(r.rc == 0, f'{what}:', r)
            check_eq(memory_kib(h, path), want, what)
    r = call(h, path, DOMAIN, 'SetMemory', 'tu', 65536, 1, ok=False)
    check(r.rc != 0 and 'Requested operation is not valid: domain is not running' in r.err,
          'SetMemory(LIVE) of a shut off domain:', r)
    r = call(h, path, DOMAIN, 'SetMemory', 'tu', 65536, 2, user=h.add_user(), ok=False)
    check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'SetMemory needs manage:', r)
    check_eq(memory_kib(h, path), (131072, 131072), 'unchanged by the refused calls')
    call(h, path, DOMAIN, 'Create', 'u', 1)
    try:
        r = call(h, path, DOMAIN, 'SetMemory', 'tu', 65536, 3, ok=False)
        check(r.rc != 0 and 'VIR_DOMAIN_AFFECT_LIVE' in r.err,
              'SetMemory(LIVE) of a running domain is not supported (yet):', r)
        call(h, path, DOMAIN, 'SetMemory', 'tu', 65536, 2)
        check_eq(memory_kib(h, path), (131072, 65536), 'SetMemory(CONFIG) of a running domain')
        call(h, path, DOMAIN, 'Destroy', 'u', 0)
    finally:
        cleanup_qemus(h)
    call(h, path, DOMAIN, 'Undefine', 'u', 0)


def test_vcpu_pins(h):
    """GetVcpuPinInfo, PinVcpu, GetEmulatorPinInfo, PinEmulator, GetVcpus on a shut off and a
    running (paused) domain; cpumaps of one boolean per host CPU."""
    ncpu = len(os.sched_getaffinity(0))
    if ncpu < 2:
        print('# SKIP vcpu pins: needs 2 host CPUs')
        return
    xml = domain_xml('pin1').replace('<vcpu>1</vcpu>', '<vcpu>2</vcpu>')
    path = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', xml)[0]
    every = [True] * ncpu
    check_eq(call(h, path, DOMAIN, 'GetVcpuPinInfo', 'u', 0), [[every, every]],
             'GetVcpuPinInfo: every CPU without a pin')
    only1 = [c == 1 for c in range(ncpu)]
    call(h, path, DOMAIN, 'PinVcpu', 'uabu', 0, ncpu, *only1, 2)
    call(h, path, DOMAIN, 'PinEmulator', 'abu', ncpu, *only1, 0)
    check_eq(call(h, path, DOMAIN, 'GetVcpuPinInfo', 'u', 2), [[only1, every]],
             'the persistent pin of vCPU 0')
    check_eq(call(h, path, DOMAIN, 'GetEmulatorPinInfo', 'u', 0), [only1], 'the emulator pin')
    check_eq(call(h, path, DOMAIN, 'GetVcpus', 'u', 2 | 4), [2], 'GetVcpus(CONFIG|MAXIMUM)')
    for sig, args, want in (('uabu', (0, ncpu, *([False] * ncpu), 2),
                             'Empty cpu list for pinning'),
                            ('uabu', (5, ncpu, *only1, 2), 'vcpu 5 is out of range'),
                            ('uabu', (0, ncpu, *only1, 1), 'domain is not running'),
                            ('uabu', (0, ncpu, *only1, 64), 'unsupported flags (0x40)')):
        r = call(h, path, DOMAIN, 'PinVcpu', sig, *args, ok=False)
        check(r.rc != 0 and want in r.err, f'PinVcpu{args}: {want!r}', r)
    r = call(h, path, DOMAIN, 'PinVcpu', 'uabu', 0, ncpu, *only1, 2, user=h.add_user(), ok=False)
    check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'PinVcpu needs manage:', r)
    call(h, path, DOMAIN, 'Create', 'u', 1)
    try:
        only0 = [c == 0 for c in range(ncpu)]
        call(h, path, DOMAIN, 'PinVcpu', 'uabu', 1, ncpu, *only0, 1)
        check_eq(call(h, path, DOMAIN, 'GetVcpuPinInfo', 'u', 1), [[only1, only0]],
                 'the live pins')
        check_eq(call(h, path, DOMAIN, 'GetVcpus', 'u', 1), [2], 'GetVcpus(LIVE)')
        call(h, path, DOMAIN, 'Destroy', 'u', 0)
    finally:
        cleanup_qemus(h)
    call(h, path, DOMAIN, 'Undefine', 'u', 0)


def test_device_hotplug(h):
    """AttachDevice(su)/DetachDevice(su) of a virtio-scsi disk on a paused domain, live: the
    DeviceAdded and DeviceRemoved signals with its alias; config on a shut off domain; flags
    libvirt's; a normal user is refused. UpdateDevice(su) inserts and ejects a CD-ROM's
    medium."""
    mon = Monitor(h)
    img = h.path('hp1.img')
    with open(img, 'wb') as f:
        f.write(b'\0' * 65536)
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            f"<source file='{img}'/><target dev='sdb' bus='scsi'/></disk>")
    cdrom = ("<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>{}"
             "<target dev='sdc' bus='scsi'/><readonly/></disk>")
    xml = domain_xml('hp1').replace('<devices/>', "<features><acpi/></features><devices>"
                                    "<controller type='scsi' model='virtio-scsi'/>"
                                    + cdrom.format('') + "</devices>")
    path = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', xml)[0]
    call(h, path, DOMAIN, 'AttachDevice', 'su', disk, 2)
    check("dev='sdb'" in call(h, path, DOMAIN, 'GetXMLDesc', 'u', 2)[0], 'AttachDevice(CONFIG)')
    call(h, path, DOMAIN, 'DetachDevice', 'su', disk, 0)
    check("dev='sdb'" not in call(h, path, DOMAIN, 'GetXMLDesc', 'u', 2)[0],
          'DetachDevice(CURRENT) of a shut off domain: the config')
    for flags, want in ((1, 'cannot do live update a device on inactive domain'),
                        (8, 'unsupported flags (0x8)')):
        r = call(h, path, DOMAIN, 'AttachDevice', 'su', disk, flags, ok=False)
        check(r.rc != 0 and want in r.err, f'AttachDevice flags {flags}: {want!r}', r)
    r = call(h, path, DOMAIN, 'AttachDevice', 'su', disk, 2, user=h.add_user(), ok=False)
    check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'AttachDevice needs manage:', r)
    call(h, path, DOMAIN, 'Create', 'u', 1)
    try:
        call(h, path, DOMAIN, 'AttachDevice', 'su', disk, 1)
        mon.wait(re.escape(f"{path}: {DOMAIN}.DeviceAdded ('scsi0-0-0-1',)"), 'DeviceAdded')
        check("dev='sdb'" in call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0)[0], 'live XML')
        call(h, path, DOMAIN, 'DetachDevice', 'su', disk, 1)
        mon.wait(re.escape(f"{path}: {DOMAIN}.DeviceRemoved ('scsi0-0-0-1',)"),
                 'DeviceRemoved')
        check("dev='sdb'" not in call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0)[0], 'detached')
        call(h, path, DOMAIN, 'UpdateDevice', 'su', cdrom.format(f"<source file='{img}'/>"), 1)
        mon.wait(re.escape(f"{path}: {DOMAIN}.TrayChange ('scsi0-0-0-2', 0)"), 'TrayChange')
        check(f"<source file='{img}'/>" in call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0)[0],
              'UpdateDevice inserted the medium')
        r = call(h, path, DOMAIN, 'UpdateDevice', 'su', cdrom.format(''), 8, ok=False)
        check(r.rc != 0 and 'unsupported flags (0x8)' in r.err, 'UpdateDevice flags 8:', r)
        call(h, path, DOMAIN, 'UpdateDevice', 'su', cdrom.format(''), 4)  # MODIFY_FORCE
        check(f"<source file='{img}'/>" not in call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0)[0],
              'UpdateDevice ejected it')
        call(h, path, DOMAIN, 'Destroy', 'u', 0)
    finally:
        cleanup_qemus(h)
    call(h, path, DOMAIN, 'Undefine', 'u', 0)


def restart_daemon(h):
    S['daemon'].terminate()
    S['daemon'].wait(timeout=30)
    S['daemon'] = h.spawn([h.daemon_path('qemu'), '--root', h.path('root'), '--bus', 'system',
                           '-v'], 'virtkit-qemud', log=f'qemud-{time.monotonic_ns()}')
    h.wait_bus_name(NAME)


def test_rename_and_metadata(h):
    mon = Monitor(h)
    path = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', domain_xml('ren1'))[0]
    ns = 'http://example.org/app'
    # SetMetadata(type, metadata, key, uri, flags): "" is NULL; description 0, title 1, element 2
    call(h, path, DOMAIN, 'SetMetadata', 'isssu', 0, 'A description', '', '', 0)
    mon.wait(re.escape(f"{path}: {DOMAIN}.MetadataChange (0, '')"), 'MetadataChange description')
    call(h, path, DOMAIN, 'SetMetadata', 'isssu', 1, 'A title', '', '', 2)
    call(h, path, DOMAIN, 'SetMetadata', 'isssu', 2, '<info><n>1</n></info>', 'app', ns, 0)
    mon.wait(re.escape(f"{path}: {DOMAIN}.MetadataChange (2, '{ns}')"), 'MetadataChange element')
    for args, msg in (([1, 'two\nlines', '', '', 0], "invalid argument: title can't contain"),
                      ([2, '<a/>', '', ns, 0], 'a key'),
                      ([2, '<a/>', 'k', '', 0], 'namespace URI is required'),
                      ([0, 'x', '', '', 1], 'Requested operation is not valid: domain is not '
                       'running'),
                      ([0, 'x', '', '', 8], 'unsupported flags (0x8)')):
        r = call(h, path, DOMAIN, 'SetMetadata', 'isssu', *args, ok=False)
        check(r.rc != 0 and msg in r.err, f'SetMetadata {args}: {msg!r}', r)
    r = call(h, path, DOMAIN, 'SetMetadata', 'isssu', 0, 'x', '', '', 0, user=h.add_user(),
             ok=False)
    check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'SetMetadata needs manage:', r)
    # Rename keeps the object path (it is the UUID's); DomainEvent undefined/renamed (1, 1)
    # and defined/renamed (0, 2) as libvirt
    call(h, path, DOMAIN, 'Rename', 'su', 'ren2', 0)
    rx = re.escape(f"{ROOT}: {CONNECT}.DomainEvent (objectpath '{path}'")
    mon.wait(rx + r', 1, 1\)', 'DomainEvent undefined/renamed')
    mon.wait(rx + r', 0, 2\)', 'DomainEvent defined/renamed')
    check_eq(call(h, ROOT, CONNECT, 'DomainLookupByName', 's', 'ren2')[0], path,
             'the new name finds the same object')
    r = call(h, ROOT, CONNECT, 'DomainLookupByName', 's', 'ren1', ok=False)
    check(r.rc != 0 and 'Domain not found' in r.err, 'the old name is gone:', r)
    call(h, ROOT, CONNECT, 'DomainDefineXML', 's', domain_xml('ren3'))
    for args, msg in ((['ren3', 0], "domain with name 'ren3' already exists"),
                      (['a/b', 0], "XML error: /domain/name: 'a/b'"),
                      (['x', 1], 'unsupported flags (0x1)')):
        r = call(h, path, DOMAIN, 'Rename', 'su', *args, ok=False)
        check(r.rc != 0 and msg in r.err, f'Rename {args}: {msg!r}', r)
    restart_daemon(h)
    check_eq(unwrap2(get_all(h, path, DOMAIN)['Name'], 'Name'), 'ren2', 'renamed after restart')
    check_eq(call(h, path, DOMAIN, 'GetMetadata', 'isu', 0, '', 0)[0], 'A description',
             'the description after a restart')
    check_eq(call(h, path, DOMAIN, 'GetMetadata', 'isu', 1, '', 2)[0], 'A title', 'the title')
    check_eq(call(h, path, DOMAIN, 'GetMetadata', 'isu', 2, ns, 0)[0],
             f'<app:info xmlns:app="{ns}"><app:n>1</app:n></app:info>', 'the element')
    r = call(h, path, DOMAIN, 'GetMetadata', 'isu', 2, 'http://example.org/none', 0, ok=False)
    check(r.rc != 0 and 'metadata not found: Requested metadata element is not present'
          in r.err, 'an element not there:', r)
    r = call(h, path, DOMAIN, 'GetMetadata', 'isu', 0, '', 3, ok=False)
    check(r.rc != 0 and 'mutually exclusive' in r.err, 'GetMetadata(LIVE|CONFIG):', r)
    xml = call(h, path, DOMAIN, 'GetXMLDesc', 'u', 0)[0]
    check('<title>A title</title>' in xml and f'xmlns:app="{ns}"' in xml, 'in the XML:', xml)
    # a running domain: the live definition by default, CONFIG the persistent one
    call(h, path, DOMAIN, 'Create', 'u', 1)
    try:
        call(h, path, DOMAIN, 'SetMetadata', 'isssu', 0, 'live only', '', '', 0)
        check_eq(call(h, path, DOMAIN, 'GetMetadata', 'isu', 0, '', 0)[0], 'live only', 'live')
        check_eq(call(h, path, DOMAIN, 'GetMetadata', 'isu', 0, '', 2)[0], 'A description',
                 'the persistent description is unchanged')
        call(h, path, DOMAIN, 'SetMetadata', 'isssu', 2, '', '', ns, 3)
        for flags in (1, 2):
            r = call(h, path, DOMAIN, 'GetMetadata', 'isu', 2, ns, flags, ok=False)
            check(r.rc != 0 and 'metadata not found' in r.err, f'removed (flags {flags}):', r)
        call(h, path, DOMAIN, 'Destroy', 'u', 0)
    finally:
        cleanup_qemus(h)
    for name in ('ren2', 'ren3'):
        p = call(h, ROOT, CONNECT, 'DomainLookupByName', 's', name)[0]
        call(h, p, DOMAIN, 'Undefine', 'u', 0)


def test_bad_input(h):
    path = dom_path(S['uuid'])
    r = call(h, f'{ROOT}/domain/_00000000_0000_0000_0000_000000000000', DOMAIN, 'GetState',
             'u', 0, ok=False)
    check(r.rc != 0 and 'Unknown' in r.err, 'unknown domain path:', r)
    r = call(h, f'{ROOT}/domain/nonsense', DOMAIN, 'GetState', 'u', 0, ok=False)
    check(r.rc != 0, 'a path that is no UUID:', r)
    r = call(h, path, DOMAIN, 'Create', 's', 'x', ok=False)
    check(r.rc != 0 and 'nvalid' in r.err, 'wrong signature:', r)
    r = h.busctl('call', NAME, path, PROPS, 'GetAll')
    check(r.rc != 0, 'GetAll without an interface:', r)
    r = h.busctl('call', NAME, path, PROPS, 'Set', 'ssv', DOMAIN, 'Autostart', 's', 'yes')
    check(r.rc != 0 and 'must be a boolean' in r.err, 'Autostart set to a string:', r)
    r = h.busctl('call', NAME, path, PROPS, 'Set', 'ssv', DOMAIN, 'Name', 's', 'other')
    check(r.rc != 0, 'Name is read-only:', r)
    r = h.busctl('call', NAME, ROOT, PROPS, 'GetAll', 's', 'org.libvirt.Nothing')
    check(r.rc != 0 and 'Unknown interface' in r.err, 'GetAll of an interface not there:', r)
    r = call(h, ROOT, CONNECT, 'DomainLookupByName', 's', 'nosuch', ok=False)
    check(r.rc != 0 and "Domain not found: no domain with matching name 'nosuch'" in r.err,
          'libvirt\'s message for an unknown name:', r)
    r = h.dbus_send(NAME, ROOT, f'{CONNECT}.DomainLookupByName', 'string:nosuch')
    check('org.libvirt.Error' in r.err, 'the error name is org.libvirt.Error:', r)
    r = call(h, ROOT, CONNECT, 'DomainLookupByUUID', 's', 'not-a-uuid', ok=False)
    check(r.rc != 0 and 'invalid' in r.err, 'a bad UUID:', r)
    r = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', '<domain>', ok=False)
    check(r.rc != 0 and 'XML error' in r.err, 'bad XML:', r)
    # undefined while a client holds the path
    call(h, path, DOMAIN, 'Undefine', 'u', 0)
    for m, sig, args in (('GetState', 'u', [0]), ('Create', 'u', [0]), ('GetStats', 'uu', [0, 0]),
                         ('GetXMLDesc', 'u', [0])):
        r = call(h, path, DOMAIN, m, sig, *args, ok=False)
        check(r.rc != 0, f'{m} on an undefined domain fails:', r)
    r = h.busctl('call', NAME, path, PROPS, 'GetAll', 's', DOMAIN)
    check(r.rc != 0, 'GetAll on an undefined domain fails:', r)
    check(S['daemon'].poll() is None, 'qemud still runs')
    check_eq(call(h, ROOT, CONNECT, 'ListDomains', 'u', 0)[0], [], 'no domains left')


# --- names: activation by org.libvirt; someone else owns it; the qemu.conf key ---

def setup_names(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    h.install_bus_policies([os.path.join(h.srcdir, 'conf', 'dbus', 'virtkit-org.libvirt.conf')])


def test_activation_by_org_libvirt(h):
    # the activation file the build installs, its Exec pointed at our root (and a 1 s idle exit)
    built = os.path.join(os.environ['VK_TOP_BUILDDIR'], 'conf', 'system-org.libvirt.service')
    with open(built) as f:
        text = f.read()
    check('Name=org.libvirt\n' in text and 'User=root\n' in text, 'the built file:', text)
    root = h.path('root-act')
    os.makedirs(root)
    text = re.sub(r'(?m)^Exec=.*$', f'Exec={h.daemon_path("qemu")} --system --timeout 1 '
                  f'--root {root} -v', text)
    service = h.path('dbus', 'system-services', 'org.libvirt.service')
    with open(service, 'w') as f:
        f.write(text)
    h.bus_reload()
    check(h.name_owner_pid(NAME) is None, 'nobody owns org.libvirt before the call')
    check_eq(call(h, ROOT, CONNECT, 'ListDomains', 'u', 0)[0], [],
             'the first call activates qemud')
    pid = h.name_owner_pid(NAME)
    check(pid and h.name_owner_pid('io.virtkit.Qemu1') == pid,
          'one qemud owns org.libvirt and io.virtkit.Qemu1:', pid)
    os.unlink(service)
    h.bus_reload()
    wait_until(lambda: h.name_owner_pid(NAME) is None, 15, 'the idle qemud to exit')


OWNER = r'''
import sys
import dbus, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
r = bus.request_name('org.libvirt', dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
print('OWNED' if r == 1 else f'FAILED {r}', flush=True)
GLib.MainLoop().run()
'''


def test_name_taken_goes_on_without_it(h):
    tool = h.path('owner.py')
    with open(tool, 'w') as f:
        f.write(OWNER)
    h.spawn(['/usr/bin/python3', tool, h.system_bus], 'org.libvirt owner', log='owner')
    wait_until(lambda: 'OWNED' in h.log_text('owner'), 10, 'the other owner of org.libvirt')
    other = h.name_owner_pid(NAME)
    root = h.path('root')
    os.makedirs(root)
    h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'system', '-v'], 'virtkit-qemud',
            log='qemud')
    h.wait_bus_name('io.virtkit.Qemu1')
    wait_until(lambda: 'org.libvirt is taken' in h.log_text('qemud'), 10,
               'qemud to log that the name is taken')
    check_eq(h.name_owner_pid(NAME), other, 'the other program keeps org.libvirt')
    r = h.busctl('call', 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', 'io.virtkit.Qemu1.Manager',
                 'ListDomains', 'bbbbb', 'false', 'false', 'false', 'false', 'false')
    check(r.rc == 0, 'our own API works:', r)
    # the other owner stands for libvirt-dbus, which relies on the bus policy alone (root and
    # group libvirt): our policy file must not let anyone else reach it
    outsider, member = h.add_user(), h.add_user()
    r = h.busctl('call', NAME, ROOT, CONNECT, 'ListDomains', 'u', '0', user=outsider)
    check(r.rc != 0 and 'Access denied' in r.err, 'a user outside group libvirt cannot reach '
          'the other owner of org.libvirt:', r)
    with open(os.path.join(h.srcdir, 'conf', 'dbus', 'virtkit-org.libvirt.conf')) as f:
        text = f.read()
    check('<policy group="libvirt">' in text, 'the policy opens org.libvirt to group libvirt')
    policy = h.path('virtkit-org.libvirt.conf')
    with open(policy, 'w') as f:  # the member's own group stands for libvirt's
        f.write(text.replace('<policy group="libvirt">', f'<policy group="{member.name}">'))
    h.install_bus_policies([policy])
    r = h.busctl('call', NAME, ROOT, CONNECT, 'ListDomains', 'u', '0', user=member)
    check('Access denied' not in r.err, 'a member of the group reaches it:', r)


def test_conf_key_turns_it_off(h):
    # the same buses, the name free again; a second qemud (its own root) with the key off:
    # the driver's qemu.conf parser accepts the key, and the name stays free
    for p, what in list(h.procs):
        if what in ('org.libvirt owner', 'virtkit-qemud'):
            h.stop(p)
    wait_until(lambda: h.name_owner_pid(NAME) is None, 10, 'org.libvirt to be free')
    root = h.path('root-off')
    os.makedirs(os.path.join(root, 'etc'))
    with open(os.path.join(root, 'etc', 'qemu.conf'), 'w') as f:
        f.write('libvirt_dbus = 0\n')
    p = h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'system', '-v'],
                'virtkit-qemud (off)', log='qemud-off')
    h.wait_bus_name('io.virtkit.Qemu1')
    check(p.poll() is None, 'qemud runs with libvirt_dbus = 0:', h.log_text('qemud-off'))
    r = h.busctl('introspect', 'io.virtkit.Qemu1', ROOT)
    check(CONNECT not in r.out, 'no org.libvirt objects on its connection:', r)
    check(h.name_owner_pid(NAME) is None, 'libvirt_dbus = 0: nobody claims org.libvirt')


# --- session ---

def test_session_instance(h):
    h.threads.append(QemuKiller(h))
    h.start_buses(session_any_user=True)
    a = h.add_user()
    env = h.session_env(a, 'a')
    h.spawn([h.daemon_path('qemu'), '--session', '--bus', 'session', '-v'],
            'virtkit-qemud (session)', user=a, env=env, log='qemud-session')
    h.wait_bus_name(NAME, session=True)
    path = call(h, ROOT, CONNECT, 'DomainDefineXML', 's', domain_xml('sess1'), user=a,
                session=True)[0]
    check_eq(call(h, ROOT, CONNECT, 'ListDomains', 'u', 0, user=a, session=True)[0], [path],
             'the owner lists its domain')
    call(h, path, DOMAIN, 'Create', 'u', 1, user=a, session=True)
    check_eq(call(h, path, DOMAIN, 'GetState', 'u', 0, user=a, session=True)[0], [3, 1],
             'the owner started it paused')
    call(h, path, DOMAIN, 'Destroy', 'u', 0, user=a, session=True)
    b = h.add_user()
    r = call(h, ROOT, CONNECT, 'ListDomains', 'u', 0, user=b, session=True, ok=False)
    check(r.rc != 0 and 'only the owner' in r.err, 'another user is refused:', r)
    call(h, path, DOMAIN, 'Undefine', 'u', 0, user=a, session=True)


# --- objects: networkd, storaged, secretd beside qemud on one root ---

NET2_XML = ("<network><name>net2</name><bridge name='vkt-net2'/>"
            "<ip address='10.214.7.1' prefix='24'/></network>")
SECRET_UUID = 'd0d0d0d0-1111-4222-8333-444444444444'
REFUSED = r'(not authorised|interactive authentication required), action io\.virtkit\.{}\.manage'


def obj_path(kind, uuid):
    return f'{ROOT}/{kind}/_{uuid.replace("-", "_")}'


def escape(s):
    """libvirt-dbus's escaping of a name in an object path."""
    return ''.join(c if c.isascii() and c.isalnum() else f'_{b:02x}'
                   for c in s for b in c.encode())


def setup_objects(h):
    h.threads.append(QemuKiller(h))
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    h.install_bus_policies([os.path.join(h.srcdir, 'conf', 'dbus', 'virtkit-org.libvirt.conf')])
    h.start_polkitd()
    root = S['root'] = h.path('root')
    os.makedirs(root)
    S['siblings'] = vksiblings.start(h, root)
    S['daemon'] = h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'system', '-v'],
                          'virtkit-qemud', log='qemud')
    h.wait_bus_name(NAME)
    vksiblings.define_defaults(lambda *a: call(h, *a), root, h.srcdir)
    S['user'] = h.add_user()
    S['mon'] = Monitor(h)


def test_objects_conformance(h):
    net = call(h, ROOT, CONNECT, 'NetworkLookupByName', 's', 'default')[0]
    pool = call(h, ROOT, CONNECT, 'StoragePoolLookupByName', 's', 'default')[0]
    vol = call(h, pool, POOL, 'StorageVolCreateXML', 'su',
               "<volume><name>conf.raw</name><capacity unit='M'>1</capacity></volume>", 0)[0]
    secret = call(h, ROOT, CONNECT, 'SecretDefineXML', 'su',
                  f"<secret ephemeral='no' private='no'><uuid>{SECRET_UUID}</uuid></secret>",
                  0)[0]
    for iface, path in ((NETWORK, net), (POOL, pool), (VOL, vol), (SECRET, secret)):
        want = members(ET.parse(os.path.join(DATA, f'{iface}.xml')).getroot(), iface)
        got = members(introspected(h, path), iface)
        # every member libvirt-dbus 1.4 declares, with its signature, and nothing else
        check_eq(got, want, f'{iface} as libvirt-dbus declares it')
    check(net.startswith(f'{ROOT}/network/_') and pool.startswith(f'{ROOT}/storagepool/_'),
          'network and pool paths:', net, pool)
    key = unwrap2(get_all(h, vol, VOL)['Key'], 'Key')
    check_eq(vol, f'{ROOT}/storagevol/{escape(key)}', 'the volume path: its key, escaped')
    check_eq(secret, obj_path('secret', SECRET_UUID), 'the secret path')
    call(h, vol, VOL, 'Delete', 'u', 0)
    call(h, secret, SECRET, 'Undefine')


def test_networks(h):
    mon, a = S['mon'], S['user']
    path = call(h, ROOT, CONNECT, 'NetworkLookupByName', 's', 'default')[0]
    uuid = unwrap2(get_all(h, path, NETWORK)['UUID'], 'UUID')
    check_eq(path, obj_path('network', uuid), 'NetworkLookupByName: _<uuid with - as _>')
    check_eq(call(h, ROOT, CONNECT, 'NetworkLookupByUUID', 's', uuid)[0], path, 'by UUID')
    check_eq(call(h, ROOT, CONNECT, 'ListNetworks', 'u', 0)[0], [path], 'ListNetworks')
    props = {k: unwrap2(v, k) for k, v in get_all(h, path, NETWORK).items()}
    check_eq(props, {'Name': 'default', 'UUID': uuid, 'Active': False, 'Persistent': True,
                     'Autostart': False}, 'the default network\'s properties')
    r = h.busctl('--json=short', 'get-property', NAME, path, NETWORK, 'Active')
    check(r.rc == 0 and r.json()['data'] is False, 'Get Active: one variant:', r)
    for flags, want in ((1, [path]), (2, []), (4, [path]), (8, []), (16, []), (32, [path])):
        check_eq(call(h, ROOT, CONNECT, 'ListNetworks', 'u', flags)[0], want,
                 f'ListNetworks({flags})')
    xml = call(h, path, NETWORK, 'GetXMLDesc', 'u', 0)[0]
    check('<name>default</name>' in xml and uuid in xml, 'GetXMLDesc:', xml[:300])
    # read-only for everyone, changes need io.virtkit.network.manage
    check_eq(call(h, ROOT, CONNECT, 'ListNetworks', 'u', 0, user=a)[0], [path],
             'ListNetworks by a normal user')
    r = call(h, path, NETWORK, 'Create', user=a, ok=False)
    check(r.rc != 0 and re.search(REFUSED.format('network'), r.err),
          'Create by a normal user: refused with networkd\'s action:', r)
    r = h.busctl('set-property', NAME, path, NETWORK, 'Autostart', 'b', 'true', user=a)
    check(r.rc != 0 and re.search(REFUSED.format('network'), r.err), 'Autostart refused:', r)
    rx = re.escape(f"{ROOT}: {CONNECT}.NetworkEvent (objectpath '{path}'")
    call(h, path, NETWORK, 'Create')
    mon.wait(rx + r', 2\)', 'NetworkEvent started')
    check_eq(unwrap2(get_all(h, path, NETWORK)['Active'], 'Active'), True, 'active')
    check_eq(call(h, ROOT, CONNECT, 'ListNetworks', 'u', 2)[0], [path], 'ListNetworks(ACTIVE)')
    check_eq(call(h, path, NETWORK, 'GetDHCPLeases', 'su', '', 0)[0], [], 'no leases yet')
    call(h, path, NETWORK, 'Update', 'uuisu', 3, 4, -1,
         "<host mac='52:54:00:00:00:07' name='h7' ip='192.168.122.7'/>", 3)
    check("name='h7'" in call(h, path, NETWORK, 'GetXMLDesc', 'u', 1)[0],
          'Update(ADD_LAST, IP_DHCP_HOST) in the definition')
    r = call(h, path, NETWORK, 'Update', 'uuisu', 3, 10, -1, '<host/>', 0, ok=False)
    check(r.rc != 0 and 'only ip-dhcp-host' in r.err, 'Update of another section:', r)
    call(h, path, NETWORK, 'Destroy')
    mon.wait(rx + r', 3\)', 'NetworkEvent stopped')
    r = h.busctl('set-property', NAME, path, NETWORK, 'Autostart', 'b', 'true')
    check(r.rc == 0, 'Autostart by root:', r)
    check_eq(unwrap2(get_all(h, path, NETWORK)['Autostart'], 'Autostart'), True, 'autostart')
    # define, create transient, undefine
    p2 = call(h, ROOT, CONNECT, 'NetworkDefineXML', 's', NET2_XML)[0]
    rx2 = re.escape(f"{ROOT}: {CONNECT}.NetworkEvent (objectpath '{p2}'")
    mon.wait(rx2 + r', 0\)', 'NetworkEvent defined')
    call(h, p2, NETWORK, 'Undefine')
    mon.wait(rx2 + r', 1\)', 'NetworkEvent undefined')
    tp = call(h, ROOT, CONNECT, 'NetworkCreateXML', 's', NET2_XML.replace('net2', 'tnet'))[0]
    check_eq(unwrap2(get_all(h, tp, NETWORK)['Persistent'], 'Persistent'), False, 'transient')
    call(h, tp, NETWORK, 'Destroy')
    for m, arg, want in (('NetworkLookupByName', 'nosuch',
                          "Network not found: no network with matching name 'nosuch'"),
                         ('NetworkLookupByUUID', '00000000-0000-4000-8000-000000000009',
                          'Network not found: no network with matching uuid'),
                         ('NetworkDefineXML', '<network>', 'XML error')):
        r = call(h, ROOT, CONNECT, m, 's', arg, ok=False)
        check(r.rc != 0 and want in r.err, f'{m}({arg!r}):', r)
    r = call(h, tp, NETWORK, 'GetXMLDesc', 'u', 0, ok=False)
    check(r.rc != 0 and 'Network not found' in r.err, 'a network gone while its path is held:', r)
    r = call(h, f'{ROOT}/network/nonsense', NETWORK, 'Create', ok=False)
    check(r.rc != 0, 'a path that is no network\'s:', r)


POOL_XML = ("<pool type='dir'><name>p2</name><target><path>{}</path></target></pool>")
VOL_XML = ("<volume><name>{}</name><capacity unit='M'>{}</capacity>"
           "<target><format type='qcow2'/></target></volume>")


def test_storage(h):
    mon, a = S['mon'], S['user']
    path = call(h, ROOT, CONNECT, 'StoragePoolLookupByName', 's', 'default')[0]
    uuid = unwrap2(get_all(h, path, POOL)['UUID'], 'UUID')
    check_eq(path, obj_path('storagepool', uuid), 'the pool path')
    check_eq(call(h, ROOT, CONNECT, 'StoragePoolLookupByUUID', 's', uuid)[0], path, 'by UUID')
    check_eq(call(h, ROOT, CONNECT, 'ListStoragePools', 'u', 0)[0], [path], 'ListStoragePools')
    for flags, want in ((2, [path]), (1, []), (64, [path]), (128, []), (2 | 64, [path])):
        check_eq(call(h, ROOT, CONNECT, 'ListStoragePools', 'u', flags)[0], want,
                 f'ListStoragePools({flags})')
    props = {k: unwrap2(v, k) for k, v in get_all(h, path, POOL).items()}
    check_eq(props, {'Name': 'default', 'UUID': uuid, 'Active': True, 'Persistent': True,
                     'Autostart': True}, 'the default pool\'s properties')
    state_, cap, alloc, avail = call(h, path, POOL, 'GetInfo')[0]
    check(state_ == 2 and cap > 0 and cap >= avail, 'GetInfo: running, with figures:',
          state_, cap, alloc, avail)
    xml = call(h, path, POOL, 'GetXMLDesc', 'u', 0)[0]
    check('<capacity' in xml and '<available' in xml, 'the live pool XML has figures:', xml)
    r = call(h, path, POOL, 'StorageVolCreateXML', 'su', VOL_XML.format('u.qcow2', 8), 0,
             user=a, ok=False)
    check(r.rc != 0 and re.search(REFUSED.format('storage'), r.err),
          'StorageVolCreateXML by a normal user: refused with storaged\'s action:', r)
    vol = call(h, path, POOL, 'StorageVolCreateXML', 'su', VOL_XML.format('v1.qcow2', 16), 0)[0]
    check_eq(call(h, path, POOL, 'ListStorageVolumes', 'u', 0)[0], [vol], 'ListStorageVolumes')
    check_eq(call(h, path, POOL, 'StorageVolLookupByName', 's', 'v1.qcow2')[0], vol, 'by name')
    vprops = {k: unwrap2(v, k) for k, v in get_all(h, vol, VOL).items()}
    check_eq(vprops['Name'], 'v1.qcow2', 'the volume\'s Name')
    check(vprops['Path'].endswith('/v1.qcow2'), 'Path:', vprops)
    check_eq(call(h, ROOT, CONNECT, 'StorageVolLookupByPath', 's', vprops['Path'])[0], vol,
             'StorageVolLookupByPath')
    check_eq(call(h, ROOT, CONNECT, 'StorageVolLookupByKey', 's', vprops['Key'])[0], vol,
             'StorageVolLookupByKey')
    check_eq(call(h, vol, VOL, 'GetInfo', 'u', 0)[0][:2], [0, 16 << 20], 'GetInfo: file, 16M')
    check("<format type='qcow2'/>" in call(h, vol, VOL, 'GetXMLDesc', 'u', 0)[0],
          'the volume XML')
    call(h, vol, VOL, 'Resize', 'tu', 8 << 20, 2)   # VIR_STORAGE_VOL_RESIZE_DELTA
    check_eq(call(h, vol, VOL, 'GetInfo', 'u', 0)[0][1], 24 << 20, 'Resize(DELTA): 24M')
    clone = call(h, path, POOL, 'StorageVolCreateXMLFrom', 'ssu', VOL_XML.format('v2.qcow2', 24),
                 vprops['Key'], 0)[0]
    check_eq(sorted(call(h, path, POOL, 'ListStorageVolumes', 'u', 0)[0]), sorted([vol, clone]),
             'the clone is listed')
    r = call(h, vol, VOL, 'Wipe', 'uu', 0, 0, ok=False)
    check(r.rc != 0 and 'virStorageVolWipe' in r.err, 'Wipe is not supported:', r)
    call(h, clone, VOL, 'Delete', 'u', 0)
    r = call(h, clone, VOL, 'GetInfo', 'u', 0, ok=False)
    check(r.rc != 0 and 'Storage volume not found: no storage vol with matching key' in r.err,
          'a deleted volume:', r)
    r = call(h, ROOT, CONNECT, 'StorageVolLookupByPath', 's', '/nonexistent', ok=False)
    check(r.rc != 0 and 'no storage vol with matching path' in r.err,
          'the message Cockpit matches:', r)
    # the pool's events and its Refresh signal
    call(h, path, POOL, 'Refresh', 'u', 0)
    mon.wait(re.escape(f'{path}: {POOL}.Refresh ()'), 'the pool\'s Refresh signal')
    rx = re.escape(f"{ROOT}: {CONNECT}.StoragePoolEvent (objectpath '{path}'")
    call(h, path, POOL, 'Destroy')
    mon.wait(rx + r', 3, 0\)', 'StoragePoolEvent stopped')
    check_eq(call(h, path, POOL, 'GetInfo')[0][0], 0, 'GetInfo: inactive')
    call(h, path, POOL, 'Create', 'u', 0)
    mon.wait(rx + r', 2, 0\)', 'StoragePoolEvent started')
    target = h.path('p2')
    p2 = call(h, ROOT, CONNECT, 'StoragePoolDefineXML', 'su', POOL_XML.format(target), 0)[0]
    rx2 = re.escape(f"{ROOT}: {CONNECT}.StoragePoolEvent (objectpath '{p2}'")
    mon.wait(rx2 + r', 0, 0\)', 'StoragePoolEvent defined')
    call(h, p2, POOL, 'Build', 'u', 0)
    check(os.path.isdir(target), 'Build made the target directory')
    call(h, p2, POOL, 'Delete', 'u', 0)
    call(h, p2, POOL, 'Undefine')
    mon.wait(rx2 + r', 1, 0\)', 'StoragePoolEvent undefined')
    r = call(h, ROOT, CONNECT, 'StoragePoolLookupByName', 's', 'nosuch', ok=False)
    check(r.rc != 0 and "Storage pool not found: no storage pool with matching name 'nosuch'"
          in r.err, 'an unknown pool:', r)
    S['vol'] = vol


def test_secrets(h):
    mon, a = S['mon'], S['user']
    xml = (f"<secret ephemeral='no' private='no'><uuid>{SECRET_UUID}</uuid>"
           "<usage type='tls'><name>t1</name></usage></secret>")
    path = call(h, ROOT, CONNECT, 'SecretDefineXML', 'su', xml, 0)[0]
    rx = re.escape(f"{ROOT}: {CONNECT}.SecretEvent (objectpath '{path}'")
    mon.wait(rx + r', 0, 0\)', 'SecretEvent defined')
    check_eq(call(h, ROOT, CONNECT, 'ListSecrets', 'u', 0)[0], [path], 'ListSecrets')
    check_eq(call(h, ROOT, CONNECT, 'ListSecrets', 'u', 4)[0], [], 'ListSecrets(PRIVATE)')
    props = {k: unwrap2(v, k) for k, v in get_all(h, path, SECRET).items()}
    check_eq(props, {'UUID': SECRET_UUID, 'UsageType': 4, 'UsageID': 't1'}, 'its properties')
    check_eq(call(h, ROOT, CONNECT, 'SecretLookupByUsage', 'is', 4, 't1')[0], path,
             'SecretLookupByUsage(TLS)')
    check_eq(call(h, ROOT, CONNECT, 'SecretLookupByUUID', 's', SECRET_UUID)[0], path, 'by UUID')
    check(SECRET_UUID in call(h, path, SECRET, 'GetXMLDesc', 'u', 0)[0], 'GetXMLDesc')
    call(h, path, SECRET, 'SetValue', 'ayu', 4, 0, 1, 255, 7, 0)
    check_eq(call(h, path, SECRET, 'GetValue', 'u', 0)[0], [0, 1, 255, 7], 'GetValue')
    r = call(h, path, SECRET, 'GetValue', 'u', 0, user=a, ok=False)
    check(r.rc != 0 and re.search(REFUSED.format('secret'), r.err),
          'GetValue by a normal user: refused with secretd\'s action:', r)
    r = call(h, ROOT, CONNECT, 'SecretLookupByUUID', 's', '00000000-0000-4000-8000-000000000009',
             ok=False)
    check(r.rc != 0 and 'Secret not found: no secret with matching uuid' in r.err, 'unknown:', r)
    call(h, path, SECRET, 'Undefine')
    mon.wait(rx + r', 1, 0\)', 'SecretEvent undefined')


def test_sibling_gone(h):
    h.stop(S['siblings']['storage'])
    check_eq(call(h, ROOT, CONNECT, 'ListStoragePools', 'u', 0)[0], [],
             'storaged gone: ListStoragePools answers an empty list')
    r = call(h, ROOT, CONNECT, 'StoragePoolLookupByName', 's', 'default', ok=False)
    check(r.rc != 0 and 'virtkit-storaged is not reachable' in r.err,
          'other calls: an error naming the daemon:', r)
    r = call(h, S['vol'], VOL, 'GetXMLDesc', 'u', 0, ok=False)
    check(r.rc != 0 and 'virtkit-storaged' in r.err, 'a volume\'s member too:', r)
    check(S['daemon'].poll() is None, 'qemud still runs')


GROUPS = {
    'system': (setup_system, [test_conformance_with_libvirt_dbus_xml, test_paths_round_trip,
                              test_connect_answers, test_read_only_for_users_changes_need_polkit,
                              test_lifecycle_and_events, test_block_stats, test_set_memory,
                              test_rename_and_metadata, test_vcpu_pins, test_device_hotplug,
                              test_bad_input]),
    'names': (setup_names, [test_activation_by_org_libvirt, test_name_taken_goes_on_without_it,
                            test_conf_key_turns_it_off]),
    'objects': (setup_objects, [test_objects_conformance, test_networks, test_storage,
                                test_secrets, test_sibling_gone]),
    'session': (None, [test_session_instance]),
}

if __name__ == '__main__':
    setup, tests = GROUPS[sys.argv[1]]
    why = sys.argv[1] == 'objects' and os.geteuid() == 0 and vksiblings.problem(
        str(os.getpid() % 100000))
    if why:
        print(f'1..0 # SKIP {why}')
        sys.exit(0)
    sys.exit(run_tests(f'libvirt-dbus-{sys.argv[1]}', tests, setup))
