#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""qemud starts a domain whose disk is a storage volume: <disk type='volume'><source
pool='default' volume='myos'/> with myos a qcow2 whose backing file is another volume.

Real virtkit-storaged and virtkit-qemud share a private --root (so the same socket dir); QEMU
runs paused (-S, TCG: no guest code runs) as a throwaway user (qemu.conf user/group).
At start qemud asks storaged where the volume is: QEMU gets the volume's path with the format
storaged reported (query-named-block-nodes shows the file and its backing file opened), the
volume file belongs to QEMU's user while it runs and to root again after destroy (DAC through
the resolved path; the backing volume is made world-readable, as backing layers are not
labelled yet), the live XML still names the pool and the volume. A missing volume, a missing pool and an inactive pool each fail the start with an
error naming both, and leave no QEMU behind. While the domain runs its volume and the backing
volume cannot be deleted or wiped (VolumeInUse names the domain), also after a storaged restart.
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
    base = storage(h, 'CreateVolume', {'pool': 'default', 'xml': (
        "<volume><name>base.qcow2</name><capacity unit='MiB'>16</capacity>"
        "<target><format type='qcow2'/><permissions><mode>0644</mode></permissions></target>"
        "</volume>")})
    S['myos'] = storage(h, 'CreateVolume', {'pool': 'default', 'xml': (
        "<volume><name>myos</name><capacity unit='MiB'>32</capacity>"
        "<target><format type='qcow2'/></target>"
        f"<backingStore><path>{base['path']}</path></backingStore></volume>")})
    S['base'] = base


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
    st = os.stat(S['myos']['path'])
    check_eq((st.st_uid, st.st_gid), (S['qemu'].uid, S['qemu'].gid),
             'the volume belongs to QEMU while it runs')
    with open(f'/proc/{pids[0]}/cmdline') as f:
        argv = f.read().split('\0')
    blockdevs = [json.loads(a) for a in argv if a.startswith('{') and '"node-name"' in a]
    files = [b for b in blockdevs if b.get('driver') == 'file']
    check(any(b.get('filename') == S['myos']['path'] for b in files),
          'the volume path on the command line:', blockdevs)
    check(any(b.get('driver') == 'qcow2' for b in blockdevs), 'format qcow2 from storaged:',
          blockdevs)
    r = qemu(h, 'QemuMonitorCommand', {'domain': 'vm1',
                                       'command': '{"execute":"query-named-block-nodes"}'})
    opened = {n['file'] for n in json.loads(r['reply'])['return']}
    check({S['myos']['path'], S['base']['path']} <= opened,
          'QEMU opened the volume and its backing volume:', opened)
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm1'})['xml']
    check("<source pool='default' volume='myos'/>" in xml and "type='volume'" in xml,
          'the live XML keeps the volume source:', xml)
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
    st = os.stat(S['myos']['path'])
    check_eq((st.st_uid, st.st_gid), (0, 0), 'the volume is root\'s again after destroy')


def test_restart_restores_owner(h):
    """qemud killed while the domain runs: the new one restores the volume's owner."""
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    st = os.stat(S['myos']['path'])
    check_eq(st.st_uid, S['qemu'].uid, 'the volume belongs to QEMU while it runs')
    S['qemud'].send_signal(signal.SIGKILL)
    S['qemud'].wait(timeout=10)
    spawn(h, 'qemu', 'io.virtkit.Qemu')
    wait_until(lambda: h.vlcall(sock(h, 'io.virtkit.Qemu'),
                                'io.virtkit.Qemu.GetVersion').rc == 0, 10, 'qemud again')
    check_eq(qemu(h, 'LookupDomain', {'name': 'vm1'})['state'], 'paused', 'reconnected')
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    wait_until(lambda: not qemu_pids(h), 10, 'QEMU gone')
    st = os.stat(S['myos']['path'])
    check_eq((st.st_uid, st.st_gid), (0, 0), 'the volume is root\'s again after the restart')


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


def test_missing_volume(h):
    check_start_fails(h, 'vm2', 'default', 'nothere', ['NoSuchVolume'])


def test_missing_pool(h):
    check_start_fails(h, 'vm3', 'nopool', 'myos', ['NoSuchPool'])


def test_inactive_pool(h):
    storage(h, 'DestroyStoragePool', {'pool': 'default'})
    check_start_fails(h, 'vm4', 'default', 'myos', ['not active'])
    storage(h, 'CreateStoragePool', {'pool': 'default'})


def test_cleanup(h):
    """QEMUs outlive the daemon by design: kill what this test left (never others')."""
    cleanup(h)


if __name__ == '__main__':
    run_tests('volume-disk', [
        test_volume_disk_starts,
        test_restart_restores_owner,
        test_delete_in_use,
        test_missing_volume,
        test_missing_pool,
        test_inactive_pool,
        test_cleanup,
    ], setup=setup)
