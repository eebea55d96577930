#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The medium of a CD-ROM drive changed on a real QEMU (TCG, started paused): ChangeDomainMedia
and `virtkit change-media`, as virsh change-media.

  insert    an empty IDE cdrom (after a data disk: its node numbers are not 1) gets an image:
            query-block shows it in the drive, the live XML and the status file name it, the
            image belongs to qemu.conf's user
  update    another image replaces it: the first one's owner is given back
  missing   a missing image fails naming the path, the old medium stays (QEMU and labels)
  errors    an unknown target, a disk that is no cdrom, an insert into a full drive
  restart   kill -9 the daemon: the new one shows the medium, and an eject gives its owner back
  cli       virtkit change-media --insert/--update/--eject: virsh's messages and exit codes
  config    --config on a shut off domain changes the persistent definition
  user      a normal user's daemon (QEMU runs as that user): insert, eject
"""

import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, qemu_pids, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
NAME = 'cd1'
S = {}


def root(h, tag='sys'):
    return h.path(f'root-{tag}')


def sock(h, tag='sys'):
    return os.path.join(root(h, tag), 'run', IFACE)


def run_dir(h, tag='sys'):
    return os.path.join(root(h, tag), 'run', 'qemu')


def domain_xml(name, data_disk):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{data_disk}'/>
      <target dev='hda' bus='ide'/>
    </disk>
  </devices>
</domain>"""


def call(h, method, params=None, tag='sys'):
    r = h.vlcall(sock(h, tag), f'{IFACE}.{method}', json.dumps(params or {}),
                 user=S.get(f'user-{tag}'), timeout=60)
    check(r.rc == 0, f'{method} failed:', r, h.log_text(S[f'log-{tag}'])[-2000:])
    return r.json()


def call_error(h, method, params, tag='sys'):
    r = h.vlcall(sock(h, tag), f'{IFACE}.{method}', json.dumps(params),
                 user=S.get(f'user-{tag}'), timeout=60)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()[1].get('message', '')


def media(h, target, source=None, tag='sys', **kw):
    p = {'domain': kw.pop('domain', NAME), 'target': target, **kw}
    if source:
        p['source'] = source
    return p


def qmp(h, command, tag='sys', name=NAME):
    r = call(h, 'QemuMonitorCommand',
             {'domain': name, 'command': json.dumps({'execute': command})}, tag)
    return json.loads(r['reply'])['return']


def cdrom_file(h, tag='sys', name=NAME):
    """The image in the cdrom's drive (query-block), None when empty."""
    for b in qmp(h, 'query-block', tag, name):
        if b.get('qdev') == 'ide0-1-0':
            return b.get('inserted', {}).get('file')
    raise AssertionError('no ide0-1-0 in query-block')


def nodes(h, tag='sys', name=NAME):
    return sorted(n['node-name'] for n in qmp(h, 'query-named-block-nodes', tag, name))


def live_xml(h, tag='sys', name=NAME, inactive=False):
    p = {'domain': name}
    if inactive:
        p['inactive'] = True
    return call(h, 'GetDomainXML', p, tag)['xml']


def status_text(h, tag='sys', name=NAME):
    with open(os.path.join(run_dir(h, tag), f'{name}.json')) as f:
        return f.read()


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def image(h, name, user):
    path = os.path.join(S['images'], name)
    with open(path, 'wb') as f:
        f.truncate(2 * 1024 * 1024)  # an ISO-ish raw image
    os.chown(path, user.uid, user.gid)
    os.chmod(path, 0o600)
    return path


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


def qemu_of(h, tag):
    return qemu_pids(root(h, tag))


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
    S['data'] = image(h, 'data.img', S['owner'])
    call(h, 'DefineDomain', {'xml': domain_xml(NAME, S['data'])})
    call(h, 'StartDomain', {'domain': NAME, 'paused': True})


def test_insert(h):
    a = S['a'] = image(h, 'a.iso', S['owner'])
    check_eq(cdrom_file(h), None, 'the drive is empty at start')
    before = nodes(h)
    call(h, 'ChangeDomainMedia', media(h, 'hdc', a, action='insert'))
    check_eq(cdrom_file(h), a, 'query-block: the image is in the drive')
    check_eq(owner(a), (S['qemu'].uid, S['qemu'].gid), 'the image belongs to the qemu user')
    check(f"<source file='{a}'" in live_xml(h), 'the live XML names it:', live_xml(h))
    check(a in status_text(h), 'the status file names it')
    check_eq(len(nodes(h)), len(before) + 2, 'two new nodes (storage, format)')
    check(f"file='{a}'" not in live_xml(h, inactive=True), 'the persistent XML is untouched')


def test_update(h):
    b = S['b'] = image(h, 'b.iso', S['owner'])
    n = nodes(h)
    call(h, 'ChangeDomainMedia', media(h, S['a'], b))  # the drive named by its source
    check_eq(cdrom_file(h), b, 'query-block: the new image is in the drive')
    check_eq(owner(S['a']), (S['owner'].uid, S['owner'].gid), 'the old image got its owner back')
    check_eq(owner(b), (S['qemu'].uid, S['qemu'].gid), 'the new image belongs to the qemu user')
    check_eq(nodes(h), n, 'the same node names, no node left over')


def test_missing(h):
    n = nodes(h)
    missing = os.path.join(S['images'], 'missing.iso')
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdc', missing))
    check(missing in err and 'Cannot access storage file' in err, 'the error names it:', err)
    check_eq(cdrom_file(h), S['b'], 'the old medium is still in the drive')
    check_eq(owner(S['b']), (S['qemu'].uid, S['qemu'].gid), 'and still labelled')
    check_eq(nodes(h), n, 'no node added')
    # QEMU cannot open it (a directory): QMP fails, everything is rolled back
    bad = os.path.join(S['images'], 'dir.iso')
    os.mkdir(bad)
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdc', bad))
    check('hdc' in err, 'the error names the drive:', err)
    check_eq(cdrom_file(h), S['b'], 'the old medium is back in the drive')
    check_eq(nodes(h), n, 'no node left over')
    check(f"file='{S['b']}'" in live_xml(h), 'the live XML keeps the old medium')
    check_eq(owner(bad), (0, 0), 'the directory got its owner back')


def test_errors(h):
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdz', S['a']))
    check_eq(err, 'No disk found whose source path or target is hdz', 'unknown target')
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hda', S['a']))
    check_eq(err, "disk 'hda' is not a cdrom or floppy", 'a disk')
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdc', S['a'], action='insert'))
    check_eq(err, "The disk device 'hdc' already has media", 'insert into a full drive')
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdc', 'relative.iso'))
    check('absolute' in err, 'a relative path:', err)


def test_restart(h):
    pid = qemu_of(h, 'sys')
    os.kill(S['daemon-sys'].pid, signal.SIGKILL)
    S['daemon-sys'].wait()
    start_daemon(h)
    check_eq(qemu_of(h, 'sys'), pid, 'QEMU still runs')
    check(f"<source file='{S['b']}'" in live_xml(h), 'the live XML keeps the medium')
    call(h, 'ChangeDomainMedia', media(h, 'hdc', action='eject'))
    check_eq(cdrom_file(h), None, 'query-block: the drive is empty')
    check_eq(owner(S['b']), (S['owner'].uid, S['owner'].gid), 'the image got its owner back')
    check("source file" not in live_xml(h).split("device='cdrom'")[1].split('</disk>')[0],
          'the live XML has no source', live_xml(h))
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdc', action='eject'))
    check_eq(err, "The disk device 'hdc' doesn't have media", 'eject from an empty drive')


def vk(h, *args):
    argv = [os.path.join(h.builddir, 'tools', 'virtkit'), '-c',
            f'qemu+unix:///system?socket={sock(h)}'] + list(args)
    return h.run(argv, timeout=60)


def test_cli(h):
    r = vk(h, 'change-media', NAME, 'hdc', S['a'], '--insert')
    check_eq((r.rc, r.out.strip()), (0, 'Successfully inserted media.'), f'insert: {r}')
    check_eq(cdrom_file(h), S['a'], 'inserted')
    r = vk(h, 'change-media', NAME, 'hdc', S['b'], '--update', '--live', '--force')
    check_eq((r.rc, r.out.strip()), (0, 'Successfully updated media.'), f'update: {r}')
    check_eq(cdrom_file(h), S['b'], 'updated')
    r = vk(h, 'change-media', NAME, 'hdc', '--eject')
    check_eq((r.rc, r.out.strip()), (0, 'Successfully ejected media.'), f'eject: {r}')
    check_eq(cdrom_file(h), None, 'ejected')
    r = vk(h, 'change-media', NAME, 'hdc', '--insert')
    check_eq(r.rc, 1, f'insert without a source: {r}')
    check('No disk source specified for inserting media' in r.err, 'the message:', r)
    r = vk(h, 'change-media', NAME, 'hdc', '--eject', '--insert')
    check_eq(r.rc, 1, f'--eject --insert: {r}')
    check('mutually exclusive' in r.err, 'the message:', r)
    r = vk(h, 'change-media', NAME, 'hdc', '--eject')
    check_eq(r.rc, 1, f'eject from an empty drive: {r}')
    check("doesn't have media" in r.err, 'the message:', r)


def cdrom_disk_xml(h, name, source=None, bus='ide'):
    src = f"<source file='{source}'/>" if source else ''
    return write_xml(h, name, f"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
                              f"{src}<target dev='hdc' bus='{bus}'/><readonly/></disk>")


def write_xml(h, name, text):
    path = os.path.join(h.tmp, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def test_update_device(h):
    """virsh update-device with the drive's <disk>: its <source> is the medium, nothing else
    may differ."""
    r = vk(h, 'update-device', NAME, cdrom_disk_xml(h, 'cd-a.xml', S['a']))
    check_eq((r.rc, r.out.strip()), (0, 'Device updated successfully'), f'insert: {r}')
    check_eq(cdrom_file(h), S['a'], 'inserted by update-device')
    r = vk(h, 'update-device', NAME, cdrom_disk_xml(h, 'cd-b.xml', S['b'], bus='sata'))
    check_eq(r.rc, 1, f'a changed bus: {r}')
    check("cannot modify field 'bus' of the disk" in r.err, 'the message:', r)
    check_eq(cdrom_file(h), S['a'], 'the medium stays')
    r = vk(h, 'update-device', NAME, write_xml(
        h, 'hd.xml', "<disk type='file' device='disk'><source file='/x'/>"
                     "<target dev='hda' bus='ide'/></disk>"))
    check_eq(r.rc, 1, f'a hard disk: {r}')
    check('only the medium of a CD-ROM or floppy drive can be updated' in r.err, 'message:', r)
    r = vk(h, 'update-device', NAME, cdrom_disk_xml(h, 'cd-none.xml'), '--force')
    check_eq((r.rc, r.out.strip()), (0, 'Device updated successfully'), f'eject: {r}')
    check_eq(cdrom_file(h), None, 'ejected by update-device')


def test_config(h):
    call(h, 'DestroyDomain', {'domain': NAME})
    wait_until(lambda: not qemu_of(h, 'sys'), 10, 'QEMU gone')
    err = call_error(h, 'ChangeDomainMedia', media(h, 'hdc', S['a'], live=True))
    check_eq(err, 'domain is not running', '--live on a shut off domain')
    call(h, 'ChangeDomainMedia', media(h, 'hdc', S['a'], config=True))
    check(f"<source file='{S['a']}'" in live_xml(h, inactive=True), 'the persistent XML names it')
    check_eq(owner(S['a']), (S['owner'].uid, S['owner'].gid), 'a config change labels nothing')
    call(h, 'ChangeDomainMedia', media(h, 'hdc'))  # current: the config of a shut off domain
    check(f"file='{S['a']}'" not in live_xml(h, inactive=True), 'ejected from the config')
    call(h, 'UndefineDomain', {'domain': NAME})


def test_user(h):
    tag = 'user'
    u = h.add_user()
    S[f'user-{tag}'] = u
    S[f'env-{tag}'] = h.session_env(u, tag)
    os.makedirs(root(h, tag))
    os.chown(root(h, tag), u.uid, u.gid)
    start_daemon(h, tag)
    data = image(h, 'udata.img', u)
    iso = image(h, 'u.iso', u)
    call(h, 'DefineDomain', {'xml': domain_xml('ucd', data)}, tag)
    call(h, 'StartDomain', {'domain': 'ucd', 'paused': True}, tag)
    call(h, 'ChangeDomainMedia', media(h, 'hdc', iso, domain='ucd'), tag)
    check_eq(cdrom_file(h, tag, 'ucd'), iso, 'a normal user inserted an image')
    check_eq(owner(iso), (u.uid, u.gid), 'the image stays the user\'s')
    call(h, 'ChangeDomainMedia', media(h, 'hdc', action='eject', domain='ucd'), tag)
    check_eq(cdrom_file(h, tag, 'ucd'), None, 'and ejected it')
    call(h, 'DestroyDomain', {'domain': 'ucd'}, tag)
    wait_until(lambda: not qemu_of(h, tag), 10, 'QEMU gone')


def test_no_leftovers(h):
    left = qemu_of(h, 'sys') + qemu_of(h, 'user')
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    check_eq(left, [], 'no QEMU of this run left')


def main():
    return run_tests('media', [test_insert, test_update, test_missing, test_errors, test_restart,
                               test_cli, test_update_device,
                               test_config, test_user, test_no_leftovers], setup)


if __name__ == '__main__':
    sys.exit(main())
