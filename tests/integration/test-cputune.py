#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""<cputune> applied to a real QEMU (TCG, started paused) before its vCPUs run.

  root      virtkit-qemud --root as root: <vcpupin vcpu='0' cpuset='1'>, vcpu 1 on CPU 0,
            <emulatorpin cpuset='0'>: Cpus_allowed_list of the "CPU n/TCG" threads and of
            QEMU's main thread; <vcpusched> batch on vCPU 1; <shares>/<period>/<quota> in
            the cgroup files of QEMU's own cgroup (v1 cpu/cpuset or cgroup2), skipped with the
            reason when the host has none for virtkit
  restart   kill -9 the daemon, start it again: the adopted QEMU keeps every pin; destroy
            removes the cgroup children
  pin api   PinDomainVcpu/PinDomainEmulator live and persistent (root and the normal user):
            the threads' Cpus_allowed_list, errors naming the CPU, the pins after a daemon
            restart, the persistent ones applied at the next start
  bad pin   a pin to a CPU the host does not have fails the start naming the element and value,
            and leaves no QEMU, status file or cgroup
  user      a normal user's daemon: the pins apply (no privilege needed); fifo scheduling fails
            the start with an error naming CAP_SYS_NICE (or works where the user may use it);
            <shares> is refused naming the element (no cgroup of its own)
"""

import hashlib
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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


def domain_xml(name, cputune, vcpus=2, extra=''):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu{extra}>{vcpus}</vcpu>
  <cputune>{cputune}</cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
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


def status(h, name, tag='sys'):
    with open(os.path.join(run_dir(h, tag), f'{name}.json')) as f:
        return json.load(f)


def threads(pid):
    """comm → (tid, Cpus_allowed_list) of QEMU's threads."""
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/comm') as f:
                comm = f.read().strip()
            with open(f'/proc/{pid}/task/{tid}/status') as f:
                allowed = [ln.split()[1] for ln in f if ln.startswith('Cpus_allowed_list:')][0]
        except OSError:
            continue
        out.setdefault(comm, (int(tid), allowed))
    return out


def policy(tid):
    with open(f'/proc/{tid}/stat') as f:
        return int(f.read().rsplit(')', 1)[1].split()[38])  # field 41: policy


def qemu_of(h, tag):
    return [int(d) for d in os.listdir('/proc') if d.isdigit() and _is_ours(h, d, tag)]


def _is_ours(h, pid, tag):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            cmd = f.read().split(b'\0')
    except OSError:
        return False
    return cmd[0] == QEMU.encode() and root(h, tag).encode() in b' '.join(cmd)


def cgroup_dirs(h, tag='sys'):
    prefix = 'machine-qemu\\x2d' + hashlib.sha256(root(h, tag).encode()).hexdigest()[:8]
    base = '/sys/fs/cgroup'
    return [os.path.join(top, 'machine.slice', d)
            for top in [base] + [os.path.join(base, t) for t in os.listdir(base)]
            if os.path.isdir(os.path.join(top, 'machine.slice'))
            for d in os.listdir(os.path.join(top, 'machine.slice')) if d.startswith(prefix)]


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
    if os.cpu_count() < 2 or len(os.sched_getaffinity(0)) < 2:
        raise SystemExit('needs 2 CPUs')
    os.chmod(h.tmp, 0o711)
    os.makedirs(root(h))
    start_daemon(h)


PINS = ("<shares>2048</shares><period>100000</period><quota>50000</quota>"
        "<vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='1' cpuset='0'/>"
        "<emulatorpin cpuset='0'/><vcpusched vcpus='1' scheduler='batch'/>")


def check_pins(pid, what):
    t = threads(pid)
    check('CPU 0/TCG' in t and 'CPU 1/TCG' in t, f'vCPU threads {what}:', t)
    check_eq(t['CPU 0/TCG'][1], '1', f'vCPU 0 runs on CPU 1 {what}')
    check_eq(t['CPU 1/TCG'][1], '0', f'vCPU 1 runs on CPU 0 {what}')
    check_eq(threads(pid)['qemu-system-x86'][1], '0', f'the emulator runs on CPU 0 {what}')
    others = {c: a for c, (_, a) in t.items() if not c.startswith('CPU ')}
    check_eq(set(others.values()), {'0'}, f'every other thread follows <emulatorpin> {what}')
    check_eq(policy(t['CPU 1/TCG'][0]), 3, f'vCPU 1 is SCHED_BATCH {what}')
    check_eq(policy(t['CPU 0/TCG'][0]), 0, f'vCPU 0 keeps SCHED_OTHER {what}')


def read(path):
    with open(path) as f:
        return f.read().strip()


def test_root(h):
    name = 'pinned'
    call(h, 'DefineDomain', {'xml': domain_xml(name, PINS)})
    r = h.vlcall(sock(h), f'{IFACE}.StartDomain', json.dumps({'domain': name, 'paused': True}),
                 timeout=60)
    if r.rc != 0 and 'needs the cgroup cpu controller' in r.err:
        print(f'# SKIP the cgroup part: {r.varlink_error()[1].get("message")}')
        call(h, 'UndefineDomain', {'domain': name})
        call(h, 'DefineDomain', {'xml': domain_xml(name, PINS.split('</quota>')[1])})
        call(h, 'StartDomain', {'domain': name, 'paused': True})
        S['cgroup'] = False
    else:
        check(r.rc == 0, 'StartDomain failed:', r, h.log_text(S['log-sys'])[-2000:])
        S['cgroup'] = True
    pid = status(h, name)['pid']
    S['pid'] = pid
    check_pins(pid, 'after the start')
    if not S['cgroup']:
        return
    dirs = cgroup_dirs(h)
    cpu = [d for d in dirs if d.startswith('/sys/fs/cgroup/cpu/')]
    v2 = [d for d in dirs if os.path.exists(os.path.join(d, 'cpu.weight'))]
    t = threads(pid)
    if v2:
        check_eq(read(os.path.join(v2[0], 'cpu.weight')), '2048', 'cpu.weight is <shares>')
        check_eq(read(os.path.join(v2[0], 'vcpu0', 'cpu.max')), '50000 100000', 'vcpu0 cpu.max')
        check_eq(read(os.path.join(v2[0], 'vcpu0', 'cgroup.threads')), str(t['CPU 0/TCG'][0]),
                 'vCPU 0 is in vcpu0')
    else:
        check(cpu, 'a v1 cpu cgroup:', dirs)
        d = cpu[0]
        check_eq(read(os.path.join(d, 'cpu.shares')), '2048', 'cpu.shares is <shares>')
        check_eq(read(os.path.join(d, 'vcpu0', 'cpu.cfs_period_us')), '100000', 'vcpu0 period')
        check_eq(read(os.path.join(d, 'vcpu0', 'cpu.cfs_quota_us')), '50000', 'vcpu0 quota')
        check_eq(read(os.path.join(d, 'vcpu0', 'tasks')), str(t['CPU 0/TCG'][0]),
                 'vCPU 0 is in vcpu0')
        check(str(pid) in read(os.path.join(d, 'emulator', 'tasks')).split(),
              'the main thread is in emulator')
        cs = [x for x in dirs if x.startswith('/sys/fs/cgroup/cpuset/')]
        if cs:
            check_eq(read(os.path.join(cs[0], 'vcpu0', 'cpuset.cpus')), '1', 'vcpu0 cpuset.cpus')
            check_eq(read(os.path.join(cs[0], 'emulator', 'cpuset.cpus')), '0',
                     'emulator cpuset.cpus')


def test_restart(h):
    name = 'pinned'
    os.kill(S['daemon-sys'].pid, signal.SIGKILL)
    S['daemon-sys'].wait()
    start_daemon(h)
    states = {d['name']: d['state'] for d in call(h, 'ListDomains')['domains']}
    check_eq(states.get(name), 'paused', 'the domain is adopted')
    check_eq(status(h, name)['pid'], S['pid'], 'the same QEMU')
    check_pins(S['pid'], 'after a daemon restart')
    call(h, 'DestroyDomain', {'domain': name})
    wait_until(lambda: not qemu_of(h, 'sys'), 10, 'QEMU gone')
    wait_until(lambda: not cgroup_dirs(h), 5, 'no cgroup left')
    call(h, 'UndefineDomain', {'domain': name})


def test_pin_api(h, tag='sys'):
    """PinDomainVcpu/PinDomainEmulator on the running (paused) QEMU and in the config; the
    pins survive a daemon restart and the config applies at the next start."""
    name = f'pinapi-{tag}'
    call(h, 'DefineDomain', {'xml': domain_xml(name, '')}, tag)
    call(h, 'StartDomain', {'domain': name, 'paused': True}, tag)
    pid = status(h, name, tag)['pid']
    call(h, 'PinDomainVcpu', {'domain': name, 'vcpu': 0, 'cpuset': '1', 'live': True,
                              'config': True}, tag)
    call(h, 'PinDomainVcpu', {'domain': name, 'vcpu': 1, 'cpuset': '0', 'live': True}, tag)
    call(h, 'PinDomainEmulator', {'domain': name, 'cpuset': '0'}, tag)
    t = threads(pid)
    check_eq((t['CPU 0/TCG'][1], t['CPU 1/TCG'][1], t['qemu-system-x86'][1]), ('1', '0', '0'),
             f'pinned live ({tag})')
    err = call_error(h, 'PinDomainVcpu', {'domain': name, 'vcpu': 0, 'cpuset': '9'}, tag)
    check("<vcpupin vcpu='0' cpuset='9'>: CPU 9 of cpuset '9' is not an online CPU" in err,
          'a CPU the host does not have is named:', err)
    err = call_error(h, 'PinDomainVcpu', {'domain': name, 'vcpu': 2, 'cpuset': '0'}, tag)
    check('vcpu 2 is out of range of live cpu count 2' in err, 'vCPU out of range:', err)
    check_eq(threads(pid)['CPU 0/TCG'][1], '1', 'the failures changed nothing')
    r = call(h, 'GetDomainVcpuInfo', {'domain': name}, tag)
    check_eq([(v['vcpu'], v['affinity']) for v in r['vcpus']], [(0, '1'), (1, '0')],
             'GetDomainVcpuInfo')
    if tag == 'sys':
        os.kill(S['daemon-sys'].pid, signal.SIGKILL)
        S['daemon-sys'].wait()
        start_daemon(h)
    check_eq(call(h, 'GetDomainVcpuPinInfo', {'domain': name}, tag)['pins'], ['1', '0'],
             'the live pins (after a daemon restart for root)')
    check_eq(call(h, 'GetDomainVcpuPinInfo', {'domain': name, 'config': True}, tag)['pins'],
             ['1', '0-1'], 'the persistent pins')
    check_eq(call(h, 'GetDomainEmulatorPinInfo', {'domain': name}, tag)['cpuset'], '0',
             'the live emulator pin')
    call(h, 'DestroyDomain', {'domain': name}, tag)
    wait_until(lambda: not qemu_of(h, tag), 10, 'QEMU gone')
    call(h, 'StartDomain', {'domain': name, 'paused': True}, tag)
    t = threads(status(h, name, tag)['pid'])
    check_eq((t['CPU 0/TCG'][1], t['CPU 1/TCG'][1]), ('1', '0-1'),
             'the next start applies the persistent pins only')
    call(h, 'DestroyDomain', {'domain': name}, tag)
    wait_until(lambda: not qemu_of(h, tag), 10, 'QEMU gone')
    call(h, 'UndefineDomain', {'domain': name}, tag)


def test_bad_pin(h):
    name = 'badpin'
    bad = os.cpu_count() + 7
    call(h, 'DefineDomain', {'xml': domain_xml(name, f"<vcpupin vcpu='1' cpuset='{bad}'/>")})
    err = call_error(h, 'StartDomain', {'domain': name, 'paused': True})
    check(f"<vcpupin vcpu='1' cpuset='{bad}'>" in err and 'not an online CPU' in err,
          'the error names the element and value:', err)
    check(not qemu_of(h, 'sys'), 'no QEMU left')
    check(not os.path.exists(os.path.join(run_dir(h), f'{name}.json')), 'no status file')
    check_eq(cgroup_dirs(h), [], 'no cgroup')
    call(h, 'UndefineDomain', {'domain': name})


def test_user(h):
    tag = 'user'
    u = h.add_user()
    S[f'user-{tag}'] = u
    S[f'env-{tag}'] = h.session_env(u, tag)
    os.makedirs(root(h, tag))
    os.chown(root(h, tag), u.uid, u.gid)
    start_daemon(h, tag)
    name = 'upinned'
    call(h, 'DefineDomain', {'xml': domain_xml(name, PINS.split('</quota>')[1])}, tag)
    call(h, 'StartDomain', {'domain': name, 'paused': True}, tag)
    check_pins(status(h, name, tag)['pid'], 'as a normal user')
    call(h, 'DestroyDomain', {'domain': name}, tag)
    wait_until(lambda: not qemu_of(h, tag), 10, 'QEMU gone')
    call(h, 'UndefineDomain', {'domain': name}, tag)

    name = 'ufifo'
    call(h, 'DefineDomain', {'xml': domain_xml(
        name, "<vcpusched vcpus='0' scheduler='fifo' priority='1'/>", vcpus=1)}, tag)
    r = h.vlcall(sock(h, tag), f'{IFACE}.StartDomain', json.dumps({'domain': name, 'paused': True}),
                 user=u, timeout=60)
    if r.rc == 0:
        print('# this user may use SCHED_FIFO here (RLIMIT_RTPRIO): the start worked')
        call(h, 'DestroyDomain', {'domain': name}, tag)
    else:
        msg = r.varlink_error()[1].get('message', '') if r.varlink_error() else r.err
        check("scheduler='fifo'" in msg and 'CAP_SYS_NICE' in msg,
              'fifo without CAP_SYS_NICE fails naming it:', r)
    wait_until(lambda: not qemu_of(h, tag), 10, 'no QEMU left after the fifo start')
    check(not os.path.exists(os.path.join(run_dir(h, tag), f'{name}.json')), 'no status file')
    call(h, 'UndefineDomain', {'domain': name}, tag)

    name = 'ushares'
    call(h, 'DefineDomain', {'xml': domain_xml(name, '<shares>512</shares>', vcpus=1)}, tag)
    err = call_error(h, 'StartDomain', {'domain': name, 'paused': True}, tag)
    check('<cputune><shares> needs the cgroup cpu controller' in err,
          '<shares> without a cgroup is refused naming it:', err)
    check(not qemu_of(h, tag), 'no QEMU left')
    call(h, 'UndefineDomain', {'domain': name}, tag)


def test_no_leftovers(h):
    left = qemu_of(h, 'sys') + qemu_of(h, 'user')
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    check_eq(left, [], 'no QEMU of this run left')


def main():
    if os.geteuid() != 0:
        print('1..0 # SKIP needs root (runs a system-like and a normal user\'s daemon)')
        return 0
    return run_tests('cputune', [test_root, test_restart, test_pin_api, test_bad_pin, test_user,
                                 test_no_leftovers], setup)


if __name__ == '__main__':
    sys.exit(main())
