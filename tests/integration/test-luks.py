#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Encrypted disks end to end: virtkit-secretd and virtkit-qemud of one instance
(no bus), a LUKS qcow2 and a raw LUKS image made by qemu-img, one secret plain and one
private='yes'. Two groups: 'root' runs both daemons with the same --root; 'session' runs them
with --session as a throwaway user with XDG directories of its own (QEMU as that user). qemud asks secretd to encrypt each value under the domain's master key
(EncryptSecretForDomain) and hands QEMU only ciphertext: QEMU (paused, KVM when /dev/kvm
works, else TCG) opens both images, and the passphrases are nowhere in QEMU's argv or
environment, the daemons' logs, the domain log, the live XML or any file under the root.
A missing secret and a stopped secretd each fail the start with an error naming the secret,
the daemon and its socket, and leave no QEMU and no runtime file behind.
"""

import base64
import json
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, pid_alive, run_tests, wait_until  # noqa: E402
from vkhost import QEMU_IMG, kvm_usable_by, qemu_img_env  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
QIFACE, SIFACE = 'io.virtkit.Qemu', 'io.virtkit.Secret'
UUID_QCOW = '8f3c2a4e-1b6d-4e8f-9a0b-1c2d3e4f5a6b'
UUID_RAW = '11111111-2222-4333-8444-555555555555'    # private='yes'
UUID_MISSING = 'deadbeef-0000-4000-8000-000000000001'
PASS_QCOW = 'luks-qcow2-passphrase-Zq7'
PASS_RAW = 'raw-luks-private-passphrase-Kx9'
S = {}


def root(h):
    return h.path('root')


def qsock(h):
    return S['qsock']


def ssock(h):
    return S['ssock']


def run_dir(h):
    return S['run_dir']


def b64(s):
    return base64.b64encode(s.encode()).decode()


def start(h, drv, sock, log):
    if S.get('user'):
        argv = [h.daemon_path(drv), '--session', '--bus', 'none', '-v']
    else:
        argv = [h.daemon_path(drv), '--root', root(h), '--bus', 'none', '-v']
    p = h.spawn(argv, f'virtkit-{drv}d', log=log, user=S.get('user'), env=S.get('env'))
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, f'{sock}')
    check(p.poll() is None, f'virtkit-{drv}d exited:', h.log_text(log))
    iface = QIFACE if drv == 'qemu' else SIFACE
    wait_until(lambda: h.vlcall(sock, f'{iface}.GetVersion', user=S.get('user')).rc == 0, 10,
               'GetVersion')
    return p


def qcall(h, method, params):
    r = h.vlcall(qsock(h), f'{QIFACE}.{method}', json.dumps(params), timeout=60,
                 user=S.get('user'))
    check(r.rc == 0, f'{method} failed:', r)
    return r.json(), r.elapsed


def qcall_error(h, method, params):
    r = h.vlcall(qsock(h), f'{QIFACE}.{method}', json.dumps(params), timeout=60,
                 user=S.get('user'))
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def scall(h, method, params):
    return h.vlcall_ok(ssock(h), f'{SIFACE}.{method}', json.dumps(params),
                       user=S.get('user')).json()


def qemu_img_create(h, path, fmt, passphrase):
    """qemu-img create with LUKS, as storaged runs it (vkhost.qemu_img_env())."""
    argv = [QEMU_IMG, 'create', '--object', f'secret,id=s0,data={passphrase}', '-f', fmt,
            '-o', 'encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10'
            if fmt == 'qcow2' else 'key-secret=s0,iter-time=10', path, '16M']
    r = h.run(argv, timeout=60, env=qemu_img_env(h.base_env()))
    check(r.rc == 0, 'qemu-img create failed:', r)


def domain_xml(name, disks):
    devs = ''
    for dev, path, fmt, uuid in disks:
        devs += (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
                 f"<source file='{path}'/><target dev='{dev}' bus='virtio'/>"
                 f"<encryption format='luks'><secret type='passphrase' uuid='{uuid}'/>"
                 "</encryption></disk>")
    return (f"<domain type='{'kvm' if S['kvm'] else 'qemu'}'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
            f"<devices>{devs}</devices></domain>")


def qemu_pids(h):
    return vkharness.qemu_pids(h.tmp, QEMU)


def leaks(data):
    """Which passphrase (clear or base64) @data holds."""
    if isinstance(data, str):
        data = data.encode()
    found = []
    for p in (PASS_QCOW, PASS_RAW):
        for form in (p, b64(p)):
            if form.encode() in data:
                found.append(form)
    return found


def setup_root(h):
    os.makedirs(root(h))
    S['qsock'] = os.path.join(root(h), 'run', QIFACE)
    S['ssock'] = os.path.join(root(h), 'run', SIFACE)
    S['run_dir'] = os.path.join(root(h), 'run', 'qemu')
    S['scan'] = [root(h)]
    S['domlog'] = os.path.join(root(h), 'log', 'qemu', 'enc.log')


def setup_session(h):
    """A throwaway user with its own XDG dirs; the images are its own, QEMU runs as it."""
    a = S['user'] = h.add_user()
    os.chmod(h.tmp, 0o755)
    xdg, home = h.path('xdg-a'), h.path('home-a')
    for d in (xdg, home):
        os.makedirs(d, mode=0o700)
        os.chown(d, a.uid, a.gid)
    S['env'] = h.base_env(XDG_RUNTIME_DIR=xdg, HOME=home, XDG_CONFIG_HOME=f'{home}/.config',
                          XDG_CACHE_HOME=f'{home}/.cache', XDG_STATE_HOME=f'{home}/.local/state',
                          XDG_DATA_HOME=f'{home}/.local/share')
    S['qsock'] = os.path.join(xdg, 'virtkit', QIFACE)
    S['ssock'] = os.path.join(xdg, 'virtkit', SIFACE)
    S['run_dir'] = os.path.join(xdg, 'virtkit', 'qemu')
    S['scan'] = [xdg, home]
    S['domlog'] = os.path.join(home, '.local', 'state', 'virtkit', 'log', 'qemu', 'enc.log')
    S['images'] = h.path('images')
    os.makedirs(S['images'], mode=0o700)
    os.chown(S['images'], a.uid, a.gid)


def setup(h):
    for prog in (QEMU, QEMU_IMG):
        if not os.access(prog, os.X_OK):
            raise SystemExit(f'{prog} is missing')
    if S['group'] == 'session':
        setup_session(h)
    else:
        setup_root(h)
    S['kvm'] = kvm_usable_by(h, S.get('user'))
    images = S.get('images', h.tmp)
    S['qcow'] = os.path.join(images, 'luks.qcow2')
    S['raw'] = os.path.join(images, 'luks.img')
    qemu_img_create(h, S['qcow'], 'qcow2', PASS_QCOW)
    qemu_img_create(h, S['raw'], 'luks', PASS_RAW)
    if S.get('user'):
        for img in (S['qcow'], S['raw']):
            shutil.chown(img, S['user'].uid, S['user'].gid)
    S['secretd'] = start(h, 'secret', ssock(h), 'secretd')
    S['qemud'] = start(h, 'qemu', qsock(h), 'qemud')
    scall(h, 'DefineSecret', {'xml': f"<secret private='no'><uuid>{UUID_QCOW}</uuid>"
                              f"<usage type='volume'><volume>{S['qcow']}</volume></usage>"
                              "</secret>"})
    scall(h, 'DefineSecret', {'xml': f"<secret private='yes'><uuid>{UUID_RAW}</uuid>"
                              f"<usage type='volume'><volume>{S['raw']}</volume></usage>"
                              "</secret>"})
    scall(h, 'SetSecretValue', {'secret': UUID_QCOW, 'value': b64(PASS_QCOW)})
    scall(h, 'SetSecretValue', {'secret': UUID_RAW, 'value': b64(PASS_RAW)})


def cleanup(h):
    for pid in qemu_pids(h):
        os.kill(pid, signal.SIGKILL)


def check_nothing_left(h):
    check_eq(qemu_pids(h), [], 'no QEMU left')
    left = [e for e in os.listdir(run_dir(h)) if e != 'autostarted']
    check_eq(left, [], 'nothing left in the run dir')


def test_encrypted_disks_open(h):
    qcall(h, 'DefineDomain', {'xml': domain_xml('enc', [('vda', S['qcow'], 'qcow2', UUID_QCOW),
                                                        ('vdb', S['raw'], 'raw', UUID_RAW)])})
    _, t_start = qcall(h, 'StartDomain', {'domain': 'enc', 'paused': True})
    with open(os.path.join(run_dir(h), 'enc.json')) as f:
        pid = json.load(f)['pid']
    S['pid'] = pid
    r, _ = qcall(h, 'QemuMonitorCommand', {'domain': 'enc',
                                           'command': '{"execute":"query-named-block-nodes"}'})
    # the format node of each image (libvirt numbers the nodes from the last disk up)
    nodes = {n['node-name']: n for n in json.loads(r['reply'])['return']}
    formats = {n['drv']: n for name, n in nodes.items() if name.endswith('-format')}
    check(S['qcow'] in formats.get('qcow2', {}).get('file', ''), 'vda qcow2 node:', nodes)
    check(formats['qcow2'].get('encrypted') is True, 'vda is encrypted:', nodes)
    check(S['raw'] in formats.get('luks', {}).get('file', ''), 'vdb luks node:', nodes)
    check(formats['luks'].get('encrypted') is True, 'vdb is encrypted:', nodes)
    r, _ = qcall(h, 'QemuMonitorCommand', {'domain': 'enc', 'command': '{"execute":"query-block"}'})
    devs = {b['qdev']: b for b in json.loads(r['reply'])['return'] if 'inserted' in b}
    check(len(devs) == 2 and all(b['inserted']['encrypted'] for b in devs.values()),
          'query-block shows two open encrypted disks:', devs)
    S['t_start'] = t_start
    print(f'# start paused with 2 encrypted disks: {t_start * 1000:.0f} ms '
          f'({"KVM" if S["kvm"] else "TCG"}, {S["group"]} instance)')
    if S.get('user'):
        check_eq(os.stat(f'/proc/{pid}').st_uid, S['user'].uid, 'QEMU runs as the session user')


def test_passphrase_nowhere(h):
    pid = S['pid']
    for what in ('cmdline', 'environ'):
        with open(f'/proc/{pid}/{what}', 'rb') as f:
            data = f.read()
        check_eq(leaks(data), [], f'passphrase in /proc/<qemu>/{what}')
        if what == 'cmdline':
            check(b'keyid' in data and b'masterKey0' in data,
                  'the secrets reach QEMU encrypted under the master key:', data[:300])
    xml, _ = qcall(h, 'GetDomainXML', {'domain': 'enc'})
    check_eq(leaks(xml['xml']), [], 'passphrase in the live XML')
    check(f"uuid='{UUID_QCOW}'" in xml['xml'] and "<encryption format='luks'>" in xml['xml'],
          'the live XML keeps <encryption> with the uuid:', xml['xml'])
    for log in ('secretd', 'qemud'):
        check_eq(leaks(h.log_text(log)), [], f'passphrase in the {log} log')
    n = 0
    for d, _, files in (w for top in S['scan'] for w in os.walk(top)):
        for name in files:
            path = os.path.join(d, name)
            try:
                with open(path, 'rb') as f:
                    data = f.read()
            except OSError:
                continue   # sockets
            n += 1
            check_eq(leaks(data), [], f'passphrase in {path}')
    domlog = S['domlog']
    check(os.path.exists(domlog), 'the domain log exists:', domlog)
    print(f'# {n} files of the instance, /proc/{pid}/cmdline and environ, 2 daemon logs: clean')
    qcall(h, 'DestroyDomain', {'domain': 'enc'})
    check(not pid_alive(pid), 'QEMU gone after destroy')
    check_nothing_left(h)


def test_missing_secret(h):
    qcall(h, 'DefineDomain', {'xml': domain_xml('nosecret',
                                                [('vda', S['qcow'], 'qcow2', UUID_MISSING)])})
    name, p = qcall_error(h, 'StartDomain', {'domain': 'nosecret', 'paused': True})
    check_eq(name, f'{QIFACE}.OperationFailed', 'start with a missing secret')
    print(f"# {p['message']}")
    for part in (UUID_MISSING, 'virtkit-secretd', ssock(h), "disk 'vda'"):
        check(part in p['message'], f'the error names {part}:', p)
    check_nothing_left(h)


def test_secretd_stopped(h):
    check_eq(h.stop(S['secretd']), 0, 'secretd exit status')
    name, p = qcall_error(h, 'StartDomain', {'domain': 'enc', 'paused': True})
    check_eq(name, f'{QIFACE}.OperationFailed', 'start with secretd stopped')
    print(f"# {p['message']}")
    for part in (UUID_QCOW, 'virtkit-secretd', ssock(h), 'cannot be reached'):
        check(part in p['message'], f'the error names {part}:', p)
    r, _ = qcall(h, 'GetDomainInfo', {'domain': 'enc'})
    check_eq(r['state'], 'shutoff', 'state after a failed start')
    check_nothing_left(h)
    # and back: a restarted secretd serves the next start
    S['secretd'] = start(h, 'secret', ssock(h), 'secretd')
    qcall(h, 'StartDomain', {'domain': 'enc', 'paused': True})
    qcall(h, 'DestroyDomain', {'domain': 'enc'})
    check_nothing_left(h)


def main():
    S['group'] = sys.argv[1] if len(sys.argv) > 1 else 'root'

    def test_no_qemu_left(h):
        left = qemu_pids(h)
        cleanup(h)
        check_eq(left, [], 'QEMUs left behind by the tests')

    return run_tests(f'luks-{S["group"]}', [test_encrypted_disks_open, test_passphrase_nowhere,
                              test_missing_secret, test_secretd_stopped, test_no_qemu_left],
                     setup=setup)


if __name__ == '__main__':
    sys.exit(main())
