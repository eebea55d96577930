#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One daemon (argv[1]: qemu, secret, network or storage) under systemd-socket-activate,
reached over varlink by our independent Go client (vlcall) and over a private system bus by
busctl and gdbus: introspection, GetVersion, the error names of both wires, oneway calls."""

import json
import os
import socket
import sys
import threading
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (DRIVERS, VERSION_RE, Reader, check, check_eq, run_tests,  # noqa: E402
                       varlink_connect, varlink_encode, varlink_raw_call)

DRV = sys.argv[1] if len(sys.argv) > 1 else 'qemu'
DAEMON, STEM = DRIVERS[DRV]
IFACE = f'io.virtkit.{STEM}'
BUS_NAME = f'io.virtkit.{STEM}1'
BUS_PATH = f'/io/virtkit/{STEM}1'
BUS_IFACE = f'io.virtkit.{STEM}1.Manager'
S = {}  # shared state: socket path, daemon process


def setup(h):
    h.start_buses()
    h.install_virtkit_bus_policies([DRV])
    os.makedirs(h.path('root'))
    S['proc'], S['sock'] = h.socket_activate(
        DRV, ['--system', '--root', h.path('root'), '--bus', 'system', '-v'],
        pass_env=['DBUS_SYSTEM_BUS_ADDRESS'])
    S['log'] = f'{DRV}-{os.path.basename(S["sock"])}'
    # the daemon was exec'ed by the launcher: same pid
    h.wait_bus_name(BUS_NAME)


def daemon_healthy(h):
    check(S['proc'].poll() is None, f'{DAEMON} died:', h.log_text(S['log']))
    r = h.vlcall_ok(S['sock'], f'{IFACE}.GetVersion')
    check_eq(r.json()['product'], DAEMON, 'GetVersion product after the test')


# --- varlink, through the Go client ---

def test_varlink_info(h):
    info = h.vlcall_ok(S['sock'], 'info').json()
    # qemud also answers the secrets, networks and storage, forwarded to secretd, networkd and
    # storaged (docs/qemud-api.md)
    forwards = (['io.virtkit.Secret', 'io.virtkit.Network', 'io.virtkit.Storage']
                if DRV == 'qemu' else [])
    check_eq(info['interfaces'], ['org.varlink.service', IFACE] + forwards, 'GetInfo interfaces')
    check_eq(info['product'], DAEMON, 'GetInfo product')
    check_eq(info['vendor'], 'virtkit', 'GetInfo vendor')
    check(VERSION_RE.match(info['version']), 'GetInfo version', info['version'])
    S['version'] = info['version']


def test_varlink_validate_service_interface(h):
    r = h.vlcall_ok(S['sock'], 'validate', 'org.varlink.service')
    d = r.json()
    check_eq(d['interface'], 'org.varlink.service', 'parsed interface name')
    check_eq(d['methods'].get('GetInfo'),
             {'in': [], 'out': ['vendor', 'product', 'version', 'url', 'interfaces']},
             'GetInfo signature')
    check_eq(d['methods'].get('GetInterfaceDescription'),
             {'in': ['interface'], 'out': ['description']}, 'GetInterfaceDescription signature')
    for e in ('InterfaceNotFound', 'MethodNotFound', 'InvalidParameter'):
        check(e in d['errors'], f'org.varlink.service declares {e}:', d['errors'])


def test_varlink_validate_driver_interface(h):
    r = h.vlcall_ok(S['sock'], 'validate', IFACE)
    d = r.json()
    check_eq(d['interface'], IFACE, 'parsed interface name')
    check_eq(d['methods'].get('GetVersion'),
             {'in': [], 'out': ['product', 'version', 'instance']}, 'GetVersion signature')
    check_eq(d['methods'].get('SetLogLevel'),
             {'in': ['level', '?allowInteractiveAuthentication'], 'out': []},
             'SetLogLevel signature')
    for e in ('InvalidArgument', 'PermissionDenied', 'InteractiveAuthenticationRequired'):
        check(e in d['errors'], f'{IFACE} declares {e}:', d['errors'])


def test_varlink_get_version(h):
    v = h.vlcall_ok(S['sock'], f'{IFACE}.GetVersion').json()
    check_eq(v, {'product': DAEMON, 'version': S['version'], 'instance': 'embedded'},
             'GetVersion (a --root instance is "embedded")')


def test_varlink_method_not_found(h):
    name, params = h.vlcall_error(S['sock'], f'{IFACE}.NoSuchMethod')
    check_eq(name, 'org.varlink.service.MethodNotFound', 'error name')
    check_eq(params, {'method': f'{IFACE}.NoSuchMethod'}, 'error parameters')
    name, params = h.vlcall_error(S['sock'], 'org.varlink.service.NoSuchMethod')
    check_eq(name, 'org.varlink.service.MethodNotFound', 'error name (org.varlink.service)')


def test_varlink_interface_not_found(h):
    name, params = h.vlcall_error(S['sock'], 'io.virtkit.NoSuchThing.GetVersion')
    check_eq(name, 'org.varlink.service.InterfaceNotFound', 'error name')
    check_eq(params, {'interface': 'io.virtkit.NoSuchThing'}, 'error parameters')
    name, params = h.vlcall_error(S['sock'], 'describe', 'io.virtkit.NoSuchThing')
    check_eq(name, 'org.varlink.service.InterfaceNotFound', 'GetInterfaceDescription error')
    check_eq(params, {'interface': 'io.virtkit.NoSuchThing'}, 'error parameters')


def test_varlink_invalid_parameter(h):
    cases = [
        ('unknown parameter', 'GetVersion', '{"bogus": 1}', 'bogus'),
        ('wrong type', 'SetLogLevel', '{"level": 5}', 'level'),
        ('missing parameter', 'SetLogLevel', '{}', 'level'),
        ('wrong type of allowInteractiveAuthentication', 'SetLogLevel',
         '{"level": "info", "allowInteractiveAuthentication": "yes"}',
         'allowInteractiveAuthentication'),
    ]
    for what, method, params, param in cases:
        name, p = h.vlcall_error(S['sock'], f'{IFACE}.{method}', params)
        check_eq(name, 'org.varlink.service.InvalidParameter', f'{what}: error name')
        check_eq(p.get('parameter'), param, f'{what}: the parameter named')
    # the Go package keeps only "parameter"; the message is checked on the raw wire
    reply = varlink_raw_call(S['sock'], f'{IFACE}.SetLogLevel', {'level': 5})
    check_eq(reply.get('error'), 'org.varlink.service.InvalidParameter', 'raw error name')
    check(isinstance(reply['parameters'].get('message'), str) and
          'level' in reply['parameters']['message'],
          'InvalidParameter has a message naming the parameter:', reply)


def test_varlink_invalid_argument(h):
    name, p = h.vlcall_error(S['sock'], f'{IFACE}.SetLogLevel', '{"level": "bogus"}')
    check_eq(name, f'{IFACE}.InvalidArgument', 'error name')
    check('bogus' in p.get('message', ''), 'the message names the value:', p)
    r = h.vlcall_ok(S['sock'], f'{IFACE}.SetLogLevel', '{"level": "debug"}')
    check_eq(r.json(), {}, 'SetLogLevel reply by root')


def test_varlink_oneway(h):
    r = h.vlcall(S['sock'], '-oneway', f'{IFACE}.SetLogLevel', '{"level": "info"}')
    check(r.rc == 0 and r.out == '', 'oneway call:', r)
    r = h.vlcall(S['sock'], '-oneway', f'{IFACE}.GetVersion')
    check(r.rc == 0 and r.out == '', 'oneway call:', r)
    # on one connection: a oneway call that fails gets no reply, so the first reply read is
    # the one to the next (normal) call
    with varlink_connect(S['sock']) as s:
        s.sendall(varlink_encode(f'{IFACE}.SetLogLevel', {'level': 'bogus'}, oneway=True) +
                  varlink_encode(f'{IFACE}.NoSuchMethod', oneway=True) +
                  varlink_encode(f'{IFACE}.GetVersion'))
        reply = Reader(s).read()
    check(reply is not None and 'error' not in reply and
          reply['parameters'].get('product') == DAEMON,
          'the first reply after two oneway calls is GetVersion\'s:', reply)
    daemon_healthy(h)


def test_vlcall_rejects_broken_idl(h):
    """The validate check can fail: a fake service with a broken description is refused."""
    path = h.path('fake.sock')
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    srv.settimeout(10)
    broken = 'interface org.example.broken\n\nmethod Frob(x: ) -> ()\n'

    def serve():
        try:
            c, _ = srv.accept()
            with c:
                rd = Reader(c)
                while rd.read() is not None:
                    c.sendall(b'{"parameters":{"description":' +
                              json.dumps(broken).encode() + b'}}\0')
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    r = h.vlcall(path, 'validate', 'org.example.broken', timeout=5)
    t.join(timeout=5)
    srv.close()
    check_eq(r.rc, 4, f'vlcall validate of a broken description ({r})')
    check('invalid interface description' in r.err, 'the parser error is shown:', r)


# --- D-Bus on the private system bus ---

def test_dbus_get_version(h):
    r = h.busctl('--json=short', 'call', BUS_NAME, BUS_PATH, BUS_IFACE, 'GetVersion')
    check(r.rc == 0, 'busctl GetVersion:', r)
    d = r.json()
    check_eq(d['type'], 'sss', 'GetVersion reply signature')
    check_eq(d['data'], [DAEMON, S['version'], 'embedded'], 'GetVersion over D-Bus')
    pid = h.name_owner_pid(BUS_NAME)
    check_eq(pid, S['proc'].pid, f'{BUS_NAME} is owned by the socket-activated daemon')


def test_dbus_introspect(h):
    r = h.busctl('introspect', '--xml-interface', BUS_NAME, BUS_PATH)
    check(r.rc == 0, 'busctl introspect:', r)
    root = ET.fromstring(r.out)
    ifaces = {i.get('name'): i for i in root.findall('interface')}
    check(BUS_IFACE in ifaces, f'{BUS_IFACE} is introspected:', list(ifaces))
    methods = {m.get('name'): [(a.get('direction') or 'in', a.get('name'), a.get('type'))
                               for a in m.findall('arg')]
               for m in ifaces[BUS_IFACE].findall('method')}
    check_eq(methods.get('GetVersion'),
             [('out', 'product', 's'), ('out', 'version', 's'), ('out', 'instance', 's')],
             'GetVersion arguments')
    check_eq(methods.get('SetLogLevel'), [('in', 'level', 's')], 'SetLogLevel arguments')
    # and busctl's own table shows them too
    r = h.busctl('introspect', BUS_NAME, BUS_PATH, BUS_IFACE)
    check(r.rc == 0 and '.GetVersion' in r.out and '.SetLogLevel' in r.out,
          'busctl introspect table:', r)


def test_dbus_invalid_argument_same_name(h):
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.SetLogLevel', 'bogus')
    check(r.rc != 0, 'SetLogLevel bogus over D-Bus must fail:', r)
    check(f'GDBus.Error:{IFACE}.InvalidArgument:' in r.err,
          f'the D-Bus error is {IFACE}.InvalidArgument, as over varlink:', r)
    check('bogus' in r.err, 'the message names the value:', r)
    r = h.busctl('call', BUS_NAME, BUS_PATH, BUS_IFACE, 'SetLogLevel', 's', 'bogus')
    check(r.rc != 0 and 'bogus' in r.err, 'busctl SetLogLevel bogus fails:', r)


def test_dbus_invalid_args(h):
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.SetLogLevel', '')
    check('GDBus.Error:org.freedesktop.DBus.Error.InvalidArgs:' in r.err,
          'an empty level is InvalidArgs:', r)
    r = h.dbus_send(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.SetLogLevel', 'int32:5')
    check(r.rc != 0 and 'Error org.freedesktop.DBus.Error.InvalidArgs' in r.err,
          'a wrong argument type is InvalidArgs:', r)
    r = h.dbus_send(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.SetLogLevel', 'string:info',
                    'string:extra')
    check(r.rc != 0 and 'Error org.freedesktop.DBus.Error.InvalidArgs' in r.err,
          'an extra argument is InvalidArgs:', r)
    r = h.gdbus_call(BUS_NAME, BUS_PATH, f'{BUS_IFACE}.NoSuchMethod')
    check(r.rc != 0 and 'org.freedesktop.DBus.Error.UnknownMethod' in r.err,
          'an unknown method is UnknownMethod:', r)


def test_dbus_set_log_level(h):
    r = h.busctl('call', BUS_NAME, BUS_PATH, BUS_IFACE, 'SetLogLevel', 's', 'debug')
    check(r.rc == 0 and r.out.strip() == '', 'SetLogLevel debug by root over D-Bus:', r)
    check('Log level set to debug by uid 0' in h.log_text(S['log']),
          'the daemon logged the change')
    daemon_healthy(h)


def test_sigterm_exits_cleanly(h):
    st = h.stop(S['proc'])
    check_eq(st, 0, f'{DAEMON} exit status after SIGTERM')
    check('Received SIGTERM' in h.log_text(S['log']), 'the daemon logged SIGTERM')


TESTS = [
    test_varlink_info,
    test_varlink_validate_service_interface,
    test_varlink_validate_driver_interface,
    test_varlink_get_version,
    test_varlink_method_not_found,
    test_varlink_interface_not_found,
    test_varlink_invalid_parameter,
    test_varlink_invalid_argument,
    test_varlink_oneway,
    test_dbus_get_version,
    test_dbus_introspect,
    test_dbus_invalid_argument_same_name,
    test_dbus_invalid_args,
    test_dbus_set_log_level,
    test_sigterm_exits_cleanly,
]
if DRV == 'qemu':
    TESTS.insert(0, test_vlcall_rejects_broken_idl)

if __name__ == '__main__':
    sys.exit(run_tests(f'wires-{DRV}', TESTS, setup))
