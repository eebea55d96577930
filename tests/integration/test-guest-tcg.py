#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real tiny guest under TCG through the real virtkit-qemud, over varlink:
Debian's kernel and a busybox initramfs (tests/integration/guest/build-guest.sh, cached under
/var/cache/virtkit-test/guest-<hash>/) whose /init does what `vkguest=` on the kernel command
line says (poweroff, reboot, or wait for the ACPI power button) and prints "VKGUEST:" markers on
the serial console, a file chardev the test reads. One guest at a time, every wait bounded.

  poweroff        on_poweroff=destroy, the guest powers off by itself: shut off (shutdown),
                  events shutdown/finished then stopped/shutdown
  shutdown        ShutdownDomain on a waiting guest: ACPI power button, the guest powers off:
                  shut off (shutdown) within 60 s
  reboot-restart  RebootDomain, then the guest's own reboot, with on_reboot=restart: event
                  rebooted, the guest boots again, the domain keeps running
  reboot-destroy  the guest reboots with on_reboot=destroy: shut off (shutdown)
  poweroff-restart  on_poweroff=restart: the guest powers off and boots again, still running
"""

import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (Reader, check, check_eq, run_tests,  # noqa: E402
                       varlink_connect, varlink_encode, wait_until)
import vkguest  # noqa: E402

IFACE = 'io.virtkit.Qemu'
S = {}


def console(h, name):
    return h.path(f'{name}.console')


def console_text(h, name):
    return vkguest.console_text(console(h, name))


def guest_xml(h, name, mode, on_poweroff='destroy', on_reboot='restart'):
    return vkguest.domain_xml(S['guest'], name, mode, console(h, name), on_poweroff, on_reboot)


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
    check(r.rc == 0, f'{method} failed:', r)
    return r.json()


def info(h, name):
    r = call(h, 'GetDomainInfo', {'domain': name})
    return r['state'], r['reason']


class Events:
    """A SubscribeEvents stream: (event, detail) of one domain, in order."""

    def __init__(self, h):
        self.s = varlink_connect(sock(h), timeout=90)
        self.s.sendall(varlink_encode(f'{IFACE}.SubscribeEvents', {}, more=True))
        self.reader = Reader(self.s)
        self.seen = []

    def wait(self, name, want, timeout):
        """Read until (event, detail) @want of @name arrived; returns the events of @name."""
        deadline = time.monotonic() + timeout
        while want not in self.seen:
            left = deadline - time.monotonic()
            check(left > 0, f'no {want} event for {name} within {timeout} s; got {self.seen}')
            self.s.settimeout(left)
            try:
                m = self.reader.read()
            except TimeoutError:
                m = None
                check(False, f'no {want} event for {name} within {timeout} s; got {self.seen}')
            check(m is not None and m.get('continues'), 'a streamed event:', m)
            p = m['parameters']
            if p['name'] == name:
                self.seen.append((p['event'], p['detail']))
        return self.seen

    def close(self):
        self.s.close()


def setup(h):
    S['guest'] = vkguest.build()
    os.makedirs(root(h))
    p = h.spawn([h.daemon_path('qemu'), '--root', root(h), '--bus', 'none', '-v'],
                'virtkit-qemud', log='qemud')
    wait_until(lambda: os.path.exists(sock(h)) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text('qemud'))
    with open(os.path.join(S['guest'], 'kernel-package')) as f:
        print(f'# guest: {S["guest"]} ({f.read().strip()})')


def run_guest(h, name, mode, **lifecycle):
    """Define and start a guest; returns its event stream (subscribed before the start)."""
    call(h, 'DefineDomain', {'xml': guest_xml(h, name, mode, **lifecycle)})
    ev = Events(h)
    S['t0'] = time.monotonic()
    call(h, 'StartDomain', {'domain': name})
    return ev


def wait_console(h, name, marker, timeout, count=1):
    wait_until(lambda: console_text(h, name).count(marker) >= count, timeout,
               f'{count} x "{marker}" on the console of {name}; it says: '
               f'{console_text(h, name)[-300:]!r}', interval=0.1)


def finish(h, name, ev):
    ev.close()
    if info(h, name)[0] != 'shutoff':
        call(h, 'DestroyDomain', {'domain': name})
    call(h, 'UndefineDomain', {'domain': name})
    check_eq(vkguest.qemu_pids(h), [], f'no QEMU left after {name}')


def elapsed():
    return time.monotonic() - S['t0']


def test_guest_powers_off(h):
    ev = run_guest(h, 'g-poweroff', 'poweroff')
    events = ev.wait('g-poweroff', ('stopped', 'shutdown'), 60)
    check_eq(info(h, 'g-poweroff'), ('shutoff', 'shutdown'), 'state after the guest powered off')
    check('VKGUEST: powering off' in console_text(h, 'g-poweroff'),
          'the guest printed its marker:', console_text(h, 'g-poweroff')[-300:])
    check_eq(events, [('started', 'booted'), ('shutdown', 'finished'), ('stopped', 'shutdown')],
             'events')
    print(f'# poweroff: start to shut off {elapsed():.1f} s')
    finish(h, 'g-poweroff', ev)


def test_shutdown_domain_graceful(h):
    ev = run_guest(h, 'g-wait', 'wait')
    # the power button is only heard once the guest listens for it
    wait_console(h, 'g-wait', 'VKGUEST: waiting for the power button', 60)
    t_ready = elapsed()
    t0 = time.monotonic()
    call(h, 'ShutdownDomain', {'domain': 'g-wait'})
    events = ev.wait('g-wait', ('stopped', 'shutdown'), 60)
    t_down = time.monotonic() - t0
    check_eq(info(h, 'g-wait'), ('shutoff', 'shutdown'), 'state after ShutdownDomain')
    check('VKGUEST: power button' in console_text(h, 'g-wait'), 'the guest saw the button')
    check_eq(events[-2:], [('shutdown', 'finished'), ('stopped', 'shutdown')], 'events')
    check(t_down <= 60, f'graceful shutdown took {t_down:.1f} s')
    print(f'# shutdown: guest listening after {t_ready:.1f} s, ShutdownDomain to shut off '
          f'{t_down:.1f} s')
    finish(h, 'g-wait', ev)


def test_reboot_restart_keeps_running(h):
    ev = run_guest(h, 'g-reboot', 'reboot')
    # the guest reboots by itself (reboot -f), QEMU resets it and it boots again
    wait_console(h, 'g-reboot', 'VKGUEST: booted', 60, count=2)
    events = ev.wait('g-reboot', ('rebooted', 'reset'), 10)
    check_eq(info(h, 'g-reboot')[0], 'running', 'state after the guest rebooted')
    check_eq(events[:2], [('started', 'booted'), ('rebooted', 'reset')], 'events')
    t_guest = elapsed()
    # RebootDomain (system_reset) with on_reboot=restart: the same, asked by us
    n = console_text(h, 'g-reboot').count('VKGUEST: booted')
    call(h, 'RebootDomain', {'domain': 'g-reboot'})
    ev.seen.clear()
    ev.wait('g-reboot', ('rebooted', 'reset'), 10)
    check_eq(info(h, 'g-reboot')[0], 'running', 'state after RebootDomain')
    check(not any(e[0] == 'stopped' for e in ev.seen), 'no stop on reboot:', ev.seen)
    wait_console(h, 'g-reboot', 'VKGUEST: booted', 60, count=n + 1)
    print(f'# reboot (on_reboot=restart): second boot after {t_guest:.1f} s')
    finish(h, 'g-reboot', ev)


def test_reboot_destroy_shuts_off(h):
    ev = run_guest(h, 'g-rebootd', 'reboot', on_reboot='destroy')
    events = ev.wait('g-rebootd', ('stopped', 'shutdown'), 60)
    check_eq(info(h, 'g-rebootd'), ('shutoff', 'shutdown'), 'state after a reboot (destroy)')
    check_eq(console_text(h, 'g-rebootd').count('VKGUEST: booted'), 1, 'booted once')
    check_eq(events[-1], ('stopped', 'shutdown'), 'events')
    print(f'# reboot (on_reboot=destroy): start to shut off {elapsed():.1f} s')
    finish(h, 'g-rebootd', ev)


def test_reboot_destroy_with_no_shutdown(h):
    # QEMU always stops, not exits, on a guest poweroff or reset (-no-shutdown, and set-action
    # reboot=shutdown for on_reboot=destroy): with on_poweroff=restart the reboot must still
    # end it
    ev = run_guest(h, 'g-rebootd2', 'reboot', on_poweroff='restart', on_reboot='destroy')
    events = ev.wait('g-rebootd2', ('stopped', 'shutdown'), 60)
    check_eq(info(h, 'g-rebootd2'), ('shutoff', 'shutdown'), 'state after a reboot (destroy)')
    check_eq(console_text(h, 'g-rebootd2').count('VKGUEST: booted'), 1, 'booted once')
    print(f'# reboot (on_reboot=destroy, on_poweroff=restart): start to shut off '
          f'{elapsed():.1f} s; events {events}')
    finish(h, 'g-rebootd2', ev)


def test_poweroff_restart_starts_again(h):
    ev = run_guest(h, 'g-restart', 'poweroff', on_poweroff='restart')
    try:
        wait_console(h, 'g-restart', 'VKGUEST: booted', 60, count=2)
        events = ev.wait('g-restart', ('rebooted', 'reset'), 10)
        check(('shutdown', 'finished') in events, 'the guest powered off first:', events)
        check(not any(e[0] == 'stopped' for e in events), 'QEMU did not stop:', events)
        # this guest powers off on every boot, so it cycles: between a power-off and the
        # restart QEMU is briefly paused; what matters is that the domain never shut off
        state = info(h, 'g-restart')[0]
        check(state in ('running', 'paused'), 'still active after the restart:', state)
        print(f'# on_poweroff=restart: second boot after {elapsed():.1f} s; events {events}')
    finally:
        finish(h, 'g-restart', ev)


def main():
    tests = [test_guest_powers_off, test_shutdown_domain_graceful,
             test_reboot_restart_keeps_running, test_reboot_destroy_shuts_off,
             test_reboot_destroy_with_no_shutdown, test_poweroff_restart_starts_again]

    if len(sys.argv) > 1:  # run some only: test-guest-tcg.py reboot_destroy ...
        tests = [t for t in tests if any(a in t.__name__ for a in sys.argv[1:])]

    def test_no_qemu_left(h):
        left = vkguest.qemu_pids(h)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        check_eq(left, [], 'QEMUs left behind by the tests')

    return run_tests('guest-tcg', tests + [test_no_qemu_left], setup=setup)


if __name__ == '__main__':
    sys.exit(main())
