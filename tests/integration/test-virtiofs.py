#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtio-fs shares for real: virtkit-qemud (--root, as root, QEMU as a throwaway user) starts a
virtiofsd per <filesystem><driver type='virtiofs'/> and owns it like QEMU (TCG, paused).

  start     QMP shows the vhost-user-fs-pci device; virtiofsd runs with --fd and the share,
            from the vhost-user descriptor (Debian: /usr/lib/qemu/virtiofsd); its socket is in
            the private dir, QEMU's user's; the status file records it; it sits in QEMU's
            cgroup when QEMU has one of its own
  restart   kill -9 the daemon, start it again: the same virtiofsd is adopted; destroy ends
            it (and its sandboxed child) and removes its socket, and QEMU's cgroup goes
  failed    a start QEMU refuses (a bad qemu:arg) leaves no virtiofsd and no socket
  died      a "virtiofsd" that exits at once (<binary path='/bin/false'>) fails the start
            with an error naming it, and leaves nothing
Skips without QEMU or virtiofsd.
"""

import hashlib
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402
from vkhost import VIRTIOFSD, virtiofsd_problem  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
S = {}


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def run_dir(h):
    return os.path.join(root(h), 'run', 'qemu')


def domain_xml(name, share, binary='', extra=''):
    binary = f"<binary path='{binary}'/>" if binary else "<binary xattr='on'/>"
    return f"""<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <filesystem type='mount' accessmode='passthrough'>
      <driver type='virtiofs'/>
      {binary}
      <source dir='{share}'/>
      <target dir='share'/>
    </filesystem>
  </devices>{extra}
</domain>"""


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
    check(r.rc == 0, f'{method} failed:', r, h.log_text(S['log'])[-2000:])
    return r.json()


def call_error(h, method, params):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params), timeout=60)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def proc_cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().split(b'\0')
    except OSError:
        return []


def is_virtiofsd(pid, share):
    cmd = proc_cmdline(pid)
    return bool(cmd) and cmd[0] == VIRTIOFSD.encode() and f'source={share}'.encode() in b' '.join(cmd)


def ppid(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return int(f.read().rsplit(')', 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def virtiofsds(share, top=True):
    """Pids of the virtiofsds serving @share: those started for it (@top), or every process
    (Debian's virtiofsd forks into its sandbox: a parent waits for its child)."""
    pids = [int(d) for d in os.listdir('/proc') if d.isdigit() and is_virtiofsd(d, share)]
    return [p for p in pids if not top or not is_virtiofsd(ppid(p), share)]


def status(h, name):
    with open(os.path.join(run_dir(h), f'{name}.json')) as f:
        return json.load(f)


def cgroups_of(pid):
    with open(f'/proc/{pid}/cgroup') as f:
        return sorted(line.strip() for line in f if 'name=' not in line)


def start_daemon(h):
    S['n'] = S.get('n', 0) + 1
    S['log'] = f'qemud{S["n"]}'
    if os.path.exists(sock(h)):
        os.unlink(sock(h))
    env = h.base_env(VIRTKIT_LIBEXEC_DIR=os.path.join(os.environ['VK_TOP_BUILDDIR'], 'tools'))
    p = h.spawn([h.daemon_path('qemu'), '--root', root(h), '--bus', 'none', '-v'],
                'virtkit-qemud', log=S['log'], env=env)
    wait_until(lambda: os.path.exists(sock(h)) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text(S['log']))
    wait_until(lambda: h.vlcall(sock(h), f'{IFACE}.GetVersion').rc == 0, 10, 'GetVersion')
    S['daemon'] = p


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    S['qemu'] = h.add_user()
    os.chmod(h.tmp, 0o711)
    for d in ('', 'etc', 'run', 'run/qemu', 'lib', 'lib/qemu'):
        os.makedirs(os.path.join(root(h), d), exist_ok=True)
        os.chmod(os.path.join(root(h), d), 0o711)
    with open(os.path.join(root(h), 'etc', 'qemu.conf'), 'w') as f:
        f.write(f'user = "{S["qemu"].name}"\ngroup = "{S["qemu"].name}"\n')
    S['share'] = h.path('share')
    os.makedirs(S['share'])
    with open(os.path.join(S['share'], 'hello'), 'w') as f:
        f.write('hello\n')
    start_daemon(h)


def check_gone(h, name, share, what):
    wait_until(lambda: not virtiofsds(share, top=False), 10, f'virtiofsd gone {what}')
    check(not os.path.exists(os.path.join(run_dir(h), f'{name}.json')),
          f'no status file {what}')
    socks = [os.path.join(dp, f) for dp, _, fs in os.walk(run_dir(h)) for f in fs
             if f.endswith('-fs.sock')]
    check_eq(socks, [], f'no virtiofsd socket {what}')
    # a virtiofsd left in QEMU's cgroup would keep it from being removed
    prefix = 'machine-qemu\\x2d' + hashlib.sha256(root(h).encode()).hexdigest()[:8]
    base = '/sys/fs/cgroup'

    def left():
        return [os.path.join(top, 'machine.slice', d)
                for top in [base] + [os.path.join(base, t) for t in os.listdir(base)]
                if os.path.isdir(os.path.join(top, 'machine.slice'))
                for d in os.listdir(os.path.join(top, 'machine.slice')) if d.startswith(prefix)]
    # qemud tries a cgroup that is still busy (a helper still exiting) again for up to 5 s
    wait_until(lambda: not left(), 6, f"no cgroup of QEMU's left {what}: {left()}")


def test_start(h):
    name = 'vfs'
    call(h, 'DefineDomain', {'xml': domain_xml(name, S['share'])})
    call(h, 'StartDomain', {'domain': name, 'paused': True})
    pids = virtiofsds(S['share'])
    check_eq(len(pids), 1, 'one virtiofsd serves the share')
    cmd = [a.decode() for a in proc_cmdline(pids[0]) if a]
    check_eq(cmd[:4], [VIRTIOFSD, '--fd=3', '-o', f'source={S["share"]},xattr'],
             "virtiofsd's command line (libvirt's)")
    st = status(h, name)
    rec = st.get('virtiofsd', [])
    check_eq([(r['alias'], r['pid']) for r in rec], [('fs0', pids[0])],
             'the status file records it')
    sock_path = rec[0]['socket']
    check_eq(os.path.dirname(sock_path), st['privateDir'], 'its socket is in the private dir')
    check_eq(os.stat(sock_path).st_uid, S['qemu'].uid, "the socket is QEMU's user's")
    r = call(h, 'QemuMonitorCommand', {
        'domain': name,
        'command': json.dumps({'execute': 'qom-list', 'arguments': {'path': '/machine/peripheral'}})})
    names = {p['name'] for p in json.loads(r['reply'])['return']}
    check('fs0' in names, 'QEMU has the fs0 device:', names)
    r = call(h, 'QemuMonitorCommand', {
        'domain': name,
        'command': json.dumps({'execute': 'qom-get', 'arguments': {
            'path': '/machine/peripheral/fs0', 'property': 'type'}})})
    check_eq(json.loads(r['reply'])['return'], 'vhost-user-fs-pci', 'its type')
    if st.get('cgroup'):
        check_eq(cgroups_of(pids[0]), cgroups_of(st['pid']), "virtiofsd is in QEMU's cgroup")
    else:
        print("# QEMU has no cgroup of its own here: virtiofsd's placement not checked")
    S['pid'] = pids[0]


def test_restart(h):
    name = 'vfs'
    os.kill(S['daemon'].pid, signal.SIGKILL)
    S['daemon'].wait()
    check_eq(virtiofsds(S['share']), [S['pid']], 'virtiofsd outlives a killed daemon')
    start_daemon(h)
    states = {d['name']: d['state'] for d in call(h, 'ListDomains')['domains']}
    check_eq(states.get(name), 'paused', 'the domain is adopted')
    check_eq(virtiofsds(S['share']), [S['pid']], 'the same virtiofsd still runs')
    check_eq([r['pid'] for r in status(h, name).get('virtiofsd', [])], [S['pid']],
             'the status file still records it')
    t0 = time.monotonic()
    call(h, 'DestroyDomain', {'domain': name})
    check_gone(h, name, S['share'], 'after destroy')
    print(f'# destroy to no virtiofsd: {time.monotonic() - t0:.2f} s')
    call(h, 'UndefineDomain', {'domain': name})


def test_failed(h):
    name = 'vfs-fail'
    extra = "\n  <qemu:commandline><qemu:arg value='-no-such-option'/></qemu:commandline>"
    call(h, 'DefineDomain', {'xml': domain_xml(name, S['share'], extra=extra)})
    err = call_error(h, 'StartDomain', {'domain': name, 'paused': True})
    check(err is not None, 'the start failed')
    check_gone(h, name, S['share'], 'after a failed start')
    call(h, 'UndefineDomain', {'domain': name})


def test_died(h):
    name = 'vfs-died'
    call(h, 'DefineDomain', {'xml': domain_xml(name, S['share'], binary='/bin/false')})
    r = h.vlcall(sock(h), f'{IFACE}.StartDomain', json.dumps({'domain': name, 'paused': True}),
                 timeout=60)
    check(r.rc == 3 and 'virtiofsd' in str(r), 'the start fails naming virtiofsd:', r)
    check_gone(h, name, S['share'], 'after virtiofsd died')
    call(h, 'UndefineDomain', {'domain': name})


def main():
    problem = virtiofsd_problem()
    if problem:
        print(f'1..0 # SKIP {problem}')
        return 0
    return run_tests('virtiofs', [test_start, test_restart, test_failed, test_died], setup)


if __name__ == '__main__':
    sys.exit(main())
