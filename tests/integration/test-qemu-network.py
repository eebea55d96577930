#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VMs on virtual networks: virtkit-qemud asks virtkit-networkd for ports and makes the taps.

Both daemons run on one private --root inside a network namespace the test makes (nothing
touches the machine's own namespaces). A TCG VM with <interface type='network'> (e1000)
boots iPXE from the NIC's ROM and gets a DHCP lease that networkd's GetDHCPLeases reports;
its tap (vnetN, 0xFE MAC, on the network's bridge, up) and port are in the live XML and the
status file, and go at destroy. A start that fails (a missing disk, a missing bridge after a
tap was made) leaves no tap and no port; a VM on an inactive network fails naming it;
type='bridge' and type='ethernet' (<target dev> honoured) get their taps; a restarted qemud
reclaims its ports, still removes taps and ports at destroy, and removes those of a QEMU it
finds dead; a qemud killed after networkd made a port but before the port was recorded
(a varlink proxy kills it when CreatePort's answer goes by) deletes that port at its restart.
The embedded driver
(qemu:///embed) refuses type='network', saying to use type='user'. qemud forwards
io.virtkit.Network to networkd.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, proc_cmdlines, run_tests, wait_until  # noqa: E402
from vkhost import netns_nft_problem  # noqa: E402

TAG = f'{os.getpid() % 100000}'
NS = f'vkt-qnet-{TAG}'
X = 20 + os.getpid() % 200
BRIDGE = f'vkqbr{TAG}'[:15]
SUBNET = f'10.214.{X}'
QEMU = '/usr/bin/qemu-system-x86_64'
MAC = '52:54:00:6b:3c:01'
S = {}

NET_XML = f"""<network>
  <name>testnet</name>
  <bridge name='{BRIDGE}' stp='off'/>
  <ip address='{SUBNET}.1' prefix='24'>
    <dhcp>
      <range start='{SUBNET}.10' end='{SUBNET}.50'/>
    </dhcp>
  </ip>
</network>
"""


def domain_xml(name, nets, disks='', boot='hd'):
    # TCG always: iPXE under nested KVM crashed on the test host
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            f"<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='{boot}'/></os>"
            f"<devices>{nets}{disks}</devices></domain>")


def net_iface(mac, network='testnet', model='e1000'):
    return (f"<interface type='network'><mac address='{mac}'/>"
            f"<source network='{network}'/><model type='{model}'/></interface>")


def ns_argv(*argv):
    return ['ip', 'netns', 'exec', NS] + list(argv)


def ns_ok(h, *argv, timeout=15):
    r = h.run(ns_argv(*argv), timeout=timeout)
    check(r.rc == 0, f'{" ".join(argv)}:', r)
    return r


def links(h):
    """Interfaces of the namespace: name → ip -d -j link entry."""
    r = ns_ok(h, 'ip', '-d', '-j', 'link', 'show')
    return {link['ifname']: link for link in json.loads(r.out)}


def taps(h):
    return {n: link for n, link in links(h).items()
            if link.get('linkinfo', {}).get('info_kind') == 'tun'}


def net(h, method, params=None):
    r = h.vlcall(S['net_sock'], f'io.virtkit.Network.{method}', json.dumps(params or {}))
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def qemu(h, method, params=None, timeout=60):
    r = h.vlcall(S['qemu_sock'], f'io.virtkit.Qemu.{method}', json.dumps(params or {}),
                 timeout=timeout)
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def qemu_error(h, method, params):
    r = h.vlcall(S['qemu_sock'], f'io.virtkit.Qemu.{method}', json.dumps(params), timeout=60)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def ports(h, network='testnet'):
    return net(h, 'ListPorts', {'network': network})['ports']


def start_qemud(h):
    if os.path.exists(S['qemu_sock']):
        os.unlink(S['qemu_sock'])
    p = h.spawn(ns_argv(h.daemon_path('qemu'), '--root', S['root'], '--bus', 'none', '-v'),
                'virtkit-qemud', log='qemud')
    wait_until(lambda: os.path.exists(S['qemu_sock']) or p.poll() is not None, 10, 'qemud')
    check(p.poll() is None, 'qemud exited:', h.log_text('qemud'))
    wait_until(lambda: h.vlcall(S['qemu_sock'], 'io.virtkit.Qemu.GetVersion').rc == 0, 10,
               'GetVersion')
    S['qemud'] = p


def setup(h):
    subprocess.run(['ip', 'netns', 'add', NS], check=True)
    ns_ok(h, 'ip', 'link', 'set', 'lo', 'up')
    S['root'] = h.path('root')
    S['net_sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Network')
    S['qemu_sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Qemu')
    p = h.spawn(ns_argv(h.daemon_path('network'), '--root', S['root'], '--bus', 'none'),
                'virtkit-networkd', log='networkd')
    wait_until(lambda: os.path.exists(S['net_sock']) or p.poll() is not None, 10, 'networkd')
    check(p.poll() is None, 'networkd exited:', h.log_text('networkd'))
    S['networkd'] = p
    net(h, 'DefineNetwork', {'xml': NET_XML})
    net(h, 'CreateNetwork', {'network': 'testnet'})
    net(h, 'DefineNetwork', {'xml': NET_XML.replace('testnet', 'offnet')
                             .replace(BRIDGE, BRIDGE[:-1] + 'x')
                             .replace(f'10.214.{X}.', f'10.215.{X}.')})
    start_qemud(h)


def check_no_leftovers(h, what):
    wait_until(lambda: not taps(h), 10, f'{what}: taps gone')
    wait_until(lambda: not ports(h), 10, f'{what}: ports gone')


def test_pxe_lease(h):
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm1', net_iface(MAC), boot='network')})
    t0 = time.monotonic()
    qemu(h, 'StartDomain', {'domain': 'vm1'})
    S['t_start'] = time.monotonic() - t0
    tp = taps(h)
    check_eq(list(tp), ['vnet0'], 'taps')
    tap = tp['vnet0']
    check_eq(tap.get('master'), BRIDGE, 'the tap\'s bridge')
    check_eq(tap['address'], 'fe' + MAC[2:], 'the tap\'s MAC')
    check('UP' in tap['flags'], 'tap not up:', tap['flags'])
    check_eq(tap['mtu'], links(h)[BRIDGE]['mtu'], 'MTU')
    pts = ports(h)
    check_eq([(p['mac'], p['ownerName'], p['bridge']) for p in pts], [(MAC, 'vm1', BRIDGE)],
             'ports')
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm1'})['xml']
    check(f"<source network='testnet' portid='{pts[0]['uuid']}' bridge='{BRIDGE}'/>" in xml and
          "<target dev='vnet0'/>" in xml, 'live XML:', xml)
    inactive = qemu(h, 'GetDomainXML', {'domain': 'vm1', 'inactive': True})['xml']
    check('portid' not in inactive and 'vnet0' not in inactive, 'inactive XML:', inactive)
    with open(os.path.join(S['root'], 'run', 'qemu', 'vm1.json')) as f:
        st = json.load(f)
    check_eq([(n['tap'], n['port']) for n in st['nets']], [('vnet0', pts[0]['uuid'])],
             'status nets')
    check_eq(st['networkd'], S['net_sock'], 'status: networkd socket')

    def lease():
        return net(h, 'GetDHCPLeases', {'network': 'testnet', 'mac': MAC})['leases']
    wait_until(lease, 45, 'iPXE\'s DHCP lease in GetDHCPLeases')
    got = lease()
    check(got[0]['ip'].startswith(f'{SUBNET}.'), 'lease:', got)
    S['t_lease'] = time.monotonic() - t0
    print(f'# start {S["t_start"] * 1000:.0f} ms, lease after {S["t_lease"]:.1f} s')


def vk(h, *args):
    cli = os.path.join(h.builddir, 'tools', 'virtkit')
    return h.run([cli, '-c', f"qemu+unix:///system?socket={S['qemu_sock']}"] + list(args),
                 timeout=30)


def vk_ok(h, *args):
    r = vk(h, *args)
    check(r.rc == 0, f'virtkit {" ".join(args)}:', r)
    return r.out


def test_cli_domain_interfaces(h):
    """domifaddr and domiflist in virsh's formats, through qemud."""
    ip = net(h, 'GetDHCPLeases', {'network': 'testnet', 'mac': MAC})['leases'][0]['ip']
    check_eq(vk_ok(h, 'domifaddr', 'vm1'),
             ' Name       MAC address          Protocol     Address\n'
             + '-' * 79 + '\n'
             f' vnet0      {MAC}    ipv4         {ip}/24\n', 'domifaddr')
    check_eq(vk_ok(h, 'domiflist', 'vm1'),
             ' Interface   Type      Source    Model   MAC\n' + '-' * 60 + '\n'
             f' vnet0       network   testnet   e1000   {MAC}\n', 'domiflist')
    out = vk_ok(h, 'domiflist', 'vm1', '--inactive')
    check(f' -           network   testnet   e1000   {MAC}\n' in out, 'domiflist --inactive:',
          out)
    r = vk(h, 'domifaddr', 'vm1', '--source', 'agent')
    check(r.rc != 0 and "source 'agent'" in r.err, 'domifaddr --source agent:', r)


def test_cli_networks(h):
    """net-* in virsh's formats, through qemud's forwarding."""
    check_eq(vk_ok(h, 'net-list'),
             ' Name      State    Autostart   Persistent\n' + '-' * 44 + '\n'
             ' testnet   active   no          yes\n', 'net-list')
    check_eq(vk_ok(h, 'net-list', '--all'),
             ' Name      State      Autostart   Persistent\n' + '-' * 46 + '\n'
             ' offnet    inactive   no          yes\n'
             ' testnet   active     no          yes\n', 'net-list --all')
    check_eq(vk_ok(h, 'net-list', '--all', '--name'), 'offnet\ntestnet\n', '--name')
    info = vk_ok(h, 'net-info', 'testnet')
    check(info.startswith('Name:           testnet\nUUID:           ') and
          'Active:         yes\nPersistent:     yes\nAutostart:      no\n'
          f'Bridge:         {BRIDGE}\n' in info, 'net-info:', info)
    leases = vk_ok(h, 'net-dhcp-leases', 'testnet', '--mac', MAC).splitlines()
    check(leases[0].startswith(' Expiry Time ') and 'Client ID or DUID' in leases[0] and
          MAC in leases[2] and ' ipv4 ' in leases[2] and f'{SUBNET}.' in leases[2] and
          '/24 ' in leases[2], 'net-dhcp-leases:', leases)
    host = f"<host mac='52:54:00:6b:3c:77' name='h77' ip='{SUBNET}.77'/>"
    check_eq(vk_ok(h, 'net-update', 'testnet', 'add', 'ip-dhcp-host', host, '--live',
                   '--config'),
             'Updated network testnet persistent config and live state\n', 'net-update')
    check("name='h77'" in vk_ok(h, 'net-dumpxml', 'testnet', '--inactive'), 'updated XML')
    vk_ok(h, 'net-update', 'testnet', 'delete', 'ip-dhcp-host', host, '--live', '--config')
    check("h77" not in vk_ok(h, 'net-dumpxml', 'testnet'), 'host deleted')
    check_eq(vk_ok(h, 'net-autostart', 'offnet'), 'Network offnet marked as autostarted\n',
             'net-autostart')
    check_eq(vk_ok(h, 'net-autostart', 'offnet', '--disable'),
             'Network offnet unmarked as autostarted\n', 'net-autostart --disable')
    path = h.path('clinet.xml')
    with open(path, 'w') as f:
        f.write(f"<network><name>clinet</name><bridge name='{BRIDGE[:-1]}c'/></network>")
    check_eq(vk_ok(h, 'net-define', path), f'Network clinet defined from {path}\n', 'define')
    check_eq(vk_ok(h, 'net-start', 'clinet'), 'Network clinet started\n', 'net-start')
    check(BRIDGE[:-1] + 'c' in links(h), 'no bridge for clinet')
    check_eq(vk_ok(h, 'net-destroy', 'clinet'), 'Network clinet destroyed\n', 'net-destroy')
    check_eq(vk_ok(h, 'net-undefine', 'clinet'), 'Network clinet has been undefined\n',
             'net-undefine')
    r = vk(h, 'net-info', 'clinet')
    check(r.rc != 0 and 'clinet' in r.err, 'net-info of an undefined network:', r)


def test_destroy(h):
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    check_no_leftovers(h, 'destroy')
    check(not os.path.exists(os.path.join(S['root'], 'run', 'qemu', 'vm1.json')),
          'status file left')


def test_failed_start_missing_disk(h):
    disk = ("<disk type='file' device='disk'><source file='/nonexistent/disk.img'/>"
            "<target dev='vda' bus='virtio'/></disk>")
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm2', net_iface('52:54:00:6b:3c:02'), disk)})
    e = qemu_error(h, 'StartDomain', {'domain': 'vm2', 'paused': True})
    check('/nonexistent/disk.img' in json.dumps(e), 'error:', e)
    check_no_leftovers(h, 'failed start (disk)')


def test_failed_start_after_tap(h):
    nets = (net_iface('52:54:00:6b:3c:03') +
            "<interface type='bridge'><source bridge='vknosuchbr0'/></interface>")
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm3', nets)})
    e = qemu_error(h, 'StartDomain', {'domain': 'vm3', 'paused': True})
    check("bridge 'vknosuchbr0' does not exist" in json.dumps(e), 'error:', e)
    check_no_leftovers(h, 'failed start (bridge)')


def test_inactive_network(h):
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm4', net_iface('52:54:00:6b:3c:04',
                                                                network='offnet'))})
    e = qemu_error(h, 'StartDomain', {'domain': 'vm4', 'paused': True})
    check("network 'offnet'" in json.dumps(e) and 'not active' in json.dumps(e), 'error:', e)
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm5', net_iface('52:54:00:6b:3c:05',
                                                                network='nosuchnet'))})
    e = qemu_error(h, 'StartDomain', {'domain': 'vm5', 'paused': True})
    check("network 'nosuchnet'" in json.dumps(e), 'error:', e)
    check_no_leftovers(h, 'inactive network')


def test_bridge_and_ethernet(h):
    nets = (f"<interface type='bridge'><mac address='52:54:00:6b:3c:06'/>"
            f"<source bridge='{BRIDGE}'/><model type='virtio'/></interface>"
            "<interface type='ethernet'><mac address='52:54:00:6b:3c:07'/>"
            f"<target dev='vkt{TAG}'/></interface>")
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm6', nets)})
    qemu(h, 'StartDomain', {'domain': 'vm6', 'paused': True})
    tp = taps(h)
    check_eq(sorted(tp), sorted(['vnet0', f'vkt{TAG}']), 'taps')
    check_eq(tp['vnet0'].get('master'), BRIDGE, 'bridge tap master')
    check(tp[f'vkt{TAG}'].get('master') is None, 'ethernet tap on a bridge:', tp)
    check_eq(tp[f'vkt{TAG}']['address'], 'fe:54:00:6b:3c:07', 'ethernet tap MAC')
    check_eq(ports(h), [], 'ports (type=bridge takes none)')
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm6'})['xml']
    check(f"<source bridge='{BRIDGE}'/>" in xml and f"<target dev='vkt{TAG}'/>" in xml,
          'live XML:', xml)
    qemu(h, 'DestroyDomain', {'domain': 'vm6'})
    check_no_leftovers(h, 'destroy vm6')


def kill_qemud(h):
    os.kill(S['qemud'].pid, signal.SIGKILL)
    S['qemud'].wait()


def test_reconnect_then_destroy(h):
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    port = ports(h)[0]['uuid']
    kill_qemud(h)
    # networkd lost the port meanwhile: the restarted qemud claims it again (same UUID)
    net(h, 'DeletePort', {'port': port})
    start_qemud(h)
    wait_until(lambda: [p['uuid'] for p in ports(h)] == [port], 10, 'the port reclaimed')
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm1'})['xml']
    check(f"portid='{port}'" in xml and "<target dev='vnet0'/>" in xml, 'live XML:', xml)
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    check_no_leftovers(h, 'destroy after a qemud restart')


def test_dead_at_reconnect(h):
    qemu(h, 'StartDomain', {'domain': 'vm1', 'paused': True})
    check_eq(list(taps(h)), ['vnet0'], 'taps')
    check_eq(len(ports(h)), 1, 'ports')
    with open(os.path.join(S['root'], 'run', 'qemu', 'vm1.json')) as f:
        pid = json.load(f)['pid']
    kill_qemud(h)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f'/proc/{pid}/stat') or
               open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] == 'Z', 10,
               'QEMU gone')
    start_qemud(h)
    check_no_leftovers(h, 'QEMU dead at reconnect')
    states = {d['name']: d['state'] for d in qemu(h, 'ListDomains')['domains']}
    check_eq(states['vm1'], 'shutoff', 'vm1 state')


def test_embed_refuses_network(h):
    """qemu:///embed has no network daemon: type='network' is refused, naming what to use."""
    uri = f"qemu:///embed?root={h.path('embed')}"
    xml = h.path('embed-vm.xml')
    with open(xml, 'w') as f:
        f.write(domain_xml('evm', net_iface('52:54:00:6b:3c:08')))
    cli = os.path.join(h.builddir, 'tools', 'virtkit')
    r = h.run([cli, '-c', uri, 'define', xml], timeout=30)
    check(r.rc == 0, 'define:', r)
    r = h.run([cli, '-c', uri, 'start', 'evm', '--paused'], timeout=30)
    check(r.rc != 0 and "network 'testnet'" in r.err and "type='user'" in r.err,
          'embedded start:', r)


def test_start_time(h):
    """Figures only: StartDomain (paused) with one type='network' NIC and without, best of 3."""
    qemu(h, 'DefineDomain', {'xml': domain_xml('tnic', net_iface('52:54:00:6b:3c:09'))})
    qemu(h, 'DefineDomain', {'xml': domain_xml('tbare', '')})
    best = {}
    for name in ('tbare', 'tnic') * 3:
        t0 = time.monotonic()
        qemu(h, 'StartDomain', {'domain': name, 'paused': True})
        dt = time.monotonic() - t0
        qemu(h, 'DestroyDomain', {'domain': name})
        best[name] = min(best.get(name, dt), dt)
    check_no_leftovers(h, 'start-time runs')
    print(f'# StartDomain paused, best of 3: no NIC {best["tbare"] * 1000:.1f} ms, '
          f'one type=network NIC {best["tnic"] * 1000:.1f} ms')

class KillingProxy:
    """A varlink proxy on @listen to networkd's @target that kills @victim (a Popen) when
    networkd's answer to CreatePort passes, and drops that answer: networkd made the port,
    qemud never learns it. Disarmed (plain forwarding) after one kill."""

    def __init__(self, listen, target):
        self.target = target
        self.victim = None
        self.killed = False
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(listen)
        self.srv.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    @staticmethod
    def _copy(src, dst):
        try:
            while (d := src.recv(65536)):
                dst.sendall(d)
        except OSError:
            pass
        for s in (src, dst):
            s.close()

    def _conn(self, c):
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.connect(self.target)
        threading.Thread(target=self._copy, args=(c, u), daemon=True).start()
        buf = b''
        try:
            while (d := u.recv(65536)):
                buf += d
                while b'\0' in buf:
                    msg, buf = buf.split(b'\0', 1)
                    if (self.victim and not self.killed and b'"plugType"' in msg):
                        # set first: the caller sees qemud's EOF as soon as it dies
                        self.killed = True
                        os.kill(self.victim.pid, signal.SIGKILL)
                        self.victim.wait()
                        raise OSError('killed')
                    c.sendall(msg + b'\0')
        except OSError:
            pass
        for s in (c, u):
            s.close()


def test_killed_between_port_and_status(h):
    """kill -9 of qemud after networkd made a port and before qemud recorded it: the next
    qemud deletes the port (the start's intent file names it) and the file goes."""
    root = h.path('crashroot')
    run = os.path.join(root, 'run')
    os.makedirs(run)
    sock = os.path.join(run, 'io.virtkit.Qemu')
    proxy = KillingProxy(os.path.join(run, 'io.virtkit.Network'), S['net_sock'])

    def start():
        if os.path.exists(sock):
            os.unlink(sock)
        p = h.spawn(ns_argv(h.daemon_path('qemu'), '--root', root, '--bus', 'none', '-v'),
                    'virtkit-qemud', log='qemud-crash')
        wait_until(lambda: h.vlcall(sock, 'io.virtkit.Qemu.GetVersion').rc == 0, 10,
                   'crash qemud')
        return p
    p = start()
    r = h.vlcall(sock, 'io.virtkit.Qemu.DefineDomain', json.dumps(
        {'xml': domain_xml('vmc', net_iface('52:54:00:6b:3c:0c'))}))
    check(r.rc == 0, 'define:', r)
    before = len(ports(h))
    proxy.victim = p
    r = h.vlcall(sock, 'io.virtkit.Qemu.StartDomain',
                 json.dumps({'domain': 'vmc', 'paused': True}))
    check(proxy.killed and r.rc != 0, 'qemud was not killed at CreatePort:', r)
    intent = os.path.join(run, 'qemu', 'vmc.ports')
    check(os.path.exists(intent), 'no intent file after the kill')
    check_eq(len(ports(h)), before + 1, 'the port networkd made (leaked until the restart)')
    p = start()
    wait_until(lambda: len(ports(h)) == before, 10, 'the restarted qemud to delete the port')
    wait_until(lambda: not os.path.exists(intent), 10, 'the intent file to go')
    check_eq(taps(h), {}, 'taps')
    # and the domain starts and stops normally, leaving no intent file
    r = h.vlcall(sock, 'io.virtkit.Qemu.StartDomain',
                 json.dumps({'domain': 'vmc', 'paused': True}), timeout=60)
    check(r.rc == 0, 'start after the restart:', r)
    check(not os.path.exists(intent), 'intent file kept after a start')
    r = h.vlcall(sock, 'io.virtkit.Qemu.DestroyDomain', json.dumps({'domain': 'vmc'}))
    check(r.rc == 0, 'destroy:', r)
    wait_until(lambda: len(ports(h)) == before, 10, 'port gone after destroy')
    h.stop(p)
    proxy.srv.close()


def test_forwarded_by_qemud(h):
    """io.virtkit.Network on qemud's socket reaches networkd; without it the error says so."""
    r = h.vlcall(S['qemu_sock'], 'io.virtkit.Network.ListNetworks', '{"active": "yes"}')
    check(r.rc == 0, 'ListNetworks through qemud:', r)
    check_eq([n['name'] for n in r.json()['networks']], ['testnet'], 'active networks')
    r = h.vlcall(S['qemu_sock'], 'io.virtkit.Network.GetNetworkXML', '{"network": "nosuch"}')
    check(r.rc == 3 and r.varlink_error()[0] == 'io.virtkit.Network.NoSuchNetwork',
          'networkd\'s error relayed:', r)
    h.stop(S['networkd'])
    r = h.vlcall(S['qemu_sock'], 'io.virtkit.Network.ListNetworks', '{}')
    check(r.rc == 3 and 'virtkit-networkd' in r.out + r.err, 'networkd down:', r)


def root_dnsmasqs():
    """The dnsmasq processes serving networks of this test's root (they outlive networkd)."""
    return [pid for pid, cmd, _ in proc_cmdlines()
            if S.get('root') and b'dnsmasq' in cmd.split(b'\0')[0] and S['root'].encode() in cmd]


def test_destroy_leaves_no_dnsmasq(h):
    """networkd again (the previous test stopped it): destroying the network ends its dnsmasq,
    which would otherwise outlive this test."""
    p = h.spawn(ns_argv(h.daemon_path('network'), '--root', S['root'], '--bus', 'none'),
                'virtkit-networkd', log='networkd-again')
    wait_until(lambda: h.vlcall(S['net_sock'], 'io.virtkit.Network.GetVersion').rc == 0, 10,
               'networkd again')
    check(root_dnsmasqs(), 'the active network still has its dnsmasq')
    net(h, 'DestroyNetwork', {'network': 'testnet'})
    wait_until(lambda: not root_dnsmasqs(), 10, 'dnsmasq to end with its network')
    h.stop(p)


def cleanup():
    for pid in root_dnsmasqs():  # a test that failed half way: nothing of it may stay
        os.kill(pid, signal.SIGKILL)
    subprocess.run(['ip', 'netns', 'del', NS], capture_output=True)


def probe():
    """Why this test cannot run here, or None."""
    why = netns_nft_problem(TAG)
    if why:
        return why
    if not os.access(QEMU, os.X_OK):
        return f'{QEMU} is not installed'
    if not os.path.exists('/dev/net/tun'):
        return 'no /dev/net/tun'
    if not any(os.path.exists(p) for p in ('/usr/share/qemu/efi-e1000.rom',
                                           '/usr/lib/ipxe/qemu/efi-e1000.rom')):
        return 'no iPXE ROM for e1000 (ipxe-qemu)'
    return None


if __name__ == '__main__':
    why = probe()
    if why:
        print(f'1..0 # SKIP {why}')
        sys.exit(0)
    try:
        rc = run_tests('qemu-network', [test_pxe_lease, test_cli_domain_interfaces,
                                        test_cli_networks, test_destroy,
                                        test_failed_start_missing_disk,
                                        test_failed_start_after_tap, test_inactive_network,
                                        test_bridge_and_ethernet,
                                        test_reconnect_then_destroy, test_dead_at_reconnect,
                                        test_embed_refuses_network, test_start_time,
                                        test_killed_between_port_and_status,
                                        test_forwarded_by_qemud,
                                        test_destroy_leaves_no_dnsmasq],
                       setup=setup)
    finally:
        cleanup()
    sys.exit(rc)
