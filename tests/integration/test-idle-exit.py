#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Idle exit (--timeout 1) and re-activation, with calls timed to land while the daemon exits.

argv[1] = dbus: D-Bus activation from a .service file in the private system bus's servicedir.
argv[1] = varlink: our own socket activator (like a systemd .socket unit) owns the listening
socket and starts the daemon whenever a client waits and none runs; sd_notify READY=1 and
STOPPING=1 are checked on a NOTIFY_SOCKET of ours.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (Activator, NotifySocket, Reader, TestFailure, check, check_eq,  # noqa
                       pid_alive, run_tests, varlink_connect, varlink_encode, wait_until)

MODE = sys.argv[1] if len(sys.argv) > 1 else 'varlink'
BUS_NAME, BUS_PATH, BUS_IFACE = 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', \
    'io.virtkit.Qemu1.Manager'
# Sleeps between calls: around the 1 s idle timeout, so that calls land just before, at and
# just after the moment the daemon decides to exit (sd-event fires the idle timer up to 250 ms
# late, so 1.0-1.25 s is the window). Each 1.5 s gap is sure to outlast a daemon.
SLEEPS = [0.5, 1.0, 1.05, 0.2, 1.1, 1.5, 0.95, 0.0, 1.2, 0.3]
SLEEPS_DBUS = [1.5, 0.95, 1.05, 1.1, 1.5, 1.0, 1.2, 1.5]
S = {}


# --- D-Bus activation ---

def setup_dbus(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    os.makedirs(h.path('root'))
    with open(h.path('dbus', 'system-services', f'{BUS_NAME}.service'), 'w') as f:
        f.write('[D-BUS Service]\n'
                f'Name={BUS_NAME}\n'
                f'Exec={h.daemon_path("qemu")} --system --timeout 1 --root {h.path("root")} -v\n'
                'User=root\n')
    h.bus_reload()


def dbus_get_version(h):
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, BUS_IFACE, 'GetVersion',
                 timeout=10)
    check(r.rc == 0, 'GetVersion over D-Bus:', r)
    check_eq(r.json()['data'][0::2], ['virtkit-qemud', 'embedded'], 'GetVersion reply')
    return r


def activations(h):
    return len(re.findall(r"Successfully activated service '" + re.escape(BUS_NAME),
                          h.log_text('dbus-system')))


def test_dbus_activation_and_idle_exit(h):
    check(h.name_owner_pid(BUS_NAME) is None, 'nobody owns the name before the first call')
    t0 = time.monotonic()
    dbus_get_version(h)
    pid1 = h.name_owner_pid(BUS_NAME)
    check(pid1, 'the activated daemon owns the name right after answering')
    check_eq(activations(h), 1, 'activations after the first call')
    wait_until(lambda: h.name_owner_pid(BUS_NAME) is None and not pid_alive(pid1), 10,
               'the activated daemon to exit by itself')
    idle = time.monotonic() - t0
    check(0.9 <= idle <= 8, f'exited after {idle:.2f} s, for --timeout 1')
    check('Idle for 1 s, exiting' in h.log_text('dbus-system'), 'the daemon logged why')
    dbus_get_version(h)
    pid2 = h.name_owner_pid(BUS_NAME)
    check(pid2 and pid2 != pid1, 're-activated as a new process', pid1, pid2)
    check_eq(activations(h), 2, 'activations after the second call')


def test_dbus_calls_around_exit(h):
    before = activations(h)
    for i, pause in enumerate(SLEEPS_DBUS):
        time.sleep(pause)
        r = dbus_get_version(h)
        check(r.elapsed < 5, f'call {i} after {pause} s took {r.elapsed:.2f} s')
    n = activations(h) - before
    print(f'# {len(SLEEPS_DBUS)} calls caused {n} activations')
    check(n >= SLEEPS_DBUS.count(1.5),
          f'{len(SLEEPS_DBUS)} calls around the idle timeout caused {n} activations; '
          'expected one at least after each 1.5 s pause')


# --- varlink activation ---

def setup_varlink(h):
    os.makedirs(h.path('root'))
    S['notify'] = NotifySocket(h.path('notify.sock'))
    h.threads.append(S['notify'])
    argv = [h.daemon_path('qemu'), '--system', '--root', h.path('root'), '--bus', 'none',
            '--timeout', '1', '-v']
    S['act'] = Activator(h, h.path('qemu.sock'), argv,
                         h.base_env(NOTIFY_SOCKET=h.path('notify.sock')), 'qemud-activated')
    h.threads.append(S['act'])


def raw_get_version(sock, timeout=5):
    t0 = time.monotonic()
    with varlink_connect(sock, timeout) as s:
        s.sendall(varlink_encode('io.virtkit.Qemu.GetVersion'))
        reply = Reader(s).read()
    return reply, time.monotonic() - t0


def test_varlink_calls_across_idle_exits(h):
    act, sock = S['act'], h.path('qemu.sock')
    answered_by = []
    for i in range(30):
        pause = SLEEPS[i % len(SLEEPS)]
        time.sleep(pause)
        try:
            if i % 3 == 2:  # every third call through the Go client
                t0 = time.monotonic()
                r = h.vlcall(sock, 'io.virtkit.Qemu.GetVersion', timeout=5)
                check(r.rc == 0, f'call {i} after {pause} s:', r)
                reply, took = {'parameters': r.json()}, time.monotonic() - t0
            else:
                reply, took = raw_get_version(sock)
        except (OSError, ValueError) as e:  # reset, refused, timeout, garbage
            raise TestFailure(f'call {i} after {pause} s failed: {e!r}; daemons so far: '
                              f'{act.exits}')
        check(reply is not None, f'call {i} after {pause} s: connection closed without reply')
        check_eq(reply.get('parameters', {}).get('product'), 'virtkit-qemud',
                 f'call {i} reply')
        check(took < 5, f'call {i} took {took:.2f} s')
        answered_by.append(act.running_pid())
    check(act.error is None, 'activator failed:', act.error)
    S['pids'] = [p.pid for p in act.spawned]
    n = len(S['pids'])
    print(f'# 30 calls answered by {n} successive daemons: {answered_by}')
    check(n >= 1 + 3 * SLEEPS.count(1.5), f'30 calls around the 1 s idle timeout started {n} '
          'daemons; expected a new one at least after each 1.5 s pause')


def test_varlink_daemons_exit_cleanly_and_notify(h):
    act, notify = S['act'], S['notify']
    wait_until(lambda: act.running_pid() is None and len(act.exits) == len(act.spawned), 10,
               'the last daemon to exit by itself')
    check(act.error is None, 'activator failed:', act.error)
    for pid, status in act.exits:
        check_eq(status, 0, f'exit status of daemon {pid}')
    # the datagrams may trail the exit a little
    wait_until(lambda: all(notify.has(p, 'STOPPING=1') for p in S['pids']), 5,
               'STOPPING=1 from every daemon')
    for pid in S['pids']:
        msgs = notify.for_pid(pid)
        check(notify.has(pid, 'READY=1'), f'READY=1 from daemon {pid}:', msgs)
        ready = min(t for m, t in msgs if 'READY=1' in m.split('\n'))
        stopping = min(t for m, t in msgs if 'STOPPING=1' in m.split('\n'))
        check(ready < stopping, f'daemon {pid}: READY=1 before STOPPING=1', msgs)
    log = h.log_text('qemud-activated')
    check_eq(log.count('Idle for 1 s, exiting'), len(S['pids']),
             'every daemon logged its idle exit')
    check_eq(log.count('Serving 1 socket(s) passed by the service manager'), len(S['pids']),
             'every daemon used the passed socket')


if __name__ == '__main__':
    if MODE == 'dbus':
        sys.exit(run_tests('idle-dbus', [test_dbus_activation_and_idle_exit,
                                         test_dbus_calls_around_exit], setup_dbus))
    sys.exit(run_tests('idle-varlink', [test_varlink_calls_across_idle_exits,
                                        test_varlink_daemons_exit_cleanly_and_notify],
                       setup_varlink))
