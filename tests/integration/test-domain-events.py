#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""QEMU's events as domain events (docs/qemud-api.md "Events", docs/libvirt-dbus.md), with the
real virtkit-qemud on a private system bus and a real QEMU started paused (TCG, no guest):

  - a CD-ROM's tray opened and closed through QMP (blockdev-open-tray/-close-tray), a USB
    tablet removed with device_del, QEMU's monitor connection cut while QEMU runs on (its end
    of the socket shut down through pidfd_getfd): each arrives as a SubscribeEvents reply
    (tray-change, device-removed, control-error), as io.virtkit.Qemu1's DomainEventFull signal,
    as libvirt-dbus's signal on the org.libvirt domain object (TrayChange, DeviceRemoved,
    ControlError) and in `virtkit event --all --loop` in virsh's lines;
  - without a monitor the domain still answers GetState and is destroyed.
"""

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import (Reader, check, check_eq, run_tests, varlink_connect,  # noqa: E402
                       varlink_encode, wait_until)

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
NAME, ROOT, DOMAIN = 'org.libvirt', '/org/libvirt/QEMU', 'org.libvirt.Domain'
SYS_PIDFD_GETFD = 438
S = {}


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
    check(r.rc == 0, f'{method} failed:', r)
    return r.json()


def qmp(h, command, args=None):
    cmd = {'execute': command}
    if args is not None:
        cmd['arguments'] = args
    r = call(h, 'QemuMonitorCommand', {'domain': 'ev1', 'command': json.dumps(cmd)})
    reply = json.loads(r['reply'])
    check('return' in reply, f'QMP {command}:', reply)
    return reply['return']


def domain_xml(cdrom):
    return f"""<domain type='qemu'>
  <name>ev1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='{cdrom}'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <input type='tablet' bus='usb'/>
  </devices>
</domain>"""


class Events:
    """A SubscribeEvents stream: the replies of domain ev1, in order."""

    def __init__(self, h):
        self.s = varlink_connect(sock(h), timeout=30)
        self.s.sendall(varlink_encode(f'{IFACE}.SubscribeEvents', {}, more=True))
        self.reader = Reader(self.s)
        self.seen = []

    def wait(self, pred, what, timeout=15):
        self.s.settimeout(timeout)
        while not any(pred(e) for e in self.seen):
            try:
                m = self.reader.read()
            except TimeoutError:
                m = None
            check(m is not None and m.get('continues'), f'no {what} event; got {self.seen}')
            if m['parameters']['name'] == 'ev1':
                self.seen.append(m['parameters'])
        return next(e for e in self.seen if pred(e))


class Monitor:
    """gdbus monitor on the private system bus: the signals of the bus name @dest."""

    def __init__(self, h, dest, log):
        self.h, self.log = h, log
        h.spawn(['stdbuf', '-oL', 'gdbus', 'monitor', '--address', h.system_bus, '--dest', dest],
                'gdbus monitor', log=log)
        wait_until(lambda: 'is owned by' in h.log_text(log), 10, 'gdbus monitor to start')

    def wait(self, pattern, what):
        rx = re.compile(pattern)
        return wait_until(lambda: any(rx.search(ln) for ln in
                                      self.h.log_text(self.log).splitlines()),
                          15, what, interval=0.05)


class Killer:
    """Teardown: this run's QEMUs (they outlive qemud by design) and the CLI."""

    def __init__(self, h):
        self.h = h

    def stop(self):
        for pid in vkharness.qemu_pids(root(self.h), QEMU):
            os.kill(pid, signal.SIGKILL)
        cli = S.get('cli')
        if cli and cli.poll() is None:
            cli.kill()
            cli.wait()


def setup(h):
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    h.threads.append(Killer(h))
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    h.install_bus_policies([os.path.join(h.srcdir, 'conf', 'dbus', 'virtkit-org.libvirt.conf')])
    h.start_polkitd()
    os.makedirs(os.path.join(root(h), 'etc'))
    h.spawn([h.daemon_path('qemu'), '--root', root(h), '--bus', 'system', '-v'],
            'virtkit-qemud', log='qemud')
    h.wait_bus_name(NAME)
    wait_until(lambda: h.vlcall(sock(h), f'{IFACE}.GetVersion').rc == 0, 10, 'GetVersion')
    cdrom = h.path('cd.iso')
    with open(cdrom, 'wb') as f:
        f.truncate(1 << 20)
    os.chmod(cdrom, 0o644)
    S['uuid'] = call(h, 'DefineDomain', {'xml': domain_xml(cdrom)})['uuid']
    S['path'] = f'{ROOT}/domain/_{S["uuid"].replace("-", "_")}'
    S['mon'] = Monitor(h, NAME, 'gdbus-libvirt')
    S['vkmon'] = Monitor(h, 'io.virtkit.Qemu1', 'gdbus-virtkit')
    S['events'] = Events(h)
    S['cli'] = subprocess.Popen(
        [os.path.join(h.builddir, 'tools', 'virtkit'), '-c',
         f'qemu+unix:///system?socket={sock(h)}', 'event', '--all', '--loop', '--timeout', '15'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=h.base_env())
    # the CLI subscribed once it has its connection: its lifecycle line tells
    call(h, 'StartDomain', {'domain': 'ev1', 'paused': True})
    S['events'].wait(lambda e: e['event'] == 'started', 'started')


def peripheral(h, qom_type):
    """The id QEMU has for our device of @qom_type (what libvirt calls its alias)."""
    for p in qmp(h, 'qom-list', {'path': '/machine/peripheral'}):
        if p['type'] == f'child<{qom_type}>':
            return p['name']
    raise AssertionError(f'no {qom_type} in /machine/peripheral')


def test_tray(h):
    cd = peripheral(h, 'ide-cd')
    check_eq(cd, 'ide0-1-0', 'the CD-ROM\'s alias (libvirt\'s)')
    qmp(h, 'blockdev-open-tray', {'id': cd, 'force': True})
    e = S['events'].wait(lambda e: e['event'] == 'tray-change', 'tray-change')
    check_eq((e['device'], e['detail']), (cd, 'opened'), 'tray-change opened on varlink')
    S['mon'].wait(re.escape(f"{S['path']}: {DOMAIN}.TrayChange ('{cd}', 0)"),
                  'org.libvirt TrayChange opened (VIR_DOMAIN_EVENT_TRAY_CHANGE_OPEN 0)')
    S['vkmon'].wait(r"/io/virtkit/Qemu1: io\.virtkit\.Qemu1\.Manager\.DomainEventFull \('ev1', "
                  rf"'{S['uuid']}', 'tray-change', 'opened', '{cd}'",
                  'io.virtkit.Qemu1 DomainEventFull tray-change')
    qmp(h, 'blockdev-close-tray', {'id': cd})
    S['events'].wait(lambda e: e['event'] == 'tray-change' and e['detail'] == 'closed',
                     'tray-change closed')
    S['mon'].wait(re.escape(f"{S['path']}: {DOMAIN}.TrayChange ('{cd}', 1)"),
                  'org.libvirt TrayChange closed (1)')


def test_device_removed(h):
    tablet = peripheral(h, 'usb-tablet')
    qmp(h, 'device_del', {'id': tablet})
    e = S['events'].wait(lambda e: e['event'] == 'device-removed', 'device-removed')
    check_eq(e['device'], tablet, 'device-removed names the alias')
    S['mon'].wait(re.escape(f"{S['path']}: {DOMAIN}.DeviceRemoved ('{tablet}',)"),
                  'org.libvirt DeviceRemoved')
    S['tablet'] = tablet


def pidfd_getfd(pid, fd):
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        r = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
        if r < 0:
            raise OSError(ctypes.get_errno(), 'pidfd_getfd')
        return r
    finally:
        os.close(pidfd)


def test_control_error(h):
    """Shut down QEMU's end of the monitor connection (QEMU then waits for a new client):
    qemud sees its monitor close while QEMU runs on."""
    with open(os.path.join(root(h), 'run', 'qemu', 'ev1.json')) as f:
        status = json.load(f)
    pid, monitor = status['pid'], status['monitor']
    cut = 0
    for fd in os.listdir(f'/proc/{pid}/fd'):
        if not os.readlink(f'/proc/{pid}/fd/{fd}').startswith('socket:'):
            continue
        s = socket.socket(fileno=pidfd_getfd(pid, int(fd)))
        try:
            if (s.family == socket.AF_UNIX and s.getsockname() == monitor and
                    not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
                s.shutdown(socket.SHUT_RDWR)
                cut += 1
        finally:
            s.close()
    check_eq(cut, 1, 'QEMU\'s end of the monitor connection found and shut down')
    S['events'].wait(lambda e: e['event'] == 'control-error', 'control-error')
    S['mon'].wait(re.escape(f"{S['path']}: {DOMAIN}.ControlError ()"), 'org.libvirt ControlError')
    check(vkharness.pid_alive(pid), 'QEMU runs on without its monitor')
    r = call(h, 'GetDomainInfo', {'domain': 'ev1'})
    check_eq(r['state'], 'paused', 'the domain is still paused')
    r = h.vlcall(sock(h), f'{IFACE}.QemuMonitorCommand',
                 json.dumps({'domain': 'ev1', 'command': '{"execute":"query-status"}'}))
    check(r.rc != 0, 'a monitor command fails without the monitor:', r)
    call(h, 'DestroyDomain', {'domain': 'ev1'})
    S['events'].wait(lambda e: e['event'] == 'stopped', 'stopped')
    check(not vkharness.pid_alive(pid), 'QEMU is gone after DestroyDomain')


def test_cli_lines(h):
    out, err = S['cli'].communicate(timeout=90)
    lines = out.splitlines()
    for want in ("event 'lifecycle' for domain 'ev1': Started Booted",
                 "event 'lifecycle' for domain 'ev1': Suspended Paused",
                 "event 'tray-change' for domain 'ev1' disk ide0-1-0: opened",
                 "event 'tray-change' for domain 'ev1' disk ide0-1-0: closed",
                 f"event 'device-removed' for domain 'ev1': {S['tablet']}",
                 "event 'control-error' for domain 'ev1'",
                 "event 'lifecycle' for domain 'ev1': Stopped Destroyed"):
        check(want in lines, f'virtkit event prints {want!r}:', out, err)
    check_eq(S['cli'].returncode, 0, f'virtkit event --loop after events (stderr {err!r})')


def test_cli_options(h):
    virtkit = os.path.join(h.builddir, 'tools', 'virtkit')
    uri = f'qemu+unix:///system?socket={sock(h)}'
    r = h.run([virtkit, '-c', uri, 'event'])
    check(r.rc == 1 and 'one of --list, --all, or --event <type> is required' in r.err,
          'event without --all/--event/--list:', r)
    r = h.run([virtkit, '-c', uri, 'event', '--list'])
    check(r.rc == 0 and 'tray-change' in r.out.split() and 'control-error' in r.out.split(),
          'event --list:', r)
    r = h.run([virtkit, '-c', uri, 'event', '--event', 'nonsense'])
    check(r.rc == 1 and 'unknown event type nonsense' in r.err, 'an unknown event type:', r)
    r = h.run([virtkit, '-c', uri, 'event', '--event', 'tray-change', '--timeout', '1'])
    check_eq((r.rc, r.out), (1, 'event loop timed out\nevents received: 0\n'),
             'no event within the timeout: virsh\'s lines and status')


if __name__ == '__main__':
    tests = [test_tray, test_device_removed, test_control_error, test_cli_lines,
             test_cli_options]
    sys.exit(run_tests('domain-events', tests, setup))
