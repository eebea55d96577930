#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VMs on macvtap: <interface type='direct'> and networks of forward mode bridge/vepa/...

virtkit-qemud and virtkit-networkd run on one private --root inside a network namespace the
test makes ("host"); a veth pair links it to a second namespace ("lan") where a dnsmasq
serves DHCP. A TCG VM with <interface type='direct'><source dev='<veth>' mode='bridge'/>
boots iPXE from its NIC's ROM and gets a lease from that dnsmasq through the macvtap qemud
made (macvtap0: the guest's MAC, on the veth, mode bridge, up), shown in the live XML and the
status file. Destroy, a failed start and a QEMU found dead after a qemud restart leave no
macvtap; a restarted qemud finds the macvtap again in the status and removes it at destroy.
A network with <forward mode='bridge'><interface dev='<veth>'/></forward> gives ports whose
plug is 'direct': qemud makes the macvtap from it. The whole test skips when the kernel cannot
make a macvtap.
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

TAG = f'{os.getpid() % 100000}'
NS = f'vkt-qdir-{TAG}'
LAN = f'vkt-qdirl-{TAG}'
X = 20 + os.getpid() % 200
UPLINK = f'vkdu{TAG}'[:15]   # in NS: the macvtaps' parent
PEER = f'vkdp{TAG}'[:15]     # in LAN: dnsmasq's side
SUBNET = f'10.216.{X}'
QEMU = '/usr/bin/qemu-system-x86_64'
DNSMASQ = '/usr/sbin/dnsmasq'
MAC = '52:54:00:6c:3d:01'
S = {}

MVNET_XML = f"""<network>
  <name>mvnet</name>
  <forward mode='bridge'>
    <interface dev='{UPLINK}'/>
  </forward>
</network>
"""


def domain_xml(name, nets, disks='', boot='hd'):
    # TCG always: iPXE under nested KVM crashed on the test host
    return (f"<domain type='qemu'><name>{name}</name>"
            "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            f"<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='{boot}'/></os>"
            f"<devices>{nets}{disks}</devices></domain>")


def direct_iface(mac, dev=None, mode='bridge', model='e1000', target=''):
    tgt = f"<target dev='{target}'/>" if target else ''
    return (f"<interface type='direct'><mac address='{mac}'/>"
            f"<source dev='{dev or UPLINK}' mode='{mode}'/>{tgt}<model type='{model}'/>"
            "</interface>")


def ns_ok(h, ns, *argv, timeout=15):
    r = h.run(['ip', 'netns', 'exec', ns] + list(argv), timeout=timeout)
    check(r.rc == 0, f'{" ".join(argv)}:', r)
    return r


def macvtaps(h):
    """The macvtaps of the host namespace: name → ip -d -j link entry."""
    r = ns_ok(h, NS, 'ip', '-d', '-j', 'link', 'show')
    return {link['ifname']: link for link in json.loads(r.out)
            if link.get('linkinfo', {}).get('info_kind') == 'macvtap'}


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


def start_qemud(h):
    if os.path.exists(S['qemu_sock']):
        os.unlink(S['qemu_sock'])
    p = h.spawn(['ip', 'netns', 'exec', NS, h.daemon_path('qemu'), '--root', S['root'],
                 '--bus', 'none', '-v'], 'virtkit-qemud', log='qemud')
    wait_until(lambda: os.path.exists(S['qemu_sock']) or p.poll() is not None, 10, 'qemud')
    check(p.poll() is None, 'qemud exited:', h.log_text('qemud'))
    wait_until(lambda: h.vlcall(S['qemu_sock'], 'io.virtkit.Qemu.GetVersion').rc == 0, 10,
               'GetVersion')
    S['qemud'] = p


def kill_qemud(h):
    os.kill(S['qemud'].pid, signal.SIGKILL)
    S['qemud'].wait()


def setup(h):
    for ns in (NS, LAN):
        subprocess.run(['ip', 'netns', 'add', ns], check=True)
        ns_ok(h, ns, 'ip', 'link', 'set', 'lo', 'up')
    ns_ok(h, NS, 'ip', 'link', 'add', UPLINK, 'type', 'veth', 'peer', 'name', PEER, 'netns',
          LAN)
    ns_ok(h, NS, 'ip', 'link', 'set', UPLINK, 'up')
    ns_ok(h, LAN, 'ip', 'addr', 'add', f'{SUBNET}.1/24', 'dev', PEER)
    ns_ok(h, LAN, 'ip', 'link', 'set', PEER, 'up')
    S['leases'] = h.path('lan.leases')
    S['dnsmasq'] = h.spawn(['ip', 'netns', 'exec', LAN, DNSMASQ, '--keep-in-foreground',
                            '--conf-file=/dev/null', '--port=0', '--bind-interfaces',
                            f'--interface={PEER}', '--except-interface=lo', '--user=root',
                            f'--dhcp-range={SUBNET}.10,{SUBNET}.50,1h',
                            f'--dhcp-leasefile={S["leases"]}',
                            f'--pid-file={h.path("lan.pid")}'], 'dnsmasq', log='dnsmasq')
    S['root'] = h.path('root')
    S['net_sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Network')
    S['qemu_sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Qemu')
    p = h.spawn(['ip', 'netns', 'exec', NS, h.daemon_path('network'), '--root', S['root'],
                 '--bus', 'none'], 'virtkit-networkd', log='networkd')
    wait_until(lambda: os.path.exists(S['net_sock']) or p.poll() is not None, 10, 'networkd')
    check(p.poll() is None, 'networkd exited:', h.log_text('networkd'))
    start_qemud(h)


def status(name):
    with open(os.path.join(S['root'], 'run', 'qemu', f'{name}.json')) as f:
        return json.load(f)


def lan_lease(mac):
    try:
        with open(S['leases']) as f:
            return [line.split()[2] for line in f if line.split()[1] == mac]
    except OSError:
        return []


def test_pxe_lease_through_macvtap(h):
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm1', direct_iface(MAC), boot='network')})
    t0 = time.monotonic()
    qemu(h, 'StartDomain', {'domain': 'vm1'})
    t_start = time.monotonic() - t0
    mv = macvtaps(h)
    check_eq(list(mv), ['macvtap0'], 'macvtaps')
    link = mv['macvtap0']
    check_eq(link['address'], MAC, 'the macvtap\'s MAC (the guest\'s)')
    check_eq(link.get('link'), UPLINK, 'the macvtap\'s parent')
    check_eq(link['linkinfo']['info_data'].get('mode'), 'bridge', 'macvtap mode')
    check('UP' in link['flags'], 'macvtap not up:', link['flags'])
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm1'})['xml']
    check(f"<source dev='{UPLINK}' mode='bridge'/>" in xml and
          "<target dev='macvtap0'/>" in xml, 'live XML:', xml)
    inactive = qemu(h, 'GetDomainXML', {'domain': 'vm1', 'inactive': True})['xml']
    check('macvtap0' not in inactive, 'inactive XML:', inactive)
    st = status('vm1')
    check_eq([(n['tap'], n.get('macvtap')) for n in st['nets']], [('macvtap0', True)],
             'status nets')
    wait_until(lambda: lan_lease(MAC), 60, 'iPXE\'s DHCP lease from the LAN\'s dnsmasq')
    got = lan_lease(MAC)
    check(got[0].startswith(f'{SUBNET}.'), 'lease:', got)
    print(f'# start {t_start * 1000:.0f} ms, lease after {time.monotonic() - t0:.1f} s')


def test_domiflist(h):
    cli = os.path.join(h.builddir, 'tools', 'virtkit')
    r = h.run([cli, '-c', f"qemu+unix:///system?socket={S['qemu_sock']}", 'domiflist',
               'vm1'], timeout=30)
    check(r.rc == 0 and f' macvtap0    direct   {UPLINK}' in r.out, 'domiflist:', r)


def test_destroy(h):
    qemu(h, 'DestroyDomain', {'domain': 'vm1'})
    wait_until(lambda: not macvtaps(h), 10, 'macvtap gone after destroy')


def test_virtio_vnet_hdr_and_fixed_name(h):
    """virtio: the char device gets IFF_VNET_HDR (QEMU refuses vnet_hdr otherwise); a
    <target dev> the user chose is kept."""
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm2', direct_iface(
        '52:54:00:6c:3d:02', mode='vepa', model='virtio', target=f'vkmv{TAG}'))})
    qemu(h, 'StartDomain', {'domain': 'vm2', 'paused': True})
    mv = macvtaps(h)
    check_eq(list(mv), [f'vkmv{TAG}'], 'macvtaps')
    check_eq(mv[f'vkmv{TAG}']['linkinfo']['info_data'].get('mode'), 'vepa', 'mode')
    qemu(h, 'DestroyDomain', {'domain': 'vm2'})
    wait_until(lambda: not macvtaps(h), 10, 'macvtap gone after destroy')


def test_failed_starts_leave_no_macvtap(h):
    disk = ("<disk type='file' device='disk'><source file='/nonexistent/disk.img'/>"
            "<target dev='vda' bus='virtio'/></disk>")
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm3', direct_iface('52:54:00:6c:3d:03'),
                                               disk)})
    e = qemu_error(h, 'StartDomain', {'domain': 'vm3', 'paused': True})
    check('/nonexistent/disk.img' in json.dumps(e), 'error:', e)
    check_eq(macvtaps(h), {}, 'macvtaps after a failed start (disk)')
    # the second NIC fails after the first macvtap was made
    nets = (direct_iface('52:54:00:6c:3d:04') +
            direct_iface('52:54:00:6c:3d:05', dev='vknosuchdev0'))
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm4', nets)})
    e = qemu_error(h, 'StartDomain', {'domain': 'vm4', 'paused': True})
    check("host interface 'vknosuchdev0'" in json.dumps(e), 'error:', e)
    check_eq(macvtaps(h), {}, 'macvtaps after a failed start (device)')


def test_restart_then_destroy(h):
    qemu(h, 'StartDomain', {'domain': 'vm2', 'paused': True})
    check_eq(list(macvtaps(h)), [f'vkmv{TAG}'], 'macvtaps')
    kill_qemud(h)
    start_qemud(h)
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm2'})['xml']
    check(f"<target dev='vkmv{TAG}'/>" in xml, 'live XML after a restart:', xml)
    qemu(h, 'DestroyDomain', {'domain': 'vm2'})
    wait_until(lambda: not macvtaps(h), 10, 'macvtap gone after a restart and destroy')


def test_dead_at_reconnect(h):
    qemu(h, 'StartDomain', {'domain': 'vm2', 'paused': True})
    pid = status('vm2')['pid']
    kill_qemud(h)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f'/proc/{pid}/stat') or
               open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] == 'Z', 10,
               'QEMU gone')
    check_eq(list(macvtaps(h)), [f'vkmv{TAG}'], 'the macvtap outlives QEMU')
    start_qemud(h)
    wait_until(lambda: not macvtaps(h), 10, 'macvtap of a QEMU found dead removed')


def test_orphan_swept_at_restart(h):
    """A macvtap qemud made (alias virtkit-qemu:<UUID>) that no status names (qemud killed
    before it wrote one) goes when the next qemud starts; one of a domain it does not know
    stays."""
    uuid = qemu(h, 'LookupDomain', {'name': 'vm2'})['uuid']
    qemu(h, 'StartDomain', {'domain': 'vm2', 'paused': True})
    check_eq(macvtaps(h)[f'vkmv{TAG}'].get('ifalias'), f'virtkit-qemu:{uuid}',
             'the macvtap\'s owner alias')
    qemu(h, 'DestroyDomain', {'domain': 'vm2'})
    for name, owner in (('vkorph0', uuid), ('vkorph1', '11111111-2222-3333-4444-555555555555')):
        ns_ok(h, NS, 'ip', 'link', 'add', 'link', UPLINK, 'name', name, 'type', 'macvtap')
        ns_ok(h, NS, 'ip', 'link', 'set', name, 'alias', f'virtkit-qemu:{owner}')
    kill_qemud(h)
    start_qemud(h)
    check_eq(sorted(macvtaps(h)), ['vkorph1'], 'macvtaps after the restart')
    ns_ok(h, NS, 'ip', 'link', 'del', 'vkorph1')


def test_macvtap_network(h):
    net(h, 'DefineNetwork', {'xml': MVNET_XML})
    net(h, 'CreateNetwork', {'network': 'mvnet'})
    iface = ("<interface type='network'><mac address='52:54:00:6c:3d:06'/>"
             "<source network='mvnet'/><model type='virtio'/></interface>")
    qemu(h, 'DefineDomain', {'xml': domain_xml('vm5', iface)})
    qemu(h, 'StartDomain', {'domain': 'vm5', 'paused': True})
    ports = net(h, 'ListPorts', {'network': 'mvnet'})['ports']
    check_eq([(p['plugType'], p['dev'], p['mode']) for p in ports],
             [('direct', UPLINK, 'bridge')], 'ports')
    mv = macvtaps(h)
    check_eq(list(mv), ['macvtap0'], 'macvtaps')
    check_eq(mv['macvtap0']['address'], '52:54:00:6c:3d:06', 'MAC')
    check_eq(mv['macvtap0'].get('link'), UPLINK, 'parent')
    xml = qemu(h, 'GetDomainXML', {'domain': 'vm5'})['xml']
    check(f"<source network='mvnet' portid='{ports[0]['uuid']}' dev='{UPLINK}' "
          "mode='bridge'/>" in xml and "<target dev='macvtap0'/>" in xml, 'live XML:', xml)
    qemu(h, 'DestroyDomain', {'domain': 'vm5'})
    wait_until(lambda: not macvtaps(h), 10, 'macvtap gone')
    wait_until(lambda: not net(h, 'ListPorts', {'network': 'mvnet'})['ports'], 10,
               'port gone')


def cleanup():
    for ns in (NS, LAN):
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def probe():
    """Why this test cannot run here, or None."""
    if os.geteuid() != 0:
        return None  # run_tests() says so
    for path, what in ((QEMU, 'QEMU'), (DNSMASQ, 'dnsmasq')):
        if not os.access(path, os.X_OK):
            return f'{what} ({path}) is not installed'
    if not any(os.path.exists(p) for p in ('/usr/share/qemu/efi-e1000.rom',
                                           '/usr/lib/ipxe/qemu/efi-e1000.rom')):
        return 'no iPXE ROM for e1000 (ipxe-qemu)'
    ns = f'vkt-qdirp-{TAG}'
    if subprocess.run(['ip', 'netns', 'add', ns], capture_output=True).returncode != 0:
        return 'cannot make a network namespace'
    try:
        r = subprocess.run(['ip', 'netns', 'exec', ns, 'sh', '-c',
                            'ip link add p0 type veth peer name p1 && '
                            'ip link add link p0 name mvprobe type macvtap mode bridge'],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return f'the kernel cannot make a macvtap: {r.stderr.strip()}'
    finally:
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
    return None


if __name__ == '__main__':
    why = probe()
    if why:
        print(f'1..0 # SKIP {why}')
        sys.exit(0)
    try:
        rc = run_tests('qemu-direct', [test_pxe_lease_through_macvtap, test_domiflist,
                                       test_destroy, test_virtio_vnet_hdr_and_fixed_name,
                                       test_failed_starts_leave_no_macvtap,
                                       test_restart_then_destroy, test_dead_at_reconnect,
                                       test_orphan_swept_at_restart, test_macvtap_network],
                       setup=setup)
    finally:
        cleanup()
    sys.exit(rc)
