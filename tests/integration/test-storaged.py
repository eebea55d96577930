#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtkit-storaged runs real dir pools with real qemu-img.

A private --root instance (embedded layout: no default pool) on a private system bus: a dir
pool is defined, built and started; raw and qcow2 volumes are created (one on a backing
volume), cloned, resized and deleted, each result checked with `qemu-img info --output=json`;
a refresh finds a file dropped in by hand and lists a garbage file with a warning; bad input
(unknown pool type, a target that is a file, a volume that exists, a capacity past the free
space, a missing backing store, a qemu-img that fails) gives clear errors and leaves nothing
half made, as does a storaged stopped (SIGTERM) while qemu-img runs; an unprivileged user may read but not change anything; after kill -9 and a
restart the pool is still active. The same calls through qemud's socket reach storaged; with
storaged down the error names it. Over D-Bus: the pool and volume objects, their properties,
PropertiesChanged. Last, the session instance as a throwaway user gets the `default` pool in
its data dir.
"""

import json
import os
import re
import signal
import socket
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

MiB = 1024 * 1024
BUS_NAME, BUS_PATH = 'io.virtkit.Storage1', '/io/virtkit/Storage1'
POOL_IFACE, VOL_IFACE = 'io.virtkit.Storage1.Pool', 'io.virtkit.Storage1.Volume'
S = {}


def call(h, method, params=None, sock=None, user=None):
    return h.vlcall(sock or S['sock'], f'io.virtkit.Storage.{method}',
                    json.dumps(params or {}), user=user, timeout=60)


def call_ok(h, method, params=None, **kw):
    r = call(h, method, params, **kw)
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def call_error(h, method, params=None):
    r = call(h, method, params)
    check(r.rc == 3, f'{method}: expected a varlink error:', r)
    return r.varlink_error()


def vl_fds(sock, method, params, fds=(), more=False, timeout=60):
    """A varlink call passing @fds (SCM_RIGHTS): our own client, as vlcall passes none.
    Returns (replies before the last, the last reply)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    msg = {'method': f'io.virtkit.Storage.{method}', 'parameters': params}
    if more:
        msg['more'] = True
    data = json.dumps(msg).encode() + b'\0'
    if fds:
        socket.send_fds(s, [data], list(fds))
    else:
        s.sendall(data)
    buf, replies = b'', []
    with s:
        while True:
            chunk = s.recv(65536)
            check(chunk, f'{method}: the connection closed before the last reply', replies)
            buf += chunk
            while b'\0' in buf:
                m, buf = buf.split(b'\0', 1)
                r = json.loads(m)
                if not r.get('continues'):
                    return replies, r
                replies.append(r['parameters'])


def qemu_img_info(h, path):
    r = h.run(['qemu-img', 'info', '--output=json', '-U', path])
    check(r.rc == 0, f'qemu-img info {path}:', r)
    return json.loads(r.out)


def start_storaged(h):
    p = h.spawn([h.daemon_path('storage'), '--root', S['root'], '--bus', 'system', '-v'],
                'virtkit-storaged', log='storaged')
    wait_until(lambda: os.path.exists(S['sock']) or p.poll() is not None, 10, S['sock'])
    check(p.poll() is None, 'storaged exited:', h.log_text('storaged'))
    h.wait_bus_name(BUS_NAME)
    S['storaged'] = p
    return p


def pool_xml(name, target, ptype='dir'):
    return (f"<pool type='{ptype}'><name>{name}</name>"
            f"<target><path>{target}</path></target></pool>")


def vol_xml(name, capacity, fmt=None, allocation=None, backing=None, backing_fmt=None):
    x = f"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>"
    if allocation is not None:
        x += f"<allocation unit='bytes'>{allocation}</allocation>"
    if fmt:
        x += f"<target><format type='{fmt}'/></target>"
    if backing:
        x += f"<backingStore><path>{backing}</path>"
        if backing_fmt:
            x += f"<format type='{backing_fmt}'/>"
        x += "</backingStore>"
    return x + "</volume>"


def vol_names(h, pool='p1'):
    return [v['name'] for v in call_ok(h, 'ListVolumes', {'pool': pool})['volumes']]


def pool_files(pool_dir):
    return sorted(os.listdir(pool_dir))


def setup(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['storage'])
    S['root'] = h.path('root')
    S['sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Storage')
    S['pool'] = h.path('pool1')
    start_storaged(h)


def test_embedded_has_no_default_pool(h):
    check_eq(call_ok(h, 'ListStoragePools')['pools'], [], 'pools of a fresh --root instance')


def test_define_build_start(h):
    res = call_ok(h, 'DefineStoragePool', {'xml': pool_xml('p1', S['pool'])})
    S['uuid'] = res['uuid']
    check(not os.path.exists(S['pool']), 'define made the target')
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': 'p1'})
    check(not info['active'] and info['persistent'] and info['type'] == 'dir', 'inactive:', info)
    err = call_error(h, 'CreateStoragePool', {'pool': 'p1'})
    check('build the pool first' in err[1]['message'], 'start before build:', err)
    call_ok(h, 'BuildStoragePool', {'pool': 'p1'})
    st = os.stat(S['pool'])
    check(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o711, 'target mode', st)
    call_ok(h, 'CreateStoragePool', {'pool': 'p1'})
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': S['uuid']})
    check(info['active'] and info['capacity'] > 0 and info['available'] > 0, 'active:', info)
    check_eq(info['volumes'], 0, 'volumes of a new pool')
    xml = call_ok(h, 'GetStoragePoolXML', {'pool': 'p1'})['xml']
    check("<capacity unit='bytes'>" in xml, 'live XML has the figures:', xml)
    st = json.load(open(os.path.join(S['root'], 'run', 'storage', 'p1.status')))
    check(st['persistent'] and '<name>p1</name>' in st['xml'], 'status file:', st)
    lst = call_ok(h, 'ListStoragePools', {'active': 'yes', 'type': 'dir'})['pools']
    check_eq([p['name'] for p in lst], ['p1'], 'active dir pools')
    call_ok(h, 'SetStoragePoolAutostart', {'pool': 'p1', 'autostart': True})
    # <config>/storage/: the embedded config dir is <root>/etc/storage
    confdir = os.path.join(S['root'], 'etc', 'storage', 'storage')
    check(os.path.isfile(os.path.join(confdir, 'p1.xml')), 'definition file')
    check(os.path.islink(os.path.join(confdir, 'autostart', 'p1.xml')), 'autostart link')


def test_create_volumes(h):
    base = os.path.join(S['pool'], 'base.img')
    v = call_ok(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('base.img', 16 * MiB,
                                                                  allocation=0)})
    check_eq((v['name'], v['format'], v['capacity'], v['path']),
             ('base.img', 'raw', 16 * MiB, base), 'raw volume')
    info = qemu_img_info(h, base)
    check_eq((info['format'], info['virtual-size']), ('raw', 16 * MiB), 'qemu-img: raw')
    check(info['actual-size'] < MiB, 'a sparse raw volume:', info)
    check_eq(stat.S_IMODE(os.stat(base).st_mode), 0o600, 'volume mode')

    full = os.path.join(S['pool'], 'full.raw')
    call_ok(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('full.raw', 4 * MiB)})
    info = qemu_img_info(h, full)
    check(info['virtual-size'] == 4 * MiB and info['actual-size'] >= 4 * MiB,
          'a fully allocated raw volume:', info)

    top = os.path.join(S['pool'], 'top.qcow2')
    v = call_ok(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('top.qcow2', 32 * MiB, 'qcow2',
                                                                  backing=base)})
    check_eq((v['format'], v['backingStore']), ('qcow2', base), 'qcow2 on a backing volume')
    info = qemu_img_info(h, top)
    check_eq((info['format'], info['virtual-size'], info['backing-filename'],
              info['backing-filename-format']), ('qcow2', 32 * MiB, base, 'raw'),
             'qemu-img: qcow2 with backing store')
    xml = call_ok(h, 'GetVolumeXML', {'pool': 'p1', 'volume': 'top.qcow2'})['xml']
    check('<backingStore>' in xml and base in xml and "type='qcow2'" in xml,
          'volume XML:', xml)
    check_eq(vol_names(h), ['base.img', 'full.raw', 'top.qcow2'], 'volumes')
    v = call_ok(h, 'LookupVolume', {'path': top})
    check_eq((v['pool'], v['name'], v['key']), ('p1', 'top.qcow2', top), 'lookup by path')
    v = call_ok(h, 'LookupVolume', {'key': base})
    check_eq(v['name'], 'base.img', 'lookup by key')
    p = call_ok(h, 'LookupStoragePool', {'volume': top})
    check_eq(p['name'], 'p1', 'the pool of a volume')


def test_clone_resize_delete(h):
    clone = os.path.join(S['pool'], 'clone.qcow2')
    v = call_ok(h, 'CreateVolumeFrom', {'pool': 'p1', 'source': 'top.qcow2',
                                        'xml': vol_xml('clone.qcow2', 32 * MiB)})
    check_eq((v['format'], v['capacity'], v['backingStore']), ('qcow2', 32 * MiB, ''),
             'clone (flattened)')
    info = qemu_img_info(h, clone)
    check(info['format'] == 'qcow2' and info['virtual-size'] == 32 * MiB and
          'backing-filename' not in info, 'qemu-img: the clone stands alone:', info)

    v = call_ok(h, 'ResizeVolume', {'pool': 'p1', 'volume': 'clone.qcow2',
                                    'capacity': 64 * MiB})
    check_eq(v['capacity'], 64 * MiB, 'grown')
    check_eq(qemu_img_info(h, clone)['virtual-size'], 64 * MiB, 'qemu-img: grown')
    err = call_error(h, 'ResizeVolume', {'pool': 'p1', 'volume': 'clone.qcow2',
                                         'capacity': 8 * MiB})
    check('shrinking' in err[1]['message'], 'shrink refused without the flag:', err)
    check_eq(qemu_img_info(h, clone)['virtual-size'], 64 * MiB, 'not shrunk')
    call_ok(h, 'ResizeVolume', {'pool': 'p1', 'volume': 'clone.qcow2', 'capacity': 48 * MiB,
                                'shrink': True})
    check_eq(qemu_img_info(h, clone)['virtual-size'], 48 * MiB, 'qemu-img: shrunk')

    call_ok(h, 'DeleteVolume', {'pool': 'p1', 'volume': 'full.raw'})
    check(not os.path.exists(os.path.join(S['pool'], 'full.raw')), 'deleted file still there')
    check('full.raw' not in vol_names(h), 'deleted volume still listed')
    name, p = call_error(h, 'DeleteVolume', {'pool': 'p1', 'volume': 'full.raw'})
    check_eq((name, p.get('volume')), ('io.virtkit.Storage.NoSuchVolume', 'full.raw'),
             'deleting it again')


def test_wipe_upload_download(h):
    """Wipe (zeros, same format and capacity), upload a file and download it back over varlink
    with the descriptors passed (SCM_RIGHTS), progress as "more" replies."""
    clone = os.path.join(S['pool'], 'clone.qcow2')
    h.run(['qemu-io', '-c', 'write -P 0xab 0 4M', clone])
    check(h.run(['qemu-io', '-c', 'read -P 0xab 0 4M', clone]).rc == 0, 'data before the wipe')
    progress, last = vl_fds(S['sock'], 'WipeVolume', {'pool': 'p1', 'volume': 'clone.qcow2'},
                            more=True)
    check('error' not in last, 'WipeVolume:', last)
    res = last['parameters']
    check_eq((res['operation'], res['bytes'], res['total']), ('wipe', 48 * MiB, 48 * MiB),
             'wipe result')
    check(progress and progress[0]['bytes'] == 0 and progress[0]['total'] == 48 * MiB,
          'wipe progress:', progress)
    info = qemu_img_info(h, clone)
    check_eq((info['format'], info['virtual-size']), ('qcow2', 48 * MiB), 'wiped: same image')
    r = h.run(['qemu-io', '-c', 'read -P 0 0 48M', clone])
    check(r.rc == 0 and 'Pattern verification failed' not in r.out, 'wiped: reads zeros:', r)

    # upload a file of random bytes into a raw volume, then download it back: byte-identical
    size = 3 * MiB + 4321
    src, back = h.path('upload.bin'), h.path('download.bin')
    with open(src, 'wb') as f:
        f.write(os.urandom(size))
    call_ok(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('up.raw', 4 * MiB, allocation=0)})
    with open(src, 'rb') as f:
        progress, last = vl_fds(S['sock'], 'UploadVolume',
                                {'pool': 'p1', 'volume': 'up.raw', 'fd': 0}, [f.fileno()],
                                more=True)
    check('error' not in last, 'UploadVolume:', last)
    check_eq((last['parameters']['bytes'], last['parameters']['total']), (size, size),
             'upload result')
    check(progress and progress[0]['operation'] == 'upload', 'upload progress:', progress)
    info = qemu_img_info(h, os.path.join(S['pool'], 'up.raw'))
    check_eq((info['format'], info['virtual-size']), ('raw', 4 * MiB), 'qemu-img after upload')
    with open(back, 'wb') as f:
        _, last = vl_fds(S['sock'], 'DownloadVolume',
                         {'pool': 'p1', 'volume': 'up.raw', 'fd': 0, 'length': size},
                         [f.fileno()])
    check('error' not in last and last['parameters']['bytes'] == size, 'DownloadVolume:', last)
    check(open(src, 'rb').read() == open(back, 'rb').read(), 'the round trip is byte-identical')
    # offset and length, as virStorageVolUpload/Download: 1000 bytes at 1 MiB
    with open(src, 'rb') as f:
        f.seek(5000)
        _, last = vl_fds(S['sock'], 'UploadVolume', {'pool': 'p1', 'volume': 'up.raw', 'fd': 0,
                                                      'offset': MiB, 'length': 1000},
                         [f.fileno()])
    check('error' not in last, 'upload at an offset:', last)
    data = open(os.path.join(S['pool'], 'up.raw'), 'rb').read()
    check(data[MiB:MiB + 1000] == open(src, 'rb').read()[5000:6000] and
          data[:MiB] == open(src, 'rb').read()[:MiB], 'upload at an offset wrote there only')
    # a pipe that ends before length: an error naming the figures
    rd, wr = os.pipe()
    os.write(wr, b'x' * 100)
    os.close(wr)
    _, last = vl_fds(S['sock'], 'UploadVolume', {'pool': 'p1', 'volume': 'up.raw', 'fd': 0,
                                                  'length': 5000}, [rd])
    os.close(rd)
    check(last.get('error') == 'io.virtkit.Storage.OperationFailed' and
          '100 of 5000 bytes' in last['parameters']['message'], 'a short upload:', last)
    # no descriptor, a wrong index, an offset past the end
    _, last = vl_fds(S['sock'], 'UploadVolume', {'pool': 'p1', 'volume': 'up.raw', 'fd': 0})
    check(last.get('error') == 'org.varlink.service.InvalidParameter' and
          last['parameters'].get('parameter') == 'fd', 'no descriptor:', last)
    with open(back, 'rb') as f:
        _, last = vl_fds(S['sock'], 'DownloadVolume', {'pool': 'p1', 'volume': 'up.raw',
                                                        'fd': 0, 'offset': 8 * MiB},
                         [f.fileno()])
    check('past the end' in last.get('parameters', {}).get('message', ''),
          'offset past the end:', last)
    call_ok(h, 'DeleteVolume', {'pool': 'p1', 'volume': 'up.raw'})


def test_refresh_finds_files(h):
    hand = os.path.join(S['pool'], 'byhand.qcow2')
    r = h.run(['qemu-img', 'create', '-f', 'qcow2', hand, str(8 * MiB)])
    check(r.rc == 0, 'qemu-img create by hand:', r)
    with open(os.path.join(S['pool'], 'garbage.qcow2'), 'wb') as f:
        f.write(b'QFI\xfb\x00\x00\x00\x03\x00')     # a qcow2 header cut short
    check('byhand.qcow2' not in vol_names(h), 'listed before a refresh')
    call_ok(h, 'RefreshStoragePool', {'pool': 'p1'})
    vols = {v['name']: v for v in call_ok(h, 'ListVolumes', {'pool': 'p1'})['volumes']}
    check(vols['byhand.qcow2']['format'] == 'qcow2' and
          vols['byhand.qcow2']['capacity'] == 8 * MiB and not vols['byhand.qcow2']['warning'],
          'the file dropped in:', vols.get('byhand.qcow2'))
    g = vols.get('garbage.qcow2')
    check(g and g['warning'] and 'garbage.qcow2' in g['warning'], 'garbage listed with a '
          'warning:', g)


def test_bad_input(h):
    files = pool_files(S['pool'])
    name, p = call_error(h, 'DefineStoragePool', {'xml': pool_xml('bad', '/tmp/x', 'iscsi')})
    check(name == 'io.virtkit.Storage.InvalidXML' and "'iscsi'" in p['message'] and
          '/pool/@type' in p['message'], 'unknown pool type:', name, p)

    afile = h.path('afile')
    open(afile, 'w').write('data')
    call_ok(h, 'DefineStoragePool', {'xml': pool_xml('onfile', afile)})
    name, p = call_error(h, 'BuildStoragePool', {'pool': 'onfile'})
    check('not a directory' in p['message'] and afile in p['message'], 'target a file:', p)
    check_eq(open(afile).read(), 'data', 'the file is untouched')
    name, p = call_error(h, 'CreateStoragePool', {'pool': 'onfile'})
    check('not a directory' in p['message'], 'start on a file:', p)
    call_ok(h, 'UndefineStoragePool', {'pool': 'onfile'})

    name, p = call_error(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('base.img', MiB)})
    check('already exists' in p['message'] and 'base.img' in p['message'], 'exists:', p)
    name, p = call_error(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('huge.raw',
                                                                           1 << 60)})
    check('available' in p['message'] and 'huge.raw' in p['message'], 'past free space:', p)
    missing = os.path.join(S['pool'], 'nothere.img')
    name, p = call_error(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml(
        'orphan.qcow2', MiB, 'qcow2', backing=missing)})
    check('backingStore' in p['message'] and 'does not exist' in p['message'] and
          missing in p['message'], 'missing backing store:', p)
    name, p = call_error(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml('zero.raw', 0)})
    check('capacity' in p['message'], 'capacity 0:', p)
    # qemu-img itself fails (the backing file is no qcow2): the half-made file is removed
    garbage = os.path.join(S['pool'], 'garbage.qcow2')
    name, p = call_error(h, 'CreateVolume', {'pool': 'p1', 'xml': vol_xml(
        'broken.qcow2', MiB, 'qcow2', backing=garbage, backing_fmt='qcow2')})
    check(name == 'io.virtkit.Storage.OperationFailed' and 'qemu-img' in p['message'],
          'qemu-img failure:', name, p)
    name, p = call_error(h, 'CreateVolume', {'pool': 'nopool', 'xml': vol_xml('x', MiB)})
    check_eq((name, p.get('pool')), ('io.virtkit.Storage.NoSuchPool', 'nopool'), 'no pool')
    check_eq(pool_files(S['pool']), files, 'files after the failed calls')
    check('broken.qcow2' not in vol_names(h), 'a failed volume listed')


def test_unprivileged_user(h):
    """Reading is open to local users; changing needs root or polkit (none runs here)."""
    u = h.add_user()
    r = call(h, 'ListStoragePools', user=u)
    check(r.rc == 0 and 'p1' in r.out, 'ListStoragePools by a user:', r)
    for method, params in (('DefineStoragePool', {'xml': pool_xml('mine', h.path('mine'))}),
                           ('DeleteVolume', {'pool': 'p1', 'volume': 'base.img'}),
                           ('CreateVolume', {'pool': 'p1', 'xml': vol_xml('u.raw', MiB)})):
        r = call(h, method, params, user=u)
        check(r.rc == 3 and r.varlink_error()[0] in (
            'io.virtkit.Storage.PermissionDenied',
            'io.virtkit.Storage.InteractiveAuthenticationRequired'),
            f'{method} by a user is refused:', r)
    check('base.img' in vol_names(h) and 'u.raw' not in vol_names(h), 'nothing changed')


def test_dbus_objects(h):
    pool_path = f'{BUS_PATH}/pool/_{S["uuid"].replace("-", "_")}'
    r = h.busctl('--json=short', 'get-property', BUS_NAME, pool_path, POOL_IFACE, 'Active')
    check(r.rc == 0 and r.json()['data'] is True, 'pool Active:', r)
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH,
                 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')
    check(r.rc == 0, 'GetManagedObjects:', r)
    objs = r.json()['data'][0]
    vols = {o[VOL_IFACE]['Name']['data']: (path, o[VOL_IFACE]) for path, o in objs.items()
            if VOL_IFACE in o}
    check('top.qcow2' in vols and 'base.img' in vols, 'volume objects:', vols.keys())
    top = vols['top.qcow2'][1]
    check_eq((top['Format']['data'], top['Capacity']['data'], top['Pool']['data']),
             ('qcow2', 32 * MiB, 'p1'), 'volume properties')
    check(objs[pool_path][POOL_IFACE]['Name']['data'] == 'p1', 'pool object:', objs[pool_path])
    # a change: a volume object appears (over the manager's method), then the pool's method
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, 'io.virtkit.Storage1.Manager',
                 'CreateVolume', 'ss', 'p1', vol_xml('bus.raw', MiB, allocation=0), timeout=60)
    check(r.rc == 0, 'CreateVolume over D-Bus:', r)
    r = h.busctl('--json=short', 'call', BUS_NAME, pool_path, POOL_IFACE, 'ListVolumes')
    check(r.rc == 0 and 'bus.raw' in r.out, 'the pool object lists the new volume:', r)
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH,
                 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')
    names = [o[VOL_IFACE]['Name']['data'] for o in r.json()['data'][0].values()
             if VOL_IFACE in o]
    check('bus.raw' in names, 'new volume object:', names)
    # PropertiesChanged: a resize changes the volume's Capacity (and the pool's figures)
    h.spawn(['stdbuf', '-oL', 'gdbus', 'monitor', '--address', h.system_bus, '--dest',
             BUS_NAME], 'gdbus monitor', log='monitor')
    wait_until(lambda: 'is owned by' in h.log_text('monitor'), 10, 'gdbus monitor to start')
    call_ok(h, 'ResizeVolume', {'pool': 'p1', 'volume': 'bus.raw', 'capacity': 2 * MiB})
    wait_until(lambda: re.search(r"PropertiesChanged \('io.virtkit.Storage1.Volume', "
                                 r"\{'Capacity': <uint64 2097152>",
                                 h.log_text('monitor')), 10, 'Capacity PropertiesChanged')
    # upload and download with the descriptor as D-Bus 'h' (busctl passes its own fd 3)
    src, back = h.path('bus-up.bin'), h.path('bus-down.bin')
    with open(src, 'wb') as f:
        f.write(os.urandom(MiB + 77))
    # busctl 252 cannot pass descriptors: python3-dbus (the system python's) does
    script = (
        'import dbus, os, sys\n'
        'bus = dbus.bus.BusConnection(sys.argv[1])\n'
        f'm = dbus.Interface(bus.get_object("{BUS_NAME}", "{BUS_PATH}"), '
        '"io.virtkit.Storage1.Manager")\n'
        'fd = os.open(sys.argv[4], os.O_RDONLY if sys.argv[2] == "UploadVolume" else '
        'os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n'
        'r = getattr(m, sys.argv[2])("p1", "bus.raw", dbus.types.UnixFd(fd), dbus.UInt64(0), '
        'dbus.UInt64(int(sys.argv[3])), timeout=60)\n'
        'print(" ".join(str(x) for x in r))\n')
    for method, length, path in (('UploadVolume', 0, src), ('DownloadVolume', MiB + 77, back)):
        r = h.run(['/usr/bin/python3', '-c', script, h.system_bus, method, str(length), path],
                  timeout=60)
        check(r.rc == 0 and r.out.split()[2:] == [method[:-6].lower(), str(MiB + 77),
                                                  str(MiB + 77)],
              f'{method} over D-Bus (the descriptor as h):', r)
    check(open(src, 'rb').read() == open(back, 'rb').read(), 'D-Bus round trip byte-identical')
    wait_until(lambda: re.search(r"VolumeProgress \('p1', 'bus.raw', 'download', "
                                 r"uint64 %d, uint64 %d\)" % (MiB + 77, MiB + 77),
                                 h.log_text('monitor')), 10, 'VolumeProgress signal')
    # a clone's progress is on D-Bus only (its varlink reply is the new volume)
    call_ok(h, 'CreateVolumeFrom', {'pool': 'p1', 'source': 'bus.raw',
                                    'xml': vol_xml('busclone.raw', 2 * MiB)})
    wait_until(lambda: re.search(r"VolumeProgress \('p1', 'busclone.raw', 'clone', "
                                 r"uint64 %d, uint64 %d\)" % (2 * MiB, 2 * MiB),
                                 h.log_text('monitor')), 10, 'VolumeProgress of a clone')
    call_ok(h, 'DeleteVolume', {'pool': 'p1', 'volume': 'busclone.raw'})
    call_ok(h, 'DeleteVolume', {'pool': 'p1', 'volume': 'bus.raw'})
    wait_until(lambda: 'InterfacesRemoved' in h.log_text('monitor'), 10, 'InterfacesRemoved')


def qemu_img_running(path):
    for pid in os.listdir('/proc'):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().split(b'\0')
        except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
            continue
        if argv[0].endswith(b'qemu-img') and path.encode() in argv:
            return True
    return False


def test_sigterm_mid_job(h):
    """storaged stopped while qemu-img runs: the call gets an error, no half-made file stays."""
    src = os.path.join(S['pool'], 'random.raw')
    with open(src, 'wb') as f:
        for _ in range(256):
            f.write(os.urandom(MiB))
    call_ok(h, 'RefreshStoragePool', {'pool': 'p1'})
    dst = os.path.join(S['pool'], 'copy.qcow2')
    p = h.spawn([h.vlcall_path, '-timeout', '60', f'unix:{S["sock"]}',
                 'io.virtkit.Storage.CreateVolumeFrom',
                 json.dumps({'pool': 'p1', 'source': 'random.raw',
                             'xml': vol_xml('copy.qcow2', 256 * MiB, 'qcow2')})],
                'vlcall CreateVolumeFrom', log='clone-call')
    wait_until(lambda: qemu_img_running(dst) or p.poll() is not None, 10, 'qemu-img')
    if p.poll() is not None:
        print('# the clone ended before storaged could be stopped: nothing to check')
        return
    h.stop(S['storaged'])
    p.wait(timeout=10)
    text = h.log_text('clone-call')
    check('cancelled' in text and 'copy.qcow2' in text, 'the call is answered:', text)
    check(not os.path.exists(dst), 'the half-made clone is gone')
    wait_until(lambda: not qemu_img_running(dst), 10, 'qemu-img killed')
    os.unlink(src)
    check(not os.path.exists(S['sock']), 'a clean exit removes the socket')
    start_storaged(h)


def start_qemud(h):
    """qemud of the same --root: it forwards io.virtkit.Storage to storaged."""
    if S.get('qemud') and S['qemud'].poll() is None:
        return S['qsock']
    S['qsock'] = qsock = os.path.join(S['root'], 'run', 'io.virtkit.Qemu')
    q = h.spawn([h.daemon_path('qemu'), '--root', S['root'], '--bus', 'none', '-v'],
                'virtkit-qemud', log='qemud')
    wait_until(lambda: os.path.exists(qsock) or q.poll() is not None, 10, qsock)
    check(q.poll() is None, 'qemud exited:', h.log_text('qemud'))
    S['qemud'] = q
    return qsock


def vk(h, *args):
    cli = os.path.join(h.builddir, 'tools', 'virtkit')
    return h.run([cli, '-c', f"qemu+unix:///system?socket={S['qsock']}"] + list(args),
                 timeout=60)


def vk_ok(h, *args):
    r = vk(h, *args)
    check(r.rc == 0, f'virtkit {" ".join(args)}:', r)
    return r.out


def virsh_table(header, rows):
    """virsh's table: a space before each cell, columns two spaces apart, dashes under."""
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]
    def line(r):
        return ''.join(f' {c.ljust(w)}  ' if i + 1 < len(r) else f' {c}'
                       for i, (c, w) in enumerate(zip(r, widths))) + '\n'
    return line(header) + '-' * sum(w + 3 for w in widths) + '\n' + ''.join(map(line, rows))


def test_cli_pools_volumes(h):
    """pool-* and vol-* in virsh's formats, through qemud's socket to storaged."""
    start_qemud(h)
    target = h.path('clipool')
    xmlfile = h.path('clipool.xml')
    with open(xmlfile, 'w') as f:
        f.write(pool_xml('clip', target))
    check_eq(vk_ok(h, 'pool-define', xmlfile), f'Pool clip defined from {xmlfile}\n',
             'pool-define')
    check_eq(vk_ok(h, 'pool-list', '--inactive', '--name'), 'clip\n', 'pool-list --inactive')
    check_eq(vk_ok(h, 'pool-start', 'clip', '--build'), 'Pool clip started\n', 'pool-start')
    check(os.path.isdir(target), 'pool-start --build made the target')
    check_eq(vk_ok(h, 'pool-list'),
             virsh_table(['Name', 'State', 'Autostart'],
                         [['clip', 'active', 'no'], ['p1', 'active', 'yes']]), 'pool-list')
    det = vk_ok(h, 'pool-list', '--all', '--details').splitlines()
    check(det[0].split() == ['Name', 'State', 'Autostart', 'Persistent', 'Capacity',
                             'Allocation', 'Available'], 'pool-list --details header:', det)
    check(re.match(r' clip +running +no +yes +[0-9.]+ [KMGTP]iB +[0-9.]+ [KMGTP]?i?B', det[2]),
          'pool-list --details row:', det)
    info = vk_ok(h, 'pool-info', 'clip')
    check(info.startswith('Name:           clip\nUUID:           ') and
          'State:          running\nPersistent:     yes\nAutostart:      no\nCapacity:  ' in info
          and '\nAvailable:      ' in info, 'pool-info:', info)
    check_eq(vk_ok(h, 'pool-autostart', 'clip'), 'Pool clip marked as autostarted\n',
             'pool-autostart')
    check_eq(vk_ok(h, 'pool-autostart', 'clip', '--disable'),
             'Pool clip unmarked as autostarted\n', 'pool-autostart --disable')
    check(f'<path>{target}</path>' in vk_ok(h, 'pool-dumpxml', 'clip'), 'pool-dumpxml')

    check_eq(vk_ok(h, 'vol-create-as', 'clip', 'base.raw', '1M', '--format', 'raw'),
             'Vol base.raw created\n', 'vol-create-as raw')
    base = os.path.join(target, 'base.raw')
    check_eq(qemu_img_info(h, base)['virtual-size'], MiB, 'base.raw size')
    check_eq(vk_ok(h, 'vol-create-as', 'clip', 'top.qcow2', '2MiB', '--format', 'qcow2',
                   '--backing-vol', 'base.raw', '--backing-vol-format', 'raw'),
             'Vol top.qcow2 created\n', 'vol-create-as qcow2 on a backing volume')
    top = os.path.join(target, 'top.qcow2')
    qi = qemu_img_info(h, top)
    check(qi['format'] == 'qcow2' and qi['virtual-size'] == 2 * MiB and
          qi.get('backing-filename') == base and qi.get('backing-filename-format') == 'raw',
          'top.qcow2:', qi)
    volfile = h.path('x.xml')
    with open(volfile, 'w') as f:
        f.write(vol_xml('x.qcow2', MiB, 'qcow2'))
    check_eq(vk_ok(h, 'vol-create', 'clip', volfile), f'Vol x.qcow2 created from {volfile}\n',
             'vol-create')
    xpath = os.path.join(target, 'x.qcow2')
    check_eq(vk_ok(h, 'vol-list', 'clip'),
             virsh_table(['Name', 'Path'], [['base.raw', base], ['top.qcow2', top],
                                            ['x.qcow2', xpath]]), 'vol-list')
    det = vk_ok(h, 'vol-list', 'clip', '--details').splitlines()
    check(det[0].split() == ['Name', 'Path', 'Type', 'Capacity', 'Allocation'] and
          re.match(rf' base.raw +{re.escape(base)} +file +1.00 MiB +', det[2]),
          'vol-list --details:', det)
    info = vk_ok(h, 'vol-info', 'top.qcow2', '--pool', 'clip')
    check(info.startswith('Name:           top.qcow2\nType:           file\n'
                          'Capacity:       2.00 MiB\nAllocation:     '), 'vol-info:', info)
    check_eq(vk_ok(h, 'vol-info', top), info, 'vol-info by path')
    check_eq(vk_ok(h, 'vol-path', 'top.qcow2', '--pool', 'clip'), top + '\n', 'vol-path')
    xml = vk_ok(h, 'vol-dumpxml', 'top.qcow2', '--pool', 'clip')
    check('<name>top.qcow2</name>' in xml and f'<path>{base}</path>' in xml, 'vol-dumpxml:',
          xml)
    r = vk(h, 'vol-create-as', 'clip', 'bad.raw', '12Q')
    check(r.rc != 0 and "invalid size '12Q'" in r.err, 'a bad size:', r)
    r = vk(h, 'vol-create-as', 'clip', 'bad.qcow2', '1M', '--format', 'qcow2',
           '--backing-vol', 'nosuch')
    check(r.rc != 0 and 'nosuch' in r.err and not os.path.exists(os.path.join(target,
                                                                            'bad.qcow2')),
          'a missing backing volume:', r)
    # the volume jobs
    check_eq(vk_ok(h, 'vol-clone', 'top.qcow2', 'copy.qcow2', '--pool', 'clip'),
             'Vol copy.qcow2 cloned from top.qcow2\n', 'vol-clone')
    copy = os.path.join(target, 'copy.qcow2')
    qi = qemu_img_info(h, copy)
    check(qi['format'] == 'qcow2' and qi['virtual-size'] == 2 * MiB and
          'backing-filename' not in qi, 'the clone:', qi)
    check_eq(vk_ok(h, 'vol-resize', 'copy.qcow2', '4M', '--pool', 'clip'),
             "Size of volume 'copy.qcow2' successfully changed to 4M\n", 'vol-resize')
    check_eq(qemu_img_info(h, copy)['virtual-size'], 4 * MiB, 'resized')
    vk_ok(h, 'vol-resize', copy, '1M', '--delta')
    check_eq(qemu_img_info(h, copy)['virtual-size'], 5 * MiB, 'resized by a delta')
    r = vk(h, 'vol-resize', copy, '2M')
    check(r.rc == 1 and 'shrinking' in r.err and str(5 * MiB) in r.err, 'shrink refused:', r)
    r = vk(h, 'vol-resize', copy, '-1M')
    check(r.rc == 1 and '--shrink' in r.err, 'a negative size without --shrink:', r)
    vk_ok(h, 'vol-resize', copy, '-1M', '--shrink')
    check_eq(qemu_img_info(h, copy)['virtual-size'], 4 * MiB, 'shrunk by a delta')
    check_eq(vk_ok(h, 'vol-wipe', 'copy.qcow2', '--pool', 'clip'), 'Vol copy.qcow2 wiped\n',
             'vol-wipe')
    check_eq(qemu_img_info(h, copy)['format'], 'qcow2', 'wiped qcow2 stays qcow2')
    r = vk(h, 'vol-wipe', copy, '--algorithm', 'nnsa')
    check(r.rc == 1 and "'nnsa'" in r.err, 'an unsupported wipe algorithm:', r)
    up, down = h.path('cli-up.bin'), h.path('cli-down.bin')
    with open(up, 'wb') as f:
        f.write(os.urandom(MiB - 512))
    check_eq(vk_ok(h, 'vol-upload', base, up), '', 'vol-upload prints nothing')
    check_eq(vk_ok(h, 'vol-download', 'base.raw', down, '--pool', 'clip', '--length',
                   str(MiB - 512)), '', 'vol-download')
    check(open(up, 'rb').read() == open(down, 'rb').read(), 'CLI round trip byte-identical')
    r = vk(h, 'vol-download', 'nosuch', h.path('nothing.bin'), '--pool', 'clip')
    check(r.rc == 1 and not os.path.exists(h.path('nothing.bin')), 'a failed download:', r)
    vk_ok(h, 'vol-delete', 'copy.qcow2', '--pool', 'clip')
    check_eq(vk_ok(h, 'vol-delete', 'x.qcow2', '--pool', 'clip'), 'Vol x.qcow2 deleted\n',
             'vol-delete')
    check(not os.path.exists(xpath), 'vol-delete removed the file')
    with open(os.path.join(target, 'dropped.raw'), 'wb') as f:
        f.truncate(MiB)
    check_eq(vk_ok(h, 'pool-refresh', 'clip'), 'Pool clip refreshed\n', 'pool-refresh')
    check('dropped.raw' in vk_ok(h, 'vol-list', 'clip'), 'refresh found the dropped file')
    for v in ('top.qcow2', 'base.raw', 'dropped.raw'):
        vk_ok(h, 'vol-delete', v, '--pool', 'clip')
    check_eq(vk_ok(h, 'pool-destroy', 'clip'), 'Pool clip destroyed\n', 'pool-destroy')
    for v in os.listdir(target):
        os.unlink(os.path.join(target, v))
    check_eq(vk_ok(h, 'pool-delete', 'clip'), 'Pool clip deleted\n', 'pool-delete')
    check(not os.path.exists(target), 'pool-delete removed the target')
    check_eq(vk_ok(h, 'pool-build', 'clip'), 'Pool clip built\n', 'pool-build')
    check(os.path.isdir(target), 'pool-build made the target')
    vk_ok(h, 'pool-delete', 'clip')
    check_eq(vk_ok(h, 'pool-undefine', 'clip'), 'Pool clip has been undefined\n',
             'pool-undefine')
    r = vk(h, 'pool-info', 'clip')
    check(r.rc != 0 and 'clip' in r.err, 'pool-info of an undefined pool:', r)


def test_forwarded_by_qemud(h):
    """io.virtkit.Storage on qemud's socket (same --root) reaches storaged; with storaged down
    the error names it."""
    qsock = start_qemud(h)
    q = S['qemud']
    r = call(h, 'ListVolumes', {'pool': 'p1'}, sock=qsock)
    check(r.rc == 0, 'ListVolumes through qemud:', r)
    check_eq([v['name'] for v in json.loads(r.out)['volumes']], vol_names(h),
             'the volumes through qemud')
    r = call(h, 'GetVolumeInfo', {'pool': 'p1', 'volume': 'nosuch'}, sock=qsock)
    check(r.rc == 3 and r.varlink_error()[0].startswith('io.virtkit.Storage.'),
          'storaged\'s error relayed:', r)
    # a descriptor passed to qemud goes on to storaged with the call, progress comes back
    back = h.path('fwd-download.bin')
    with open(back, 'wb') as f:
        progress, last = vl_fds(qsock, 'DownloadVolume', {'pool': 'p1', 'volume': 'base.img',
                                                          'fd': 0}, [f.fileno()], more=True)
    check('error' not in last and last['parameters']['bytes'] == 16 * MiB and progress,
          'DownloadVolume through qemud:', last, progress)
    check(open(back, 'rb').read() == open(os.path.join(S['pool'], 'base.img'), 'rb').read(),
          'the download through qemud is the volume')
    h.stop(S['storaged'])
    r = call(h, 'ListStoragePools', {}, sock=qsock)
    check(r.rc == 3 and 'virtkit-storaged' in r.out + r.err, 'storaged down:', r)
    h.stop(q)
    if os.path.exists(S['sock']):
        os.unlink(S['sock'])
    start_storaged(h)


def test_kill9_restart(h):
    p = S['storaged']
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    os.unlink(S['sock'])
    start_storaged(h)
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': 'p1'})
    check(info['active'] and info['autostart'], 'still active after kill -9:', info)
    names = vol_names(h)
    check({'base.img', 'top.qcow2', 'clone.qcow2'} <= set(names), 'volumes after restart:',
          names)
    # destroy, delete refused while it holds files, undefine
    call_ok(h, 'DestroyStoragePool', {'pool': 'p1'})
    check(not os.path.exists(os.path.join(S['root'], 'run', 'storage', 'p1.status')),
          'status file after destroy')
    name, p = call_error(h, 'ListVolumes', {'pool': 'p1'})
    check('not active' in p['message'], 'volumes of an inactive pool:', p)
    name, p = call_error(h, 'DeleteStoragePool', {'pool': 'p1'})
    check('still holds files' in p['message'], 'delete of a full pool:', p)
    check(os.path.isdir(S['pool']), 'the pool dir is still there')


def test_session_default_pool(h):
    a = h.add_user()
    xdg, home = h.path('xdg-a'), h.path('home-a')
    for d in (xdg, home):
        os.makedirs(d, mode=0o700)
        os.chown(d, a.uid, a.gid)
    env = h.base_env(XDG_RUNTIME_DIR=xdg, HOME=home, XDG_CONFIG_HOME=f'{home}/.config',
                     XDG_CACHE_HOME=f'{home}/.cache', XDG_STATE_HOME=f'{home}/.local/state',
                     XDG_DATA_HOME=f'{home}/.local/share')
    p = h.spawn([h.daemon_path('storage'), '--session', '--bus', 'none', '-v'],
                'virtkit-storaged (session)', user=a, env=env, log='storaged-session')
    sock = os.path.join(xdg, 'virtkit', 'io.virtkit.Storage')
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, sock)
    check(p.poll() is None, 'the session daemon exited:', h.log_text('storaged-session'))
    images = f'{home}/.local/share/virtkit/images'
    info = call_ok(h, 'GetStoragePoolInfo', {'pool': 'default'}, sock=sock, user=a)
    check(info['active'] and info['autostart'], 'the default pool:', info)
    xml = call_ok(h, 'GetStoragePoolXML', {'pool': 'default'}, sock=sock, user=a)['xml']
    check(f'<path>{images}</path>' in xml, 'default pool target:', xml)
    st = os.stat(images)
    check_eq(st.st_uid, a.uid, 'images dir owner')
    v = call_ok(h, 'CreateVolume', {'pool': 'default', 'xml': vol_xml('mine.qcow2', MiB,
                                                                       'qcow2')},
                sock=sock, user=a)
    check_eq(os.stat(v['path']).st_uid, a.uid, 'a session volume belongs to the user')
    check_eq(qemu_img_info(h, v['path'])['format'], 'qcow2', 'session volume format')


if __name__ == '__main__':
    run_tests('storaged', [
        test_embedded_has_no_default_pool,
        test_define_build_start,
        test_create_volumes,
        test_clone_resize_delete,
        test_wipe_upload_download,
        test_refresh_finds_files,
        test_bad_input,
        test_unprivileged_user,
        test_dbus_objects,
        test_sigterm_mid_job,
        test_cli_pools_volumes,
        test_forwarded_by_qemud,
        test_kill9_restart,
        test_session_default_pool,
    ], setup=setup)
