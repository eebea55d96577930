#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Authorisation on the system instance: a standalone polkitd on a private system bus with our
real polkit/io.virtkit.policy, throwaway users, rules dropped in while everything runs."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (DRIVERS, TestFailure, check, check_eq, run_tests,  # noqa: E402
                       wait_until)

S = {}  # driver -> socket path; 'u', 'v': users


def names(drv):
    stem = DRIVERS[drv][1]
    return (f'io.virtkit.{stem}', f'io.virtkit.{stem}1', f'/io/virtkit/{stem}1',
            f'io.virtkit.{stem}1.Manager', f'io.virtkit.{drv}.manage')


def setup(h):
    h.start_buses()
    h.install_virtkit_bus_policies()
    h.start_polkitd()
    S['u'] = h.add_user()
    S['v'] = h.add_user()
    for drv in DRIVERS:
        os.makedirs(h.path(f'root-{drv}'))
        _, S[drv] = h.socket_activate(
            drv, ['--system', '--root', h.path(f'root-{drv}'), '--bus', 'system'],
            pass_env=['DBUS_SYSTEM_BUS_ADDRESS'])
        h.wait_bus_name(names(drv)[1])


def set_level_varlink(h, drv, user, level='info', interactive=None):
    iface = names(drv)[0]
    params = f'{{"level": "{level}"}}' if interactive is None else \
        f'{{"level": "{level}", "allowInteractiveAuthentication": {str(interactive).lower()}}}'
    return h.vlcall(S[drv], f'{iface}.SetLogLevel', params, user=user)


def set_level_dbus(h, drv, user, level='info', interactive=False):
    iface, bus_name, path, bus_iface, _ = names(drv)
    return h.gdbus_call(bus_name, path, f'{bus_iface}.SetLogLevel', level, user=user,
                        interactive=interactive)


def expect_varlink_refusal(h, drv, user, error, **kw):
    iface, _, _, _, action = names(drv)
    r = set_level_varlink(h, drv, user, **kw)
    check_eq(r.rc, 3, f'{drv}: SetLogLevel by {user} is refused ({r})')
    name, params = r.varlink_error()
    check_eq(name, f'{iface}.{error}', f'{drv}: error name for {user}')
    check(action in params.get('message', ''), f'{drv}: the message names {action}:', params)
    return r


def expect_dbus_refusal(h, drv, user, error, **kw):
    iface, _, _, _, action = names(drv)
    r = set_level_dbus(h, drv, user, **kw)
    check(r.rc != 0, f'{drv}: SetLogLevel over D-Bus by {user} must fail:', r)
    check(f'GDBus.Error:{iface}.{error}:' in r.err, f'{drv}: D-Bus error {iface}.{error}:', r)
    check(action in r.err, f'{drv}: the D-Bus message names {action}:', r)
    return r


def test_read_only_call_needs_no_rule(h):
    u = S['u']
    for drv in DRIVERS:
        iface, bus_name, path, bus_iface, _ = names(drv)
        r = h.vlcall(S[drv], f'{iface}.GetVersion', user=u)
        check(r.rc == 0, f'{drv}: GetVersion by {u} over varlink:', r)
        check_eq(r.json()['product'], DRIVERS[drv][0], 'product')
        r = h.busctl('--json=short', 'call', bus_name, path, bus_iface, 'GetVersion', user=u)
        check(r.rc == 0, f'{drv}: GetVersion by {u} over D-Bus:', r)
        check_eq(r.json()['data'][0], DRIVERS[drv][0], 'product over D-Bus')


def test_user_refused_without_rule(h):
    # auth_admin for allow_any (no logind here: the subject is neither local nor active), so
    # polkit answers "not authorised, but a challenge would do": InteractiveAuthenticationRequired
    u = S['u']
    expect_varlink_refusal(h, 'qemu', u, 'InteractiveAuthenticationRequired')
    expect_dbus_refusal(h, 'qemu', u, 'InteractiveAuthenticationRequired')
    check('Log level set' not in h.log_text('qemu-qemu.sock'), 'the handler did not run')


def test_user_refused_with_interactive_flag(h):
    # interaction allowed (varlink parameter, D-Bus message flag), but no authentication agent
    # is registered: polkitd answers at once with the same challenge, nothing waits for a prompt
    u = S['u']
    r = expect_varlink_refusal(h, 'qemu', u, 'InteractiveAuthenticationRequired',
                               interactive=True)
    check(r.elapsed < 8, 'refused within the bound:', r)
    r = expect_dbus_refusal(h, 'qemu', u, 'InteractiveAuthenticationRequired', interactive=True)
    check(r.elapsed < 8, 'refused over D-Bus within the bound:', r)
    # busctl sets ALLOW_INTERACTIVE_AUTHORIZATION by default; it shows the message only
    r = h.busctl('call', names('qemu')[1], names('qemu')[2], names('qemu')[3], 'SetLogLevel',
                 's', 'info', user=u)
    check(r.rc != 0 and 'io.virtkit.qemu.manage' in r.err, 'busctl SetLogLevel by user:', r)


def test_other_daemons_refused_without_rule(h):
    for drv in ('secret', 'network', 'storage'):
        expect_varlink_refusal(h, drv, S['u'], 'InteractiveAuthenticationRequired')
    expect_dbus_refusal(h, 'network', S['u'], 'InteractiveAuthenticationRequired')


def test_root_allowed(h):
    for drv in DRIVERS:
        r = set_level_varlink(h, drv, None, level='debug')
        check(r.rc == 0 and r.json() == {}, f'{drv}: SetLogLevel by root over varlink:', r)
        r = set_level_dbus(h, drv, None, level='info')
        check(r.rc == 0 and r.out.strip() == '()', f'{drv}: SetLogLevel by root over D-Bus:', r)


RULE_QEMU = '''// virtkit integration test: {u} may manage VMs, never storage
polkit.addRule(function(action, subject) {{
    if (subject.user == "{u}" && action.id == "io.virtkit.qemu.manage")
        return polkit.Result.YES;
    if (subject.user == "{u}" && action.id == "io.virtkit.storage.manage")
        return polkit.Result.NO;
}});
'''

RULE_ALL = '''// virtkit integration test: {u} may manage everything
polkit.addRule(function(action, subject) {{
    if (subject.user == "{u}" && action.id.indexOf("io.virtkit.") == 0 &&
        action.id.match(/\\.manage$/))
        return polkit.Result.YES;
}});
'''


def poll_allowed(h, drv, user, timeout=10):
    """Repeat the call until polkitd has reloaded the rules and allows it (bounded)."""
    last = []

    def attempt():
        r = set_level_varlink(h, drv, user)
        last[:] = [r]
        if r.rc == 0:
            return r
        name = (r.varlink_error() or ('?',))[0]
        if not name.endswith(('.InteractiveAuthenticationRequired', '.PermissionDenied')):
            raise TestFailure(f'unexpected answer while waiting for the rule: {r}')
        return None

    try:
        return wait_until(attempt, timeout, f'polkitd to apply the rule to {drv}', interval=0.1)
    except TestFailure as e:
        raise TestFailure(f'{e}; last answer: {last[0] if last else None}')


def test_rule_grants_qemu_manage(h):
    u, v = S['u'], S['v']
    h.add_polkit_rule('60-virtkit-test.rules', RULE_QEMU.format(u=u.name))
    r = poll_allowed(h, 'qemu', u)
    check_eq(r.json(), {}, 'SetLogLevel reply once the rule applies')
    check(f'Log level set to info by uid {u.uid}' in h.log_text('qemu-qemu.sock'),
          'the daemon logged the change by the user')
    r = set_level_dbus(h, 'qemu', u, level='notice')
    check(r.rc == 0 and r.out.strip() == '()', 'SetLogLevel over D-Bus once the rule applies:',
          r)
    # the rule names one user and one action
    expect_varlink_refusal(h, 'qemu', v, 'InteractiveAuthenticationRequired')
    expect_dbus_refusal(h, 'qemu', v, 'InteractiveAuthenticationRequired')
    expect_varlink_refusal(h, 'secret', u, 'InteractiveAuthenticationRequired')
    # polkit.Result.NO: no challenge would help
    expect_varlink_refusal(h, 'storage', u, 'PermissionDenied')
    expect_dbus_refusal(h, 'storage', u, 'PermissionDenied')


def test_rule_grants_other_daemons(h):
    u = S['u']
    h.add_polkit_rule('60-virtkit-test.rules', RULE_ALL.format(u=u.name))
    poll_allowed(h, 'storage', u)
    for drv in ('secret', 'network'):
        r = set_level_varlink(h, drv, u)
        check(r.rc == 0 and r.json() == {}, f'{drv}: SetLogLevel by {u} with the rule:', r)
    for drv in ('secret', 'network', 'storage'):
        r = set_level_dbus(h, drv, u, level='info')
        check(r.rc == 0, f'{drv}: SetLogLevel over D-Bus by {u} with the rule:', r)
    expect_varlink_refusal(h, 'network', S['v'], 'InteractiveAuthenticationRequired')


if __name__ == '__main__':
    sys.exit(run_tests('polkit', [
        test_read_only_call_needs_no_rule,
        test_user_refused_without_rule,
        test_user_refused_with_interactive_flag,
        test_other_daemons_refused_without_rule,
        test_root_allowed,
        test_rule_grants_qemu_manage,
        test_rule_grants_other_daemons,
    ], setup))
