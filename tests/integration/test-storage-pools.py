#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtkit-storaged runs real fs pools and real LVM pools on loop devices.

fs: a sparse file on a loop device is built (mkfs.ext4; a second build is refused unless asked
to overwrite), started (mounted nodev,nosuid,noexec on a target it creates), gets volumes
(files on the mounted filesystem), is refreshed, survives a restart of storaged while active
(still mounted, still active), is stopped (unmounted) and deleted. Bad input: an unknown pool
type, a device that does not exist, a target that is a file, a target something else is
mounted on: each a clear error, no mount and no loop device left.

logical: two loop devices become a volume group (pvcreate, vgcreate), which starts, refreshes
from LVM's JSON reports, stops and is deleted (vgremove, pvremove). A build that fails half way
(the second device is mounted) leaves no PV label on the first. Logical volumes need the
kernel's device-mapper: where it is missing that part is skipped with the reason, and
CreateVolume must fail cleanly instead.

Every mount, volume group and loop device the test makes is removed at teardown, even after a
failure.
"""

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

MiB = 1024 * 1024
BUS_NAME = 'io.virtkit.Storage1'
S = {'loops': [], 'vgs': []}


class Cleanup:
    """Stopped first at teardown: unmount under the test dir, remove VGs, detach loops."""

    def __init__(self, h):
        self.h = h

    def stop(self):
        for vg in S['vgs']:
            sh(['lvm', 'vgremove', '--force', vg])
        for mnt in reversed(mounts_under(self.h.tmp)):
            sh(['umount', '-l', mnt])
        for dev in S['loops']:
            sh(['lvm', 'pvremove', '--force', '--force', '--yes', dev])
            sh(['losetup', '-d', dev])


def sh(argv, input=None):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL if input is None else None,
                       input=input, capture_output=True, text=True, timeout=60,
                       env={'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LC_ALL': 'C',
                            'LVM_SUPPRESS_FD_WARNINGS': '1'})
    return p


def mountinfo():
    with open('/proc/self/mountinfo') as f:
        return [line.split() for line in f if line.strip()]


def mounts_under(prefix):
    return [f[4] for f in mountinfo() if f[4] == prefix or f[4].startswith(prefix + '/')]


def mount_options(path):
    found = [f[5] for f in mountinfo() if f[4] == path]
    return found[-1] if found else None


def loop_devices():
    return sorted(json.loads(sh(['losetup', '--json', '--list']).stdout or '{}')
                  .get('loopdevices', []), key=lambda d: d['name'])


def new_loop(h, name, size=64 * MiB):
    img = h.path(name)
    with open(img, 'wb') as f:
        f.truncate(size)
    p = sh(['losetup', '-f', '--show', img])
    check(p.returncode == 0, 'losetup:', p.stderr)
    dev = p.stdout.strip()
    S['loops'].append(dev)
    return dev


def fs_type(dev):
    return sh(['blkid', '-p', '-o', 'value', '-s', 'TYPE', dev]).stdout.strip()


def call(h, method, params=None):
    return h.vlcall(S['sock'], f'io.virtkit.Storage.{method}', json.dumps(params or {}),
                    timeout=120)


def call_ok(h, method, params=None):
    r = call(h, method, params)
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def call_error(h, method, params=None):
    r = call(h, method, params)
    check(r.rc == 3, f'{method}: expected a varlink error:', r)
    return r.varlink_error()


def start_storaged(h):
    if os.path.exists(S['sock']):
        os.unlink(S['sock'])
    p = h.spawn([h.daemon_path('storage'), '--root', S['root'], '--bus', 'system', '-v'],
                'virtkit-storaged', log='storaged')
    wait_until(lambda: os.path.exists(S['sock']) or p.poll() is not None, 10, S['sock'])
    check(p.poll() is None, 'storaged exited:', h.log_text('storaged'))
    h.wait_bus_name(BUS_NAME)
    S['storaged'] = p


def start_qemud(h):
    """qemud of the same --root, for the CLI: it forwards io.virtkit.Storage to storaged."""
    if S.get('qemud') and S['qemud'].poll() is None:
        return
    S['qsock'] = qsock = os.path.join(S['root'], 'run', 'io.virtkit.Qemu')
    q = h.spawn([h.daemon_path('qemu'), '--root', S['root'], '--bus', 'none', '-v'],
                'virtkit-qemud', log='qemud')
    wait_until(lambda: os.path.exists(qsock) or q.poll() is not None, 10, qsock)
    check(q.poll() is None, 'qemud exited:', h.log_text('qemud'))
    S['qemud'] = q


def vk(h, *args):
    start_qemud(h)
    cli = os.path.join(h.builddir, 'tools', 'virtkit')
    return h.run([cli, '-c', f"qemu+unix:///system?socket={S['qsock']}"] + list(args),
                 timeout=60)


def fs_xml(name, dev, target, fmt='ext4'):
    return (f"<pool type='fs'><name>{name}</name><source><device path='{dev}'/>"
            f"<format type='{fmt}'/></source><target><path>{target}</path></target></pool>")


def vol_xml(name, capacity, fmt=None, backing=None):
    x = f"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>"
    if fmt:
        x += f"<target><format type='{fmt}'/></target>"
    if backing:
        x += f"<backingStore><path>{backing}</path></backingStore>"
    return x + "</volume>"


def vol_names(h, pool):
    return [v['name'] for v in call_ok(h, 'ListVolumes', {'pool': pool})['volumes']]


def setup(h):
    h.threads.append(Cleanup(h))
    h.start_buses()
    h.install_virtkit_bus_policies(['storage'])
    S['root'] = h.path('root')
    S['sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Storage')
    start_storaged(h)


# --- fs ---

def test_fs_build(h):
    S['fsdev'] = new_loop(h, 'fs.img')
    S['fstarget'] = h.path('fsmnt')
    call_ok(h, 'DefineStoragePool', {'xml': fs_xml('fsp', S['fsdev'], S['fstarget'])})
    call_ok(h, 'BuildStoragePool', {'pool': 'fsp'})
    check_eq(fs_type(S['fsdev']), 'ext4', 'the device after build')
    check(os.path.isdir(S['fstarget']), 'build made the target directory')
    # a second build would destroy the filesystem: refused unless asked to overwrite
    name, p = call_error(h, 'BuildStoragePool', {'pool': 'fsp'})
    check('ext2/ext3/ext4 filesystem' in p['message'] and 'overwrite' in p['message'] and
          S['fsdev'] in p['message'], 'build over a filesystem:', name, p)
    r = vk(h, 'pool-build', 'fsp')
    check(r.rc == 1 and 'overwrite' in r.err, 'virtkit pool-build over a filesystem:', r)
    r = vk(h, 'pool-build', 'fsp', '--overwrite')
    check_eq((r.rc, r.out), (0, 'Pool fsp built\n'), 'virtkit pool-build --overwrite')
    check_eq(fs_type(S['fsdev']), 'ext4', 'the device after an overwriting build')
    check_eq(mounts_under(h.tmp), [], 'mounts after build')


def test_fs_start_volumes_refresh(h):
    call_ok(h, 'CreateStoragePool', {'pool': 'fsp'})
    opts = mount_options(S['fstarget'])
    check(opts is not None, 'the target is not mounted')
    check({'nodev', 'nosuid', 'noexec'} <= set(opts.split(',')), 'mount options:', opts)
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': 'fsp'})
    check(info['active'] and info['type'] == 'fs' and 40 * MiB < info['capacity'] <= 64 * MiB,
          'fs pool info:', info)
    v = call_ok(h, 'CreateVolume', {'pool': 'fsp', 'xml': vol_xml('disk.qcow2', 8 * MiB,
                                                                   'qcow2')})
    check_eq(v['path'], os.path.join(S['fstarget'], 'disk.qcow2'), 'volume path')
    check_eq(os.stat(v['path']).st_dev, os.stat(S['fstarget']).st_dev,
             'the volume is on the mounted filesystem')
    r = h.run(['qemu-img', 'info', '--output=json', v['path']])
    check_eq(json.loads(r.out)['virtual-size'], 8 * MiB, 'qemu-img info of the volume')
    # a file dropped in by hand shows up after a refresh
    with open(os.path.join(S['fstarget'], 'byhand.img'), 'wb') as f:
        f.truncate(MiB)
    check('byhand.img' not in vol_names(h, 'fsp'), 'listed before the refresh')
    call_ok(h, 'RefreshStoragePool', {'pool': 'fsp'})
    check_eq(sorted(vol_names(h, 'fsp')), ['byhand.img', 'disk.qcow2'], 'volumes after refresh')
    name, p = call_error(h, 'CreateStoragePool', {'pool': 'fsp'})
    check('already active' in p['message'], 'start twice:', p)


def test_fs_restart_keeps_active(h):
    h.stop(S['storaged'])
    check(mount_options(S['fstarget']) is not None, 'a stopping storaged unmounted the pool')
    start_storaged(h)
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': 'fsp'})
    check(info['active'], 'fs pool after a restart:', info)
    check_eq(sorted(vol_names(h, 'fsp')), ['byhand.img', 'disk.qcow2'], 'volumes after restart')
    # kill -9 too
    S['storaged'].send_signal(signal.SIGKILL)
    S['storaged'].wait(timeout=10)
    start_storaged(h)
    check(call_ok(h, 'GetStoragePoolInfo', {'pool': 'fsp'})['active'], 'active after kill -9')


def test_fs_stop_delete(h):
    call_ok(h, 'DestroyStoragePool', {'pool': 'fsp'})
    check(mount_options(S['fstarget']) is None, 'still mounted after destroy')
    check(not call_ok(h, 'GetStoragePoolInfo', {'pool': 'fsp'})['active'], 'active after stop')
    check(not os.path.exists(os.path.join(S['root'], 'run', 'storage', 'fsp.status')),
          'status file after destroy')
    # the volumes are on the device: a new start finds them again
    call_ok(h, 'CreateStoragePool', {'pool': 'fsp'})
    check('disk.qcow2' in vol_names(h, 'fsp'), 'volumes after a second start')
    call_ok(h, 'DestroyStoragePool', {'pool': 'fsp'})
    # a pool unmounted behind storaged's back is no longer active after a restart
    call_ok(h, 'CreateStoragePool', {'pool': 'fsp'})
    check_eq(sh(['umount', S['fstarget']]).returncode, 0, 'umount by hand')
    h.stop(S['storaged'])
    start_storaged(h)
    check(not call_ok(h, 'GetStoragePoolInfo', {'pool': 'fsp'})['active'],
          'a pool unmounted by hand is still active after a restart')
    check('is no longer active' in h.log_text('storaged') and
          'nothing is mounted' in h.log_text('storaged'), 'the restart says why')
    r = vk(h, 'pool-delete', 'fsp')
    check_eq((r.rc, r.out), (0, 'Pool fsp deleted\n'), 'virtkit pool-delete')
    check(not os.path.exists(S['fstarget']), 'delete left the target directory')
    call_ok(h, 'UndefineStoragePool', {'pool': 'fsp'})
    check_eq(mounts_under(h.tmp), [], 'mounts after delete')


def test_fs_bad_input(h):
    loops = loop_devices()
    name, p = call_error(h, 'DefineStoragePool', {'xml': fs_xml('bad', '/dev/x', '/tmp/x')
                                                  .replace("type='fs'", "type='iscsi'")})
    check(name == 'io.virtkit.Storage.InvalidXML' and "'iscsi'" in p['message'],
          'unknown pool type:', name, p)

    # a device that does not exist: nothing made, not even the target
    missing, target = h.path('no-such-device'), h.path('nodev-target')
    call_ok(h, 'DefineStoragePool', {'xml': fs_xml('nodev', missing, target)})
    for method in ('BuildStoragePool', 'CreateStoragePool'):
        name, p = call_error(h, method, {'pool': 'nodev'})
        check('does not exist' in p['message'] and missing in p['message'] and
              "'nodev'" in p['message'], f'{method} on a missing device:', p)
    check(not os.path.exists(target), 'a failed start made the target')
    call_ok(h, 'UndefineStoragePool', {'pool': 'nodev'})

    # the target exists as a file
    dev = new_loop(h, 'bad.img', 16 * MiB)
    check_eq(sh(['mkfs.ext4', '-q', dev]).returncode, 0, 'mkfs.ext4')
    afile = h.path('afile')
    with open(afile, 'w') as f:
        f.write('data')
    call_ok(h, 'DefineStoragePool', {'xml': fs_xml('onfile', dev, afile)})
    name, p = call_error(h, 'CreateStoragePool', {'pool': 'onfile'})
    check('not a directory' in p['message'] and afile in p['message'], 'target a file:', p)
    with open(afile) as f:
        check_eq(f.read(), 'data', 'the file is untouched')
    call_ok(h, 'UndefineStoragePool', {'pool': 'onfile'})

    # something else is mounted on the target: refused, that mount untouched
    busy = h.path('busy')
    os.mkdir(busy)
    check_eq(sh(['mount', '-t', 'tmpfs', 'vktest', busy]).returncode, 0, 'mount tmpfs')
    call_ok(h, 'DefineStoragePool', {'xml': fs_xml('overbusy', dev, busy)})
    name, p = call_error(h, 'CreateStoragePool', {'pool': 'overbusy'})
    check('mounted on' in p['message'] and busy in p['message'] and 'vktest' in p['message'],
          'mount over a busy target:', p)
    check_eq([f[f.index('-') + 2] for f in mountinfo() if f[4] == busy], ['vktest'],
             'mounts on the target')
    check(not call_ok(h, 'GetStoragePoolInfo', {'pool': 'overbusy'})['active'], 'active')
    check_eq(sh(['umount', busy]).returncode, 0, 'umount tmpfs')
    call_ok(h, 'UndefineStoragePool', {'pool': 'overbusy'})
    check_eq(mounts_under(h.tmp), [], 'mounts after the bad input')
    check_eq(len(loop_devices()), len(loops) + 1, 'loop devices (only the test\'s own)')


# --- logical ---

def lvm_probe():
    """None when LVM's pool commands can run here, else why not."""
    if sh(['sh', '-c', 'command -v lvm']).returncode != 0:
        return 'lvm is not installed (lvm2)'
    return None


def dm_probe():
    """None when device-mapper works (logical volumes can be made), else why not."""
    if not os.path.exists('/dev/mapper/control'):
        return 'the kernel has no device-mapper (/dev/mapper/control is missing)'
    p = sh(['dmsetup', 'version'])
    if p.returncode != 0:
        return f'dmsetup version failed: {p.stderr.strip().splitlines()[0]}'
    return None


def lvm_xml(name, vg, devs):
    devices = ''.join(f"<device path='{d}'/>" for d in devs)
    return (f"<pool type='logical'><name>{name}</name><source>{devices}<name>{vg}</name>"
            f"</source><target><path>/dev/{vg}</path></target></pool>")


def test_logical_pool(h):
    why = lvm_probe()
    if why:
        print(f'# SKIP real LVM: {why}')
        return
    vg = f'vkt{os.getpid()}'
    S['vgs'].append(vg)
    d1, d2 = new_loop(h, 'pv1.img'), new_loop(h, 'pv2.img')
    call_ok(h, 'DefineStoragePool', {'xml': lvm_xml('lvp', vg, [d1, d2])})
    call_ok(h, 'BuildStoragePool', {'pool': 'lvp'})
    r = sh(['lvm', 'vgs', '--noheadings', '-o', 'pv_count', vg])
    check(r.returncode == 0 and r.stdout.strip() == '2', 'the volume group after build:', r)
    name, p = call_error(h, 'BuildStoragePool', {'pool': 'lvp'})
    check('LVM physical volume' in p['message'] and 'overwrite' in p['message'],
          'build over PVs:', p)

    call_ok(h, 'CreateStoragePool', {'pool': 'lvp'})
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': 'lvp'})
    check(info['active'] and info['type'] == 'logical' and
          100 * MiB < info['capacity'] <= 128 * MiB and info['available'] == info['capacity'],
          'logical pool info:', info)
    call_ok(h, 'RefreshStoragePool', {'pool': 'lvp'})
    check_eq(vol_names(h, 'lvp'), [], 'volumes of a new group')

    why_dm = dm_probe()
    if why_dm:
        print(f'# SKIP real logical volumes: {why_dm}')
        name, p = call_error(h, 'CreateVolume', {'pool': 'lvp', 'xml': vol_xml('lv1', 10 * MiB)})
        check('lvcreate failed' in p['message'], 'lvcreate without device-mapper:', p)
        check_eq(vol_names(h, 'lvp'), [], 'volumes after a failed lvcreate')
    else:
        v = call_ok(h, 'CreateVolume', {'pool': 'lvp', 'xml': vol_xml('lv1', 10 * MiB + 1)})
        check_eq(v['path'], f'/dev/{vg}/lv1', 'LV path')
        check_eq(v['capacity'], 12 * MiB, 'capacity rounded up to whole 4 MiB extents')
        check(os.path.exists(v['path']), 'the LV device exists')
        snap = call_ok(h, 'CreateVolume', {'pool': 'lvp', 'xml': vol_xml(
            'snap1', 4 * MiB, backing=v['path'])})
        check_eq(snap['backingStore'], v['path'], 'snapshot origin')
        call_ok(h, 'DeleteVolume', {'pool': 'lvp', 'volume': 'snap1'})
        call_ok(h, 'DeleteVolume', {'pool': 'lvp', 'volume': 'lv1'})
        check_eq(vol_names(h, 'lvp'), [], 'volumes after delete')

    h.stop(S['storaged'])
    start_storaged(h)
    check(call_ok(h, 'GetStoragePoolInfo', {'pool': 'lvp'})['active'], 'active after restart')
    # the restarted daemon refreshes the pool from LVM first: meanwhile it is busy
    wait_until(lambda: call(h, 'DestroyStoragePool', {'pool': 'lvp'}).rc == 0, 10,
               'destroy once the restart refresh is done')
    check(not call_ok(h, 'GetStoragePoolInfo', {'pool': 'lvp'})['active'], 'stopped')
    call_ok(h, 'DeleteStoragePool', {'pool': 'lvp'})
    check(sh(['lvm', 'vgs', vg]).returncode != 0, 'the volume group is still there')
    for d in (d1, d2):
        check(sh(['lvm', 'pvs', d]).returncode != 0, f'{d} is still a PV')
    call_ok(h, 'UndefineStoragePool', {'pool': 'lvp'})

    # a build failing half way (the second device is mounted) leaves no PV on the first
    check_eq(sh(['mkfs.ext4', '-q', d2]).returncode, 0, 'mkfs.ext4')
    mnt = h.path('pv2mnt')
    os.mkdir(mnt)
    check_eq(sh(['mount', d2, mnt]).returncode, 0, 'mount the second device')
    call_ok(h, 'DefineStoragePool', {'xml': lvm_xml('half', vg, [d1, d2])})
    name, p = call_error(h, 'BuildStoragePool', {'pool': 'half', 'overwrite': True})
    check('pvcreate failed' in p['message'] and "'half'" in p['message'], 'half build:', p)
    check(sh(['lvm', 'pvs', d1]).returncode != 0, 'a failed build left a PV on the first device')
    check(sh(['lvm', 'vgs', vg]).returncode != 0, 'a failed build left a volume group')
    check_eq(sh(['umount', mnt]).returncode, 0, 'umount')
    call_ok(h, 'UndefineStoragePool', {'pool': 'half'})


if __name__ == '__main__':
    sys.exit(run_tests('storage-pools', [
        test_fs_build,
        test_fs_start_volumes_refresh,
        test_fs_restart_keeps_active,
        test_fs_stop_delete,
        test_fs_bad_input,
        test_logical_pool,
    ], setup=setup))
