#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Disk hotplug (AttachDevice/DetachDevice, virsh's attach-device and detach-device) on paused
TCG QEMUs, as root (an embedded --root instance whose qemu.conf runs QEMU as a throwaway user)
and as a normal user:

  attach     a qcow2 file attached live: QEMU has its nodes (query-named-block-nodes) and its
             device (query-block), the live XML shows it with its alias, the image belongs to
             QEMU's user while attached; a killed and restarted daemon still has it (status
             file) and gives the owner back at destroy
  failed     a missing image, and a qcow2 QEMU refuses in blockdev-add: clear errors, no node
             left in QEMU, the image's owner given back
  config     attach to a shut off domain (current = config): in the persistent XML; a second
             one with the same target fails ("target vdb already exists"); live on a shut off
             domain fails as libvirt; detach --config takes it out again; a <interface> is
             refused naming it
  scsi       a virtio-scsi disk attached and detached live: SCSI unplug needs no guest, so the
             device, its nodes and the owner are all gone when the call returns
  virtio     a virtio-blk detach on a paused guest: PCI unplug needs the guest's ACPI, so the
             call answers "request sent" (removed false) after libvirt's 5 s and the disk stays
  restart    a virtio-blk detach left pending ("request sent"), the daemon killed: QEMU removing
             the device after the restart (the guest's eject, played through the ACPI PCI
             hotplug port), and while the daemon was down (reconciled at reconnect with qom-list
             of /machine/peripheral): the live XML, the status file, QEMU's nodes and the
             image's owner all end right; a second detach or attach of a pending target is
             refused naming it
  shutdown   SIGTERM while a virtio-blk detach waits for the guest and a CD-ROM change waits
             for a stopped QEMU: the daemon exits 0, without a sanitizer report (build-asan),
             and a restarted one has both domains as QEMU has them
  q35        the spare pcie-root-port takes a virtio disk; a second is refused (no port left)
  user       a normal user's daemon: attach and detach (scsi) live, the image stays the user's
  cli        virtkit attach-disk/detach-disk/attach-device/detach-device: virsh's messages and
             exit codes, --config, --persistent on a shut off and on a running domain
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
S = {}


def root(h, tag='sys'):
    return h.path(f'root-{tag}')


def sock(h, tag='sys'):
    return os.path.join(root(h, tag), 'run', IFACE)


def run_dir(h, tag='sys'):
    return os.path.join(root(h, tag), 'run', 'qemu')


def disk(path, fmt='raw', dev='vda', bus='virtio'):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='{path}'/><target dev='{dev}' bus='{bus}'/></disk>")


def domain_xml(name, *disks):
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
            # ACPI: PCI hotplug on the pc machine's root bus goes through it
            "<features><acpi/></features>"
            "<devices><controller type='scsi' index='0' model='virtio-scsi'/>"
            f"{''.join(disks)}</devices></domain>")


def start_daemon(h, tag='sys'):
    S[f'n-{tag}'] = S.get(f'n-{tag}', 0) + 1
    S[f'log-{tag}'] = f'qemud-{tag}{S[f"n-{tag}"]}'
    if os.path.exists(sock(h, tag)):
        os.unlink(sock(h, tag))
    env = S.get(f'env-{tag}') or h.base_env()
    env = dict(env, VIRTKIT_LIBEXEC_DIR=os.path.join(os.environ['VK_TOP_BUILDDIR'], 'tools'))
    p = h.spawn([h.daemon_path('qemu'), '--root', root(h, tag), '--bus', 'none', '-v'],
                f'virtkit-qemud {tag}', log=S[f'log-{tag}'], env=env, user=S.get(f'user-{tag}'))
    wait_until(lambda: os.path.exists(sock(h, tag)) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text(S[f'log-{tag}']))
    wait_until(lambda: h.vlcall(sock(h, tag), f'{IFACE}.GetVersion',
                                user=S.get(f'user-{tag}')).rc == 0, 10, 'GetVersion')
    S[f'daemon-{tag}'] = p


def call(h, method, params=None, tag='sys'):
    r = h.vlcall(sock(h, tag), f'{IFACE}.{method}', json.dumps(params or {}),
                 user=S.get(f'user-{tag}'), timeout=30)
    check(r.rc == 0, f'{method} failed:', r, h.log_text(S[f'log-{tag}'])[-3000:])
    return r.json()


def call_error(h, method, params, tag='sys'):
    r = h.vlcall(sock(h, tag), f'{IFACE}.{method}', json.dumps(params),
                 user=S.get(f'user-{tag}'), timeout=30)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def qmp(h, domain, command, tag='sys'):
    r = call(h, 'QemuMonitorCommand', {'domain': domain, 'command': json.dumps(
        {'execute': command})}, tag)
    reply = json.loads(r['reply'])
    check('return' in reply, f'QMP {command}:', reply)
    return reply['return']


def node_files(h, domain, tag='sys'):
    """{node-name: file} of QEMU's named block nodes."""
    return {n['node-name']: n.get('file') for n in qmp(h, domain, 'query-named-block-nodes', tag)}


def block_devices(h, domain, tag='sys'):
    return [b.get('qdev', '') for b in qmp(h, domain, 'query-block', tag)]


def live_xml(h, domain, tag='sys', inactive=False):
    return call(h, 'GetDomainXML', {'domain': domain, 'inactive': inactive}, tag)['xml']


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def make_image(h, name, fmt='raw', user=None):
    path = os.path.join(S['images'], name)
    if fmt == 'qcow2':
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', path, '16M'], check=True)
    else:
        with open(path, 'wb') as f:
            f.write(b'\0' * 65536)
    u = user or S['owner']
    os.chown(path, u.uid, u.gid)
    os.chmod(path, 0o600)
    return path


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    S['owner'] = h.add_user()
    S['qemu'] = h.add_user()
    os.chmod(h.tmp, 0o711)
    for d in (root(h), os.path.join(root(h), 'etc'), os.path.join(root(h), 'run'), run_dir(h)):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o711)
    with open(os.path.join(root(h), 'etc', 'qemu.conf'), 'w') as f:
        f.write(f'user = "{S["qemu"].name}"\ngroup = "{S["qemu"].name}"\n')
    S['images'] = h.path('images')
    os.makedirs(S['images'], mode=0o755)
    os.chmod(S['images'], 0o755)
    start_daemon(h)


def start(h, name, *disks, tag='sys', user=None):
    call(h, 'DefineDomain', {'xml': domain_xml(name, *disks)}, tag)
    call(h, 'StartDomain', {'domain': name, 'paused': True}, tag)


def destroy(h, name, tag='sys'):
    call(h, 'DestroyDomain', {'domain': name}, tag)
    call(h, 'UndefineDomain', {'domain': name}, tag)


def test_attach_live_and_restart(h):
    img = make_image(h, 'a1.img')
    new = make_image(h, 'a1-new.qcow2', 'qcow2')
    qemu_owner, user_owner = (S['qemu'].uid, S['qemu'].gid), (S['owner'].uid, S['owner'].gid)
    start(h, 'a1', disk(img))
    before = node_files(h, 'a1')
    r = h.vlcall(sock(h), f'{IFACE}.AttachDevice', json.dumps(
        {'domain': 'a1', 'xml': disk(new, 'qcow2', 'vdb'), 'live': True}), timeout=30)
    check(r.rc == 0, 'AttachDevice failed:', r)
    print(f'# a live attach (labels, 2 x blockdev-add, device_add) took {r.elapsed:.3f} s')
    nodes = node_files(h, 'a1')
    added = {n: f for n, f in nodes.items() if n not in before}
    check_eq(sorted(added), ['libvirt-2-format', 'libvirt-2-storage'], 'the new nodes')
    check(all(f == new for f in added.values()), 'the nodes open the image:', added)
    check(any('virtio-disk1' in q for q in block_devices(h, 'a1')), 'query-block has it:',
          block_devices(h, 'a1'))
    xml = live_xml(h, 'a1')
    check("dev='vdb'" in xml and f"file='{new}'" in xml, 'live XML has vdb:', xml)
    check("dev='vdb'" not in live_xml(h, 'a1', inactive=True), 'not in the persistent XML')
    check_eq(owner(new), qemu_owner, 'the attached image belongs to QEMU\'s user')
    with open(os.path.join(run_dir(h), 'a1.json')) as f:
        check_eq(json.load(f).get('diskNodes'), {'vda': 1, 'vdb': 2}, 'status file node numbers')

    S['daemon-sys'].send_signal(signal.SIGKILL)
    S['daemon-sys'].wait(10)
    start_daemon(h)
    wait_until(lambda: call(h, 'GetDomainInfo', {'domain': 'a1'})['state'] != 'shutoff', 10,
               'the reconnected domain')
    check("dev='vdb'" in live_xml(h, 'a1'), 'a restarted daemon still has vdb')
    # the fixed numbers hold: a second disk gets 3, not a number of a disk there
    third = make_image(h, 'a1-third.img')
    call(h, 'AttachDevice', {'domain': 'a1', 'xml': disk(third, dev='sdb', bus='scsi')})
    check('libvirt-3-storage' in node_files(h, 'a1'), 'the next number:', node_files(h, 'a1'))
    call(h, 'DestroyDomain', {'domain': 'a1'})
    for p in (img, new, third):
        check_eq(owner(p), user_owner, f'{p} owner after destroy')
    call(h, 'UndefineDomain', {'domain': 'a1'})


def test_attach_failures(h):
    img = make_image(h, 'f1.img')
    start(h, 'f1', disk(img))
    before = node_files(h, 'f1')
    missing = os.path.join(S['images'], 'missing.qcow2')
    name, p = call_error(h, 'AttachDevice', {'domain': 'f1', 'xml': disk(missing, 'qcow2', 'vdb')})
    check('missing.qcow2' in p['message'], 'the error names the image:', p)
    # a qcow2 header virtkit reads but QEMU refuses to open (an unknown incompatible feature)
    bad = make_image(h, 'f1-bad.qcow2', 'qcow2')
    with open(bad, 'r+b') as f:
        f.seek(72)
        f.write((1 << 63).to_bytes(8, 'big'))
    name, p = call_error(h, 'AttachDevice', {'domain': 'f1', 'xml': disk(bad, 'qcow2', 'vdc')})
    check_eq(name, f'{IFACE}.QmpError', 'QEMU refusing the image')
    check("disk 'vdc': blockdev-add failed" in p['message'], 'the error names the disk:', p)
    check_eq(node_files(h, 'f1'), before, 'no node left in QEMU')
    check_eq(owner(bad), (S['owner'].uid, S['owner'].gid), 'the owner given back')
    xml = live_xml(h, 'f1')
    check("dev='vdb'" not in xml and "dev='vdc'" not in xml, 'nothing in the live XML')
    name, p = call_error(h, 'AttachDevice', {'domain': 'f1', 'xml': disk(img, dev='hdb',
                                                                         bus='ide')})
    check('cannot be hotplugged' in p['message'], 'an IDE disk:', p)
    destroy(h, 'f1')


def test_config(h):
    img = make_image(h, 'c1.img')
    extra = make_image(h, 'c1-extra.img')
    call(h, 'DefineDomain', {'xml': domain_xml('c1', disk(img))})
    call(h, 'AttachDevice', {'domain': 'c1', 'xml': disk(extra, dev='vdb')})
    check(f"file='{extra}'" in live_xml(h, 'c1', inactive=True), 'in the persistent XML')
    name, p = call_error(h, 'AttachDevice', {'domain': 'c1', 'xml': disk(extra, dev='vdb'),
                                             'config': True})
    check_eq(p['message'], 'target vdb already exists', 'a duplicate target')
    name, p = call_error(h, 'AttachDevice', {'domain': 'c1', 'xml': disk(extra, dev='vdc'),
                                             'live': True})
    check_eq(p['message'], 'cannot do live update a device on inactive domain', 'live when off')
    name, p = call_error(h, 'AttachDevice', {'domain': 'c1', 'xml': "<interface type='user'/>"})
    check('<interface>' in p['message'] and 'not supported' in p['message'], 'a NIC:', p)
    name, p = call_error(h, 'AttachDevice', {'domain': 'c1', 'xml': "<disk type='file'/>"})
    check('target' in p['message'], 'a disk without a target names it:', p)
    r = call(h, 'DetachDevice', {'domain': 'c1', 'xml': disk(extra, dev='vdb'), 'config': True})
    check_eq(r.get('removed'), False, 'a config detach removes nothing live')
    check(f"file='{extra}'" not in live_xml(h, 'c1', inactive=True), 'gone from the config')
    call(h, 'UndefineDomain', {'domain': 'c1'})


def scsi_cycle(h, name, tag, img_owner, live_owner):
    img = make_image(h, f'{name}.img', user=S.get(f'user-{tag}'))
    new = make_image(h, f'{name}-scsi.qcow2', 'qcow2', user=S.get(f'user-{tag}'))
    start(h, name, disk(img), tag=tag)
    before = node_files(h, name, tag)
    call(h, 'AttachDevice', {'domain': name, 'xml': disk(new, 'qcow2', 'sdb', 'scsi'),
                             'live': True}, tag)
    check(new in node_files(h, name, tag).values(), 'QEMU opened the image')
    check("dev='sdb'" in live_xml(h, name, tag), 'in the live XML')
    check(any('scsi0-0-0-1' in q for q in block_devices(h, name, tag)), 'the SCSI alias:',
          block_devices(h, name, tag))
    check_eq(owner(new), live_owner, 'the owner while attached')
    r = call(h, 'DetachDevice', {'domain': name, 'xml': disk(new, 'qcow2', 'sdb', 'scsi'),
                                 'live': True}, tag)
    check_eq(r.get('removed'), True, 'SCSI unplug needs no guest')
    check("dev='sdb'" not in live_xml(h, name, tag), 'gone from the live XML')
    wait_until(lambda: node_files(h, name, tag) == before, 5, 'the nodes deleted')
    wait_until(lambda: owner(new) == img_owner, 5, 'the owner given back')
    with open(os.path.join(run_dir(h, tag), f'{name}.json')) as f:
        check("sdb" not in json.load(f)['xml'], 'gone from the status file')
    # a removal nobody waits for (a guest's own, or one after the 5 s): DEVICE_DELETED alone
    call(h, 'AttachDevice', {'domain': name, 'xml': disk(new, 'qcow2', 'sdc', 'scsi')}, tag)
    check(new in node_files(h, name, tag).values(), 'attached again')
    r = call(h, 'QemuMonitorCommand', {'domain': name, 'command': json.dumps(
        {'execute': 'device_del', 'arguments': {'id': 'scsi0-0-0-2'}})}, tag)
    check('return' in json.loads(r['reply']), 'device_del:', r)
    wait_until(lambda: "dev='sdc'" not in live_xml(h, name, tag), 5, 'sdc out of the live XML')
    wait_until(lambda: node_files(h, name, tag) == before, 5, 'its nodes deleted')
    wait_until(lambda: owner(new) == img_owner, 5, 'its owner given back')
    destroy(h, name, tag)


def test_scsi_detach(h):
    scsi_cycle(h, 's1', 'sys', (S['owner'].uid, S['owner'].gid), (S['qemu'].uid, S['qemu'].gid))


def test_virtio_detach_paused(h):
    img = make_image(h, 'v1.img')
    extra = make_image(h, 'v1-extra.img')
    start(h, 'v1', disk(img), disk(extra, dev='vdb'))
    r = h.vlcall(sock(h), f'{IFACE}.DetachDevice', json.dumps(
        {'domain': 'v1', 'xml': disk(extra, dev='vdb')}), timeout=30)
    check(r.rc == 0, 'DetachDevice failed:', r)
    print(f'# a virtio-blk detach the guest does not ack answered after {r.elapsed:.2f} s')
    check(4.5 < r.elapsed < 7, 'libvirt\'s 5 s wait:', r.elapsed)
    check_eq(r.json().get('removed'), False, 'the guest did not ack: request sent')
    check("dev='vdb'" in live_xml(h, 'v1'), 'the disk stays until the guest releases it')
    check(extra in node_files(h, 'v1').values(), 'its nodes stay')
    destroy(h, 'v1')
    check_eq(owner(extra), (S['owner'].uid, S['owner'].gid), 'owner after destroy')


def test_user(h):
    tag = 'user'
    u = h.add_user()
    S[f'user-{tag}'] = u
    S[f'env-{tag}'] = h.session_env(u, tag)
    os.makedirs(root(h, tag))
    os.chown(root(h, tag), u.uid, u.gid)
    start_daemon(h, tag)
    scsi_cycle(h, 'u1', tag, (u.uid, u.gid), (u.uid, u.gid))


def qmp_direct(h, domain, commands, tag='sys', wait_deleted=None):
    """Run QMP @commands on @domain's monitor socket ourselves (the daemon is down); then
    wait for QEMU's DEVICE_DELETED of device @wait_deleted (so no daemon sees it)."""
    with open(os.path.join(run_dir(h, tag), f'{domain}.json')) as f:
        path = json.load(f)['monitor']
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile('rw')
    replies = []

    def execute(c):
        f.write(json.dumps(c) + '\n')
        f.flush()
        while True:
            m = json.loads(f.readline())
            if 'return' in m or 'error' in m:
                return m

    json.loads(f.readline())
    execute({'execute': 'qmp_capabilities'})
    for c in commands:
        replies.append(execute(c))
    while wait_deleted:
        m = json.loads(f.readline())
        if m.get('event') == 'DEVICE_DELETED' and m['data'].get('device') == wait_deleted:
            break
    s.close()
    return replies


def eject_cmd(h, domain, dev):
    """The guest's eject of PCI disk @dev: a write of its slot to the ACPI eject port."""
    xml = live_xml(h, domain)
    i = xml.index(f"<target dev='{dev}'")
    slot = int(xml[i:].split("slot='", 1)[1].split("'", 1)[0], 16)
    return {'execute': 'human-monitor-command',
            'arguments': {'command-line': f'o /w 0xae08 {1 << slot:#x}'}}


def kill_daemon(h, tag='sys'):
    S[f'daemon-{tag}'].send_signal(signal.SIGKILL)
    S[f'daemon-{tag}'].wait(10)


def check_removed(h, domain, dev, path, before, what):
    wait_until(lambda: f"dev='{dev}'" not in live_xml(h, domain), 10,
               f'{dev} out of the live XML ({what})')
    wait_until(lambda: node_files(h, domain) == before, 10, f'the nodes of {dev} deleted ({what})')
    wait_until(lambda: owner(path) == (S['owner'].uid, S['owner'].gid), 10,
               f'the owner of {dev} given back ({what})')
    with open(os.path.join(run_dir(h), f'{domain}.json')) as f:
        st = json.load(f)
    check(f"dev='{dev}'" not in st['xml'], f'{dev} out of the status file ({what})')
    check(dev not in st.get('diskNodes', {}), f'{dev} out of diskNodes ({what}):', st)


def test_virtio_pending_across_restart(h):
    img = make_image(h, 'r1.img')
    vdb = make_image(h, 'r1-vdb.img')
    vdc = make_image(h, 'r1-vdc.img')
    start(h, 'r1', disk(img))
    before = node_files(h, 'r1')
    for path, dev in ((vdb, 'vdb'), (vdc, 'vdc')):
        call(h, 'AttachDevice', {'domain': 'r1', 'xml': disk(path, dev=dev)})
    r = call(h, 'DetachDevice', {'domain': 'r1', 'xml': disk(vdb, dev='vdb')})
    check_eq(r.get('removed'), False, 'vdb: request sent')
    # a pending removal: a second detach, or an attach of the same target, is refused
    name, p = call_error(h, 'DetachDevice', {'domain': 'r1', 'xml': disk(vdb, dev='vdb')})
    check('vdb' in p['message'] and 'being removed' in p['message'], 'a second detach:', p)
    name, p = call_error(h, 'AttachDevice', {'domain': 'r1', 'xml': disk(vdb, dev='vdb')})
    check('vdb' in p['message'], 'an attach of a pending target names it:', p)

    # 1. QEMU removes it after the restart
    kill_daemon(h)
    start_daemon(h)
    wait_until(lambda: call(h, 'GetDomainInfo', {'domain': 'r1'})['state'] != 'shutoff', 10,
               'the reconnected domain')
    check("dev='vdb'" in live_xml(h, 'r1'), 'vdb pending: still there after the restart')
    ej = eject_cmd(h, 'r1', 'vdb')
    call(h, 'QemuMonitorCommand', {'domain': 'r1', 'command': json.dumps(ej)})
    check_removed(h, 'r1', 'vdb', vdb, {**before, **{n: f for n, f in node_files(h, 'r1').items()
                                                     if f == vdc}}, 'removed after a restart')

    # 2. QEMU removes it while the daemon is down
    r = call(h, 'DetachDevice', {'domain': 'r1', 'xml': disk(vdc, dev='vdc')})
    check_eq(r.get('removed'), False, 'vdc: request sent')
    ej = eject_cmd(h, 'r1', 'vdc')
    kill_daemon(h)
    replies = qmp_direct(h, 'r1', [ej, {'execute': 'qom-list',
                                        'arguments': {'path': '/machine/peripheral'}}],
                         wait_deleted='virtio-disk2')
    check(all(x['name'] != 'virtio-disk2' for x in replies[1]['return']), 'QEMU removed vdc:',
          replies)
    start_daemon(h)
    check_removed(h, 'r1', 'vdc', vdc, before, 'removed while the daemon was down')
    destroy(h, 'r1')


def cdrom(path, dev='sdc'):
    return (f"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
            f"<source file='{path}'/><target dev='{dev}' bus='scsi'/><readonly/></disk>")


def vl_async(h, method, params):
    """Start a call without waiting for its answer."""
    return subprocess.Popen([h.vlcall_path, '-timeout', '30', f'unix:{sock(h)}',
                             f'{IFACE}.{method}', json.dumps(params)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_shutdown_pending(h):
    img, vdb = make_image(h, 'd1.img'), make_image(h, 'd1-vdb.img')
    mimg, iso, iso2 = make_image(h, 'm1.img'), make_image(h, 'm1.iso'), make_image(h, 'm1-2.iso')
    start(h, 'd1', disk(img), disk(vdb, dev='vdb'))
    start(h, 'm1', disk(mimg), cdrom(iso))
    with open(os.path.join(run_dir(h), 'm1.json')) as f:
        qemu_m1 = json.load(f)['pid']
    os.kill(qemu_m1, signal.SIGSTOP)  # its monitor answers nothing: the change stays in flight
    try:
        calls = [vl_async(h, 'DetachDevice', {'domain': 'd1', 'xml': disk(vdb, dev='vdb')}),
                 vl_async(h, 'ChangeDomainMedia', {'domain': 'm1', 'target': 'sdc',
                                                   'source': iso2})]
        time.sleep(1.5)  # both sent; the detach waits (5 s) for DEVICE_DELETED
        rc = h.stop(S['daemon-sys'], timeout=10)
        for c in calls:
            print('# a call cut short:', c.communicate(timeout=35))
        log = h.log_text(S['log-sys'])
        i = min((log.find(w) for w in ('Sanitizer', 'runtime error') if w in log), default=-1)
        check(i < 0, 'a sanitizer report:', log[i:i + 6000])
        check_eq(rc, 0, 'the daemon\'s exit status')
    finally:
        os.kill(qemu_m1, signal.SIGCONT)
    start_daemon(h)
    for name in ('d1', 'm1'):
        wait_until(lambda: call(h, 'GetDomainInfo', {'domain': name})['state'] != 'shutoff', 10,
                   f'{name} reconnected')
    # d1: the removal is pending in QEMU; the disk stays until the guest lets go
    check("dev='vdb'" in live_xml(h, 'd1'), 'vdb still in the live XML')
    check(vdb in node_files(h, 'd1').values(), 'its nodes stay')
    # m1: the live XML names the medium QEMU has
    inserted = [b.get('inserted', {}).get('file') for b in qmp(h, 'm1', 'query-block')
                if b.get('qdev') == 'scsi0-0-0-2']
    xml = live_xml(h, 'm1')
    check((inserted == [iso] and f"file='{iso}'" in xml) or
          (inserted == [iso2] and f"file='{iso2}'" in xml), 'the medium QEMU has:', inserted, xml)
    destroy(h, 'd1')
    destroy(h, 'm1')


def test_q35_spare_root_port(h):
    """q35: the spare pcie-root-port the address assignment leaves takes a virtio disk; a
    second one needs a new root port, which is refused (no controller hotplug)."""
    img = make_image(h, 'q1.img')
    extra = make_image(h, 'q1-extra.img')
    more = make_image(h, 'q1-more.img')
    call(h, 'DefineDomain', {'xml': domain_xml('q1', disk(img)).replace("machine='pc'",
                                                                        "machine='q35'")})
    call(h, 'StartDomain', {'domain': 'q1', 'paused': True})
    call(h, 'AttachDevice', {'domain': 'q1', 'xml': disk(extra, dev='vdb')})
    check(any('virtio-disk1' in q for q in block_devices(h, 'q1')), 'vdb in the spare port:',
          block_devices(h, 'q1'))
    name, p = call_error(h, 'AttachDevice', {'domain': 'q1', 'xml': disk(more, dev='vdc')})
    check('controllers cannot be hotplugged yet' in p['message'], 'no port left:', p)
    check(more not in node_files(h, 'q1').values(), 'nothing opened')
    destroy(h, 'q1')


def vk(h, *args, rc=0):
    r = h.run([os.path.join(h.builddir, 'tools', 'virtkit'), '-c',
               f'qemu+unix:///system?socket={sock(h)}'] + list(args), timeout=30)
    check_eq(r.rc, rc, f'virtkit {" ".join(args)} exit code ({r})')
    return r


def test_cli(h):
    img = make_image(h, 'cli.img')
    extra = make_image(h, 'cli-extra.qcow2', 'qcow2')
    call(h, 'DefineDomain', {'xml': domain_xml('cli1', disk(img))})
    r = vk(h, 'attach-disk', 'cli1', extra, 'vdb', '--subdriver', 'qcow2', '--config')
    check_eq(r.out.strip(), 'Disk attached successfully', 'attach-disk output')
    check(f"file='{extra}'" in live_xml(h, 'cli1', inactive=True), 'attach-disk --config')
    r = vk(h, 'attach-disk', 'cli1', extra, 'vdb', '--config', rc=1)
    check('target vdb already exists' in r.err, 'a duplicate target:', r.err)
    r = vk(h, 'detach-disk', 'cli1', 'vdb', '--config')
    check_eq(r.out.strip(), 'Disk detached successfully', 'detach-disk output')
    check(f"file='{extra}'" not in live_xml(h, 'cli1', inactive=True), 'detach-disk --config')
    r = vk(h, 'detach-disk', 'cli1', 'vdq', rc=1)
    check('No disk found whose source path or target is vdq' in r.err, 'no such disk:', r.err)

    xml_file = h.path('cli-disk.xml')
    with open(xml_file, 'w') as f:
        f.write(disk(extra, 'qcow2', 'sdb', 'scsi'))
    call(h, 'StartDomain', {'domain': 'cli1', 'paused': True})
    r = vk(h, 'attach-device', 'cli1', xml_file, '--persistent')
    check_eq(r.out.strip(), 'Device attached successfully', 'attach-device output')
    check("dev='sdb'" in live_xml(h, 'cli1'), '--persistent: live')
    check("dev='sdb'" in live_xml(h, 'cli1', inactive=True), '--persistent: config')
    r = vk(h, 'detach-device', 'cli1', xml_file, '--live', '--current', rc=1)
    check('mutually exclusive' in r.err, '--live with --current:', r.err)
    r = vk(h, 'detach-device', 'cli1', xml_file, '--persistent')
    check_eq(r.out.strip(), 'Device detached successfully', 'detach-device output')
    check("dev='sdb'" not in live_xml(h, 'cli1'), 'detached live')
    check("dev='sdb'" not in live_xml(h, 'cli1', inactive=True), 'detached from the config')
    destroy(h, 'cli1')


def main():
    def test_no_qemu_left(h):
        left = vkharness.qemu_pids(h.tmp, QEMU)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        check_eq(left, [], 'QEMUs left behind by the tests')

    if os.geteuid() != 0:
        print('1..0 # SKIP needs root (a QEMU user, a normal user\'s daemon)')
        return 0
    return run_tests('hotplug', [test_attach_live_and_restart, test_attach_failures, test_config,
                                 test_scsi_detach, test_virtio_detach_paused,
                                 test_virtio_pending_across_restart, test_shutdown_pending, test_q35_spare_root_port,
                                 test_cli, test_user,
                                 test_no_qemu_left], setup=setup)


if __name__ == '__main__':
    sys.exit(main())
