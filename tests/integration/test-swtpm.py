#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Emulated TPMs for real: virtkit-qemud (--root) starts a swtpm per <tpm><backend
type='emulator' version='2.0'/> and owns it like QEMU (TCG, paused), as libvirt 9.0 does.

As root, QEMU running as a throwaway user (qemu.conf user), swtpm as libvirt's default
swtpm_user (tss, else root):
  start     the first start manufactures the TPM (swtpm_setup: EK, certificates) in
            <root>/lib/swtpm/<uuid>/tpm2, owned by swtpm's user; swtpm runs as that user with
            libvirt's options on a socket of ours in the private dir (QEMU's user's); QMP
            query-tpm shows the TPM (model, emulator backend); the status file records swtpm;
            swtpm sits in QEMU's cgroup when QEMU has one of its own
  restart   kill -9 the daemon, start it again: the same swtpm is adopted; destroy ends it and
            removes its socket; the state stays and the next start does not manufacture again
  failed    a start QEMU refuses leaves no swtpm, no socket, and no state of a new TPM
  undefine  removes <root>/lib/swtpm/<uuid>
  setup     swtpm_user = QEMU's user, whom the host's certificate authority refuses: the start
            fails naming swtpm_setup and its log, and leaves no state
As a normal user (its own --root, the embedded layout): the same start, swtpm as that user, the
user's swtpm_setup config files made first; destroy leaves no swtpm.
Skips without QEMU or swtpm/swtpm_setup.
"""

import hashlib
import json
import os
import pwd
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
SWTPM = shutil.which('swtpm') or '/usr/bin/swtpm'
SWTPM_SETUP = shutil.which('swtpm_setup')
IFACE = 'io.virtkit.Qemu'
UUID = 'a3f1c2d4-0b5e-4f6a-9c7d-1e2f3a4b5c6d'
UUID_FAIL = 'a3f1c2d4-0b5e-4f6a-9c7d-1e2f3a4b5c6e'
S = {}


def root(h, tag='sys'):
    return h.path(f'root-{tag}')


def sock(h, tag='sys'):
    return os.path.join(root(h, tag), 'run', IFACE)


def run_dir(h, tag='sys'):
    return os.path.join(root(h, tag), 'run', 'qemu')


def storage(h, uuid=UUID, tag='sys'):
    return os.path.join(root(h, tag), 'lib', 'swtpm', uuid)


def domain_xml(name, uuid=UUID, model='tpm-crb', extra=''):
    return f"""<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <tpm model='{model}'>
      <backend type='emulator' version='2.0'/>
    </tpm>
  </devices>{extra}
</domain>"""


def call(h, method, params=None, tag='sys'):
    r = h.vlcall(sock(h, tag), f'{IFACE}.{method}', json.dumps(params or {}),
                 user=S.get(f'user-{tag}'), timeout=60)
    check(r.rc == 0, f'{method} failed:', r, h.log_text(S[f'log-{tag}'])[-2000:])
    return r.json()


def qmp(h, name, command, tag='sys', **args):
    msg = {'execute': command}
    if args:
        msg['arguments'] = args
    r = call(h, 'QemuMonitorCommand', {'domain': name, 'command': json.dumps(msg)}, tag)
    return json.loads(r['reply'])['return']


def proc_cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return [a.decode() for a in f.read().split(b'\0') if a]
    except OSError:
        return []


def proc_uid(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('Uid:'):
                return int(line.split()[1])
    return -1


def swtpms(state_dir):
    """Pids of the swtpms serving @state_dir."""
    return [int(d) for d in os.listdir('/proc') if d.isdigit()
            and proc_cmdline(d)[:1] == [SWTPM] and f'dir={state_dir},mode=0600' in proc_cmdline(d)]


def status(h, name, tag='sys'):
    with open(os.path.join(run_dir(h, tag), f'{name}.json')) as f:
        return json.load(f)


def cgroups_of(pid):
    with open(f'/proc/{pid}/cgroup') as f:
        return sorted(line.strip() for line in f if 'name=' not in line)


def manufactures(log):
    with open(log, errors='replace') as f:
        return f.read().count('Starting vTPM manufacturing')


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


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    S['qemu'] = h.add_user()
    try:
        S['swtpm_uid'] = pwd.getpwnam('tss').pw_uid
    except KeyError:
        S['swtpm_uid'] = 0
    os.chmod(h.tmp, 0o711)
    for d in ('', 'etc', 'run', 'run/qemu', 'lib', 'lib/qemu'):
        os.makedirs(os.path.join(root(h), d), exist_ok=True)
        os.chmod(os.path.join(root(h), d), 0o711)
    with open(os.path.join(root(h), 'etc', 'qemu.conf'), 'w') as f:
        f.write(f'user = "{S["qemu"].name}"\ngroup = "{S["qemu"].name}"\n')
    start_daemon(h)


def check_gone(h, name, state_dir, what, tag='sys'):
    wait_until(lambda: not swtpms(state_dir), 10, f'swtpm gone {what}')
    check(not os.path.exists(os.path.join(run_dir(h, tag), f'{name}.json')),
          f'no status file {what}')
    left = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(root(h, tag), 'run'))
            for f in fs if 'swtpm' in f]
    check_eq(left, [], f'no swtpm socket or pid file {what}')
    prefix = 'machine-qemu\\x2d' + hashlib.sha256(root(h, tag).encode()).hexdigest()[:8]
    base = '/sys/fs/cgroup'
    cgs = [os.path.join(top, 'machine.slice', d)
           for top in [base] + [os.path.join(base, t) for t in os.listdir(base)]
           if os.path.isdir(os.path.join(top, 'machine.slice'))
           for d in os.listdir(os.path.join(top, 'machine.slice')) if d.startswith(prefix)]
    check_eq(cgs, [], f"no cgroup of QEMU's left {what}")


def check_running(h, name, state_dir, swtpm_uid, qemu_uid, tag='sys'):
    pids = swtpms(state_dir)
    check_eq(len(pids), 1, 'one swtpm serves the TPM')
    cmd = proc_cmdline(pids[0])
    log = os.path.join(root(h, tag), 'log', 'swtpm', f'{name}-swtpm.log')
    check_eq(cmd, [SWTPM, 'socket', '--ctrl', 'type=unixio,fd=3', '--tpmstate',
                   f'dir={state_dir},mode=0600', '--log', f'file={log}', '--terminate', '--tpm2'],
             "swtpm's command line (libvirt's, the socket passed as fd 3)")
    check_eq(proc_uid(pids[0]), swtpm_uid, "swtpm runs as swtpm's user")
    check_eq(os.stat(state_dir).st_uid, swtpm_uid, "the state dir is swtpm's user's")
    check_eq(os.stat(state_dir).st_mode & 0o777, 0o700, 'the state dir is 0700')
    check(os.path.exists(os.path.join(state_dir, 'tpm2-00.permall')),
          'swtpm_setup manufactured the TPM:', os.listdir(state_dir))
    st = status(h, name, tag)
    rec = st.get('swtpm', [])
    check_eq([(r['alias'], r['pid']) for r in rec], [('tpm0', pids[0])],
             'the status file records swtpm')
    sock_path = rec[0]['socket']
    check_eq(sock_path, os.path.join(st['privateDir'], 'swtpm.sock'),
             'its socket is in the private dir')
    check_eq(os.stat(sock_path).st_uid, qemu_uid, "the socket is QEMU's user's")
    tpms = qmp(h, name, 'query-tpm', tag)
    check_eq([(t['id'], t['model'], t['options']['type']) for t in tpms],
             [('tpm-tpm0', 'tpm-crb', 'emulator')], 'QMP query-tpm shows the TPM')
    if st.get('cgroup'):
        check_eq(cgroups_of(pids[0]), cgroups_of(st['pid']), "swtpm is in QEMU's cgroup")
    else:
        print("# QEMU has no cgroup of its own here: swtpm's placement not checked")
    return pids[0], log


def test_start(h):
    name = 'tpm'
    state_dir = os.path.join(storage(h), 'tpm2')
    call(h, 'DefineDomain', {'xml': domain_xml(name)})
    t0 = time.monotonic()
    call(h, 'StartDomain', {'domain': name, 'paused': True})
    print(f'# first start (manufacture + swtpm + QEMU): {time.monotonic() - t0:.2f} s')
    S['pid'], S['swtpm_log'] = check_running(h, name, state_dir, S['swtpm_uid'], S['qemu'].uid)
    check_eq(manufactures(S['swtpm_log']), 1, 'the TPM was manufactured once')


def test_restart(h):
    name = 'tpm'
    state_dir = os.path.join(storage(h), 'tpm2')
    os.kill(S['daemon-sys'].pid, signal.SIGKILL)
    S['daemon-sys'].wait()
    check_eq(swtpms(state_dir), [S['pid']], 'swtpm outlives a killed daemon')
    start_daemon(h)
    states = {d['name']: d['state'] for d in call(h, 'ListDomains')['domains']}
    check_eq(states.get(name), 'paused', 'the domain is adopted')
    check_eq(swtpms(state_dir), [S['pid']], 'the same swtpm still runs')
    check_eq([r['pid'] for r in status(h, name).get('swtpm', [])], [S['pid']],
             'the status file still records it')
    check_eq(len(qmp(h, name, 'query-tpm')), 1, 'QEMU still has its TPM')
    t0 = time.monotonic()
    call(h, 'DestroyDomain', {'domain': name})
    check_gone(h, name, state_dir, 'after destroy')
    print(f'# destroy to no swtpm: {time.monotonic() - t0:.2f} s')
    check(os.path.exists(os.path.join(state_dir, 'tpm2-00.permall')), 'the TPM state stays')
    t0 = time.monotonic()
    call(h, 'StartDomain', {'domain': name, 'paused': True})
    print(f'# second start (no manufacture): {time.monotonic() - t0:.2f} s')
    check_running(h, name, state_dir, S['swtpm_uid'], S['qemu'].uid)
    check_eq(manufactures(S['swtpm_log']), 1, 'a kept TPM is not manufactured again')
    call(h, 'DestroyDomain', {'domain': name})
    check_gone(h, name, state_dir, 'after the second destroy')


def test_failed(h):
    name = 'tpm-fail'
    state_dir = os.path.join(storage(h, UUID_FAIL), 'tpm2')
    extra = "\n  <qemu:commandline><qemu:arg value='-no-such-option'/></qemu:commandline>"
    call(h, 'DefineDomain', {'xml': domain_xml(name, UUID_FAIL, 'tpm-tis', extra)})
    r = h.vlcall(sock(h), f'{IFACE}.StartDomain', json.dumps({'domain': name, 'paused': True}),
                 timeout=60)
    check(r.rc == 3, 'the start fails:', r)
    check_gone(h, name, state_dir, 'after a failed start')
    check(not os.path.exists(storage(h, UUID_FAIL)), 'no state of the new TPM after a failed start')
    call(h, 'UndefineDomain', {'domain': name})


def test_undefine(h):
    call(h, 'UndefineDomain', {'domain': 'tpm'})
    check(not os.path.exists(storage(h)), 'undefine removes the TPM state:', storage(h))


def test_setup_fails(h):
    """swtpm as a user the host's certificate authority (/var/lib/swtpm-localca, tss's) refuses:
    swtpm_setup fails, the start fails naming it and its log, and leaves nothing."""
    conf = os.path.join(root(h), 'etc', 'qemu.conf')
    with open(conf, 'a') as f:
        f.write(f'swtpm_user = "{S["qemu"].name}"\nswtpm_group = "{S["qemu"].name}"\n')
    h.stop(S['daemon-sys'])
    start_daemon(h)
    name = 'tpm-nosetup'
    state_dir = os.path.join(storage(h, UUID_FAIL), 'tpm2')
    call(h, 'DefineDomain', {'xml': domain_xml(name, UUID_FAIL)})
    r = h.vlcall(sock(h), f'{IFACE}.StartDomain', json.dumps({'domain': name, 'paused': True}),
                 timeout=60)
    if r.rc == 0:  # this host lets that user sign certificates: nothing to refuse
        print('# swtpm_setup works as that user here: the refusal is not checked')
        call(h, 'DestroyDomain', {'domain': name})
    else:
        check(r.rc == 3 and 'swtpm_setup' in str(r) and f'{name}-swtpm.log' in str(r),
              'the start fails naming swtpm_setup and its log:', r)
        print(f'# {r.varlink_error()}')
        check(not os.path.exists(storage(h, UUID_FAIL)), 'no state of the TPM it could not make')
    check_gone(h, name, state_dir, 'after swtpm_setup failed')
    call(h, 'UndefineDomain', {'domain': name})


def test_user(h):
    """A normal user's daemon (its own --root: the embedded layout) runs swtpm as that user."""
    tag = 'user'
    u = h.add_user()
    S[f'user-{tag}'] = u
    S[f'env-{tag}'] = h.session_env(u, tag)
    os.makedirs(root(h, tag))
    os.chown(root(h, tag), u.uid, u.gid)
    start_daemon(h, tag)
    name = 'tpm-user'
    state_dir = os.path.join(storage(h, tag=tag), 'tpm2')
    call(h, 'DefineDomain', {'xml': domain_xml(name)}, tag)
    t0 = time.monotonic()
    call(h, 'StartDomain', {'domain': name, 'paused': True}, tag)
    print(f'# first start as a user: {time.monotonic() - t0:.2f} s')
    check_running(h, name, state_dir, u.uid, u.uid, tag)
    conf = os.path.join(S[f'env-{tag}']['XDG_CONFIG_HOME'], 'swtpm_setup.conf')
    check(os.path.exists(conf), "the user's swtpm_setup config was made:", conf)
    call(h, 'DestroyDomain', {'domain': name}, tag)
    check_gone(h, name, state_dir, 'after destroy (user)', tag)
    call(h, 'UndefineDomain', {'domain': name}, tag)
    check(not os.path.exists(storage(h, tag=tag)), 'undefine removes the TPM state (user)')


def test_no_leftovers(h):
    """Nothing of this run still runs (a failed test above may leave a VM: ended here)."""
    left = [int(d) for d in os.listdir('/proc') if d.isdigit()
            and proc_cmdline(d)[:1] in ([QEMU], [SWTPM]) and h.tmp in ' '.join(proc_cmdline(d))]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    check_eq(left, [], 'no QEMU or swtpm of this run left')


def main():
    if not os.path.exists(SWTPM) or not SWTPM_SETUP:
        print('1..0 # SKIP swtpm or swtpm_setup is not installed (packages swtpm swtpm-tools)')
        return 0
    return run_tests('swtpm', [test_start, test_restart, test_failed, test_undefine,
                                      test_setup_fails, test_user, test_no_leftovers],
                     setup)


if __name__ == '__main__':
    sys.exit(main())
