#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Domain lifecycle through the real virtkit-qemud and real QEMU (started paused, -S: KVM when
/dev/kvm works, else TCG; no guest ever boots, so a test costs no CPU). One group per run:

  varlink   define, start paused, list, QemuMonitorCommand query-status, suspend/resume,
            destroy, undefine, over varlink (vlcall), with the time of each step
  dbus      the same over D-Bus (busctl on a private system bus)
  restart   kill -9 the daemon with 3 VMs running, restart it: all listed and destroyable;
            kill -9 a QEMU: the domain is shut off (crashed) and SubscribeEvents says so;
            on_reboot: QEMU runs with -no-shutdown, RebootDomain resets a restart domain and
            ends a destroy one (QMP set-action reboot=shutdown at start, as libvirt 9.0)
  errors    broken XML, unknown domain, starting a running domain, a missing disk image:
            each a clear error, and a failed start leaves no QEMU, socket or status file
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import (Reader, check, check_eq, pid_alive, run_tests,  # noqa: E402
                       varlink_connect, varlink_encode, wait_until)
from vkhost import kvm_usable  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
BUS_NAME, BUS_PATH, BUS_IFACE = 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', \
    'io.virtkit.Qemu1.Manager'
IFACE = 'io.virtkit.Qemu'
S = {}


def domain_xml(name, disk=None, on_reboot=None):
    devices = ''
    lifecycle = f'<on_reboot>{on_reboot}</on_reboot>' if on_reboot else ''
    if disk:
        devices = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                   f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>")
    return (f"<domain type='{'kvm' if kvm_usable() else 'qemu'}'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
            f"{lifecycle}<devices>{devices}</devices></domain>")


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def run_dir(h):
    return os.path.join(root(h), 'run', 'qemu')


def start_daemon(h, bus='none'):
    p = h.spawn([h.daemon_path('qemu'), '--root', root(h), '--bus', bus, '-v'],
                'virtkit-qemud', log='qemud')
    S['daemon'] = p
    wait_until(lambda: os.path.exists(sock(h)) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text('qemud'))
    wait_until(lambda: h.vlcall(sock(h), f'{IFACE}.GetVersion').rc == 0, 10, 'GetVersion')
    return p


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
    check(r.rc == 0, f'{method} failed:', r)
    return r.json(), r.elapsed


def call_error(h, method, params):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params), timeout=30)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def qemu_pids(h):
    """QEMUs of this test (their command line names our root dir)."""
    return vkharness.qemu_pids(root(h), QEMU)


def domain_pid(h, name):
    with open(os.path.join(run_dir(h), f'{name}.json')) as f:
        return json.load(f)['pid']


def states(h):
    return {d['name']: d['state'] for d in call(h, 'ListDomains')[0]['domains']}


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    os.makedirs(root(h))


def cleanup(h):
    """QEMUs outlive the daemon by design: kill what this test left (never others')."""
    for pid in qemu_pids(h):
        os.kill(pid, signal.SIGKILL)


# --- varlink ---

def test_varlink_lifecycle(h):
    start_daemon(h)
    r, t_define = call(h, 'DefineDomain', {'xml': domain_xml('vm1')})
    check_eq(r['name'], 'vm1', 'defined name')
    uuid = r['uuid']
    # the first start probes the emulator; measure the second one
    _, t_first = call(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    call(h, 'DestroyDomain', {'domain': 'vm1'})
    _, t_start = call(h, 'StartDomain', {'domain': uuid, 'paused': True})
    check_eq(states(h), {'vm1': 'paused'}, 'list after a paused start')
    r, _ = call(h, 'LookupDomain', {'name': 'vm1'})
    check(r['id'] > 0 and r['uuid'] == uuid, 'LookupDomain:', r)
    r, _ = call(h, 'GetDomainXML', {'domain': 'vm1'})
    check(f"id='{call(h, 'LookupDomain', {'uuid': uuid})[0]['id']}'" in r['xml'],
          'the live XML shows the id:', r['xml'][:200])
    r, _ = call(h, 'QemuMonitorCommand', {'domain': 'vm1',
                                          'command': '{"execute":"query-status"}'})
    check_eq(json.loads(r['reply'])['return']['running'], False, 'QEMU says paused')
    call(h, 'ResumeDomain', {'domain': 'vm1'})
    check_eq(states(h), {'vm1': 'running'}, 'after resume')
    r, _ = call(h, 'GetDomainInfo', {'domain': 'vm1'})
    check(r['state'] == 'running' and r['maxMemory'] == 65536, 'GetDomainInfo:', r)
    call(h, 'SuspendDomain', {'domain': 'vm1'})
    r, _ = call(h, 'QemuMonitorCommand', {'domain': 'vm1', 'command': 'info status',
                                          'hmp': True})
    check('paused' in r['reply'], 'HMP info status:', r)
    check_eq(states(h), {'vm1': 'paused'}, 'after suspend')
    pid = domain_pid(h, 'vm1')
    _, t_destroy = call(h, 'DestroyDomain', {'domain': 'vm1'})
    check(not pid_alive(pid), 'QEMU is gone after DestroyDomain')
    r, _ = call(h, 'GetDomainInfo', {'domain': 'vm1'})
    check_eq((r['state'], r['reason']), ('shutoff', 'destroyed'), 'state after destroy')
    check_eq(sorted(os.listdir(run_dir(h))), ['autostarted'], 'run dir after destroy')
    call(h, 'UndefineDomain', {'domain': 'vm1'})
    check_eq(states(h), {}, 'list after undefine')

    # bare QEMU: exec to QMP answering, for comparison
    t0 = time.monotonic()
    qmp = h.path('bare.sock')
    p = h.spawn([QEMU, '-S', '-nodefaults', '-display', 'none', '-machine', 'pc', '-accel',
                 'kvm' if kvm_usable() else 'tcg', '-m', '64', '-qmp',
                 f'unix:{qmp},server=on,wait=off'], 'bare qemu')
    wait_until(lambda: os.path.exists(qmp), 10, 'the bare QMP socket')
    import socket as pysock
    with pysock.socket(pysock.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(qmp)
        f = s.makefile('rwb')
        f.readline()
        f.write(b'{"execute":"qmp_capabilities"}\n')
        f.flush()
        f.readline()
    t_bare = time.monotonic() - t0
    h.stop(p)
    print(f'# define {t_define * 1000:.0f} ms (vlcall round trip included), first start '
          f'(with probe) {t_first * 1000:.0f} ms, start paused {t_start * 1000:.0f} ms, '
          f'bare QEMU exec->QMP {t_bare * 1000:.0f} ms, destroy {t_destroy * 1000:.0f} ms')


# --- D-Bus ---

def busctl_json(h, method, sig, *args):
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, BUS_IFACE, method, sig, *args,
                 timeout=30)
    check(r.rc == 0, f'{method} over D-Bus failed:', r)
    return r.json()['data'] if r.out.strip() else None


def test_dbus_lifecycle(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    start_daemon(h, bus='system')
    h.wait_bus_name(BUS_NAME)
    name, uuid = busctl_json(h, 'DefineDomain', 's', domain_xml('vm2'))
    check_eq(name, 'vm2', 'DefineDomain over D-Bus')
    busctl_json(h, 'StartDomain', 'sb', 'vm2', 'true')
    doms = busctl_json(h, 'ListDomains', 'bbbbb', 'false', 'false', 'false', 'false', 'false')
    check_eq([(d[0], d[3]) for d in doms[0]], [('vm2', 'paused')], 'ListDomains over D-Bus')
    reply = busctl_json(h, 'QemuMonitorCommand', 'ssb', uuid, '{"execute":"query-status"}',
                        'false')
    check_eq(json.loads(reply[0])['return']['status'], 'prelaunch', 'query-status over D-Bus')
    busctl_json(h, 'ResumeDomain', 's', 'vm2')
    busctl_json(h, 'SuspendDomain', 's', 'vm2')
    info = busctl_json(h, 'GetDomainInfo', 's', 'vm2')
    check_eq(info[0], 'paused', 'GetDomainInfo over D-Bus')
    busctl_json(h, 'DestroyDomain', 'sb', 'vm2', 'false')
    busctl_json(h, 'UndefineDomain', 'sbb', 'vm2', 'false', 'false')
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.StartDomain', 'vm2', 'false')
    check(r.rc != 0 and 'GDBus.Error:io.virtkit.Qemu.NoSuchDomain:' in r.err,
          'unknown domain over D-Bus:', r)
    r = h.busctl('introspect', BUS_NAME, BUS_PATH, BUS_IFACE)
    check(r.rc == 0 and 'DomainEvent' in r.out, 'the DomainEvent signal is introspectable:', r)


# --- restart ---

def test_restart_keeps_vms(h):
    start_daemon(h)
    names = ['r1', 'r2', 'r3']
    for n in names:
        call(h, 'DefineDomain', {'xml': domain_xml(n)})
        call(h, 'StartDomain', {'domain': n, 'paused': True})
    pids = {n: domain_pid(h, n) for n in names}
    status = {n: os.path.join(run_dir(h), f'{n}.json') for n in names}
    inodes = {n: os.stat(status[n]).st_ino for n in names}
    os.kill(S['daemon'].pid, signal.SIGKILL)
    S['daemon'].wait(timeout=10)
    check(all(pid_alive(p) for p in pids.values()), 'every QEMU survived the daemon')
    t0 = time.monotonic()
    start_daemon(h)
    t_reconnect = time.monotonic() - t0
    check_eq(states(h), {n: 'paused' for n in names}, 'states after the restart')
    # the reconnect found what the status files say: it rewrites none of them (each rewrite
    # is two fsyncs before the first answer; 20 VMs made the restart 6x slower)
    check_eq({n: os.stat(status[n]).st_ino for n in names}, inodes,
             'status files untouched by the reconnect')
    r, _ = call(h, 'QemuMonitorCommand', {'domain': 'r1',
                                          'command': '{"execute":"query-status"}'})
    check_eq(json.loads(r['reply'])['return']['status'], 'prelaunch', 'QMP after reconnect')
    for n in names:
        call(h, 'DestroyDomain', {'domain': n})
        check(not pid_alive(pids[n]), f'QEMU of {n} is gone')
    check_eq(states(h), {n: 'shutoff' for n in names}, 'states after destroy')
    print(f'# daemon restart with 3 VMs to GetVersion answering: {t_reconnect * 1000:.0f} ms')


def test_killed_qemu_is_crashed(h):
    s = varlink_connect(sock(h), timeout=20)
    s.sendall(varlink_encode(f'{IFACE}.SubscribeEvents', {}, more=True))
    reader = Reader(s)
    call(h, 'StartDomain', {'domain': 'r1', 'paused': True})
    pid = domain_pid(h, 'r1')
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: states(h)['r1'] == 'shutoff', 10, 'r1 to be shut off')
    r, _ = call(h, 'GetDomainInfo', {'domain': 'r1'})
    check_eq(r['reason'], 'crashed', 'reason after kill -9')
    events = []
    while ('stopped', 'crashed') not in events:
        m = reader.read()
        check(m is not None and m.get('continues'), 'a streamed event:', m)
        p = m['parameters']
        check_eq(p['name'], 'r1', 'event domain')
        events.append((p['event'], p['detail']))
    check(events[0] == ('started', 'booted'), 'events:', events)
    s.close()
    check(not os.path.exists(os.path.join(run_dir(h), 'r1.json')), 'status file removed')


def test_unloadable_status_keeps_vm(h):
    """A status file whose live XML no longer loads (written by another version, edited by
    hand): its QEMU runs on and no file of it is removed; the daemon says so in its log."""
    call(h, 'StartDomain', {'domain': 'r2', 'paused': True})
    pid = domain_pid(h, 'r2')
    path = os.path.join(run_dir(h), 'r2.json')
    with open(path) as f:
        status = json.load(f)
    private_dir = status['privateDir']
    status['xml'] = status['xml'].replace('</domain>', '<frobnicate/></domain>')
    with open(path, 'w') as f:
        json.dump(status, f)
    os.kill(S['daemon'].pid, signal.SIGKILL)
    S['daemon'].wait(timeout=10)
    start_daemon(h)
    check(pid_alive(pid), 'the QEMU of the unloadable status still runs')
    check(os.path.exists(path) and os.path.isdir(private_dir),
          'its status file and private dir are left in place')
    check('does not load' in h.log_text('qemud'), 'the daemon log says why:',
          h.log_text('qemud')[-2000:])
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), 10, 'the QEMU to end')


def test_on_reboot(h):
    # the guest never runs (started paused): a reset request is handled all the same
    call(h, 'DefineDomain', {'xml': domain_xml('rb1', on_reboot='restart')})
    call(h, 'StartDomain', {'domain': 'rb1', 'paused': True})
    pid = domain_pid(h, 'rb1')
    with open(f'/proc/{pid}/cmdline', 'rb') as f:
        argv = f.read().split(b'\0')
    check(b'-no-shutdown' in argv and b'-no-reboot' not in argv, 'QEMU argv:', argv)
    call(h, 'RebootDomain', {'domain': 'rb1'})
    r, _ = call(h, 'QemuMonitorCommand', {'domain': 'rb1',
                                          'command': '{"execute":"query-status"}'})
    check_eq(json.loads(r['reply'])['return']['status'], 'prelaunch', 'reset, still there')
    check_eq(states(h)['rb1'], 'paused', 'on_reboot=restart: state after RebootDomain')
    call(h, 'DestroyDomain', {'domain': 'rb1'})

    call(h, 'DefineDomain', {'xml': domain_xml('rb2', on_reboot='destroy')})
    call(h, 'StartDomain', {'domain': 'rb2', 'paused': True})
    pid = domain_pid(h, 'rb2')
    call(h, 'RebootDomain', {'domain': 'rb2'})
    wait_until(lambda: states(h)['rb2'] == 'shutoff', 10, 'rb2 to be shut off')
    r, _ = call(h, 'GetDomainInfo', {'domain': 'rb2'})
    check_eq(r['reason'], 'shutdown', 'on_reboot=destroy: reason after RebootDomain')
    check(not pid_alive(pid), 'QEMU of rb2 is gone')


# --- errors ---

def test_bad_input(h):
    start_daemon(h)
    name, p = call_error(h, 'DefineDomain', {'xml': '<domain><name>x</name>'})
    check_eq(name, f'{IFACE}.InvalidXML', 'broken XML')
    name, p = call_error(h, 'DefineDomain', {'xml': domain_xml('x').replace(
        '<vcpu>1</vcpu>', '<vcpu>1</vcpu><bogus/>')})
    check_eq(name, f'{IFACE}.InvalidXML', 'unknown element')
    check('bogus' in p['message'], 'the error names the element:', p)
    name, p = call_error(h, 'StartDomain', {'domain': 'nope'})
    check_eq(name, f'{IFACE}.NoSuchDomain', 'unknown domain')
    check_eq(p.get('domain'), 'nope', 'the error names the domain')
    name, p = call_error(h, 'DomainXMLFromNative', {'format': 'qemu-argv', 'native': 'qemu'})
    check_eq(name, f'{IFACE}.NotSupported', 'DomainXMLFromNative')
    name, p = call_error(h, 'QemuAttach', {'pid': 1})
    check_eq(name, f'{IFACE}.NotSupported', 'QemuAttach')
    r, _ = call(h, 'DomainXMLToNative', {'format': 'qemu-argv', 'xml': domain_xml('n')})
    check(QEMU in r['native'] and '-S' in r['native'].split(), 'native:', r)


def test_start_running_domain(h):
    call(h, 'DefineDomain', {'xml': domain_xml('e1')})
    call(h, 'StartDomain', {'domain': 'e1', 'paused': True})
    name, p = call_error(h, 'StartDomain', {'domain': 'e1'})
    check_eq(name, f'{IFACE}.OperationInvalid', 'start a running domain')
    check("domain 'e1' is already running" in p['message'], 'message:', p)
    call(h, 'DestroyDomain', {'domain': 'e1'})


def test_missing_disk(h):
    missing = h.path('missing.img')
    call(h, 'DefineDomain', {'xml': domain_xml('e2', disk=missing)})
    name, p = call_error(h, 'StartDomain', {'domain': 'e2'})
    check_eq(name, f'{IFACE}.OperationFailed', 'start with a missing disk')
    check(missing in p['message'], 'the error names the image:', p)
    check_eq(qemu_pids(h), [], 'no QEMU left')
    check_eq(sorted(os.listdir(run_dir(h))), ['autostarted'], 'nothing left in the run dir')
    r, _ = call(h, 'GetDomainInfo', {'domain': 'e2'})
    check_eq(r['state'], 'shutoff', 'state after a failed start')


def test_qemu_fails_early(h):
    # a qcow2 qemud reads (no backing file) but QEMU refuses, after exec: an unknown
    # incompatible feature bit (the header's 64-bit field at 72)
    bad = h.path('bad.qcow2')
    r = subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', bad, '16M'])
    check_eq(r.returncode, 0, 'qemu-img create')
    with open(bad, 'r+b') as f:
        f.seek(72)
        f.write((1 << 63).to_bytes(8, 'big'))
    call(h, 'DefineDomain', {'xml': domain_xml('e3', disk=bad).replace("type='raw'",
                                                                          "type='qcow2'")})
    name, p = call_error(h, 'StartDomain', {'domain': 'e3', 'paused': True})
    check_eq(name, f'{IFACE}.OperationFailed', 'QEMU refusing the image')
    # QEMU's exit and its monitor closing race: either is reported, both with QEMU's words
    check(('QEMU exited while starting' in p['message'] or
           'QEMU closed its monitor connection while starting' in p['message']) and
          'qcow2 feature' in p['message'],
          'the error carries QEMU\'s own words:', p)
    check_eq(qemu_pids(h), [], 'no QEMU left')
    check_eq(sorted(os.listdir(run_dir(h))), ['autostarted'], 'nothing left in the run dir')


def test_not_qcow2(h):
    # garbage called qcow2: qemud reads the header at start and refuses before any exec
    bad = h.path('garbage.qcow2')
    with open(bad, 'wb') as f:
        f.write(b'not a qcow2 image')
    call(h, 'DefineDomain', {'xml': domain_xml('e4', disk=bad).replace("type='raw'",
                                                                          "type='qcow2'")})
    name, p = call_error(h, 'StartDomain', {'domain': 'e4', 'paused': True})
    check_eq(name, f'{IFACE}.InvalidArgument', 'qemud refusing the image')
    for w in ("disk 'vda'", "domain 'e4'", bad, "not of format 'qcow2'"):
        check(w in p['message'], f'the error says {w!r}:', p)
    check_eq(qemu_pids(h), [], 'no QEMU left')
    check_eq(sorted(os.listdir(run_dir(h))), ['autostarted'], 'nothing left in the run dir')


GROUPS = {
    'varlink': [test_varlink_lifecycle],
    'dbus': [test_dbus_lifecycle],
    'restart': [test_restart_keeps_vms, test_killed_qemu_is_crashed,
                test_unloadable_status_keeps_vm, test_on_reboot],
    'errors': [test_bad_input, test_start_running_domain, test_missing_disk,
               test_qemu_fails_early, test_not_qcow2],
}


def main():
    group = sys.argv[1] if len(sys.argv) > 1 else 'varlink'
    tests = list(GROUPS[group])

    def test_no_qemu_left(h):
        left = qemu_pids(h)
        cleanup(h)
        check_eq(left, [], 'QEMUs left behind by the tests')

    return run_tests(f'lifecycle-{group}', tests + [test_no_qemu_left], setup=setup)


if __name__ == '__main__':
    sys.exit(main())
