#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtkit-secretd end to end: the system instance under systemd-socket-activate on a private
system bus with polkitd; secrets defined, listed, looked up, valued and undefined over varlink
(vlcall) and D-Bus (busctl, gdbus); change events on a SubscribeEvents stream and as the
SecretEvent signal; one D-Bus object per secret with properties, InterfacesAdded/Removed and
PropertiesChanged; polkit decides who may change them; values are encrypted at rest and
survive a restart, ephemeral secrets do not; a wrong key fails one read, clearly."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (Reader, TestFailure, check, check_eq, run_tests,  # noqa: E402
                       varlink_connect, varlink_encode, varlink_raw_call, wait_until)

IFACE = 'io.virtkit.Secret'
BUS_NAME = 'io.virtkit.Secret1'
BUS_PATH = '/io/virtkit/Secret1'
BUS_IFACE = 'io.virtkit.Secret1.Manager'
UUID_VOL = '0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'
UUID_EPH = 'eeeeeeee-2222-4333-8444-555555555555'
UUID_PRIV = '11111111-2222-4333-8444-555555555555'
UUID_EV = '5e5e5e5e-0000-4000-8000-00000000e1e1'
UUID_EV_EPH = '5e5e5e5e-0000-4000-8000-00000000e2e2'
UUID_LIMIT = '5e5e5e5e-0000-4000-8000-00000000e3e3'
OBJ_IFACE = 'io.virtkit.Secret1.Secret'
OM = 'org.freedesktop.DBus.ObjectManager'
PROPS = 'org.freedesktop.DBus.Properties'
PLAINTEXT = b'correct horse battery staple'
S = {}


def start_daemon(h, cred_dir=None):
    """(Re)start the daemon on S['sock']; a credentials directory goes in its environment."""
    sock = S['sock']
    if os.path.exists(sock):
        os.unlink(sock)
    argv = ['systemd-socket-activate', '-l', sock, '--fdname=varlink',
            '-E', f'DBUS_SYSTEM_BUS_ADDRESS={h.system_bus}']
    if cred_dir:
        argv += ['-E', f'CREDENTIALS_DIRECTORY={cred_dir}']
    argv += [h.daemon_path('secret'), '--system', '--root', S['root'], '--bus', 'system']
    p = h.spawn(argv, 'virtkit-secretd', log='secretd')
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, f'{sock} to appear')
    check(p.poll() is None, 'systemd-socket-activate exited early:', h.log_text('secretd'))
    os.chmod(sock, 0o666)
    reply = varlink_raw_call(sock, 'org.varlink.service.GetInfo', timeout=10)
    check('parameters' in reply, 'GetInfo after activation failed:', reply)
    wait_until(lambda: h.name_owner_pid(BUS_NAME) == p.pid, 10, f'{BUS_NAME} owned by {p.pid}',
               interval=0.05)
    S['proc'] = p


def restart(h, cred_dir=None):
    check_eq(h.stop(S['proc']), 0, 'exit status of the daemon on SIGTERM')
    start_daemon(h, cred_dir)


def setup(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['secret'])
    h.start_polkitd()
    S['user'] = h.add_user()
    S['root'] = h.path('root')
    S['sock'] = h.path('secret.sock')
    S['etc'] = os.path.join(S['root'], 'etc', 'secret')
    S['lib'] = os.path.join(S['root'], 'lib', 'secret')
    os.makedirs(S['root'])
    start_daemon(h)


def call(h, method, params=None, user=None):
    args = [f'{IFACE}.{method}'] + ([json.dumps(params)] if params is not None else [])
    return h.vlcall_ok(S['sock'], *args, user=user).json()


def call_error(h, method, params, user=None):
    return h.vlcall_error(S['sock'], f'{IFACE}.{method}', json.dumps(params), user=user)


def b64(data):
    return base64.b64encode(data).decode()


def secret_xml(uuid=None, usage=None, ephemeral='no', private='no', desc=None):
    x = f"<secret ephemeral='{ephemeral}' private='{private}'>"
    if uuid:
        x += f'<uuid>{uuid}</uuid>'
    if desc:
        x += f'<description>{desc}</description>'
    if usage:
        kind, child, ident = usage
        x += f"<usage type='{kind}'><{child}>{ident}</{child}></usage>"
    return x + '</secret>'


def daemon_alive(h):
    check(S['proc'].poll() is None, 'the daemon died:', h.log_text('secretd'))
    call(h, 'GetVersion')


# --- varlink ---

def test_varlink_define_list_lookup(h):
    r = call(h, 'DefineSecret', {'xml': secret_xml(UUID_VOL, ('volume', 'volume', '/img/a.img'),
                                                   desc='first')})
    check_eq(r, {'uuid': UUID_VOL}, 'DefineSecret result')
    r = call(h, 'DefineSecret', {'xml': secret_xml(usage=('ceph', 'name', 'client.admin'))})
    S['ceph'] = r['uuid']
    check(len(S['ceph']) == 36, 'a generated UUID:', r)
    lst = call(h, 'ListSecrets', {})['secrets']
    check_eq(sorted(s['uuid'] for s in lst), sorted([UUID_VOL, S['ceph']]), 'listed uuids')
    vol = [s for s in lst if s['uuid'] == UUID_VOL][0]
    check_eq(vol, {'uuid': UUID_VOL, 'usageType': 'volume', 'usageId': '/img/a.img',
                   'ephemeral': False, 'private': False, 'hasValue': False}, 'summary')
    r = call(h, 'LookupSecret', {'usageType': 'ceph', 'usageId': 'client.admin'})
    check_eq(r, {'uuid': S['ceph'], 'usageType': 'ceph', 'usageId': 'client.admin'}, 'lookup')
    r = call(h, 'LookupSecret', {'uuid': UUID_VOL.upper()})
    check_eq(r['usageId'], '/img/a.img', 'lookup by an upper-case uuid')
    xml = call(h, 'GetSecretXML', {'secret': UUID_VOL})['xml']
    check(f'<uuid>{UUID_VOL}</uuid>' in xml and '<description>first</description>' in xml,
          'GetSecretXML:', xml)
    check(os.path.exists(os.path.join(S['etc'], f'{UUID_VOL}.xml')), 'definition on disk')


def test_varlink_errors(h):
    name, p = call_error(h, 'LookupSecret', {'uuid': UUID_EPH})
    check_eq(name, f'{IFACE}.NoSuchSecret', 'unknown uuid')
    check_eq(p.get('secret'), UUID_EPH, 'the error names the secret')
    name, p = call_error(h, 'DefineSecret', {'xml': "<secret><usage type='x'/></secret>"})
    check_eq(name, f'{IFACE}.InvalidXML', 'bad usage type')
    check_eq(p['message'], "/secret/usage/@type: unsupported value 'x'", 'message')
    name, p = call_error(h, 'DefineSecret', {
        'xml': secret_xml(UUID_EPH, ('volume', 'volume', '/img/a.img'))})
    check_eq(name, f'{IFACE}.OperationInvalid', 'usage taken')
    check(UUID_VOL in p['message'] and UUID_EPH in p['message'], 'both uuids named:', p)
    name, p = call_error(h, 'DefineSecret', {
        'xml': secret_xml(UUID_VOL, ('volume', 'volume', '/img/a.img'), private='yes')})
    check_eq(name, f'{IFACE}.OperationInvalid', 'private cannot change on redefine')
    name, p = call_error(h, 'SetSecretValue', {'secret': UUID_VOL, 'value': 'not base64!'})
    check_eq(name, f'{IFACE}.InvalidArgument', 'bad base64')
    name, p = call_error(h, 'SetSecretValue', {'secret': UUID_VOL,
                                               'value': b64(b'x' * (64 * 1024 + 1))})
    check_eq(name, f'{IFACE}.InvalidArgument', 'value too large')
    name, p = call_error(h, 'GetSecretValue', {'secret': UUID_VOL})
    check_eq(name, f'{IFACE}.NoSecretValue', 'no value yet')
    name, p = call_error(h, 'ListSecrets', {'ephemeral': 'maybe'})
    check_eq(name, f'{IFACE}.InvalidArgument', 'bad filter')


def test_varlink_values_encrypted(h):
    call(h, 'SetSecretValue', {'secret': UUID_VOL, 'value': b64(PLAINTEXT)})
    r = call(h, 'GetSecretValue', {'secret': UUID_VOL})
    check_eq(base64.b64decode(r['value']), PLAINTEXT, 'value read back')
    path = os.path.join(S['lib'], f'{UUID_VOL}.value')
    with open(path, 'rb') as f:
        data = f.read()
    check(PLAINTEXT not in data and b'horse' not in data, 'the plaintext is not on disk')
    check_eq(data[:8], b'VKSECRET', 'value file magic')
    check_eq(os.stat(path).st_mode & 0o777, 0o600, 'value file mode')
    check_eq(os.stat(os.path.join(S['lib'], 'secrets-encryption-key')).st_mode & 0o777, 0o600,
             'generated key mode')
    check('horse' not in h.log_text('secretd') and b64(PLAINTEXT) not in h.log_text('secretd'),
          'the value is not in the log')
    check_eq(sorted(os.listdir(S['lib'])), sorted([f'{UUID_VOL}.value',
                                                   'secrets-encryption-key']),
             'no temporary files in the lib dir')


def test_private_value_refused(h):
    call(h, 'DefineSecret', {'xml': secret_xml(UUID_PRIV, ('tls', 'name', 'tls0'),
                                               private='yes')})
    call(h, 'SetSecretValue', {'secret': UUID_PRIV, 'value': b64(b'private bytes')})
    name, p = call_error(h, 'GetSecretValue', {'secret': UUID_PRIV})
    check_eq(name, f'{IFACE}.OperationInvalid', 'private value refused to root')
    check(UUID_PRIV in p['message'] and 'private' in p['message'], 'message:', p)
    lst = call(h, 'ListSecrets', {'private': 'yes'})['secrets']
    check_eq([(s['uuid'], s['hasValue']) for s in lst], [(UUID_PRIV, True)], 'private filter')
    # ... but encrypted for a domain's QEMU (what qemud asks): openssl decrypts it as QEMU does
    key = bytes(range(1, 33))
    r = call(h, 'EncryptSecretForDomain', {'secret': UUID_PRIV, 'key': b64(key)})
    ct, iv = base64.b64decode(r['ciphertext']), base64.b64decode(r['iv'])
    check(len(iv) == 16 and len(ct) % 16 == 0 and b'private bytes' not in ct, 'ciphertext:', r)
    if shutil.which('openssl'):
        d = subprocess.run(['openssl', 'enc', '-d', '-aes-256-cbc', '-K', key.hex(),
                            '-iv', iv.hex()], input=ct, capture_output=True, timeout=10)
        check_eq(d.stdout, b'private bytes', 'openssl decrypts EncryptSecretForDomain')
    name, p = call_error(h, 'EncryptSecretForDomain', {'secret': UUID_PRIV, 'key': b64(b'short')})
    check_eq(name, f'{IFACE}.InvalidArgument', 'a key that is not 32 bytes')
    name, p = call_error(h, 'EncryptSecretForDomain', {'secret': UUID_VOL[:-1] + '0',
                                                       'key': b64(key)})
    check_eq(name, f'{IFACE}.NoSuchSecret', 'EncryptSecretForDomain of an unknown secret')
    check_eq(p.get('secret'), UUID_VOL[:-1] + '0', 'the error names the secret')
    # ... and in clear to storaged (same uid) for a LUKS volume: by UUID or by the volume's path
    r = call(h, 'GetSecretValueForVolume', {'secret': UUID_PRIV})
    check_eq(base64.b64decode(r['value']), b'private bytes', 'a private value for a volume')
    want = call(h, 'GetSecretValue', {'secret': UUID_VOL})['value']
    r = call(h, 'GetSecretValueForVolume', {'volume': '/img/a.img'})
    check_eq(r['value'], want, 'the value of the secret whose usage is the volume')
    name, p = call_error(h, 'GetSecretValueForVolume', {'volume': '/img/nothere.img'})
    check_eq(name, f'{IFACE}.NoSuchSecret', 'no secret for that volume')
    check('/img/nothere.img' in p['message'], 'the error names the volume:', p)
    name, _ = call_error(h, 'GetSecretValueForVolume', {'secret': UUID_PRIV, 'volume': '/x'})
    check_eq(name, f'{IFACE}.InvalidArgument', 'both a secret and a volume')


# --- D-Bus ---

def busctl_json(h, *args, user=None):
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, BUS_IFACE, *args, user=user)
    check(r.rc == 0, 'busctl call failed:', r)
    return r.json()['data'] if r.out.strip() else []  # an empty reply prints nothing


def test_dbus(h):
    xml = secret_xml(UUID_EPH, ('iscsi', 'target', 'iqn.example'), ephemeral='yes')
    check_eq(busctl_json(h, 'DefineSecret', 's', xml), [UUID_EPH], 'DefineSecret over D-Bus')
    check_eq(busctl_json(h, 'SetSecretValue', 'ss', UUID_EPH, b64(b'eph value')), [],
             'SetSecretValue over D-Bus')
    check_eq(busctl_json(h, 'GetSecretValue', 's', UUID_EPH), [b64(b'eph value')],
             'GetSecretValue over D-Bus')
    lst = busctl_json(h, 'ListSecrets', 'ss', 'yes', '')[0]
    check_eq(lst, [[UUID_EPH, 'iscsi', 'iqn.example', True, False, True]],
             'ListSecrets(ephemeral=yes) over D-Bus')
    check_eq(busctl_json(h, 'LookupSecret', 'sss', '', 'iscsi', 'iqn.example'),
             [UUID_EPH, 'iscsi', 'iqn.example'], 'LookupSecret over D-Bus')
    check(not os.path.exists(os.path.join(S['etc'], f'{UUID_EPH}.xml')) and
          not os.path.exists(os.path.join(S['lib'], f'{UUID_EPH}.value')),
          'an ephemeral secret never touches the disk')
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.GetSecretValue', UUID_PRIV)
    check(r.rc != 0 and f'GDBus.Error:{IFACE}.OperationInvalid:' in r.err,
          'private value refused over D-Bus:', r)
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.UndefineSecret', UUID_VOL[:-1] + '0')
    check(r.rc != 0 and f'GDBus.Error:{IFACE}.NoSuchSecret:' in r.err,
          'NoSuchSecret over D-Bus:', r)


# --- events and per-secret D-Bus objects ---

def obj_path(uuid):
    return f'{BUS_PATH}/secret/_{uuid.replace("-", "_")}'


class Monitor:
    """`gdbus monitor` of the daemon's signals, its output in a log file we poll."""

    def __init__(self, h, dest, log):
        self.h, self.log, self.seen = h, log, 0
        h.spawn(['stdbuf', '-oL', 'gdbus', 'monitor', '--address', h.system_bus, '--dest',
                 dest], 'gdbus monitor', log=log)
        wait_until(lambda: 'is owned by' in h.log_text(log), 10, 'gdbus monitor to start')

    def wait(self, pattern, what, timeout=10):
        """Wait for a line matching @pattern after the last match; returns the line."""
        rx = re.compile(pattern)

        def find():
            lines = self.h.log_text(self.log).splitlines()
            for i in range(self.seen, len(lines)):
                if rx.search(lines[i]):
                    self.seen = i + 1
                    return lines[i]
            return None
        return wait_until(find, timeout, what, interval=0.05)


def subscribe(sock):
    """A SubscribeEvents stream on its own connection; returns its Reader."""
    s = varlink_connect(sock)
    s.sendall(varlink_encode(f'{IFACE}.SubscribeEvents', {}, more=True))
    time.sleep(0.2)  # no reply comes before the first event: give the daemon a moment
    return Reader(s)


def next_event(reader):
    msg = reader.read()
    check(msg is not None and msg.get('continues') is True and 'parameters' in msg,
          'a streamed event:', msg)
    return msg['parameters']


def signal_re(uuid, usage_type, usage_id, event):
    return (rf"^{re.escape(BUS_PATH)}: {BUS_IFACE}\.SecretEvent \('{uuid}', '{usage_type}', "
            rf"'{re.escape(usage_id)}', '{event}'\)")


def test_events(h):
    mon = S['mon'] = Monitor(h, BUS_NAME, 'gdbus-monitor')
    ev = subscribe(S['sock'])
    want = []

    def step(method, params, uuid, usage, event):
        call(h, method, params)
        want.append({'uuid': uuid, 'usageType': usage[0], 'usageId': usage[1], 'event': event})
        mon.wait(signal_re(uuid, usage[0], usage[1], event), f'SecretEvent {event} of {uuid}')

    tls = ('tls', 'events-tls')
    step('DefineSecret', {'xml': secret_xml(UUID_EV, ('tls', 'name', tls[1]), desc='one')},
         UUID_EV, tls, 'defined')
    step('SetSecretValue', {'secret': UUID_EV, 'value': b64(b'v1')}, UUID_EV, tls,
         'value-changed')
    step('DefineSecret', {'xml': secret_xml(UUID_EV, ('tls', 'name', tls[1]), desc='two')},
         UUID_EV, tls, 'defined')
    # ephemeral secrets emit too
    step('DefineSecret', {'xml': secret_xml(UUID_EV_EPH, ephemeral='yes')}, UUID_EV_EPH,
         ('none', ''), 'defined')
    step('SetSecretValue', {'secret': UUID_EV_EPH, 'value': b64(b'v2')}, UUID_EV_EPH,
         ('none', ''), 'value-changed')
    step('UndefineSecret', {'secret': UUID_EV_EPH}, UUID_EV_EPH, ('none', ''), 'undefined')
    # a refused change is no change: no event
    call_error(h, 'SetSecretValue', {'secret': UUID_EV, 'value': 'not base64'})
    got = [next_event(ev) for _ in want]
    check_eq(got, want, 'the SubscribeEvents stream')
    # the same signal over D-Bus, with named arguments in the introspection
    r = h.busctl('--xml-interface', 'introspect', BUS_NAME, BUS_PATH)
    check(r.rc == 0 and '<signal name="SecretEvent">' in r.out and
          '<arg type="s" name="event"/>' in r.out, 'SecretEvent introspected:', r)
    S['events'] = ev


def test_stream_limit(h):
    """At most 256 SubscribeEvents streams (common/subscribers.c); the 257th is refused by
    name, and a stream whose client went away frees its place for the next one."""
    users = [h.add_user(), h.add_user()]  # the daemon also allows 256 connections per uid

    def open_stream(u):
        os.setegid(u.gid)
        os.seteuid(u.uid)
        try:
            s = varlink_connect(S['sock'])
        finally:
            os.seteuid(0)
            os.setegid(0)
        s.sendall(varlink_encode(f'{IFACE}.SubscribeEvents', {}, more=True))
        return s

    held = [open_stream(users[i % 2]) for i in range(256 - 1)]  # test_events holds one
    time.sleep(0.5)  # streams get no reply: let the daemon take them all
    extra = open_stream(users[0])
    m = Reader(extra).read()
    check(m is not None and m.get('error') == f'{IFACE}.LimitExceeded',
          'the 257th stream was not refused:', m)
    extra.close()
    held.pop().close()
    time.sleep(0.2)
    late = Reader(open_stream(users[1]))
    time.sleep(0.2)
    call(h, 'DefineSecret', {'xml': secret_xml(UUID_LIMIT, ephemeral='yes')})
    ev = next_event(late)
    check_eq((ev['uuid'], ev['event']), (UUID_LIMIT, 'defined'),
             'a stream opened after one was closed gets the events')
    call(h, 'UndefineSecret', {'secret': UUID_LIMIT})
    for s in held:
        s.close()
    late.s.close()
    # test_events' stream got both events as well
    for want in ('defined', 'undefined'):
        check_eq(next_event(S['events'])['event'], want, 'the first stream still streams')


def managed_objects(h):
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, OM, 'GetManagedObjects')
    check(r.rc == 0, 'GetManagedObjects:', r)
    return {path: {k: v['data'] for k, v in ifaces[OBJ_IFACE].items()}
            for path, ifaces in r.json()['data'][0].items() if OBJ_IFACE in ifaces}


def prop(h, uuid, name, user=None):
    r = h.busctl('--json=short', 'get-property', BUS_NAME, obj_path(uuid), OBJ_IFACE, name,
                 user=user)
    check(r.rc == 0, f'get-property {name}:', r)
    return r.json()['data']


def test_secret_objects(h):
    mon = S['mon']
    objs = managed_objects(h)
    check_eq(objs.get(obj_path(UUID_EV)), {
        'UUID': UUID_EV, 'UsageType': 'tls', 'UsageID': 'events-tls', 'Ephemeral': False,
        'Private': False, 'HasValue': True, 'Description': 'two'}, 'the properties of a secret')
    check_eq(objs.get(obj_path(UUID_PRIV), {}).get('Private'), True, 'the private secret')
    check(obj_path(UUID_EV_EPH) not in objs, 'the undefined ephemeral secret has no object')
    r = h.busctl('introspect', BUS_NAME, obj_path(UUID_EV), OBJ_IFACE)
    check(r.rc == 0, 'busctl introspect:', r)
    for member in ('.GetXML', '.SetValue', '.GetValue', '.Undefine', '.UUID', '.UsageType',
                   '.UsageID', '.Ephemeral', '.Private', '.HasValue', '.Description'):
        check(re.search(rf'^{re.escape(member)}\s', r.out, re.M), f'{member} introspected:',
              r.out)
    check(re.search(r'^\.Description\s+property\s+s\s+"two"\s+emits-change', r.out, re.M),
          'Description is a property that emits changes:', r.out)
    # anyone may read the properties; the value stays behind polkit and private stays private
    u = S['user']
    check_eq(prop(h, UUID_EV, 'UsageID', user=u), 'events-tls', 'a property read by a user')
    r = h.busctl('--json=short', 'call', BUS_NAME, obj_path(UUID_EV), OBJ_IFACE, 'GetXML')
    check(r.rc == 0 and '<description>two</description>' in r.json()['data'][0],
          'GetXML on the object:', r)
    r = h.busctl('call', BUS_NAME, obj_path(UUID_EV), OBJ_IFACE, 'GetValue', user=u)
    check(r.rc != 0 and 'io.virtkit.secret.manage' in r.err, 'GetValue by a user:', r)
    r = h.gdbus_call(BUS_NAME, obj_path(UUID_PRIV), f'{OBJ_IFACE}.GetValue')
    check(r.rc != 0 and f'GDBus.Error:{IFACE}.OperationInvalid:' in r.err,
          'GetValue of a private secret on its object, as root:', r)
    # the object's methods are the manager's: changes announce themselves
    r = h.busctl('call', BUS_NAME, obj_path(UUID_EV), OBJ_IFACE, 'SetValue', 's', b64(b'v3'))
    check(r.rc == 0, 'SetValue on the object:', r)
    mon.wait(signal_re(UUID_EV, 'tls', 'events-tls', 'value-changed'), 'value-changed')
    check_eq(base64.b64decode(call(h, 'GetSecretValue', {'secret': UUID_EV})['value']), b'v3',
             'the value set on the object')
    call(h, 'DefineSecret', {'xml': secret_xml(UUID_EV, ('tls', 'name', 'events-tls'),
                                               desc='three')})
    mon.wait(rf"^{re.escape(obj_path(UUID_EV))}: {PROPS}\.PropertiesChanged "
             rf"\('{OBJ_IFACE}', {{'Description': <'three'>}}", 'PropertiesChanged(Description)')
    # a new secret appears with its properties, an undefined one disappears
    call(h, 'DefineSecret', {'xml': secret_xml(UUID_EV_EPH, ('vtpm', 'name', 'ev-vtpm'),
                                               ephemeral='yes')})
    mon.wait(rf"^{BUS_PATH}: {OM}\.InterfacesAdded \(objectpath '{obj_path(UUID_EV_EPH)}', "
             rf"{{'{OBJ_IFACE}': {{'UUID': <'{UUID_EV_EPH}'>", 'InterfacesAdded')
    check_eq(prop(h, UUID_EV_EPH, 'HasValue'), False, 'HasValue of a new secret')
    r = h.busctl('call', BUS_NAME, obj_path(UUID_EV_EPH), OBJ_IFACE, 'Undefine')
    check(r.rc == 0, 'Undefine on the object:', r)
    mon.wait(rf"^{BUS_PATH}: {OM}\.InterfacesRemoved \(objectpath '{obj_path(UUID_EV_EPH)}', "
             rf"\['{OBJ_IFACE}'\]\)", 'InterfacesRemoved')
    call(h, 'UndefineSecret', {'secret': UUID_EV})
    mon.wait(rf"InterfacesRemoved \(objectpath '{obj_path(UUID_EV)}'", 'InterfacesRemoved')
    r = h.busctl('get-property', BUS_NAME, obj_path(UUID_EV), OBJ_IFACE, 'UUID')
    check(r.rc != 0, 'an undefined secret has no object:', r)
    # the stream saw all of it, in order
    got = [next_event(S['events'])['event'] for _ in range(5)]
    check_eq(got, ['value-changed', 'defined', 'defined', 'undefined', 'undefined'],
             'the stream after the object tests')


# --- polkit ---

RULE = '''// virtkit integration test: {u} may manage secrets
polkit.addRule(function(action, subject) {{
    if (subject.user == "{u}" && action.id == "io.virtkit.secret.manage")
        return polkit.Result.YES;
}});
'''


def test_polkit(h):
    u = S['user']
    check_eq(call(h, 'GetVersion', user=u)['product'], 'virtkit-secretd', 'GetVersion by user')
    check(len(call(h, 'ListSecrets', {}, user=u)['secrets']) >= 3, 'ListSecrets by user')
    xml = secret_xml(usage=('vtpm', 'name', 'user-vtpm'))
    name, p = call_error(h, 'DefineSecret', {'xml': xml}, user=u)
    check_eq(name, f'{IFACE}.InteractiveAuthenticationRequired', 'define by user without rule')
    check('io.virtkit.secret.manage' in p['message'], 'the action is named:', p)
    name, _ = call_error(h, 'GetSecretValue', {'secret': UUID_VOL}, user=u)
    check_eq(name, f'{IFACE}.InteractiveAuthenticationRequired', 'value read by user')
    r = h.busctl('call', BUS_NAME, BUS_PATH, BUS_IFACE, 'DefineSecret', 's', xml, user=u)
    check(r.rc != 0 and 'io.virtkit.secret.manage' in r.err, 'D-Bus define by user:', r)

    h.add_polkit_rule('60-virtkit-secret-test.rules', RULE.format(u=u.name))

    def attempt():
        r = h.vlcall(S['sock'], f'{IFACE}.DefineSecret', json.dumps({'xml': xml}), user=u)
        if r.rc == 0:
            return r.json()
        if not (r.varlink_error() or ('',))[0].endswith('InteractiveAuthenticationRequired'):
            raise TestFailure(f'unexpected answer while waiting for the rule: {r}')
        return None

    uuid = wait_until(attempt, 10, 'polkitd to apply the rule', interval=0.1)['uuid']
    call(h, 'SetSecretValue', {'secret': uuid, 'value': b64(b'by user')}, user=u)
    r = call(h, 'GetSecretValue', {'secret': uuid}, user=u)
    check_eq(base64.b64decode(r['value']), b'by user', 'value read by the allowed user')
    # polkit's manage is not enough to read a value for a domain: root only on the system bus
    name, p = call_error(h, 'EncryptSecretForDomain',
                         {'secret': uuid, 'key': b64(bytes(32))}, user=u)
    check_eq(name, f'{IFACE}.PermissionDenied', 'EncryptSecretForDomain by a polkit-allowed user')
    name, p = call_error(h, 'GetSecretValueForVolume', {'secret': uuid}, user=u)
    check_eq(name, f'{IFACE}.PermissionDenied', 'GetSecretValueForVolume by a polkit-allowed user')
    check('by user' not in json.dumps(p), 'no value in the refusal:', p)
    call(h, 'UndefineSecret', {'secret': uuid}, user=u)


# --- restart, keys ---

def test_restart_keeps_persistent_only(h):
    with open(os.path.join(S['etc'], 'broken.xml'), 'w') as f:
        f.write("<secret><bogus/></secret>")
    restart(h)
    lst = {s['uuid']: s for s in call(h, 'ListSecrets', {})['secrets']}
    check_eq(sorted(lst), sorted([UUID_VOL, UUID_PRIV, S['ceph']]),
             'persistent secrets after restart, ephemeral gone')
    check(lst[UUID_VOL]['hasValue'], 'the value survived')
    r = call(h, 'GetSecretValue', {'secret': UUID_VOL})
    check_eq(base64.b64decode(r['value']), PLAINTEXT, 'value after restart')
    log = h.log_text('secretd')
    check_eq(log.count('Secret definition not loaded'), 1, 'one warning for the broken file')
    check('broken.xml: /secret/bogus: unsupported element' in log, 'the warning names it:', log)
    os.unlink(os.path.join(S['etc'], 'broken.xml'))


def test_wrong_credential_key(h):
    cred = h.path('credentials')
    os.makedirs(cred)
    with open(os.path.join(cred, 'secrets-encryption-key'), 'wb') as f:
        f.write(os.urandom(32))
    os.chmod(cred, 0o700)
    restart(h, cred)
    name, p = call_error(h, 'GetSecretValue', {'secret': UUID_VOL})
    check_eq(name, f'{IFACE}.OperationFailed', 'a value under another key')
    check(f"The stored value of secret '{UUID_VOL}' cannot be decrypted" in p['message'],
          'the message names the secret:', p)
    daemon_alive(h)
    # the daemon keeps serving: a value set now uses the credential's key
    call(h, 'SetSecretValue', {'secret': UUID_VOL, 'value': b64(b'new key')})
    r = call(h, 'GetSecretValue', {'secret': UUID_VOL})
    check_eq(base64.b64decode(r['value']), b'new key', 'value under the credential key')
    check('cannot be decrypted' in h.log_text('secretd'), 'the failure is in the log')


def test_undefine(h):
    call(h, 'UndefineSecret', {'secret': UUID_VOL})
    check(not os.path.exists(os.path.join(S['etc'], f'{UUID_VOL}.xml')), 'definition removed')
    check(not os.path.exists(os.path.join(S['lib'], f'{UUID_VOL}.value')), 'value removed')
    name, _ = call_error(h, 'GetSecretXML', {'secret': UUID_VOL})
    check_eq(name, f'{IFACE}.NoSuchSecret', 'undefined secret')
    daemon_alive(h)


if __name__ == '__main__':
    sys.exit(run_tests('secretd', [
        test_varlink_define_list_lookup,
        test_varlink_errors,
        test_varlink_values_encrypted,
        test_private_value_refused,
        test_dbus,
        test_events,
        test_stream_limit,
        test_secret_objects,
        test_polkit,
        test_restart_keeps_persistent_only,
        test_wrong_credential_key,
        test_undefine,
    ], setup))
