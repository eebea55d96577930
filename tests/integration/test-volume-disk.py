#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""qemud starts a domain whose disk is a storage volume: <disk type='volume'><source
pool='default' volume='myos'/> with myos a qcow2 whose backing file is another qcow2 volume,
itself over a raw volume (a two-deep backing chain).

Real virtkit-storaged and virtkit-qemud share a private --root (so the same socket dir); QEMU
runs paused (-S, TCG: no guest code runs) as a throwaway user (qemu.conf user/group).
At start qemud asks storaged where the volume is and reads the chain from the images: QEMU
gets every layer as -blockdev nodes of its own (query-named-block-nodes: libvirt-1-format
writable over libvirt-2-format and libvirt-3-format read-only). No image is readable by the
qemu user on its own (volumes are 0600 root): every layer belongs to QEMU's user while it
runs (DAC labels the whole chain) and has its original owner and mode back after destroy,
also when qemud was killed in between; layers two running domains share stay with QEMU
until the last one is destroyed. The live XML still names the pool and the volume, and
shows the chain as <backingStore>s. A missing middle layer fails the start with an error
naming the disk and the missing image, before anything is labelled; a start QEMU itself
refuses gives every layer back. A missing volume, a
missing pool and an inactive pool each fail the start with an error naming both, and leave no
QEMU behind.
While the domain runs its volume and the backing volumes cannot be deleted or wiped
(VolumeInUse names the domain), also after a storaged restart.
A volume disk attached live (AttachDevice, SCSI so that the detach completes on a paused
guest) is resolved by storaged as at start: QEMU gets its whole chain as nodes, every layer
belongs to QEMU's user, the live XML names the pool and the volume; the detach gives every
layer back. A missing volume or pool fails the attach naming both and leaves nothing: no
node in QEMU, no disk in the live or persistent XML (also with --persistent).
"""

import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
MiB = 1024 * 1024
S = {}


def domain_xml(name, pool, volume):
    # TCG: the qemu user may not open /dev/kvm
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
            f"<disk type='volume' device='disk'><source pool='{pool}' volume='{volume}'/>"
            "<target dev='vda' bus='virtio'/></disk></devices></domain>")


def scsi_domain_xml(name, pool, volume):
    return domain_xml(name, pool, volume).replace(
        '<devices>', "<devices><controller type='scsi' index='0' model='virtio-scsi'/>")


def volume_disk(pool, volume, dev):
    return (f"<disk type='volume' device='disk'><source pool='{pool}' volume='{volume}'/>"
            f"<target dev='{dev}' bus='scsi'/></disk>")


def sock(h, iface):
    return os.path.join(S['root'], 'run', iface)


def call(h, iface, method, params=None):
    r = h.vlcall(sock(h, iface), f'{iface}.{method}', json.dumps(params or {}), timeout=60)
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def call_error(h, iface, method, params):
    r = h.vlcall(sock(h, iface), f'{iface}.{method}', json.dumps(params), timeout=60)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def storage(h, method, params=None):
    return call(h, 'io.virtkit.Storage', method, params)


def qemu(h, method, params=None):
    return call(h, 'io.virtkit.Qemu', method, params)


def spawn(h, drv, iface):
    if os.path.exists(sock(h, iface)):
        os.unlink(sock(h, iface))  # left by a daemon killed with SIGKILL
    p = h.spawn([h.daemon_path(drv), '--root', S['root'], '--bus', 'none', '-v'],
                f'virtkit-{drv}d', log=drv)
    wait_until(lambda: os.path.exists(sock(h, iface)) or p.poll() is not None, 10, iface)
    check(p.poll() is None, f'{drv} daemon exited:', h.log_text(drv))
    S[drv + 'd'] = p


def qemu_pids(h):
    return vkharness.qemu_pids(S['root'], QEMU)


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    S['root'] = h.path('root')
    S['images'] = h.path('images')
    S['qemu'] = h.add_user()
    # QEMU runs as the qemu user: it must reach its private dir and the images
    os.chmod(h.tmp, 0o711)
    for d in ('', 'etc', 'run', 'run/qemu'):
        os.makedirs(os.path.join(S['root'], d), exist_ok=True)
        os.chmod(os.path.join(S['root'], d), 0o711)
    with open(os.path.join(S['root'], 'etc', 'qemu.conf'), 'w') as f:
        f.write(f'user = "{S["qemu"].name}"\ngroup = "{S["qemu"].name}"\n')
    spawn(h, 'storage', 'io.virtkit.Storage')
    spawn(h, 'qemu', 'io.virtkit.Qemu')
    storage(h, 'DefineStoragePool', {'xml': "<pool type='dir'><name>default</name><target>"
                                            f"<path>{S['images']}</path></target></pool>"})
    storage(h, 'CreateStoragePool', {'pool': 'default', 'build': True})
    # 0600 root, as storaged makes them: only the labels let the qemu user open them
    S['golden'] = vol(h, 'golden.raw', 'raw', 8)
    S['base'] = vol(h, 'base.qcow2', 'qcow2', 16, S['golden'], 'raw')
    S['myos'] = vol(h, 'myos', 'qcow2', 32, S['base'], 'qcow2')
    S['chain'] = [S['myos']['path'], S['base']['path'], S['golden']['path']]
    S['owners'] = owners(S['chain'])
    check(all(o[2] & 0o077 == 0 for o in S['owners']),
          'the images are not readable by others:', S['owners'])


def vol(h, name, fmt, mib, backing=None, backing_fmt=None):
    xml = (f"<volume><name>{name}</name><capacity unit='MiB'>{mib}</capacity>"
           f"<target><format type='{fmt}'/><permissions><mode>0600</mode></permissions>"
           "</target>")
    if backing:
        xml += (f"<backingStore><path>{backing['path']}</path>"
                f"<format type='{backing_fmt}'/></backingStore>")
    return storage(h, 'CreateVolume', {'pool': 'default', 'xml': xml + '</volume>'})


def owners(paths):
    """(uid, gid, mode bits) of each of @paths."""
    return [(st.st_uid, st.st_gid, st.st_mode & 0o7777) for st in map(os.stat, paths)]


def cleanup(h):
    for pid in qemu_pids(h):
        os.kill(pid, signal.SIGKILL)


def test_volume_disk_starts(h):
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm1', 'default', 'myos')})
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    pids = qemu_pids(h)
    check_eq(len(pids), 1, 'QEMUs running')
    with open(f'/proc/{pids[0]}/status') as f:
        uid = [line.split()[1:3] for line in f if line.startswith('Uid:')][0]
    check_eq([int(u) for u in uid], [S['qemu'].uid] * 2, 'QEMU runs as the qemu user')
    q = (S['qemu'].uid, S['qemu'].gid)
    check_eq([o[:2] for o in owners(S['chain'])], [q] * 3,
             'every image of the chain belongs to QEMU while it runs')
    with open(f'/proc/{pids[0]}/cmdline') as f:
        argv = f.read().split('\0')
    blockdevs = [json.loads(a) for a in argv if a.startswith('{') and '"node-name"' in a]
    files = {b['node-name']: b.get('filename') for b in blockdevs if b.get('driver') == 'file'}
    check_eq(files, {f'libvirt-{i + 1}-storage': p for i, p in enumerate(S['chain'])},
             'one protocol node per image on the command line')
    formats = {b['node-name']: (b['driver'], b['read-only'], b.get('backing', 'absent'))
               for b in blockdevs if 'file' in b}
    check_eq(formats, {'libvirt-1-format': ('qcow2', False, 'libvirt-2-format'),
                       'libvirt-2-format': ('qcow2', True, 'libvirt-3-format'),
                       'libvirt-3-format': ('raw', True, 'absent')},
             'format nodes: the volume writable over two read-only layers')
    check(any('"drive":"libvirt-1-format"' in a for a in argv),
          'the disk is the top format node:', argv)
    r = qemu(h, 'QemuMonitorCommand', {'domain': 'vm1',
                                       'command': '{"execute":"query-named-block-nodes"}'})
    nodes = {n['node-name']: (n['file'], n['ro']) for n in json.loads(r['reply'])['return']}
    # the protocol nodes are auto-read-only: what QEMU could open; the format nodes say
    want = {}
    for i, p in enumerate(S['chain']):
        want[f'libvirt-{i + 1}-format'] = (p, i > 0)
        want[f'libvirt-{i + 1}-storage'] = (p, nodes.get(f'libvirt-{i + 1}-storage', ('', 0))[1])
    check_eq({k: v for k, v in nodes.items() if k in want}, want,
             'QEMU opened every layer (read-only below the top)')
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm1'})['xml']
    check("<source pool='default' volume='myos'/>" in xml and "type='volume'" in xml,
          'the live XML keeps the volume source:', xml)
    for p, fmt in ((S['base']['path'], 'qcow2'), (S['golden']['path'], 'raw')):
        check(f"<format type='{fmt}'/>" in xml and f"<source file='{p}'/>" in xml,
              f'the live XML shows {p} in the chain:', xml)
    check(xml.count('<backingStore') == 3, 'two layers and the end in the live XML:', xml)
    # virsh's domblklist, with and without --details
    cli = [os.path.join(h.builddir, 'tools', 'virtkit'), '-c',
           f"qemu+unix:///system?socket={sock(h, 'io.virtkit.Qemu')}", 'domblklist', 'vm1']
    r = h.run(cli)
    check(r.rc == 0 and r.out.splitlines()[0].split() == ['Target', 'Source'] and
          r.out.splitlines()[1].startswith('---') and
          r.out.splitlines()[2].split() == ['vda', 'myos'], 'domblklist:', r)
    r = h.run(cli + ['--details'])
    check(r.rc == 0 and r.out.splitlines()[2].split() == ['volume', 'disk', 'vda', 'myos'],
          'domblklist --details:', r)
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    wait_until(lambda: not qemu_pids(h), 10, 'QEMU gone')
    check_eq(owners(S['chain']), S['owners'],
             'every image has its owner and mode back after destroy')


def test_restart_restores_owner(h):
    """qemud killed while the domain runs: the new one restores every layer's owner."""
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    check_eq([o[0] for o in owners(S['chain'])], [S['qemu'].uid] * 3,
             'the chain belongs to QEMU while it runs')
    S['qemud'].send_signal(signal.SIGKILL)
    S['qemud'].wait(timeout=10)
    spawn(h, 'qemu', 'io.virtkit.Qemu')
    wait_until(lambda: h.vlcall(sock(h, 'io.virtkit.Qemu'),
                                'io.virtkit.Qemu.GetVersion').rc == 0, 10, 'qemud again')
    check_eq(qemu(h, 'LookupDomain', {'name': 'vm1'})['state'], 'paused', 'reconnected')
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm1'})['xml']
    check(xml.count('<backingStore') == 3, 'the chain survived in the status file:', xml)
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    wait_until(lambda: not qemu_pids(h), 10, 'QEMU gone')
    check_eq(owners(S['chain']), S['owners'],
             'every image has its owner and mode back after the restart')


def test_shared_layers(h):
    """Two running domains over the same base images: destroying one gives its own image back
    but not the shared layers, which the other still uses (the count on the file); the last
    one out restores them."""
    other = vol(h, 'other.qcow2', 'qcow2', 32, S['base'], 'qcow2')
    shared = S['chain'][1:]
    before = owners([other['path']])
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm6', 'default', 'other.qcow2')})
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    qemu(h, 'StartDomain', {'domain': 'vm6', 'paused': True})
    check_eq(len(qemu_pids(h)), 2, 'two QEMUs')
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    wait_until(lambda: len(qemu_pids(h)) == 1, 10, 'vm1 gone')
    check_eq(owners(S['chain'][:1]), S['owners'][:1], "vm1's own image is given back")
    check_eq([o[0] for o in owners(shared)], [S['qemu'].uid] * 2,
             'the shared layers stay with QEMU while vm6 runs')
    qemu(h, 'DestroyDomain', {'domain': 'vm6'})
    wait_until(lambda: not qemu_pids(h), 10, 'vm6 gone')
    check_eq(owners(shared + [other['path']]), S['owners'][1:] + before,
             'the last domain out gives the shared layers back')


def test_missing_middle_layer(h):
    """A chain whose middle image is gone: the start fails naming the disk and the image,
    before QEMU runs, and nothing keeps a label."""
    mid = vol(h, 'mid.qcow2', 'qcow2', 16, S['golden'], 'raw')
    top = vol(h, 'top.qcow2', 'qcow2', 16, mid, 'qcow2')
    storage(h, 'DeleteVolume', {'pool': 'default', 'volume': 'mid.qcow2'})
    before = owners([top['path'], S['golden']['path']])
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm5', 'default', 'top.qcow2')})
    err, p = call_error(h, 'io.virtkit.Qemu', 'StartDomain', {'domain': 'vm5', 'paused': True})
    msg = p.get('message', '')
    print(f'# vm5: {err}: {msg}')
    for w in ("disk 'vda'", "domain 'vm5'", mid['path'], 'No such file'):
        check(w in msg, f'the error says {w!r}:', msg)
    check_eq(qemu_pids(h), [], 'QEMUs after the failed start')
    check_eq(owners([top['path'], S['golden']['path']]), before, 'owners after the failed start')
    check_eq(qemu(h, 'LookupDomain', {'name': 'vm5'})['state'], 'shutoff', 'state')


def test_delete_in_use(h):
    """A volume (or its backing volume) a running domain has open cannot be deleted, wiped or
    uploaded into: VolumeInUse names the domain; after destroy the delete goes through. The
    check asks the kernel who has the file open, so a storaged restarted meanwhile knows too."""
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    for vol in ('myos', 'base.qcow2'):
        err, p = call_error(h, 'io.virtkit.Storage', 'DeleteVolume',
                            {'pool': 'default', 'volume': vol})
        check(err == 'io.virtkit.Storage.VolumeInUse' and p.get('user') == 'vm1' and
              "domain 'vm1'" in p['message'] and vol in p['message'],
              f'deleting {vol} while vm1 runs:', err, p)
    err, p = call_error(h, 'io.virtkit.Storage', 'WipeVolume',
                        {'pool': 'default', 'volume': 'myos'})
    check_eq((err, p.get('user')), ('io.virtkit.Storage.VolumeInUse', 'vm1'), 'wipe in use')
    # storaged restarted: nothing recorded, the answer is the same
    S['storaged'].send_signal(signal.SIGTERM)
    S['storaged'].wait(timeout=10)
    spawn(h, 'storage', 'io.virtkit.Storage')
    err, p = call_error(h, 'io.virtkit.Storage', 'DeleteVolume',
                        {'pool': 'default', 'volume': 'myos'})
    check_eq((err, p.get('user')), ('io.virtkit.Storage.VolumeInUse', 'vm1'),
             'in use after a storaged restart')
    check(os.path.exists(S['myos']['path']), 'the volume is still there')
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    wait_until(lambda: not qemu_pids(h), 10, 'QEMU gone')
    scratch = storage(h, 'CreateVolumeFrom', {'pool': 'default', 'source': 'myos', 'xml': (
        "<volume><name>scratch</name><capacity unit='MiB'>32</capacity></volume>")})
    storage(h, 'DeleteVolume', {'pool': 'default', 'volume': 'scratch'})
    check(not os.path.exists(scratch['path']), 'a volume nobody uses is deleted')


def check_start_fails(h, name, pool, volume, words):
    qemu(h, 'DefineDomain', {'xml': domain_xml(name, pool, volume)})
    err, p = call_error(h, 'io.virtkit.Qemu', 'StartDomain', {'domain': name, 'paused': True})
    msg = p.get('message', '')
    print(f'# {name}: {err}: {msg}')
    check(f"volume '{volume}'" in msg and f"pool '{pool}'" in msg,
          f'{name}: the error names the pool and the volume:', err, p)
    for w in words:
        check(w in msg, f'{name}: the error says {w!r}:', msg)
    check_eq(qemu_pids(h), [], f'{name}: QEMUs after the failed start')
    st = qemu(h, 'LookupDomain', {'name': name})
    check_eq(st['state'], 'shutoff', f'{name}: state')


def test_failed_after_labels(h):
    """QEMU refuses the top image after every layer was labelled (an unknown incompatible
    qcow2 feature bit, which qemud's header read lets through): every layer is given back."""
    top = vol(h, 'broken.qcow2', 'qcow2', 16, S['base'], 'qcow2')
    with open(top['path'], 'r+b') as f:
        f.seek(72)
        f.write((1 << 63).to_bytes(8, 'big'))
    paths = [top['path']] + S['chain'][1:]
    before = owners(paths)
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm7', 'default', 'broken.qcow2')})
    err, p = call_error(h, 'io.virtkit.Qemu', 'StartDomain', {'domain': 'vm7', 'paused': True})
    print(f"# vm7: {err}: {p.get('message', '')[:200]}")
    check('qcow2 feature' in p.get('message', ''), "QEMU's own words:", p)
    check_eq(qemu_pids(h), [], 'QEMUs after the failed start')
    check_eq(owners(paths), before, 'every layer has its owner back after the failed start')


def test_missing_volume(h):
    check_start_fails(h, 'vm2', 'default', 'nothere', ['NoSuchVolume'])


def test_missing_pool(h):
    check_start_fails(h, 'vm3', 'nopool', 'myos', ['NoSuchPool'])


def test_inactive_pool(h):
    storage(h, 'DestroyStoragePool', {'pool': 'default'})
    check_start_fails(h, 'vm4', 'default', 'myos', ['not active'])
    storage(h, 'CreateStoragePool', {'pool': 'default'})


def block_nodes(h, name):
    r = qemu(h, 'QemuMonitorCommand', {'domain': name,
                                       'command': '{"execute":"query-named-block-nodes"}'})
    return {n['node-name']: n['file'] for n in json.loads(r['reply'])['return']}


def test_attach_live(h):
    """A volume disk attached live to a paused domain: storaged resolves it, QEMU opens every
    layer, all labelled; the SCSI detach gives every layer back."""
    vm = vol(h, 'hp-vm.raw', 'raw', 8)
    qemu(h, 'DefineDomain', {'xml': scsi_domain_xml('hp1', 'default', 'hp-vm.raw')})
    qemu(h, 'StartDomain', {'domain': 'hp1', 'paused': True})
    before = block_nodes(h, 'hp1')
    qemu(h, 'AttachDevice', {'domain': 'hp1', 'xml': volume_disk('default', 'myos', 'sdb'),
                             'live': True})
    files = set(block_nodes(h, 'hp1').values()) - set(before.values())
    check_eq(files, set(S['chain']), 'QEMU opened every layer of the attached volume')
    q = (S['qemu'].uid, S['qemu'].gid)
    check_eq([o[:2] for o in owners(S['chain'])], [q] * 3,
             'every layer belongs to QEMU while attached')
    xml = qemu(h, 'GetDomainXML', {'domain': 'hp1'})['xml']
    check("<source pool='default' volume='myos'/>" in xml and "dev='sdb'" in xml,
          'the live XML names the pool and the volume:', xml)
    check_eq(xml.count('<backingStore'), 3, 'the chain in the live XML')
    r = qemu(h, 'DetachDevice', {'domain': 'hp1', 'xml': volume_disk('default', 'myos', 'sdb'),
                                 'live': True})
    check_eq(r.get('removed'), True, 'SCSI unplug needs no guest')
    wait_until(lambda: block_nodes(h, 'hp1') == before, 5, 'the nodes deleted')
    wait_until(lambda: owners(S['chain']) == S['owners'], 5, 'every layer given back')
    check("dev='sdb'" not in qemu(h, 'GetDomainXML', {'domain': 'hp1'})['xml'],
          'gone from the live XML')
    check(owners([vm['path']])[0][0] == S['qemu'].uid, 'the boot volume is still labelled')


def test_attach_live_missing(h):
    """A missing volume or pool: the attach fails naming both; nothing is left in QEMU, the
    live XML or (with --persistent) the config."""
    before = block_nodes(h, 'hp1')
    for pool, volume, word, extra in (('default', 'nothere', 'NoSuchVolume', {}),
                                      ('nopool', 'myos', 'NoSuchPool', {'config': True})):
        params = {'domain': 'hp1', 'xml': volume_disk(pool, volume, 'sdc'), 'live': True}
        err, p = call_error(h, 'io.virtkit.Qemu', 'AttachDevice', dict(params, **extra))
        msg = p.get('message', '')
        print(f'# attach {pool}/{volume}: {err}: {msg}')
        for w in (f"volume '{volume}'", f"pool '{pool}'", "disk 'sdc'", word):
            check(w in msg, f'the error says {w!r}:', msg)
        check_eq(block_nodes(h, 'hp1'), before, 'no node left in QEMU')
        check("dev='sdc'" not in qemu(h, 'GetDomainXML', {'domain': 'hp1'})['xml'],
              'nothing in the live XML')
        check("dev='sdc'" not in qemu(h, 'GetDomainXML', {'domain': 'hp1',
                                                          'inactive': True})['xml'],
              'nothing in the config')
    qemu(h, 'DestroyDomain', {'domain': 'hp1'})
    wait_until(lambda: not qemu_pids(h), 10, 'QEMU gone')


def test_cleanup(h):
    """QEMUs outlive the daemon by design: kill what this test left (never others')."""
    cleanup(h)


if __name__ == '__main__':
    run_tests('volume-disk', [
        test_volume_disk_starts,
        test_restart_restores_owner,
        test_delete_in_use,
        test_shared_layers,
        test_missing_middle_layer,
        test_failed_after_labels,
        test_missing_volume,
        test_missing_pool,
        test_inactive_pool,
        test_attach_live,
        test_attach_live_missing,
        test_cleanup,
    ], setup=setup)
