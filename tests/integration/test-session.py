#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The session instance: started by throwaway user A with --session, it binds its own socket
in A's XDG_RUNTIME_DIR and owns its name on a private session bus; it answers A and refuses
everyone else, over varlink and D-Bus."""

import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

S = {}
BUS_NAME, BUS_PATH, BUS_IFACE = 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', \
    'io.virtkit.Qemu1.Manager'


def setup(h):
    h.start_buses(session_any_user=True)
    a = S['a'] = h.add_user()
    S['b'] = h.add_user()
    xdg, home = h.path('xdg-a'), h.path('home-a')
    for d in (xdg, home):
        os.makedirs(d, mode=0o700)
        os.chown(d, a.uid, a.gid)
    env = h.base_env(XDG_RUNTIME_DIR=xdg, HOME=home, XDG_CONFIG_HOME=f'{home}/.config',
                     XDG_CACHE_HOME=f'{home}/.cache', XDG_STATE_HOME=f'{home}/.local/state',
                     XDG_DATA_HOME=f'{home}/.local/share')
    S['proc'] = h.spawn([h.daemon_path('qemu'), '--session', '--bus', 'session', '-v'],
                        'virtkit-qemud (session)', user=a, env=env, log='qemud-session')
    S['sock'] = os.path.join(xdg, 'virtkit', 'io.virtkit.Qemu')
    wait_until(lambda: os.path.exists(S['sock']) or S['proc'].poll() is not None, 10,
               'the session socket')
    check(S['proc'].poll() is None, 'the session daemon exited:', h.log_text('qemud-session'))
    h.wait_bus_name(BUS_NAME, session=True)


def test_socket_is_private(h):
    st = os.stat(S['sock'])
    check(stat.S_ISSOCK(st.st_mode), 'a socket')
    check_eq(stat.S_IMODE(st.st_mode), 0o600, 'session socket mode')
    check_eq(st.st_uid, S['a'].uid, 'session socket owner')
    d = os.stat(os.path.dirname(S['sock']))
    check_eq(stat.S_IMODE(d.st_mode), 0o700, 'session socket directory mode')
    check_eq(h.name_owner_pid(BUS_NAME, session=True), S['proc'].pid,
             'the session daemon owns io.virtkit.Qemu1 on the session bus')


def test_owner_is_answered(h):
    a = S['a']
    r = h.vlcall(S['sock'], 'io.virtkit.Qemu.GetVersion', user=a)
    check(r.rc == 0, 'GetVersion by the owner:', r)
    check_eq(r.json()['instance'], 'session', 'instance')
    # a changing call needs no polkit on the session instance (and none runs here)
    r = h.vlcall(S['sock'], 'io.virtkit.Qemu.SetLogLevel', '{"level": "debug"}', user=a)
    check(r.rc == 0 and r.json() == {}, 'SetLogLevel by the owner:', r)
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, BUS_IFACE, 'GetVersion', user=a,
                 session=True)
    check(r.rc == 0, 'GetVersion by the owner over D-Bus:', r)
    check_eq(r.json()['data'][2], 'session', 'instance over D-Bus')
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.SetLogLevel', 'info', user=a,
                     session=True)
    check(r.rc == 0, 'SetLogLevel by the owner over D-Bus:', r)


def test_other_user_refused(h):
    b = S['b']
    # make the socket reachable, so that only the daemon's own check stands in the way
    os.chmod(os.path.dirname(os.path.dirname(S['sock'])), 0o755)
    os.chmod(os.path.dirname(S['sock']), 0o755)
    os.chmod(S['sock'], 0o666)
    for method, params in (('GetVersion', '{}'), ('SetLogLevel', '{"level": "debug"}')):
        r = h.vlcall(S['sock'], f'io.virtkit.Qemu.{method}', params, user=b)
        check_eq(r.rc, 3, f'{method} by {b} is refused ({r})')
        name, p = r.varlink_error()
        check_eq(name, 'io.virtkit.Qemu.PermissionDenied', f'{method} by {b}: error name')
        check('owner' in p.get('message', ''), 'the message says why:', p)
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.GetVersion', user=b, session=True)
    check(r.rc != 0 and 'GDBus.Error:io.virtkit.Qemu.PermissionDenied:' in r.err,
          f'GetVersion over D-Bus by {b} is PermissionDenied:', r)
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.SetLogLevel', 'debug', user=b,
                     session=True)
    check(r.rc != 0 and 'GDBus.Error:io.virtkit.Qemu.PermissionDenied:' in r.err,
          f'SetLogLevel over D-Bus by {b} is PermissionDenied:', r)


def test_root_is_another_user(h):
    r = h.vlcall(S['sock'], 'io.virtkit.Qemu.GetVersion')
    check_eq(r.rc, 3, f'GetVersion by root on a user\'s session instance is refused ({r})')
    check_eq(r.varlink_error()[0], 'io.virtkit.Qemu.PermissionDenied', 'error name')


def test_owner_still_answered(h):
    r = h.vlcall(S['sock'], 'io.virtkit.Qemu.GetVersion', user=S['a'])
    check(r.rc == 0 and r.json()['instance'] == 'session', 'GetVersion by the owner:', r)


def test_sigterm_removes_socket(h):
    check_eq(h.stop(S['proc']), 0, 'exit status after SIGTERM')
    check(not os.path.exists(S['sock']), 'the self-bound socket is removed at exit')


if __name__ == '__main__':
    sys.exit(run_tests('session', [
        test_socket_is_private,
        test_owner_is_answered,
        test_other_user_refused,
        test_root_is_another_user,
        test_owner_still_answered,
        test_sigterm_removes_socket,
    ], setup))
