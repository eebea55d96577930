#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a start leaves when things go wrong, with the real virtkit-qemud and real paused QEMUs.
One group per run:

  kill   kill -9 the daemon at 20 random points of a StartDomain (0-150 ms after sending it),
         restart it: each time the domain either runs and can be destroyed, or nothing at all
         is left (no QEMU, monitor socket, private dir, key, cgroup, status or lock file)
  misc   a full run dir (small tmpfs) fails the start naming the status file and leaves
         nothing; a daemon killed while it probes QEMU leaves no probe QEMU; a define waiting
         for that probe leaves the daemon answering other calls; a root in use by
         a daemon or an embedded CLI is refused naming the holder (both orders); a domain whose
         name is multi-byte UTF-8 starts; a QEMU the daemon lost track of blocks a second one
"""

import collections
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (Reader, check, check_eq, lock_held, pid_alive,  # noqa: E402
                       proc_cmdlines, run_tests, varlink_connect, varlink_encode,
                       varlink_raw_call, wait_until)
from vkhost import virt_type  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
S = {}


def domain_xml(name, description=None):
    desc = f'<description>{description}</description>' if description else ''
    return (f"<domain type='{virt_type()}'><name>{name}</name>{desc}"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>")


class Root:
    """One --root directory and the daemon serving it."""

    def __init__(self, h, name):
        self.h = h
        self.root = h.path(name)
        self.proc = None
        os.makedirs(self.root, exist_ok=True)

    @property
    def sock(self):
        return os.path.join(self.root, 'run', IFACE)

    @property
    def run_dir(self):
        return os.path.join(self.root, 'run', 'qemu')

    def start(self, expect_ok=True):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        p = self.h.spawn([self.h.daemon_path('qemu'), '--root', self.root, '--bus', 'none', '-v'],
                         'virtkit-qemud', log=os.path.basename(self.root))
        self.proc = p
        if not expect_ok:
            return p
        wait_until(lambda: os.path.exists(self.sock) or p.poll() is not None, 10, 'the socket')
        check(p.poll() is None, 'the daemon exited:', self.log())
        wait_until(lambda: self.h.vlcall(self.sock, f'{IFACE}.GetVersion').rc == 0, 10,
                   'GetVersion')
        return p

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.h.stop(self.proc)

    def log(self):
        return self.h.log_text(os.path.basename(self.root))

    def call(self, method, params=None):
        r = self.h.vlcall(self.sock, f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
        check(r.rc == 0, f'{method} failed:', r)
        return r.json()

    def call_error(self, method, params):
        r = self.h.vlcall(self.sock, f'{IFACE}.{method}', json.dumps(params), timeout=30)
        check(r.rc == 3, f'{method} should fail with a varlink error:', r)
        return r.varlink_error()

    def send(self, method, params):
        """Send a call and do not wait for its reply (the socket is returned, open)."""
        s = varlink_connect(self.sock, 5)
        s.sendall(varlink_encode(f'{IFACE}.{method}', params))
        return s

    def states(self):
        return {d['name']: d['state'] for d in self.call('ListDomains')['domains']}

    def qemu_pids(self):
        """Live QEMUs of this root (their command line names it)."""
        return [pid for pid, cmd, _ in proc_cmdlines()
                if cmd.startswith(QEMU.encode()) and self.root.encode() in cmd]

    def cgroups(self):
        """Cgroup dirs made for QEMUs of this root (machine prefix qemu-<sha256(root):8>)."""
        prefix = 'machine-qemu\\x2d' + hashlib.sha256(self.root.encode()).hexdigest()[:8]
        found = []
        base = '/sys/fs/cgroup'
        for top in [base] + [os.path.join(base, d) for d in os.listdir(base)]:
            slice_dir = os.path.join(top, 'machine.slice')
            if os.path.isdir(slice_dir):
                found += [os.path.join(slice_dir, d) for d in os.listdir(slice_dir)
                          if d.startswith(prefix)]
        return found

    def leftovers(self):
        """Everything a started or half-started QEMU may leave, that must be gone once not."""
        left = {}
        files = sorted(f for f in os.listdir(self.run_dir) if f != 'autostarted')
        if files:
            left['run dir'] = files
        if self.qemu_pids():
            left['qemu'] = self.qemu_pids()
        if self.cgroups():
            left['cgroups'] = self.cgroups()
        return left

    def cleanup(self):
        for pid in self.qemu_pids():
            os.kill(pid, signal.SIGKILL)
        if self.proc and self.proc.poll() is None:
            self.kill()


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')


# --- kill ---

def start_phase(r):
    """How far the start got by the status file the killed daemon left."""
    try:
        with open(os.path.join(r.run_dir, 'vm.json')) as f:
            st = json.load(f)
    except (OSError, ValueError):
        return 'no record'
    if not st.get('starting'):
        return 'started'
    if st.get('pid', -1) <= 0:
        return 'preparing'
    return 'QEMU alive' if r.qemu_pids() else 'QEMU spawned'


def test_kill_during_start(h):
    r = S['kill'] = Root(h, 'kill')
    r.start()
    r.call('DefineDomain', {'xml': domain_xml('vm')})
    # the first start probes QEMU's capabilities: out of the way, so the kills hit the start
    r.call('StartDomain', {'domain': 'vm', 'paused': True})
    r.call('DestroyDomain', {'domain': 'vm'})
    check_eq(r.leftovers(), {}, 'after a plain start and destroy')

    seed = int(os.environ.get('VK_TEST_SEED', time.time_ns() % 100000))
    rng = random.Random(seed)
    print(f'# seed {seed} (VK_TEST_SEED to repeat)')
    outcomes = collections.Counter()
    for i in range(20):
        # 0-150 ms, most early: a start with cached capabilities takes a few ms
        delay = 0.150 * rng.random() ** 3
        s = r.send('StartDomain', {'domain': 'vm', 'paused': True})
        time.sleep(delay)
        r.kill()
        s.close()
        phase = start_phase(r)
        r.start()
        what = f'kill {i + 1} ({delay * 1000:.0f} ms into the start)'
        state = r.states()['vm']
        if state != 'shutoff':
            check_eq(state, 'paused', f'{what}: the adopted VM')
            check_eq(len(r.qemu_pids()), 1, f'{what}: one QEMU for the running domain')
            r.call('QemuMonitorCommand', {'domain': 'vm', 'command':
                                          '{"execute": "query-status"}'})
            r.call('DestroyDomain', {'domain': 'vm'})
            outcomes[f'{phase}: adopted'] += 1
        else:
            outcomes[f'{phase}: torn down'] += 1
        wait_until(lambda: not r.leftovers(), 5, f'{what}: nothing left, but {r.leftovers()}')
    print(f'# outcomes of 20 kills: {dict(outcomes)}')
    # and the domain still starts normally
    r.call('StartDomain', {'domain': 'vm', 'paused': True})
    r.call('DestroyDomain', {'domain': 'vm'})
    check_eq(r.leftovers(), {}, 'after the last start and destroy')
    r.stop()


# --- misc ---

def test_full_run_dir_fails_the_start(h):
    r = S['full'] = Root(h, 'full')
    os.makedirs(r.run_dir)
    m = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', r.run_dir],
                       capture_output=True, text=True)
    if m.returncode != 0:
        print(f'# SKIP cannot mount a tmpfs: {m.stderr.strip()}')
        return
    try:
        r.start()
        # a status file of over 16 KiB (the live XML carries the description)
        r.call('DefineDomain', {'xml': domain_xml('big', 'x' * 16384)})
        r.call('StartDomain', {'domain': 'big', 'paused': True})
        size = os.path.getsize(os.path.join(r.run_dir, 'big.json'))
        check(size > 16384, f'the status file is {size} bytes')
        r.call('DestroyDomain', {'domain': 'big'})
        # fill the tmpfs, leaving two pages: room for the key, not for the status file
        spare = os.path.join(r.run_dir, 'spare')
        with open(spare, 'wb') as f:
            f.write(b'\0' * 8192)
        fd = os.open(os.path.join(r.run_dir, 'filler'), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b'\0' * 4096) > 0:
                pass
        except OSError:
            pass
        os.close(fd)
        os.unlink(spare)
        name, params = r.call_error('StartDomain', {'domain': 'big', 'paused': True})
        check('big.json' in params.get('message', ''), 'the error names the status file:',
              name, params)
        check_eq(r.states(), {'big': 'shutoff'}, 'state after the failed start')
        os.unlink(os.path.join(r.run_dir, 'filler'))
        check_eq(r.leftovers(), {}, 'after the failed start')
        r.call('StartDomain', {'domain': 'big', 'paused': True})
        r.call('DestroyDomain', {'domain': 'big'})
        r.stop()
    finally:
        r.cleanup()
        subprocess.run(['umount', '-l', r.run_dir])


def probe_pids(ppid):
    """The capability probes (-machine none) that @ppid spawned."""
    return [pid for pid, cmd, parent in proc_cmdlines()
            if parent == ppid and b'-machine\0none' in cmd]


def test_killed_daemon_leaves_no_probe(h):
    r = S['probe'] = Root(h, 'probe')
    r.start()
    # a fresh root has no capabilities cache: the define probes (to pin the machine type to
    # the emulator's versioned one, as libvirt does)
    s = r.send('DefineDomain', {'xml': domain_xml('p')})
    pids = wait_until(lambda: probe_pids(r.proc.pid), 10, 'the probe QEMU')
    r.kill()
    s.close()
    try:
        wait_until(lambda: not any(pid_alive(p) for p in pids), 5,
                   f'the probe QEMU(s) {pids} to die with the daemon')
    finally:
        for p in pids:
            if pid_alive(p):
                os.kill(p, signal.SIGKILL)


def test_define_waits_for_the_probe_on_the_loop(h):
    """A define on a fresh root waits for the capabilities probe while the daemon serves others."""
    r = S['asyncdef'] = Root(h, 'asyncdef')
    r.start()
    s = r.send('DefineDomain', {'xml': domain_xml('d')})
    pids = wait_until(lambda: probe_pids(r.proc.pid), 10, 'the probe QEMU')
    # the probe is held still: the define cannot end before it goes on
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        listed = varlink_raw_call(r.sock, f'{IFACE}.ListDomains', {}, timeout=5)
        took = time.monotonic() - t0
        check(listed and 'error' not in listed, 'ListDomains during the probe:', listed)
        check_eq(listed['parameters']['domains'], [], 'the domains while the define waits')
        print(f'# ListDomains answered in {took * 1000:.0f} ms during the define\'s probe')
        # an XML error is told at once
        bad = varlink_raw_call(r.sock, f'{IFACE}.DefineDomain', {'xml': '<domain>'}, timeout=5)
        check(bad and bad.get('error', '').endswith('.InvalidXML'), 'a bad XML meanwhile:', bad)
        s.setblocking(False)
        try:
            early = s.recv(65536)
        except BlockingIOError:
            early = None
        check(early is None, 'the define replied before its probe ended:', early)
        check(all(pid_alive(p) for p in pids), 'the probe still runs')
    finally:
        for p in pids:
            if pid_alive(p):
                os.kill(p, signal.SIGCONT)
    s.settimeout(30)
    defined = Reader(s).read()
    s.close()
    check(defined and 'error' not in defined, 'DefineDomain:', defined)
    check_eq(defined['parameters']['name'], 'd', 'the defined domain')
    xml = r.call('GetDomainXML', {'domain': 'd'})['xml']
    check("machine='pc-i440fx-" in xml, 'the machine pinned to the versioned one:', xml)
    # an emulator that cannot be probed: defined all the same, its machine left for the start
    for name, emulator in [('gone', '/nonexistent/qemu-system-x86_64'), ('bad', '/bin/false')]:
        r.call('DefineDomain', {'xml': domain_xml(name).replace(
            '<devices/>', f'<devices><emulator>{emulator}</emulator></devices>')})
        xml = r.call('GetDomainXML', {'domain': name})['xml']
        check("machine='pc'" in xml, f'{emulator}: the machine as written:', xml)
    check_eq(r.states(), {'d': 'shutoff', 'gone': 'shutoff', 'bad': 'shutoff'}, 'the domains')
    r.stop()


def test_root_in_use_by_a_daemon(h):
    r = Root(h, 'shared1')
    r.start()
    t0 = time.monotonic()
    res = h.run([os.path.join(h.builddir, 'tools', 'virtkit'), '-c',
                 f'qemu:///embed?root={r.root}', 'list', '--all'], timeout=30)
    took = time.monotonic() - t0
    r.stop()
    want = f'root {r.root} is in use by virtkit-qemud (pid {r.proc.pid}'
    check(res.rc != 0 and want in res.err, f'the CLI is refused naming the daemon ({want!r}):',
          res)
    check(took < 3, f'refused at once, not after a wait ({took:.1f} s)')


def test_root_in_use_by_a_cli(h):
    r = Root(h, 'shared2')
    holder = subprocess.Popen([os.path.join(h.builddir, 'tools', 'virtkit'), '-c',
                               f'qemu:///embed?root={r.root}', 'event', '--all', '--timeout', '4'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=h.base_env())
    try:
        wait_until(lambda: lock_held(os.path.join(r.root, 'run', 'qemu.lock')), 5,
                   'the CLI to lock the root')
        p = r.start(expect_ok=False)
        rc = p.wait(timeout=10)
        want = f'root {r.root} is in use by virtkit (pid {holder.pid}'
        check(rc != 0 and want in r.log(), f'the daemon is refused naming the CLI ({want!r}):',
              r.log())
        out, err = holder.communicate(timeout=10)
        # no event came: virsh's exit status 1
        check_eq(holder.returncode, 1, f'the CLI holding the root (stderr {err!r})')
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    # once the CLI is gone the daemon runs
    r.start()
    r.stop()


def test_multibyte_name_starts(h):
    r = S['utf8'] = Root(h, 'utf8')
    r.start()
    # 1 + 2 x 12 bytes: a cut at 20 bytes falls inside a character
    name = 'a' + 'ĝ' * 12
    r.call('DefineDomain', {'xml': domain_xml(name)})
    r.call('StartDomain', {'domain': name, 'paused': True})
    check_eq(r.states(), {name: 'paused'}, 'state')
    dirs = [d for d in os.listdir(os.fsencode(r.run_dir)) if d.startswith(b'domain-')]
    check_eq(len(dirs), 1, 'one private dir')
    check_eq(dirs[0].decode('utf-8'), 'domain-1-a' + 'ĝ' * 9, 'the private dir (UTF-8, cut at '
             'a character boundary)')
    r.call('DestroyDomain', {'domain': name})
    check_eq(r.leftovers(), {}, 'after destroy')
    r.stop()


def test_no_second_qemu(h):
    """A QEMU the daemon lost track of (its status file removed by hand) blocks a new start."""
    r = S['second'] = Root(h, 'second')
    r.start()
    r.call('DefineDomain', {'xml': domain_xml('two')})
    r.call('StartDomain', {'domain': 'two', 'paused': True})
    pids = r.qemu_pids()
    r.kill()
    os.unlink(os.path.join(r.run_dir, 'two.json'))
    r.start()
    check_eq(r.states(), {'two': 'shutoff'}, 'the lost VM')
    name, params = r.call_error('StartDomain', {'domain': 'two', 'paused': True})
    check(name.endswith('.Busy') and 'two.lock' in params.get('message', ''),
          'a second start is refused naming the lock:', name, params)
    check_eq(r.qemu_pids(), pids, 'still the one QEMU')
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not r.qemu_pids(), 5, 'the lost QEMU to end')
    for d in os.listdir(r.run_dir):  # what the lost VM left: nobody knows it but us
        if d.startswith('domain-'):
            subprocess.run(['rm', '-rf', os.path.join(r.run_dir, d)])

    def rmdir_cgroups():
        for cg in r.cgroups():
            try:
                os.rmdir(cg)
            except OSError:  # busy until the kernel is done with the killed QEMU
                pass
        return not r.cgroups()
    wait_until(rmdir_cgroups, 5, 'the lost QEMU\'s cgroups to go')
    r.call('StartDomain', {'domain': 'two', 'paused': True})
    r.call('DestroyDomain', {'domain': 'two'})
    check_eq(r.leftovers(), {}, 'after destroy')
    r.stop()


GROUPS = {
    'kill': [test_kill_during_start],
    'misc': [test_full_run_dir_fails_the_start, test_killed_daemon_leaves_no_probe,
             test_define_waits_for_the_probe_on_the_loop,
             test_root_in_use_by_a_daemon, test_root_in_use_by_a_cli, test_multibyte_name_starts,
             test_no_second_qemu],
}


def main():
    group = sys.argv[1] if len(sys.argv) > 1 else 'kill'

    def test_no_qemu_left(h):
        left = {k: r.qemu_pids() for k, r in S.items() if r.qemu_pids()}
        for r in S.values():
            r.cleanup()
        check_eq(left, {}, 'QEMUs left behind by the tests')

    return run_tests(f'start-crash-{group}', GROUPS[group] + [test_no_qemu_left], setup=setup)


if __name__ == '__main__':
    sys.exit(main())
