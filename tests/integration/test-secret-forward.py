#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Secrets through virtkit-qemud's front door: qemud and secretd of one system
instance (same --root, a private system bus, polkitd). qemud's varlink socket answers
io.virtkit.Secret and its D-Bus name io.virtkit.Secret1.Manager on /io/virtkit/Qemu1, passing
each call to secretd's socket and relaying secretd's reply or error unchanged. qemud
authorises the call itself with secretd's declaration (polkit io.virtkit.secret.manage, not
io.virtkit.qemu.manage), never forwards EncryptSecretForDomain, and a private value stays
refused through it; a stopped secretd is an error naming it and the socket tried; a
SubscribeEvents stream is forwarded too.
"""

import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (Reader, TestFailure, check, check_eq, run_tests,  # noqa: E402
                       varlink_connect, varlink_encode, wait_until)

SIFACE = 'io.virtkit.Secret'
QBUS, QPATH = 'io.virtkit.Qemu1', '/io/virtkit/Qemu1'
SBUS, SPATH = 'io.virtkit.Secret1', '/io/virtkit/Secret1'
SMGR = 'io.virtkit.Secret1.Manager'
UUID_A = 'a0a0a0a0-1111-4222-8333-444444444444'
UUID_PRIV = 'b0b0b0b0-1111-4222-8333-444444444444'
UUID_NONE = 'c0c0c0c0-1111-4222-8333-444444444444'
S = {}


def b64(data):
    return base64.b64encode(data).decode()


def start(h, drv, log):
    sock = S['ssock'] if drv == 'secret' else S['qsock']
    p = h.spawn([h.daemon_path(drv), '--system', '--root', S['root'], '--bus', 'system', '-v'],
                f'virtkit-{drv}d', log=log)
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, sock)
    check(p.poll() is None, f'virtkit-{drv}d exited:', h.log_text(log))
    os.chmod(sock, 0o666)
    h.wait_bus_name(SBUS if drv == 'secret' else QBUS)
    return p


def setup(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu', 'secret'])
    h.start_polkitd()
    S['user'] = h.add_user()
    S['root'] = h.path('root')
    os.makedirs(S['root'])
    os.chmod(h.tmp, 0o755)
    os.chmod(S['root'], 0o755)
    S['ssock'] = os.path.join(S['root'], 'run', SIFACE)
    S['qsock'] = os.path.join(S['root'], 'run', 'io.virtkit.Qemu')
    S['secretd'] = start(h, 'secret', 'secretd')
    S['qemud'] = start(h, 'qemu', 'qemud')
    os.chmod(os.path.join(S['root'], 'run'), 0o755)


def xml(uuid, private='no', usage=None, ephemeral='no'):
    x = f"<secret ephemeral='{ephemeral}' private='{private}'><uuid>{uuid}</uuid>"
    if usage:
        x += f"<usage type='tls'><name>{usage}</name></usage>"
    return x + '</secret>'


def via(h, sock, method, params, user=None):
    """(rc, result or (error name, params)) of one varlink call on @sock."""
    r = h.vlcall(sock, f'{SIFACE}.{method}', json.dumps(params), user=user)
    if r.rc == 0:
        return 0, r.json()
    check(r.rc == 3, f'{method}: neither a reply nor a varlink error:', r)
    return 3, r.varlink_error()


def q(h, method, params, user=None):
    return via(h, S['qsock'], method, params, user)


def s(h, method, params, user=None):
    return via(h, S['ssock'], method, params, user)


def q_ok(h, method, params, user=None):
    rc, res = q(h, method, params, user)
    check(rc == 0, f'{method} through qemud failed:', res)
    return res


def busctl(h, dest, path, *args, user=None):
    return h.busctl('--json=short', 'call', dest, path, SMGR, *args, user=user)


def test_varlink_through_qemud(h):
    r = h.vlcall(S['qsock'], 'info')
    check(r.rc == 0 and SIFACE in r.json()['interfaces'], 'qemud lists io.virtkit.Secret:', r)
    check_eq(q_ok(h, 'DefineSecret', {'xml': xml(UUID_A, usage='fwd-a')}), {'uuid': UUID_A},
             'DefineSecret through qemud')
    q_ok(h, 'DefineSecret', {'xml': xml(UUID_PRIV, private='yes')})
    check_eq(q_ok(h, 'SetSecretValue', {'secret': UUID_A, 'value': b64(b'fwd value')}), {},
             'SetSecretValue through qemud')
    q_ok(h, 'SetSecretValue', {'secret': UUID_PRIV, 'value': b64(b'private value')})
    # every reply and every error is secretd's own, unchanged
    for method, params in (('GetSecretValue', {'secret': UUID_A}),
                           ('ListSecrets', {}),
                           ('ListSecrets', {'private': 'yes'}),
                           ('LookupSecret', {'usageType': 'tls', 'usageId': 'fwd-a'}),
                           ('GetSecretXML', {'secret': UUID_A}),
                           ('GetSecretXML', {'secret': UUID_NONE}),
                           ('GetSecretValue', {'secret': UUID_PRIV}),
                           ('DefineSecret', {'xml': "<secret><bogus/></secret>"}),
                           ('ListSecrets', {'ephemeral': 'maybe'})):
        check_eq(q(h, method, params), s(h, method, params),
                 f'{method}({params}) through qemud and from secretd')
    rc, (name, p) = q(h, 'GetSecretXML', {'secret': UUID_NONE})
    check_eq((rc, name, p.get('secret')), (3, f'{SIFACE}.NoSuchSecret', UUID_NONE),
             'NoSuchSecret with its parameter through qemud')
    rc, (name, p) = q(h, 'GetSecretValue', {'secret': UUID_PRIV})
    check_eq(name, f'{SIFACE}.OperationInvalid', 'a private value through qemud, as root')
    check(base64.b64decode(q_ok(h, 'GetSecretValue', {'secret': UUID_A})['value']) ==
          b'fwd value', 'the value through qemud')


def test_encrypt_not_forwarded(h):
    key = b64(bytes(range(32)))
    rc, (name, p) = q(h, 'EncryptSecretForDomain', {'secret': UUID_PRIV, 'key': key})
    check_eq(name, 'org.varlink.service.MethodNotFound', 'EncryptSecretForDomain on qemud')
    rc, res = s(h, 'EncryptSecretForDomain', {'secret': UUID_PRIV, 'key': key})
    check(rc == 0 and 'ciphertext' in res, 'while secretd answers root itself:', res)
    r = h.vlcall(S['qsock'], 'describe', SIFACE)
    check(r.rc == 0 and 'method DefineSecret(' in r.out, 'the description qemud serves:', r)
    for absent in ('EncryptSecretForDomain', 'SetLogLevel', 'GetVersion'):
        check(f'method {absent}(' not in r.out, f'{absent} is not in qemud\'s io.virtkit.Secret:',
              r.out)
    r = h.gdbus_call(QBUS, QPATH, f'{SMGR}.EncryptSecretForDomain', UUID_PRIV, key)
    check(r.rc != 0 and 'UnknownMethod' in r.err, 'EncryptSecretForDomain on D-Bus:', r)


def test_dbus_through_qemud(h):
    r = h.busctl('introspect', QBUS, QPATH, SMGR)
    check(r.rc == 0 and '.DefineSecret' in r.out and '.GetSecretValue' in r.out,
          f'{SMGR} on qemud\'s {QPATH}:', r)
    got = busctl(h, QBUS, QPATH, 'ListSecrets', 'ss', '', '')
    want = busctl(h, SBUS, SPATH, 'ListSecrets', 'ss', '', '')
    check(got.rc == 0 and want.rc == 0, 'ListSecrets over D-Bus:', got, want)
    check_eq(got.json(), want.json(), 'ListSecrets through qemud and from secretd')
    r = busctl(h, QBUS, QPATH, 'GetSecretValue', 's', UUID_A)
    check(r.rc == 0 and r.json()['data'] == [b64(b'fwd value')], 'GetSecretValue over D-Bus:', r)
    r = h.gdbus_call(QBUS, QPATH, f'{SMGR}.GetSecretXML', UUID_NONE)
    check(r.rc != 0 and f'GDBus.Error:{SIFACE}.NoSuchSecret:' in r.err,
          'secretd\'s error name through qemud on D-Bus:', r)
    r = h.gdbus_call(QBUS, QPATH, f'{SMGR}.GetSecretValue', UUID_PRIV)
    check(r.rc != 0 and f'GDBus.Error:{SIFACE}.OperationInvalid:' in r.err,
          'a private value through qemud on D-Bus:', r)


QEMU_RULE = '''// virtkit integration test: {u} may manage domains (not secrets)
polkit.addRule(function(action, subject) {{
    if (subject.user == "{u}" && action.id == "io.virtkit.qemu.manage")
        return polkit.Result.YES;
}});
'''

SECRET_RULE = '''// virtkit integration test: {u} may manage secrets
polkit.addRule(function(action, subject) {{
    if (subject.user == "{u}" && action.id == "io.virtkit.secret.manage")
        return polkit.Result.YES;
}});
'''


def test_polkit_through_qemud(h):
    u = S['user']
    rc, res = q(h, 'ListSecrets', {}, user=u)
    check(rc == 0 and len(res['secrets']) == 2, 'ListSecrets by a user through qemud:', res)
    new = xml('d0d0d0d0-1111-4222-8333-444444444444')

    def refused(what):
        rc, res = q(h, 'DefineSecret', {'xml': new}, user=u)
        check(rc == 3 and res[0] == f'{SIFACE}.InteractiveAuthenticationRequired' and
              'io.virtkit.secret.manage' in res[1]['message'], f'{what}:', res)
        rc, res = q(h, 'GetSecretValue', {'secret': UUID_A}, user=u)
        check(rc == 3 and res[0].endswith('InteractiveAuthenticationRequired'),
              f'{what}, GetSecretValue:', res)
        r = busctl(h, QBUS, QPATH, 'DefineSecret', 's', new, user=u)
        check(r.rc != 0 and 'io.virtkit.secret.manage' in r.err, f'{what}, over D-Bus:', r)

    # qemud runs as root, but the caller is the user: refused as secretd would refuse
    refused('DefineSecret by a user through qemud')
    # the action is secretd's: a rule for qemud's own does not open the secrets
    h.add_polkit_rule('60-fwd-qemu.rules', QEMU_RULE.format(u=u.name))
    # (applied once a changing qemu call gets past polkit to the driver: NoSuchDomain)
    wait_until(lambda: 'NoSuchDomain' in h.vlcall(
        S['qsock'], 'io.virtkit.Qemu.SetDomainAutostart', '{"domain": "x", "enabled": true}',
        user=u).err, 10, 'polkitd to apply the qemu rule', interval=0.1)
    refused('DefineSecret by a user allowed io.virtkit.qemu.manage')
    h.add_polkit_rule('61-fwd-secret.rules', SECRET_RULE.format(u=u.name))

    def allowed():
        rc, res = q(h, 'DefineSecret', {'xml': new}, user=u)
        if rc == 0:
            return res
        if not res[0].endswith('InteractiveAuthenticationRequired'):
            raise TestFailure(f'unexpected answer while waiting for the rule: {res}')
        return None
    wait_until(allowed, 10, 'polkitd to apply the secret rule', interval=0.1)
    check_eq(base64.b64decode(q_ok(h, 'GetSecretValue', {'secret': UUID_A}, user=u)['value']),
             b'fwd value', 'a value read through qemud by the allowed user')
    # forwarding does not elevate: a private value stays refused, EncryptSecretForDomain absent
    rc, res = q(h, 'GetSecretValue', {'secret': UUID_PRIV}, user=u)
    check(rc == 3 and res[0] == f'{SIFACE}.OperationInvalid',
          'a private value through qemud, by an allowed user:', res)
    r = h.gdbus_call(QBUS, QPATH, f'{SMGR}.GetSecretValue', UUID_PRIV, user=u)
    check(r.rc != 0 and f'{SIFACE}.OperationInvalid' in r.err,
          'the same over D-Bus:', r)
    rc, res = q(h, 'EncryptSecretForDomain', {'secret': UUID_PRIV, 'key': b64(bytes(32))},
                user=u)
    check(rc == 3 and res[0] == 'org.varlink.service.MethodNotFound',
          'EncryptSecretForDomain by the allowed user through qemud:', res)
    q_ok(h, 'UndefineSecret', {'secret': 'd0d0d0d0-1111-4222-8333-444444444444'}, user=u)


def test_events_through_qemud(h):
    sock = varlink_connect(S['qsock'])
    sock.sendall(varlink_encode(f'{SIFACE}.SubscribeEvents', {}, more=True))
    time.sleep(0.3)  # the stream says nothing before the first event
    rd = Reader(sock)
    q_ok(h, 'SetSecretValue', {'secret': UUID_A, 'value': b64(b'second')})
    s(h, 'UndefineSecret', {'secret': UUID_PRIV})
    got = [rd.read() for _ in range(2)]
    check_eq([(m.get('continues'), m.get('parameters')) for m in got], [
        (True, {'uuid': UUID_A, 'usageType': 'tls', 'usageId': 'fwd-a',
                'event': 'value-changed'}),
        (True, {'uuid': UUID_PRIV, 'usageType': 'none', 'usageId': '', 'event': 'undefined'})],
        'events streamed through qemud')
    S['stream'] = (sock, rd)


def test_secretd_down(h):
    check_eq(h.stop(S['secretd']), 0, 'secretd exit status')
    sock, rd = S['stream']
    end = rd.read()
    check(end and end.get('error') == f'{SIFACE}.OperationFailed' and
          f'virtkit-secretd at {S["ssock"]} closed the connection during SubscribeEvents' in
          end['parameters']['message'], 'the forwarded stream ends with secretd:', end)
    sock.close()
    rc, res = q(h, 'ListSecrets', {})
    want = f'virtkit-secretd is not reachable at {S["ssock"]}: '
    check(rc == 3 and res[0] == f'{SIFACE}.OperationFailed' and
          res[1]['message'].startswith(want), 'ListSecrets with secretd stopped:', res)
    print(f"# {res[1]['message']}")
    check_eq((res[1].get('daemon'), res[1].get('socket')), ('virtkit-secretd', S['ssock']),
             'the error parameters')
    r = h.gdbus_call(QBUS, QPATH, f'{SMGR}.ListSecrets', '', '')
    check(r.rc != 0 and f'{SIFACE}.OperationFailed' in r.err and want in r.err,
          'the same over D-Bus:', r)
    # qemud itself is fine, and a restarted secretd is reached again
    r = h.vlcall(S['qsock'], 'io.virtkit.Qemu.ListDomains', '{}')
    check(r.rc == 0 and S['qemud'].poll() is None, 'qemud still serves:', r)
    S['secretd'] = start(h, 'secret', 'secretd')
    check_eq([x['uuid'] for x in q_ok(h, 'ListSecrets', {})['secrets']], [UUID_A],
             'ListSecrets through qemud after secretd restarted')


if __name__ == '__main__':
    sys.exit(run_tests('secret-forward', [
        test_varlink_through_qemud,
        test_encrypt_not_forwarded,
        test_dbus_through_qemud,
        test_polkit_through_qemud,
        test_events_through_qemud,
        test_secretd_down,
    ], setup))
