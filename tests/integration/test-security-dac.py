#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The security stack wired into the domain lifecycle, as root with real files and real QEMU
(started paused, -S). An embedded (--root) instance whose etc/qemu.conf sets user/group to a
throwaway user:

  running   the disk image (owned by another throwaway user) belongs to the QEMU user while
            the domain runs and to its owner again after destroy; QEMU runs as that user
            (/proc/PID/status Uid) with no capabilities (CapEff, CapBnd 0), exec'd through
            virtkit-qemu-exec; the status file records the security state, the live XML
            shows the DAC <seclabel>
  failed    a start that fails before the exec (a second, missing disk) and one QEMU itself
            refuses after the exec (a broken qcow2 as second disk) leave no owner changed
  restart   the daemon is killed while the domain runs; the new one reconnects and restores
            the owner when the domain is destroyed
"""

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
S = {}


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def run_dir(h):
    return os.path.join(root(h), 'run', 'qemu')


def disk(path, fmt='raw', dev='vda'):
    return (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='{path}'/><target dev='{dev}' bus='virtio'/></disk>")


def domain_xml(name, *disks):
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
            f"<devices>{''.join(disks)}</devices></domain>")


def start_daemon(h):
    env = h.base_env(VIRTKIT_LIBEXEC_DIR=os.path.join(os.environ['VK_TOP_BUILDDIR'], 'tools'))
    p = h.spawn([h.daemon_path('qemu'), '--root', root(h), '--bus', 'none', '-v'],
                'virtkit-qemud', log='qemud', env=env)
    S['daemon'] = p
    wait_until(lambda: os.path.exists(sock(h)) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text('qemud'))
    wait_until(lambda: h.vlcall(sock(h), f'{IFACE}.GetVersion').rc == 0, 10, 'GetVersion')
    return p


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
    check(r.rc == 0, f'{method} failed:', r, h.log_text('qemud'))
    return r.json()


def call_error(h, method, params):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params), timeout=30)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def proc_status(pid):
    fields = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            k, _, v = line.partition(':')
            fields[k] = v.split()
    return fields


def make_image(h, name, data=b'\0' * 65536):
    path = os.path.join(S['images'], name)
    with open(path, 'wb') as f:
        f.write(data)
    os.chown(path, S['owner'].uid, S['owner'].gid)
    os.chmod(path, 0o600)
    return path


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    S['owner'] = h.add_user()
    S['qemu'] = h.add_user()
    # QEMU runs as the qemu user: it must reach its private dir and the images
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


def test_running_and_destroyed(h):
    img = make_image(h, 'r1.img')
    want_owner = (S['owner'].uid, S['owner'].gid)
    call(h, 'DefineDomain', {'xml': domain_xml('r1', disk(img))})
    call(h, 'StartDomain', {'domain': 'r1', 'paused': True})
    check_eq(owner(img), (S['qemu'].uid, S['qemu'].gid), 'image owner while running')

    with open(os.path.join(run_dir(h), 'r1.json')) as f:
        status = json.load(f)
    check('security' in status, 'the status file records the security state:', status.keys())
    st = proc_status(status['pid'])
    check_eq(int(st['Uid'][0]), S['qemu'].uid, 'QEMU real uid')
    check_eq(int(st['Uid'][1]), S['qemu'].uid, 'QEMU effective uid')
    check_eq(int(st['Gid'][0]), S['qemu'].gid, 'QEMU gid')
    check_eq(int(st['CapEff'][0], 16), 0, 'CapEff')
    check_eq(int(st['CapPrm'][0], 16), 0, 'CapPrm')
    check_eq(int(st['CapBnd'][0], 16), 0, 'CapBnd')
    with open(f'/proc/{status["pid"]}/cmdline', 'rb') as f:
        check(f.read().startswith(QEMU.encode()), 'the helper exec\'d QEMU under its pid')

    xml = call(h, 'GetDomainXML', {'domain': 'r1'})
    text = json.dumps(xml)
    check("model='dac'" in text or 'model=\\"dac\\"' in text, 'live XML has the DAC seclabel:',
          text[:2000])
    check(f'+{S["qemu"].uid}:+{S["qemu"].gid}' in text, 'the DAC label names the user:',
          text[:2000])

    call(h, 'DestroyDomain', {'domain': 'r1'})
    check_eq(owner(img), want_owner, 'image owner after destroy')
    check(not os.path.exists(os.path.join(run_dir(h), 'r1.json')), 'status file gone')


def test_failed_before_exec(h):
    img = make_image(h, 'f1.img')
    missing = os.path.join(S['images'], 'missing.img')
    call(h, 'DefineDomain', {'xml': domain_xml('f1', disk(img), disk(missing, dev='vdb'))})
    name, p = call_error(h, 'StartDomain', {'domain': 'f1', 'paused': True})
    check_eq(name, f'{IFACE}.OperationFailed', 'start with a missing second disk')
    check_eq(owner(img), (S['owner'].uid, S['owner'].gid), 'first image owner after the failure')


def test_failed_after_exec(h):
    img = make_image(h, 'f2.img')
    # a qcow2 qemud reads (its chain is known: none) but QEMU refuses to open: an unknown
    # incompatible feature bit (the header's 64-bit field at 72); garbage would be refused at
    # start, before the exec
    bad = make_image(h, 'f2-bad.qcow2')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', bad, '16M'], check=True)
    with open(bad, 'r+b') as f:
        f.seek(72)
        f.write((1 << 63).to_bytes(8, 'big'))
    call(h, 'DefineDomain', {'xml': domain_xml('f2', disk(img), disk(bad, 'qcow2', 'vdb'))})
    name, p = call_error(h, 'StartDomain', {'domain': 'f2', 'paused': True})
    check_eq(name, f'{IFACE}.OperationFailed', 'QEMU refusing the image')
    check('qcow2' in p['message'], 'QEMU\'s own words:', p)
    for path in (img, bad):
        check_eq(owner(path), (S['owner'].uid, S['owner'].gid), f'{path} owner after the failure')
    check_eq(sorted(os.listdir(run_dir(h))), ['autostarted'], 'nothing left in the run dir')


def test_restart_then_destroy(h):
    img = make_image(h, 'k1.img')
    call(h, 'DefineDomain', {'xml': domain_xml('k1', disk(img))})
    call(h, 'StartDomain', {'domain': 'k1', 'paused': True})
    check_eq(owner(img), (S['qemu'].uid, S['qemu'].gid), 'image owner while running')
    S['daemon'].send_signal(signal.SIGKILL)
    S['daemon'].wait(10)
    start_daemon(h)
    wait_until(lambda: call(h, 'GetDomainInfo', {'domain': 'k1'})['state'] != 'shutoff', 10,
               'the reconnected domain')
    call(h, 'DestroyDomain', {'domain': 'k1'})
    check_eq(owner(img), (S['owner'].uid, S['owner'].gid), 'owner after destroy by a new daemon')


def main():
    def test_no_qemu_left(h):
        left = vkharness.qemu_pids(root(h), QEMU)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        check_eq(left, [], 'QEMUs left behind by the tests')

    return run_tests('security-dac', [test_running_and_destroyed, test_failed_before_exec,
                                      test_failed_after_exec, test_restart_then_destroy,
                                      test_no_qemu_left], setup=setup)


if __name__ == '__main__':
    sys.exit(main())
