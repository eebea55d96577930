#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Per-domain D-Bus objects of the real virtkit-qemud: one object per domain at
/io/virtkit/Qemu1/domain/_<uuid, - as _> with io.virtkit.Qemu1.Domain (methods, properties,
PropertiesChanged) and org.freedesktop.DBus.ObjectManager on /io/virtkit/Qemu1. QEMU starts
paused (-S, TCG): no guest runs, so the tests cost no CPU. One group per run:

  system   private system bus, busctl and a bounded `gdbus monitor`: GetManagedObjects lists
           every domain with its properties; introspection shows argument names; the object's
           methods run the manager's (Start, Resume, SetAutostart, GetXML, Destroy, Undefine)
           with PropertiesChanged for each change; defining/creating emits InterfacesAdded,
           undefining/a transient stopping InterfacesRemoved; polkit decides for the objects'
           methods as for the manager's
  session  a desktop tool on a private session bus (qemud --session --bus session as a
           throwaway user; a python3-dbus client with a GLib main loop as the same user) keeps
           a live list purely from signals: the domain appears, starts, stops and disappears
"""

import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
BUS_NAME, BUS_PATH, BUS_IFACE = 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', \
    'io.virtkit.Qemu1.Manager'
DOM_IFACE = 'io.virtkit.Qemu1.Domain'
PROPS = 'org.freedesktop.DBus.Properties'
OM = 'org.freedesktop.DBus.ObjectManager'
S = {}


def domain_xml(name):
    # TCG and -S: QEMU runs, no guest code does
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>")


def obj_path(uuid):
    return f'{BUS_PATH}/domain/_{uuid.replace("-", "_")}'


def qemu_pids(h):
    """QEMUs of this test (their command line names our temp dir)."""
    return vkharness.qemu_pids(h.tmp, QEMU)


def cleanup_qemus(h):
    for pid in qemu_pids(h):
        os.kill(pid, signal.SIGKILL)


# --- system: busctl and gdbus monitor on a private system bus ---

def bus(h, *args, user=None):
    r = h.busctl('--json=short', 'call', BUS_NAME, *args, user=user, timeout=30)
    check(r.rc == 0, f'{args[2]}.{args[3] if len(args) > 3 else ""} failed:', r)
    return r.json()['data'] if r.out.strip() else None


def manager(h, method, sig=None, *args):
    return bus(h, BUS_PATH, BUS_IFACE, method, *([sig] + list(args) if sig else []))


def domain(h, uuid, method, sig=None, *args, user=None):
    return bus(h, obj_path(uuid), DOM_IFACE, method, *([sig] + list(args) if sig else []),
               user=user)


def prop(h, uuid, name):
    r = h.busctl('--json=short', 'get-property', BUS_NAME, obj_path(uuid), DOM_IFACE, name)
    check(r.rc == 0, f'get-property {name}:', r)
    return r.json()['data']


def managed_objects(h):
    """{path: {property: value}} of every io.virtkit.Qemu1.Domain object."""
    data = bus(h, BUS_PATH, OM, 'GetManagedObjects')[0]
    return {path: {k: v['data'] for k, v in ifaces[DOM_IFACE].items()}
            for path, ifaces in data.items() if DOM_IFACE in ifaces}


class Monitor:
    """`gdbus monitor` of the daemon's signals, its output in a log file we poll."""

    def __init__(self, h):
        self.h = h
        self.log = 'gdbus-monitor'
        h.spawn(['stdbuf', '-oL', 'gdbus', 'monitor', '--address', h.system_bus, '--dest',
                 BUS_NAME], 'gdbus monitor', log=self.log)
        wait_until(lambda: 'is owned by' in h.log_text(self.log), 10, 'gdbus monitor to start')
        self.seen = 0

    def wait(self, pattern, what, timeout=15):
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

    def lines(self):
        return self.h.log_text(self.log).splitlines()


def changed_re(uuid, *props):
    """A PropertiesChanged line of @uuid's object naming each of @props (name, value)."""
    body = ''.join(f"(?=.*'{n}': <{v}>)" for n, v in props)
    return (rf'^{re.escape(obj_path(uuid))}: {PROPS}\.PropertiesChanged '
            rf"\('{DOM_IFACE}', {{{body}")


def start_system_daemon(h):
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    h.start_polkitd()
    root = h.path('root')
    os.makedirs(root)
    S['daemon'] = h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'system', '-v'],
                          'virtkit-qemud', log='qemud')
    h.wait_bus_name(BUS_NAME)


def test_objects_listed_with_properties(h):
    start_system_daemon(h)
    S['mon'] = Monitor(h)
    name, uuid = manager(h, 'DefineDomain', 's', domain_xml('obj1'))
    S['uuid1'] = uuid
    S['mon'].wait(rf"^{BUS_PATH}: {OM}\.InterfacesAdded \(objectpath '{obj_path(uuid)}', "
                  rf"{{'{DOM_IFACE}': {{'Name': <'obj1'>", 'InterfacesAdded of obj1')
    _, uuid2 = manager(h, 'DefineDomain', 's', domain_xml('obj2'))
    S['uuid2'] = uuid2
    S['mon'].wait(rf"InterfacesAdded \(objectpath '{obj_path(uuid2)}'", 'InterfacesAdded of obj2')
    objs = managed_objects(h)
    check_eq(sorted(objs), sorted([obj_path(uuid), obj_path(uuid2)]),
             'GetManagedObjects lists every domain')
    check_eq(objs[obj_path(uuid)], {'Name': 'obj1', 'UUID': uuid, 'Id': -1, 'State': 'shutoff',
                                    'Active': False, 'Persistent': True, 'Autostart': False},
             'the properties of obj1')
    r = h.busctl('tree', BUS_NAME)
    check(r.rc == 0 and obj_path(uuid2) in r.out, 'busctl tree shows the objects:', r)


def test_introspection_names_arguments(h):
    r = h.busctl('introspect', BUS_NAME, obj_path(S['uuid1']), DOM_IFACE)
    check(r.rc == 0, 'busctl introspect:', r)
    for member in ('.Start', '.Shutdown', '.Destroy', '.Reboot', '.Reset', '.Suspend',
                   '.Resume', '.Undefine', '.GetXML', '.SetAutostart', '.State', '.Id'):
        check(re.search(rf'^{re.escape(member)}\s', r.out, re.M), f'{member} introspected:',
              r.out)
    check(re.search(r'^\.Id\s+property\s+i\s+-1\s+emits-change', r.out, re.M),
          'Id is an int32 property that emits changes:', r.out)
    r = h.busctl('--xml-interface', 'introspect', BUS_NAME, obj_path(S['uuid1']))
    check(r.rc == 0, 'busctl --xml-interface introspect:', r)
    for arg in ('<arg type="b" name="paused" direction="in"/>',
                '<arg type="b" name="graceful" direction="in"/>',
                '<arg type="b" name="inactive" direction="in"/>',
                '<arg type="s" name="xml" direction="out"/>',
                '<arg type="b" name="enabled" direction="in"/>'):
        check(arg in r.out, f'argument {arg} in the introspection XML:', r.out)
    check('name="domain"' not in r.out, 'the domain parameter is the object itself:', r.out)


def test_object_methods_change_properties(h):
    uuid, mon = S['uuid1'], S['mon']
    t0 = time.monotonic()
    domain(h, uuid, 'Start', 'b', 'true')
    t_start = time.monotonic() - t0
    line = mon.wait(changed_re(uuid, ('State', "'paused'"), ('Active', 'true')),
                    'PropertiesChanged after Start')
    check(re.search(r"'Id': <[1-9]\d*>", line), 'the new Id is announced:', line)
    check_eq(prop(h, uuid, 'State'), 'paused', 'State after Start(paused)')
    check(prop(h, uuid, 'Id') > 0, 'Id after Start')
    domain(h, uuid, 'Resume')
    mon.wait(changed_re(uuid, ('State', "'running'")), 'PropertiesChanged after Resume')
    domain(h, uuid, 'Suspend')
    mon.wait(changed_re(uuid, ('State', "'paused'")), 'PropertiesChanged after Suspend')
    domain(h, uuid, 'SetAutostart', 'b', 'true')
    mon.wait(changed_re(uuid, ('Autostart', 'true')), 'PropertiesChanged after SetAutostart')
    xml = domain(h, uuid, 'GetXML', 'bb', 'false', 'false')[0]
    check(f"id='{prop(h, uuid, 'Id')}'" in xml and '<name>obj1</name>' in xml,
          'GetXML gives the live XML:', xml[:200])
    # the manager's errors, by the same handler
    r = h.busctl('call', BUS_NAME, obj_path(uuid), DOM_IFACE, 'Start', 'b', 'true')
    check(r.rc != 0 and 'already running' in r.err, 'Start of a running domain:', r)
    domain(h, uuid, 'Destroy', 'b', 'false')
    mon.wait(changed_re(uuid, ('State', "'shutoff'"), ('Id', '-1'), ('Active', 'false')),
             'PropertiesChanged after Destroy')
    check_eq(qemu_pids(h), [], 'no QEMU after Destroy')
    print(f'# Start(paused) on the object: {t_start * 1000:.0f} ms (busctl round trip '
          'included)')


def test_undefine_and_transient_remove_objects(h):
    uuid, mon = S['uuid1'], S['mon']
    domain(h, uuid, 'Undefine', 'bb', 'false', 'false')
    mon.wait(rf"^{BUS_PATH}: {OM}\.InterfacesRemoved \(objectpath '{obj_path(uuid)}', "
             rf"\['{DOM_IFACE}'\]\)", 'InterfacesRemoved after Undefine')
    r = h.busctl('get-property', BUS_NAME, obj_path(uuid), DOM_IFACE, 'State')
    check(r.rc != 0, 'the undefined domain has no object:', r)
    check_eq(sorted(managed_objects(h)), [obj_path(S['uuid2'])], 'GetManagedObjects after')

    # a running domain that is undefined goes on, transient: Persistent changes, and the
    # object goes when it stops
    uuid2 = S['uuid2']
    domain(h, uuid2, 'Start', 'b', 'true')
    mon.wait(changed_re(uuid2, ('State', "'paused'")), 'obj2 started')
    domain(h, uuid2, 'Undefine', 'bb', 'false', 'false')
    mon.wait(changed_re(uuid2, ('Persistent', 'false')), 'Persistent false after Undefine')
    domain(h, uuid2, 'Destroy', 'b', 'false')
    mon.wait(rf"InterfacesRemoved \(objectpath '{obj_path(uuid2)}'",
             'InterfacesRemoved when the transient domain stops')

    # CreateDomain: a transient domain appears and disappears
    name, uuid3 = manager(h, 'CreateDomain', 'sb', domain_xml('obj3'), 'true')
    mon.wait(rf"InterfacesAdded \(objectpath '{obj_path(uuid3)}'", 'InterfacesAdded of obj3')
    check_eq(managed_objects(h)[obj_path(uuid3)]['Persistent'], False, 'obj3 is transient')
    domain(h, uuid3, 'Destroy', 'b', 'false')
    mon.wait(rf"InterfacesRemoved \(objectpath '{obj_path(uuid3)}'", 'InterfacesRemoved of obj3')
    check_eq(managed_objects(h), {}, 'no objects left')


def test_objects_authorised_like_the_manager(h):
    _, uuid = manager(h, 'DefineDomain', 's', domain_xml('obj4'))
    u = h.add_user()
    # reading is open to any local user
    r = h.busctl('--json=short', 'get-property', BUS_NAME, obj_path(uuid), DOM_IFACE, 'Name',
                 user=u)
    check(r.rc == 0 and r.json()['data'] == 'obj4', f'{u} reads a property:', r)
    r = h.busctl('call', BUS_NAME, obj_path(uuid), DOM_IFACE, 'GetXML', 'bb', 'false',
                 'false', user=u)
    check(r.rc == 0 and 'obj4' in r.out, f'{u} calls GetXML:', r)
    # changing needs polkit's io.virtkit.qemu.manage, as on the manager
    r = h.gdbus_call(BUS_NAME, obj_path(uuid), f'{DOM_IFACE}.SetAutostart', 'true', user=u)
    # (the policy's default is auth_admin: polkit asks for a password we cannot give)
    check(r.rc != 0 and re.search(r'GDBus\.Error:io\.virtkit\.Qemu\.'
                                  r'(PermissionDenied|InteractiveAuthenticationRequired): '
                                  r'SetDomainAutostart: .*action io\.virtkit\.qemu\.manage',
                                  r.err), f'{u} is refused SetAutostart:', r)
    h.add_polkit_rule('50-objects.rules', f'''
polkit.addRule(function(action, subject) {{
    if (action.id == "io.virtkit.qemu.manage" && subject.user == "{u.name}")
        return polkit.Result.YES;
}});
''')
    ok = wait_until(lambda: h.gdbus_call(BUS_NAME, obj_path(uuid), f'{DOM_IFACE}.SetAutostart',
                                         'true', user=u).rc == 0, 10,
                    'polkit to allow the user', interval=0.2)
    check(ok, 'SetAutostart allowed by the rule')
    check_eq(prop(h, uuid, 'Autostart'), True, 'Autostart after the allowed call')
    manager(h, 'UndefineDomain', 'sbb', 'obj4', 'false', 'false')


# --- session: a desktop tool keeps a live list from signals only ---

DESKTOP_TOOL = r'''
import json, sys
import dbus, dbus.mainloop.glib
from gi.repository import GLib

NAME, ROOT, DOM = 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', 'io.virtkit.Qemu1.Domain'
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
domains = {}   # path -> properties
last = [None]

def show():
    now = json.dumps({p['Name']: p['State'] for p in domains.values()}, sort_keys=True)
    if now != last[0]:
        last[0] = now
        print(now, flush=True)

def added(path, ifaces):
    if DOM in ifaces:
        domains[str(path)] = {str(k): v for k, v in ifaces[DOM].items()}
        show()

def removed(path, ifaces):
    if DOM in ifaces and str(path) in domains:
        del domains[str(path)]
        show()

def changed(iface, props, invalidated, path=None):
    if iface == DOM and path in domains:
        domains[path].update({str(k): v for k, v in props.items()})
        show()

bus.add_signal_receiver(added, 'InterfacesAdded', 'org.freedesktop.DBus.ObjectManager', NAME,
                        ROOT)
bus.add_signal_receiver(removed, 'InterfacesRemoved', 'org.freedesktop.DBus.ObjectManager',
                        NAME, ROOT)
bus.add_signal_receiver(changed, 'PropertiesChanged', 'org.freedesktop.DBus.Properties', NAME,
                        path_keyword='path')
# subscribed first, then one GetManagedObjects: from here on only signals
om = dbus.Interface(bus.get_object(NAME, ROOT), 'org.freedesktop.DBus.ObjectManager')
for path, ifaces in om.GetManagedObjects().items():
    added(path, ifaces)
show()
print('READY', flush=True)
GLib.timeout_add_seconds(int(sys.argv[1]), lambda: sys.exit(1))
GLib.MainLoop().run()
'''


def test_desktop_tool_live_list(h):
    h.start_buses(session_any_user=True)
    a = h.add_user()
    env = h.session_env(a, 'a')
    h.spawn([h.daemon_path('qemu'), '--session', '--bus', 'session', '-v'],
            'virtkit-qemud (session)', user=a, env=env, log='qemud-session')
    sock = os.path.join(env['XDG_RUNTIME_DIR'], 'virtkit', 'io.virtkit.Qemu')
    wait_until(lambda: os.path.exists(sock), 10, 'the session socket')
    h.wait_bus_name(BUS_NAME, session=True)

    tool = h.path('desktop-tool.py')
    with open(tool, 'w') as f:
        f.write(DESKTOP_TOOL)
    os.chmod(tool, 0o644)
    p = h.spawn(['/usr/bin/python3', tool, '60'], 'desktop tool', user=a, env=env,
                log='desktop-tool')

    def lines():
        return [ln for ln in h.log_text('desktop-tool').splitlines() if ln != 'READY']

    wait_until(lambda: 'READY' in h.log_text('desktop-tool') or p.poll() is not None, 15,
               'the desktop tool to subscribe')
    check(p.poll() is None, 'the desktop tool died:', h.log_text('desktop-tool'))

    def vl(method, params):
        r = h.vlcall(sock, f'io.virtkit.Qemu.{method}', json.dumps(params), user=a, timeout=30)
        check(r.rc == 0, f'{method}:', r)

    # the tool is driven by nobody: the changes come over varlink, it learns of them by signals
    steps = [
        ('DefineDomain', {'xml': domain_xml('desk')}, {'desk': 'shutoff'}),
        ('StartDomain', {'domain': 'desk', 'paused': True}, {'desk': 'paused'}),
        ('ResumeDomain', {'domain': 'desk'}, {'desk': 'running'}),
        ('DestroyDomain', {'domain': 'desk'}, {'desk': 'shutoff'}),
        ('UndefineDomain', {'domain': 'desk'}, {}),
    ]
    for method, params, want in steps:
        vl(method, params)
        wait_until(lambda: lines() and json.loads(lines()[-1]) == want, 15,
                   f'the tool to show {want} after {method} (it shows {lines()[-1:]})')
    check_eq([json.loads(ln) for ln in lines()],
             [{}] + [w for _, _, w in steps], 'every list the tool showed, in order')


GROUPS = {
    'system': [test_objects_listed_with_properties, test_introspection_names_arguments,
               test_object_methods_change_properties,
               test_undefine_and_transient_remove_objects,
               test_objects_authorised_like_the_manager],
    'session': [test_desktop_tool_live_list],
}


def main():
    group = sys.argv[1] if len(sys.argv) > 1 else 'system'

    def setup(h):
        if not os.access(QEMU, os.X_OK):
            raise SystemExit(f'{QEMU} is missing')

    def test_no_qemu_left(h):
        left = qemu_pids(h)
        cleanup_qemus(h)
        check_eq(left, [], 'QEMUs left behind by the tests')

    return run_tests(f'dbus-objects-{group}', GROUPS[group] + [test_no_qemu_left],
                     setup=setup)


if __name__ == '__main__':
    sys.exit(main())
