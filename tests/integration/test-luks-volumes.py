#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""LUKS-encrypted storage volumes end to end: real virtkit-secretd, -storaged and -qemud on
one --root. storaged creates a raw LUKS volume (secret private='yes') and a qcow2 volume with
LUKS encryption (plain secret), asking secretd for each passphrase and handing it to qemu-img
through a pipe (/dev/fd/3): qemu-img info says luks / encrypt.format luks, the images open
with their passphrase, and the passphrases are in no process's argv while qemu-img runs
(/proc/*/cmdline scanned throughout), in no daemon log and in no file under the root or the
pool. The volume XML names the secret, also after storaged restarts. Resize and wipe of the
encrypted volumes work with their secrets (the image still opens afterwards). A secret that
does not exist or has no value fails the create (and a clone into LUKS) with an error naming
it, and leaves no file; a wrong passphrase fails a resize naming the secret, the image
untouched. qemud starts a paused TCG domain whose <disk type='volume'> is the LUKS volume,
with no <encryption> of its own: the volume's secret reaches the disk (live XML), QEMU opens
the image through a luks node (query-named-block-nodes, query-block: encrypted), and the
passphrase is not on its argv; with a wrong passphrase the start fails and leaves nothing.
The daemons exit cleanly (no sanitizer report under an ASan build).
"""

import base64
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
QEMU_IMG = '/usr/bin/qemu-img'
MiB = 1024 * 1024
UUID_RAW = '5b1d7e2a-3c4f-4a6b-8d9e-0f1a2b3c4d5e'     # private='yes'
UUID_QCOW = '6c2e8f3b-4d5a-4b7c-9eaf-1a2b3c4d5e6f'
UUID_MISSING = 'deadbeef-0000-4000-8000-0000000000aa'
UUID_EMPTY = '7d3f9a4c-5e6b-4c8d-8fb0-2b3c4d5e6f70'   # defined, no value
PASS_RAW = 'raw-volume-passphrase-Qw3rty'
PASS_QCOW = 'qcow2-volume-passphrase-Zx9'
PASS_WRONG = 'not-the-right-passphrase-Mn7'
S = {}


def sock(iface):
    return os.path.join(S['root'], 'run', iface)


def call(h, iface, method, params=None, timeout=120):
    r = h.vlcall(sock(iface), f'{iface}.{method}', json.dumps(params or {}), timeout=timeout)
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def call_error(h, iface, method, params):
    r = h.vlcall(sock(iface), f'{iface}.{method}', json.dumps(params), timeout=120)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def storage(h, method, params=None):
    return call(h, 'io.virtkit.Storage', method, params)


def spawn(h, drv, iface):
    if os.path.exists(sock(iface)):
        os.unlink(sock(iface))
    p = h.spawn([h.daemon_path(drv), '--root', S['root'], '--bus', 'none', '-v'],
                f'virtkit-{drv}d', log=drv)
    wait_until(lambda: os.path.exists(sock(iface)) or p.poll() is not None, 10, iface)
    check(p.poll() is None, f'{drv} daemon exited:', h.log_text(drv))
    S[drv] = p


def set_value(h, uuid, value):
    call(h, 'io.virtkit.Secret', 'SetSecretValue',
         {'secret': uuid, 'value': base64.b64encode(value.encode()).decode()})


def define_secret(h, uuid, private, value, usage):
    xml = (f"<secret ephemeral='no' private='{'yes' if private else 'no'}'><uuid>{uuid}</uuid>"
           f"<usage type='volume'><volume>{usage}</volume></usage></secret>")
    call(h, 'io.virtkit.Secret', 'DefineSecret', {'xml': xml})
    if value:
        set_value(h, uuid, value)


def vol_xml(name, fmt, uuid, mib=16):
    return (f"<volume><name>{name}</name><capacity unit='MiB'>{mib}</capacity>"
            f"<target><format type='{fmt}'/><encryption format='luks'>"
            f"<secret type='passphrase' uuid='{uuid}'/></encryption></target></volume>")


class ArgvScan:
    """Scan every process's argv until stopped: what mentions a passphrase, and the qemu-img
    command lines seen (so the scan provably ran while qemu-img did)."""

    def __init__(self, secrets):
        self.secrets = [s.encode() for s in secrets]
        self.leaks, self.qemu_img = [], []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            for pid in os.listdir('/proc'):
                if not pid.isdigit():
                    continue
                try:
                    with open(f'/proc/{pid}/cmdline', 'rb') as f:
                        cmd = f.read()
                except OSError:
                    continue
                if any(s in cmd for s in self.secrets):
                    self.leaks.append(cmd)
                if cmd.startswith(QEMU_IMG.encode()) and cmd not in self.qemu_img:
                    self.qemu_img.append(cmd)

    def done(self):
        self.stop.set()
        self.thread.join()
        return self


def image_info(h, path, fmt=None, passphrase=None):
    argv = [QEMU_IMG, 'info', '-U', '--output=json']
    if passphrase:
        pw = h.path('pw-check')
        with open(pw, 'w') as f:
            f.write(passphrase)
        key = 'encrypt.key-secret' if fmt == 'qcow2' else 'key-secret'
        argv += ['--object', f'secret,id=s0,file={pw}', '--image-opts',
                 f'driver={fmt},{key}=s0,file.filename={path}']
    else:
        argv.append(path)
    r = h.run(argv, timeout=60)
    if passphrase:
        os.unlink(pw)
    check(r.rc == 0, 'qemu-img info:', r)
    return json.loads(r.out)


def files_under(*dirs):
    out = []
    for d in dirs:
        for top, _, names in os.walk(d):
            out += [os.path.join(top, n) for n in names]
    return out


def check_no_passphrase_anywhere(h):
    passes = (PASS_RAW, PASS_QCOW, PASS_WRONG)
    for name in ('secret', 'storage', 'qemu'):
        text = h.log_text(name)
        for p in passes + tuple(base64.b64encode(p.encode()).decode() for p in passes):
            check(p not in text, f'a passphrase is in the {name}d log')
    for path in files_under(S['root'], S['images']):
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except OSError:
            continue
        for p in passes:
            check(p.encode() not in data, f'a passphrase is in {path}')


def setup(h):
    for prog in (QEMU, QEMU_IMG):
        if not os.access(prog, os.X_OK):
            raise SystemExit(f'{prog} is missing')
    S['root'] = h.path('root')
    S['images'] = h.path('images')
    os.makedirs(S['root'])
    spawn(h, 'secret', 'io.virtkit.Secret')
    spawn(h, 'storage', 'io.virtkit.Storage')
    spawn(h, 'qemu', 'io.virtkit.Qemu')
    storage(h, 'DefineStoragePool', {'xml': "<pool type='dir'><name>enc</name><target>"
                                            f"<path>{S['images']}</path></target></pool>"})
    storage(h, 'CreateStoragePool', {'pool': 'enc', 'build': True})
    define_secret(h, UUID_RAW, True, PASS_RAW, os.path.join(S['images'], 'disk.luks'))
    define_secret(h, UUID_QCOW, False, PASS_QCOW, os.path.join(S['images'], 'disk.qcow2'))
    define_secret(h, UUID_EMPTY, False, None, os.path.join(S['images'], 'empty'))


# qemu-img 7.2 times its PBKDF2 with the thread's user CPU time (getrusage RUSAGE_THREAD) and
# gives up when a first round reads 0 ms, which tick-based CPU accounting makes it read often
# on fast CPUs (up to most creates on the CI machines). storaged preloads
# virtkit-thread-cputime.so into it, which makes that reading exact: it must never fail so
# (storaged would run it again, and say so in its log).
QEMU_IMG_FLAKE = 'Unable to get accurate CPU usage'


def make_volume(h, method, params):
    r = h.vlcall(sock('io.virtkit.Storage'), f'io.virtkit.Storage.{method}',
                 json.dumps(params), timeout=120)
    check(r.rc == 0, f'{method} failed:', r)
    check(QEMU_IMG_FLAKE not in h.log_text('storaged'),
          f'storaged saw qemu-img fail "{QEMU_IMG_FLAKE}" (the preload did not work)')
    return json.loads(r.out)


def create(h, name, fmt, uuid):
    scan = ArgvScan([PASS_RAW, PASS_QCOW])
    try:
        info = make_volume(h, 'CreateVolume', {'pool': 'enc', 'xml': vol_xml(name, fmt, uuid)})
    finally:
        scan.done()
    check_eq(scan.leaks, [], 'processes whose argv holds a passphrase')
    check(any(b'file=/dev/fd/3' in c for c in scan.qemu_img),
          'qemu-img was seen reading its passphrase from fd 3:', scan.qemu_img)
    return info


def test_create_raw_luks(h):
    info = create(h, 'disk.luks', 'raw', UUID_RAW)
    check_eq((info['format'], info['encryption'], info['secret']), ('raw', 'luks', UUID_RAW),
             'the new volume: raw, LUKS, its secret')
    check_eq(image_info(h, info['path'])['format'], 'luks', 'qemu-img info format')
    opened = image_info(h, info['path'], 'luks', PASS_RAW)
    check_eq(opened['virtual-size'], 16 * MiB, 'the LUKS payload is the capacity')
    xml = storage(h, 'GetVolumeXML', {'pool': 'enc', 'volume': 'disk.luks'})['xml']
    check("<format type='raw'/>" in xml and "<encryption format='luks'>" in xml and
          f"uuid='{UUID_RAW}'" in xml, 'the volume XML:', xml)


def test_create_qcow2_luks(h):
    info = create(h, 'disk.qcow2', 'qcow2', UUID_QCOW)
    check_eq((info['format'], info['encryption'], info['secret']), ('qcow2', 'luks', UUID_QCOW),
             'the new volume: qcow2, LUKS, its secret')
    got = image_info(h, info['path'])
    check_eq((got['format'], got['format-specific']['data']['encrypt']['format']),
             ('qcow2', 'luks'), 'qemu-img info: qcow2 with encrypt.format luks')
    image_info(h, info['path'], 'qcow2', PASS_QCOW)


def secrets_json():
    """storaged's record of which secret each volume it made has (config dir/storage/)."""
    return os.path.join(S['root'], 'etc', 'storage', 'storage', 'volume-secrets.json')


def test_secrets_file(h):
    path = secrets_json()
    check_eq(os.stat(path).st_mode & 0o777, 0o600, 'volume-secrets.json mode')
    with open(path) as f:
        got = json.load(f)
    check_eq(got, {os.path.join(S['images'], 'disk.luks'): UUID_RAW,
                   os.path.join(S['images'], 'disk.qcow2'): UUID_QCOW},
             'the volumes and their secrets')


def test_missing_secret(h):
    for uuid, words in ((UUID_MISSING, ['NoSuchSecret']), (UUID_EMPTY, ['NoSecretValue'])):
        before = sorted(os.listdir(S['images']))
        err = call_error(h, 'io.virtkit.Storage', 'CreateVolume',
                         {'pool': 'enc', 'xml': vol_xml('bad.img', 'raw', uuid)})
        msg = err.get('parameters', {}).get('message', '') if isinstance(err, dict) else str(err)
        for w in [uuid, 'virtkit-secretd', "'bad.img'"] + words:
            check(w in json.dumps(err), f'the error names {w}:', err, msg)
        check_eq(sorted(os.listdir(S['images'])), before, 'no file left behind')


def test_resize(h):
    storage(h, 'ResizeVolume', {'pool': 'enc', 'volume': 'disk.luks', 'capacity': 32 * MiB})
    check_eq(image_info(h, os.path.join(S['images'], 'disk.luks'), 'luks',
                        PASS_RAW)['virtual-size'], 32 * MiB, 'the resized LUKS payload')
    storage(h, 'ResizeVolume', {'pool': 'enc', 'volume': 'disk.qcow2', 'capacity': 24 * MiB})
    check_eq(image_info(h, os.path.join(S['images'], 'disk.qcow2'), 'qcow2',
                        PASS_QCOW)['virtual-size'], 24 * MiB, 'the resized qcow2')


def test_wipe(h):
    storage(h, 'WipeVolume', {'pool': 'enc', 'volume': 'disk.qcow2'})
    got = image_info(h, os.path.join(S['images'], 'disk.qcow2'), 'qcow2', PASS_QCOW)
    check_eq(got['virtual-size'], 24 * MiB, 'the wiped volume keeps its capacity')


def test_wrong_passphrase(h):
    """The secret has another value than the volume was made with: qemu-img cannot open it;
    the error names the volume and the secret (not the passphrase), the image is untouched."""
    path = os.path.join(S['images'], 'disk.qcow2')
    set_value(h, UUID_QCOW, PASS_WRONG)
    try:
        err = call_error(h, 'io.virtkit.Storage', 'ResizeVolume',
                         {'pool': 'enc', 'volume': 'disk.qcow2', 'capacity': 40 * MiB})
    finally:
        set_value(h, UUID_QCOW, PASS_QCOW)
    print(f'# {err}')
    text = json.dumps(err)
    for w in ("'disk.qcow2'", UUID_QCOW, 'qemu-img', 'keyslot'):
        check(w in text, f'the error names {w}:', err)
    check(PASS_WRONG not in text and PASS_QCOW not in text, 'no passphrase in the error:', err)
    check_eq(image_info(h, path, 'qcow2', PASS_QCOW)['virtual-size'], 24 * MiB,
             'the volume keeps its size')


def test_clone_missing_secret(h):
    """Cloning a plain volume into an encrypted one whose secret does not exist fails naming
    it and leaves no file; with the secret, the clone is a LUKS image holding the data."""
    storage(h, 'CreateVolume', {'pool': 'enc', 'xml': "<volume><name>plain.img</name>"
                                "<capacity unit='MiB'>4</capacity><target>"
                                "<format type='raw'/></target></volume>"})
    before = sorted(os.listdir(S['images']))
    err = call_error(h, 'io.virtkit.Storage', 'CreateVolumeFrom',
                     {'pool': 'enc', 'xml': vol_xml('clone.luks', 'raw', UUID_MISSING, 4),
                      'source': 'plain.img'})
    for w in ("'clone.luks'", UUID_MISSING, 'virtkit-secretd', 'NoSuchSecret'):
        check(w in json.dumps(err), f'the error names {w}:', err)
    check_eq(sorted(os.listdir(S['images'])), before, 'no file left behind')
    with open(secrets_json()) as f:
        check(os.path.join(S['images'], 'clone.luks') not in json.load(f),
              'no secret remembered for the failed clone')
    scan = ArgvScan([PASS_RAW, PASS_QCOW])
    try:
        info = make_volume(h, 'CreateVolumeFrom',
                           {'pool': 'enc', 'xml': vol_xml('clone.luks', 'raw', UUID_QCOW, 4),
                            'source': 'plain.img'})
    finally:
        scan.done()
    check_eq(scan.leaks, [], 'processes whose argv holds a passphrase')
    check_eq((info['encryption'], info['secret']), ('luks', UUID_QCOW), 'the clone')
    check_eq(image_info(h, info['path'], 'luks', PASS_QCOW)['virtual-size'], 4 * MiB,
             'the clone opens with its passphrase')
    for name in ('clone.luks', 'plain.img'):
        storage(h, 'DeleteVolume', {'pool': 'enc', 'volume': name})


def test_restart_keeps_secret(h):
    S['storage'].send_signal(signal.SIGTERM)
    S['storage'].wait(timeout=20)
    spawn(h, 'storage', 'io.virtkit.Storage')
    info = storage(h, 'GetVolumeInfo', {'pool': 'enc', 'volume': 'disk.luks'})
    check_eq((info['encryption'], info['secret']), ('luks', UUID_RAW),
             'after a restart the volume still names its secret')


def test_no_passphrase_anywhere(h):
    check_no_passphrase_anywhere(h)
    left = [p for p in files_under(S['images']) if not p.endswith(('disk.luks', 'disk.qcow2'))]
    check_eq(left, [], 'only the volumes are in the pool')


def qemu_pids():
    return vkharness.qemu_pids(S['root'], QEMU)


def run_dir_files():
    return sorted(files_under(os.path.join(S['root'], 'run', 'qemu')))


def test_vm_wrong_passphrase(h):
    """The volume's secret has a wrong value: QEMU cannot open the disk, the start fails
    with QEMU's reason, and nothing is left (no QEMU, no run files); the secret is gone: the
    start fails naming it and the disk."""
    xml = ("<domain type='qemu'><name>encvm</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
           "<disk type='volume' device='disk'><source pool='enc' volume='disk.luks'/>"
           "<target dev='vda' bus='virtio'/></disk></devices></domain>")
    call(h, 'io.virtkit.Qemu', 'DefineDomain', {'xml': xml})
    before = run_dir_files()
    set_value(h, UUID_RAW, PASS_WRONG)
    try:
        err = call_error(h, 'io.virtkit.Qemu', 'StartDomain', {'domain': 'encvm'})
    finally:
        set_value(h, UUID_RAW, PASS_RAW)
    print(f'# {err}')
    text = json.dumps(err)
    check('keyslot' in text or 'password' in text, 'the error gives QEMU\'s reason:', err)
    check(PASS_WRONG not in text, 'no passphrase in the error:', err)
    wait_until(lambda: not qemu_pids(), 10, 'no QEMU left')
    check_eq(run_dir_files(), before, 'run files after the failed start')
    st = os.stat(os.path.join(S['images'], 'disk.luks'))
    check_eq((st.st_uid, st.st_gid), (0, 0), 'the volume keeps its owner')
    # the volume's secret is gone: the start fails naming it, before any QEMU
    call(h, 'io.virtkit.Secret', 'UndefineSecret', {'secret': UUID_RAW})
    try:
        err = call_error(h, 'io.virtkit.Qemu', 'StartDomain', {'domain': 'encvm'})
    finally:
        define_secret(h, UUID_RAW, True, PASS_RAW, os.path.join(S['images'], 'disk.luks'))
    print(f'# {err}')
    for w in (UUID_RAW, 'vda'):
        check(w in json.dumps(err), f'the error names {w}:', err)
    check_eq(qemu_pids(), [], 'no QEMU after the start without a secret')
    check_eq(run_dir_files(), before, 'run files after the start without a secret')


def test_vm_with_encrypted_volume(h):
    call(h, 'io.virtkit.Qemu', 'StartDomain', {'domain': 'encvm', 'paused': True})
    pids = qemu_pids()
    check_eq(len(pids), 1, 'QEMUs running')
    with open(f'/proc/{pids[0]}/cmdline', 'rb') as f:
        argv = f.read()
    check(PASS_RAW.encode() not in argv, 'the passphrase is not on QEMU\'s argv')
    r = call(h, 'io.virtkit.Qemu', 'QemuMonitorCommand',
             {'domain': 'encvm', 'command': '{"execute":"query-named-block-nodes"}'})
    drivers = {n['node-name']: n['drv'] for n in json.loads(r['reply'])['return']}
    check('luks' in drivers.values(), 'QEMU opened the volume through LUKS:', drivers)
    r = call(h, 'io.virtkit.Qemu', 'QemuMonitorCommand',
             {'domain': 'encvm', 'command': '{"execute":"query-block"}'})
    enc = [b.get('inserted', {}).get('encrypted') for b in json.loads(r['reply'])['return']
           if b.get('inserted')]
    check_eq(enc, [True], 'query-block: the disk is encrypted')
    live = call(h, 'io.virtkit.Qemu', 'GetDomainXML', {'domain': 'encvm'})['xml']
    check("volume='disk.luks'" in live and "<encryption format='luks'>" in live and
          f"uuid='{UUID_RAW}'" in live, 'the live disk has the volume\'s encryption:', live)
    call(h, 'io.virtkit.Qemu', 'DestroyDomain', {'domain': 'encvm'})
    wait_until(lambda: not qemu_pids(), 10, 'QEMU gone')
    check_no_passphrase_anywhere(h)


def test_delete_forgets(h):
    storage(h, 'DeleteVolume', {'pool': 'enc', 'volume': 'disk.qcow2'})
    with open(secrets_json()) as f:
        check_eq(list(json.load(f)), [os.path.join(S['images'], 'disk.luks')],
                 'the deleted volume\'s secret is forgotten')


def test_daemons_exit_clean(h):
    """Each daemon stops on SIGTERM with status 0 and nothing from a sanitizer in its log."""
    for drv in ('qemu', 'storage', 'secret'):
        check_eq(h.stop(S[drv], timeout=30), 0, f'{drv}d exit status')
        text = h.log_text(drv)
        check('Sanitizer' not in text and 'runtime error' not in text,
              f'{drv}d log has a sanitizer report:', text[-3000:])


def test_cleanup(h):
    for pid in qemu_pids():
        os.kill(pid, signal.SIGKILL)


if __name__ == '__main__':
    run_tests('luks-volumes', [
        test_create_raw_luks,
        test_create_qcow2_luks,
        test_secrets_file,
        test_missing_secret,
        test_resize,
        test_wipe,
        test_wrong_passphrase,
        test_clone_missing_secret,
        test_restart_keeps_secret,
        test_no_passphrase_anywhere,
        test_vm_wrong_passphrase,
        test_vm_with_encrypted_volume,
        test_delete_forgets,
        test_daemons_exit_clean,
        test_cleanup,
    ], setup=setup)
