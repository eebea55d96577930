#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtkit-networkd runs real networks, inside network namespaces the test makes.

Three namespaces: "host" runs networkd (private --root) and its bridge, dnsmasq and nftables
rules; "guest" holds the far end of a veth enslaved to the bridge and asks for a lease with
busybox udhcpc; "uplink" holds the far end of the host's uplink veth and a TCP listener,
which must see the guest's connection come from the host's uplink address (masquerade).
Then: kill -9 networkd and restart it (network still active, dnsmasq adopted), bad input
(overlapping subnet, bridge name in use, starting an active network: clear errors, nothing
left), destroy (no bridge, dnsmasq, rule or file left). Nothing touches the namespaces of the
machine: everything is created, used and deleted in namespaces of our own.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402
from vkhost import netns_nft_problem  # noqa: E402

TAG = f'{os.getpid() % 100000}'
NS = {k: f'vkt-{k}-{TAG}' for k in ('host', 'guest', 'uplink')}
X = 20 + os.getpid() % 200           # 10.213.X.0/24: the network's subnet
BRIDGE = f'vkbr{TAG}'[:15]
SUBNET = f'10.213.{X}'
UPLINK_HOST = f'172.31.{X}.2'         # the host's address on its uplink
UPLINK_PEER = f'172.31.{X}.1'         # the "internet" in the uplink namespace
GUEST_MAC = '52:54:00:4e:7a:01'
PORT = 18000 + X
S = {}

NET_XML = f"""<network>
  <name>testnet</name>
  <forward mode='nat'/>
  <bridge name='{BRIDGE}' stp='off'/>
  <ip address='{SUBNET}.1' prefix='24'>
    <dhcp>
      <range start='{SUBNET}.10' end='{SUBNET}.50'/>
    </dhcp>
  </ip>
</network>
"""

UDHCPC_SCRIPT = """#!/bin/sh
# busybox udhcpc's event script: configure the lease given
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
exit 0
"""


def ns_argv(ns, *argv):
    return ['ip', 'netns', 'exec', NS[ns]] + list(argv)


def ns_run(h, ns, *argv, timeout=15):
    return h.run(ns_argv(ns, *argv), timeout=timeout)


def ns_ok(h, ns, *argv, timeout=15):
    r = ns_run(h, ns, *argv, timeout=timeout)
    check(r.rc == 0, f'{" ".join(argv)} in {ns}:', r)
    return r


def call(h, method, params=None):
    return h.vlcall(S['sock'], f'io.virtkit.Network.{method}', json.dumps(params or {}))


def call_ok(h, method, params=None):
    r = call(h, method, params)
    check(r.rc == 0, f'{method} failed:', r)
    return json.loads(r.out) if r.out.strip() else {}


def call_error(h, method, params=None):
    r = call(h, method, params)
    check(r.rc == 3, f'{method}: expected a varlink error:', r)
    return r.varlink_error()


def start_networkd(h):
    p = h.spawn(ns_argv('host', h.daemon_path('network'), '--root', S['root'], '--bus', 'none'),
                'virtkit-networkd', log='networkd')
    wait_until(lambda: os.path.exists(S['sock']) or p.poll() is not None, 10, S['sock'])
    check(p.poll() is None, 'networkd exited:', h.log_text('networkd'))
    S['networkd'] = p
    return p


def links(h):
    r = ns_ok(h, 'host', 'ip', '-j', 'addr', 'show')
    return {link['ifname']: link for link in json.loads(r.out)}


def our_rules(h, uuid):
    """The nft rules carrying the network's UUID as comment, in both tables."""
    rules = []
    for fam in ('ip', 'ip6'):
        r = ns_run(h, 'host', 'nft', '-j', 'list', 'table', fam, 'virtkit_network')
        if r.rc != 0:
            continue
        for item in json.loads(r.out)['nftables']:
            rule = item.get('rule')
            if rule and rule.get('comment') == uuid:
                rules.append(rule)
    return rules


def status(h):
    with open(os.path.join(S['root'], 'run', 'network', 'testnet.status')) as f:
        return json.load(f)


def live_dnsmasq(pid):
    """Whether @pid is a running (not zombie) dnsmasq."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
        return state != 'Z' and os.readlink(f'/proc/{pid}/exe').endswith('/dnsmasq')
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def exited(pid):
    """Whether @pid has finished exiting (gone or a zombie): its sockets are closed. A process
    still exiting has no exe link any more (live_dnsmasq() says False) but may hold them."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def setup(h):
    for ns in NS.values():
        subprocess.run(['ip', 'netns', 'add', ns], check=True)
    for ns in NS:
        ns_ok(h, ns, 'ip', 'link', 'set', 'lo', 'up')
    # uplink: host up0 (UPLINK_HOST) <-> uplink up1 (UPLINK_PEER); the host's default route
    ns_ok(h, 'host', 'ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1',
          'netns', NS['uplink'])
    ns_ok(h, 'host', 'ip', 'addr', 'add', f'{UPLINK_HOST}/24', 'dev', 'up0')
    ns_ok(h, 'host', 'ip', 'link', 'set', 'up0', 'up')
    ns_ok(h, 'host', 'ip', 'route', 'add', 'default', 'via', UPLINK_PEER)
    ns_ok(h, 'uplink', 'ip', 'addr', 'add', f'{UPLINK_PEER}/24', 'dev', 'up1')
    ns_ok(h, 'uplink', 'ip', 'link', 'set', 'up1', 'up')
    # the guest's NIC: g1 in the guest namespace, g0 enslaved to the bridge once it exists
    ns_ok(h, 'host', 'ip', 'link', 'add', 'g0', 'type', 'veth', 'peer', 'name', 'g1',
          'netns', NS['guest'])
    ns_ok(h, 'guest', 'ip', 'link', 'set', 'g1', 'address', GUEST_MAC)
    ns_ok(h, 'guest', 'ip', 'link', 'set', 'g1', 'up')
    script = h.path('udhcpc.sh')
    with open(script, 'w') as f:
        f.write(UDHCPC_SCRIPT)
    os.chmod(script, 0o755)
    S['udhcpc_script'] = script
    S['root'] = h.path('root')
    S['sock'] = os.path.join(S['root'], 'run', 'io.virtkit.Network')
    start_networkd(h)


def test_start(h):
    res = call_ok(h, 'DefineNetwork', {'xml': NET_XML})
    S['uuid'] = res['uuid']
    xml = call_ok(h, 'GetNetworkXML', {'network': 'testnet'})['xml']
    S['mac'] = xml.split("<mac address='")[1].split("'")[0]
    call_ok(h, 'CreateNetwork', {'network': 'testnet'})
    ls = links(h)
    check(BRIDGE in ls, f'no bridge {BRIDGE}:', ls.keys())
    br = ls[BRIDGE]
    check('UP' in br['flags'], 'bridge not up:', br['flags'])
    detail = json.loads(ns_ok(h, 'host', 'ip', '-d', '-j', 'link', 'show', BRIDGE).out)[0]
    info = detail['linkinfo']
    check(info['info_kind'] == 'bridge' and info['info_data']['stp_state'] == 0,
          'bridge kind and STP:', info)
    check_eq(detail['address'], S['mac'], 'bridge MAC')
    addrs = [(a['local'], a['prefixlen']) for a in br['addr_info'] if a['family'] == 'inet']
    check_eq(addrs, [(f'{SUBNET}.1', 24)], 'bridge addresses')
    check_eq(ns_ok(h, 'host', 'cat', '/proc/sys/net/ipv4/ip_forward').out.strip(), '1',
             'ip_forward')
    st = status(h)
    check(live_dnsmasq(st['dnsmasqPid']), 'dnsmasq not running:', st)
    rules = our_rules(h, S['uuid'])
    check(len(rules) == len(st['nftRules']) and rules, 'nft rules differ from the status:',
          rules, st['nftRules'])
    chains = {r['chain'] for r in rules}
    check({'guest_nat', 'guest_output', 'guest_input'} <= chains, 'missing chains:', chains)
    lst = call_ok(h, 'ListNetworks', {'active': 'yes'})['networks']
    check_eq([(n['name'], n['bridge']) for n in lst], [('testnet', BRIDGE)], 'active networks')


def test_dhcp_lease(h):
    ns_ok(h, 'host', 'ip', 'link', 'set', 'g0', 'master', BRIDGE)
    ns_ok(h, 'host', 'ip', 'link', 'set', 'g0', 'up')
    ns_ok(h, 'guest', 'busybox', 'udhcpc', '-i', 'g1', '-n', '-q', '-f', '-t', '10', '-T', '1',
          '-s', S['udhcpc_script'], timeout=40)
    r = ns_ok(h, 'guest', 'ip', '-j', 'addr', 'show', 'g1')
    got = [a['local'] for a in json.loads(r.out)[0]['addr_info'] if a['family'] == 'inet']
    check(len(got) == 1 and got[0].startswith(f'{SUBNET}.'), 'guest address:', got)
    S['guest_ip'] = got[0]

    def lease():
        return call_ok(h, 'GetDHCPLeases', {'network': 'testnet', 'mac': GUEST_MAC})['leases']
    wait_until(lambda: lease(), 10, 'the lease in GetDHCPLeases')
    leases = lease()
    check_eq([(x['mac'], x['ip'], x['interface']) for x in leases],
             [(GUEST_MAC, S['guest_ip'], BRIDGE)], 'leases')
    check(leases[0]['expiryTime'] > time.time(), 'expiry in the past:', leases)
    other = call_ok(h, 'GetDHCPLeases', {'network': 'testnet', 'mac': '52:54:00:00:00:99'})
    check_eq(other['leases'], [], 'leases of another MAC')
    ns_ok(h, 'guest', 'busybox', 'ping', '-c', '1', '-W', '5', f'{SUBNET}.1')


def port_xml(mac, uuid=None, group=None):
    u = f'<uuid>{uuid}</uuid>' if uuid else ''
    g = f'<group>{group}</group>' if group else ''
    return (f"<networkport>{u}<owner><name>vm1</name>"
            f"<uuid>11111111-2222-4333-8444-555555555555</uuid></owner>{g}"
            f"<mac address='{mac}'/></networkport>")


def test_ports(h):
    port = call_ok(h, 'CreatePort', {'network': 'testnet', 'xml': port_xml(GUEST_MAC)})
    check_eq((port['plugType'], port['bridge'], port['mac'], port['ownerName'], port['network']),
             ('network', BRIDGE, GUEST_MAC, 'vm1', 'testnet'), 'port')
    S['port'] = port['uuid']
    xml = call_ok(h, 'GetPortXML', {'port': port['uuid']})['xml']
    check(f"<plug type='network' bridge='{BRIDGE}'/>" in xml and port['uuid'] in xml,
          'port XML:', xml)
    check(os.path.exists(os.path.join(S['root'], 'run', 'network', 'ports', 'testnet',
                                      port['uuid'] + '.xml')), 'no port file')
    # the same port again (a restarted qemud reclaiming it): the same answer
    again = call_ok(h, 'CreatePort', {'network': 'testnet',
                                      'xml': port_xml(GUEST_MAC, port['uuid'])})
    check_eq(again, port, 'reclaimed port')
    e = call_error(h, 'CreatePort', {'network': 'testnet', 'xml': port_xml(GUEST_MAC)})
    check('already has a port' in json.dumps(e), 'duplicate MAC:', e)
    e = call_error(h, 'CreatePort', {'network': 'testnet',
                                     'xml': port_xml('52:54:00:00:00:77', group='nosuch')})
    check("no portgroup 'nosuch'" in json.dumps(e), 'unknown portgroup:', e)
    e = call_error(h, 'CreatePort', {'network': 'testnet',
                                     'xml': "<networkport><mac address='01:00:5e:00:00:01'/>"
                                            "</networkport>"})
    check(e[0] == 'io.virtkit.Network.InvalidXML' and 'unicast' in json.dumps(e), 'mac:', e)
    other = call_ok(h, 'CreatePort', {'network': S['uuid'],
                                      'xml': port_xml('52:54:00:00:00:78')})
    ports = call_ok(h, 'ListPorts', {'network': 'testnet'})['ports']
    check_eq(sorted(p['uuid'] for p in ports), sorted([port['uuid'], other['uuid']]), 'ports')
    call_ok(h, 'DeletePort', {'port': other['uuid']})
    e = call_error(h, 'DeletePort', {'port': other['uuid']})
    check_eq(e[0], 'io.virtkit.Network.NoSuchPort', 'deleted port')
    check_eq([p['uuid'] for p in call_ok(h, 'ListPorts', {'network': 'testnet'})['ports']],
             [port['uuid']], 'ports after delete')


def connect_from_guest(h, name):
    """Connect from the guest to the uplink's listener: the source it saw, or None."""
    out = h.path(f'peer-{name}.txt')
    listener = h.spawn(ns_argv('uplink', 'python3', '-c', f'''
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{UPLINK_PEER}", {PORT}))
s.listen(1)
s.settimeout(20)
c, peer = s.accept()
open("{out}", "w").write(peer[0])
'''), f'listener-{name}')
    wait_until(lambda: ns_run(h, 'uplink', 'ss', '-ltn').out.find(f':{PORT}') >= 0, 10,
               'the listener')
    r = ns_run(h, 'guest', 'python3', '-c',
               f'import socket; socket.create_connection(("{UPLINK_PEER}", {PORT}), 5).close()')
    if r.rc != 0:
        h.stop(listener)
        return None
    check_eq(listener.wait(timeout=20), 0, 'listener exit')
    with open(out) as f:
        return f.read()


def test_masquerade(h):
    check_eq(connect_from_guest(h, 'nat'), UPLINK_HOST, 'the source address the uplink saw')


def test_update_dhcp_host(h):
    host = f"<host mac='{GUEST_MAC}' name='guest1' ip='{SUBNET}.77'/>"
    upd = {'network': 'testnet', 'command': 'add-last', 'section': 'ip-dhcp-host', 'xml': host,
           'live': True, 'config': True}
    call_ok(h, 'UpdateNetwork', upd)
    for inactive in (False, True):
        xml = call_ok(h, 'GetNetworkXML', {'network': 'testnet', 'inactive': inactive})['xml']
        check(f"ip='{SUBNET}.77'" in xml, f'host not in the XML (inactive={inactive}):', xml)
    hosts = os.path.join(S['root'], 'lib', 'network', 'dnsmasq', 'testnet.hostsfile')
    with open(hosts) as f:
        check(f'{SUBNET}.77' in f.read(), 'host not in the hosts file')
    e = call_error(h, 'UpdateNetwork', upd)
    check('already has this DHCP host' in json.dumps(e), 'added twice:', e)
    e = call_error(h, 'UpdateNetwork', dict(upd, command='delete',
                                            xml="<host mac='52:54:00:00:00:66'/>"))
    check('no such DHCP host' in json.dumps(e), 'delete unknown:', e)
    e = call_error(h, 'UpdateNetwork', dict(upd, section='dns-host'))
    check_eq(e[0], 'io.virtkit.Network.NotSupported', 'other section')
    e = call_error(h, 'UpdateNetwork', dict(upd, command='modify',
                                            xml=f"<host mac='{GUEST_MAC}' ip='10.9.9.9'/>"))
    check(e[0] == 'io.virtkit.Network.InvalidXML' and '10.9.9.9' in json.dumps(e),
          'host outside the subnet:', e)
    # dnsmasq read the new hosts file (SIGHUP): the guest gets its fixed address
    ns_ok(h, 'guest', 'busybox', 'udhcpc', '-i', 'g1', '-n', '-q', '-f', '-t', '10', '-T', '1',
          '-s', S['udhcpc_script'], timeout=40)
    r = ns_ok(h, 'guest', 'ip', '-j', 'addr', 'show', 'g1')
    got = [a['local'] for a in json.loads(r.out)[0]['addr_info'] if a['family'] == 'inet']
    check_eq(got, [f'{SUBNET}.77'], 'guest address after the update')
    S['guest_ip'] = got[0]
    wait_until(lambda: [x['ip'] for x in call_ok(h, 'GetDHCPLeases', {'network': 'testnet'})[
        'leases']] == [S['guest_ip']], 10, 'the new lease alone')


def test_restart_adopts(h):
    before = status(h)
    S['networkd'].send_signal(signal.SIGKILL)
    S['networkd'].wait(timeout=5)
    os.unlink(S['sock'])
    check(live_dnsmasq(before['dnsmasqPid']), 'dnsmasq died with networkd')
    start_networkd(h)
    after = status(h)
    check_eq(after['dnsmasqPid'], before['dnsmasqPid'], 'adopted dnsmasq pid')
    info = call_ok(h, 'LookupNetwork', {'name': 'testnet'})
    check(info['active'], 'network not active after restart:', info)
    leases = call_ok(h, 'GetDHCPLeases', {'network': S['uuid']})['leases']
    check_eq([x['ip'] for x in leases], [S['guest_ip']], 'leases after restart')
    ports = call_ok(h, 'ListPorts', {'network': 'testnet'})['ports']
    check_eq([p['uuid'] for p in ports], [S['port']], 'ports after restart')


def test_dnsmasq_restarted(h):
    """A dnsmasq that dies is started again by networkd at once (its pidfd watch), and by the
    next networkd when it died while none ran; the leases are kept."""
    old = status(h)['dnsmasqPid']
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: status(h)['dnsmasqPid'] not in (0, old) and
               live_dnsmasq(status(h)['dnsmasqPid']), 10, 'networkd to start dnsmasq again')
    wait_until(lambda: 'its dnsmasq was killed by signal 9; started it again' in
               h.log_text('networkd') or
               'its dnsmasq ended; started it again' in h.log_text('networkd'), 5,
               'the warning about dnsmasq in the log')
    # dead while no networkd runs: the next one starts it
    S['networkd'].send_signal(signal.SIGKILL)
    S['networkd'].wait(timeout=5)
    os.unlink(S['sock'])
    old = status(h)['dnsmasqPid']
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: exited(old), 10, 'dnsmasq to die')
    start_networkd(h)
    new = status(h)['dnsmasqPid']
    check(new != old and live_dnsmasq(new), 'dnsmasq not started again:', old, new)
    check('starting it again' in h.log_text('networkd'), 'no warning about dnsmasq')
    leases = call_ok(h, 'GetDHCPLeases', {'network': 'testnet'})['leases']
    check_eq([x['ip'] for x in leases], [S['guest_ip']], 'leases after dnsmasq restart')


def test_dnsmasq_cannot_start(h):
    """dnsmasq exits at once (the DHCP port is taken, in a namespace of its own where no other
    dnsmasq runs): the start fails with dnsmasq's own message and leaves nothing behind."""
    ns = f'vkt-busy-{TAG}'
    root = h.path('busyroot')
    sock = os.path.join(root, 'run', 'io.virtkit.Network')
    subprocess.run(['ip', 'netns', 'add', ns], check=True)
    try:
        run = ['ip', 'netns', 'exec', ns]
        h.run(run + ['ip', 'link', 'set', 'lo', 'up'])
        blocker = h.spawn(run + [sys.executable, '-c',
                                 'import socket,time\n'
                                 's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n'
                                 's.bind(("0.0.0.0",67))\nprint("bound",flush=True)\n'
                                 'time.sleep(120)'], 'udp67', log='udp67')
        wait_until(lambda: 'bound' in h.log_text('udp67') or blocker.poll() is not None, 10,
                   'the port 67 blocker')
        check(blocker.poll() is None, 'blocker:', h.log_text('udp67'))
        nd = h.spawn(run + [h.daemon_path('network'), '--root', root, '--bus', 'none'],
                     'virtkit-networkd', log='networkd-busy')
        wait_until(lambda: os.path.exists(sock) or nd.poll() is not None, 10, sock)
        r = h.vlcall(sock, 'io.virtkit.Network.CreateNetworkXML', json.dumps({'xml': NET_XML}))
        msg = r.out + r.err
        check(r.rc == 3 and 'dnsmasq failed to start' in msg and
              'Address already in use' in msg, 'error of a dnsmasq that exits at once:', r)
        r = h.run(run + ['ip', '-j', 'link', 'show'])
        check_eq([link['ifname'] for link in json.loads(r.out)], ['lo'],
                 'interfaces after the failed start')
        files = os.listdir(os.path.join(root, 'run', 'network'))
        check_eq(sorted(files), ['autostarted'], 'files left in the run dir')
        check_eq(os.listdir(os.path.join(root, 'lib', 'network', 'dnsmasq')), [],
                 'dnsmasq files left')
        h.stop(nd)
        h.stop(blocker)
    finally:
        r = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True, text=True)
        for pid in r.stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def test_hosts_file_unreachable(h):
    """A root-run networkd whose files sit under a 0700 directory: dnsmasq (dropped to nobody)
    could not read the static DHCP hosts, so the start is refused naming that directory instead
    of handing the host a dynamic address; a network without static hosts still starts."""
    ns = f'vkt-priv-{TAG}'
    top = h.path('private')
    os.makedirs(top, mode=0o700)
    os.chmod(top, 0o700)
    root = os.path.join(top, 'root')
    sock = os.path.join(root, 'run', 'io.virtkit.Network')
    subprocess.run(['ip', 'netns', 'add', ns], check=True)
    try:
        run = ['ip', 'netns', 'exec', ns]
        h.run(run + ['ip', 'link', 'set', 'lo', 'up'])
        nd = h.spawn(run + [h.daemon_path('network'), '--root', root, '--bus', 'none'],
                     'virtkit-networkd', log='networkd-private')
        wait_until(lambda: os.path.exists(sock) or nd.poll() is not None, 10, sock)
        xml = NET_XML.replace("</dhcp>", f"<host mac='52:54:00:aa:bb:01' ip='{SUBNET}.5'/></dhcp>")
        r = h.vlcall(sock, 'io.virtkit.Network.CreateNetworkXML', json.dumps({'xml': xml}))
        msg = r.out + r.err
        check(r.rc == 3 and "runs as 'nobody'" in msg and f"'{top}' (mode 0700)" in msg,
              'error naming the private directory:', r)
        r = h.run(run + ['ip', '-j', 'link', 'show'])
        check_eq([link['ifname'] for link in json.loads(r.out)], ['lo'],
                 'interfaces after the refused start')
        r = h.vlcall(sock, 'io.virtkit.Network.CreateNetworkXML', json.dumps({'xml': NET_XML}))
        check(r.rc == 0, 'a network without static hosts starts there:', r)
        r = h.vlcall(sock, 'io.virtkit.Network.DestroyNetwork',
                     json.dumps({'network': 'testnet'}))
        check(r.rc == 0, 'destroy:', r)
        h.stop(nd)
    finally:
        r = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True, text=True)
        for pid in r.stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def test_bad_input(h):
    n_links = len(links(h))
    n_rules = len(our_rules(h, S['uuid']))
    e = call_error(h, 'CreateNetwork', {'network': 'testnet'})
    check('already active' in json.dumps(e), 'active network:', e)
    overlap = NET_XML.replace('testnet', 'overlap').replace(BRIDGE, 'vkov' + TAG).replace(
        f"{SUBNET}.1' prefix='24'", f"{SUBNET}.129' prefix='25'").replace(
        f'{SUBNET}.10', f'{SUBNET}.140').replace(f'{SUBNET}.50', f'{SUBNET}.150')
    call_ok(h, 'DefineNetwork', {'xml': overlap})
    e = call_error(h, 'CreateNetwork', {'network': 'overlap'})
    check('overlaps the host route' in json.dumps(e) and BRIDGE in json.dumps(e),
          'overlap error:', e)
    ns_ok(h, 'host', 'ip', 'link', 'add', 'vkdummy', 'type', 'veth', 'peer', 'name',
          'vkdummy1')
    inuse = NET_XML.replace('testnet', 'inuse').replace(BRIDGE, 'vkdummy').replace(
        f'10.213.{X}.', f'10.214.{X}.')
    call_ok(h, 'DefineNetwork', {'xml': inuse})
    e = call_error(h, 'CreateNetwork', {'network': 'inuse'})
    check("bridge name 'vkdummy' is already used" in json.dumps(e), 'bridge in use:', e)
    ns_ok(h, 'host', 'ip', 'link', 'del', 'vkdummy')
    check_eq(len(links(h)), n_links, 'interfaces after the failed starts')
    check_eq(len(our_rules(h, S['uuid'])), n_rules, 'our rules after the failed starts')
    for name in ('overlap', 'inuse'):
        check(not os.path.exists(os.path.join(S['root'], 'run', 'network', f'{name}.status')),
              f'status of {name} left behind')
        call_ok(h, 'UndefineNetwork', {'network': name})
    e = call_error(h, 'CreateNetwork', {'network': 'nosuch'})
    check_eq(e[0], 'io.virtkit.Network.NoSuchNetwork', 'unknown network error')
    # refused at define: nothing is written
    outside = NET_XML.replace('testnet', 'outside').replace(f'{SUBNET}.50', '10.9.9.9')
    e = call_error(h, 'DefineNetwork', {'xml': outside})
    check(e[0] == 'io.virtkit.Network.InvalidXML' and '/network/ip/dhcp/range' in json.dumps(e),
          'range outside the subnet:', e)
    e = call_error(h, 'CreateNetworkXML', {'xml': NET_XML.replace("mode='nat'", "mode='warp'")})
    check("unsupported forward mode 'warp'" in json.dumps(e), 'unknown forward mode:', e)
    defs = os.listdir(os.path.join(S['root'], 'etc', 'network', 'networks'))
    check_eq(sorted(defs), ['autostart', 'testnet.xml'], 'definitions after bad input')


def test_destroy(h):
    st = status(h)
    call_ok(h, 'DestroyNetwork', {'network': 'testnet'})
    check(BRIDGE not in links(h), 'bridge left behind')
    wait_until(lambda: not live_dnsmasq(st['dnsmasqPid']), 10, 'dnsmasq to end')
    check_eq(our_rules(h, S['uuid']), [], 'rules left behind')
    run = os.path.join(S['root'], 'run', 'network')
    check_eq(sorted(os.listdir(run)), ['autostarted', 'ports'], 'files left in the run dir')
    check_eq(os.listdir(os.path.join(run, 'ports')), [], 'ports left')
    check_eq(call_ok(h, 'ListPorts', {'network': 'testnet'})['ports'], [], 'ports after destroy')
    e = call_error(h, 'CreatePort', {'network': 'testnet', 'xml': port_xml(GUEST_MAC)})
    check('not active' in json.dumps(e), 'port on an inactive network:', e)
    check_eq(os.listdir(os.path.join(S['root'], 'lib', 'network', 'dnsmasq')), [],
             'dnsmasq files left')
    info = call_ok(h, 'LookupNetwork', {'uuid': S['uuid']})
    check(not info['active'] and info['persistent'], 'after destroy:', info)
    e = call_error(h, 'DestroyNetwork', {'network': 'testnet'})
    check('not active' in json.dumps(e), 'destroy inactive:', e)


def restart_as(h, mode):
    """Start testnet again with forward @mode (None: isolated) and renew the guest's lease."""
    fwd = f"<forward mode='{mode}'/>" if mode else ''
    xml = NET_XML.replace("<forward mode='nat'/>", fwd).replace(
        '<name>testnet</name>', f"<name>testnet</name><uuid>{S['uuid']}</uuid>")
    call_ok(h, 'DefineNetwork', {'xml': xml})
    call_ok(h, 'CreateNetwork', {'network': 'testnet'})
    ns_ok(h, 'host', 'ip', 'link', 'set', 'g0', 'master', BRIDGE)
    ns_ok(h, 'guest', 'busybox', 'udhcpc', '-i', 'g1', '-n', '-q', '-f', '-t', '10', '-T', '1',
          '-s', S['udhcpc_script'], timeout=40)
    # isolated networks announce no router: give the guest one anyway, the firewall must hold
    ns_ok(h, 'guest', 'ip', 'route', 'replace', 'default', 'via', f'{SUBNET}.1')
    r = ns_ok(h, 'guest', 'ip', '-j', 'addr', 'show', 'g1')
    return [a['local'] for a in json.loads(r.out)[0]['addr_info'] if a['family'] == 'inet'][0]


def test_isolated(h):
    # the uplink can answer the guest: only the firewall stands between them
    ns_ok(h, 'uplink', 'ip', 'route', 'replace', f'{SUBNET}.0/24', 'via', UPLINK_HOST)
    restart_as(h, None)
    check_eq(connect_from_guest(h, 'isolated'), None, 'a connection out of an isolated network')
    ns_ok(h, 'guest', 'busybox', 'ping', '-c', '1', '-W', '5', f'{SUBNET}.1')
    call_ok(h, 'DestroyNetwork', {'network': 'testnet'})


def test_route(h):
    guest_ip = restart_as(h, 'route')
    check_eq(connect_from_guest(h, 'route'), guest_ip, 'the source address (no NAT)')
    call_ok(h, 'DestroyNetwork', {'network': 'testnet'})
    check(BRIDGE not in links(h), 'bridge left behind')
    check_eq(our_rules(h, S['uuid']), [], 'rules left behind')


def restart_networkd(h):
    h.stop(S['networkd'])
    if os.path.exists(S['sock']):
        os.unlink(S['sock'])
    start_networkd(h)


def ipt_rules(h, uuid):
    """The iptables and ip6tables rules carrying the network's UUID (iptables-save lines)."""
    got = []
    for cmd in ('iptables-save', 'ip6tables-save'):
        r = ns_run(h, 'host', cmd)
        check(r.rc == 0, f'{cmd}:', r)
        got += [line for line in r.out.splitlines() if uuid in line]
    return got


def write_network_conf(text):
    path = os.path.join(S['root'], 'etc', 'network.conf')
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, 'w') as f:
        f.write(text)


def test_iptables_backend(h):
    """network.conf firewall_backend = "iptables": the rules are iptables rules (libvirt's
    layout, our chains), recorded in the status; they go at destroy, also when networkd was
    killed and restarted in between. A bad value stops networkd with the key named."""
    if ns_run(h, 'host', 'iptables', '-w', '-L', '-n').rc != 0:
        print('# SKIP iptables backend: iptables does not run here')
        return
    write_network_conf('firewall_backend = "ebtables"\n')
    restart_networkd_expect_exit(h, 'network.conf')
    write_network_conf('# the firewall of virtual networks\nfirewall_backend = "iptables"\n')
    restart_networkd(h)
    xml = NET_XML.replace('testnet', 'iptnet').replace(BRIDGE, 'vkipt' + TAG).replace(
        f'10.213.{X}.', f'10.218.{X}.')
    uuid = call_ok(h, 'CreateNetworkXML', {'xml': xml})['uuid']
    with open(os.path.join(S['root'], 'run', 'network', 'iptnet.status')) as f:
        st = json.load(f)
    rules = ipt_rules(h, uuid)
    check_eq(len(rules), len(st['iptablesRules']), 'iptables rules installed vs recorded')
    check(len(rules) == 19 and st['nftRules'] == [], 'rules:', rules, st['nftRules'])
    check_eq(our_rules(h, uuid), [], 'nftables rules of an iptables network')
    check(any('-A VIRTKIT_PRT' in x and 'MASQUERADE' in x for x in rules) and
          any('-A VIRTKIT_FWI' in x and 'RELATED,ESTABLISHED' in x for x in rules),
          'NAT rules:', rules)
    r = ns_ok(h, 'host', 'iptables', '-w', '-S', 'FORWARD')
    check('-A FORWARD -j VIRTKIT_FWX\n-A FORWARD -j VIRTKIT_FWI\n-A FORWARD -j VIRTKIT_FWO'
          in r.out, 'jumps from FORWARD:', r.out)
    # kill -9, restart (the status names the rules), destroy
    S['networkd'].send_signal(signal.SIGKILL)
    S['networkd'].wait(timeout=5)
    os.unlink(S['sock'])
    start_networkd(h)
    check_eq(len(ipt_rules(h, uuid)), 19, 'rules after a restart')
    call_ok(h, 'DestroyNetwork', {'network': 'iptnet'})
    check_eq(ipt_rules(h, uuid), [], 'iptables rules left after destroy')
    check('vkipt' + TAG not in links(h), 'bridge left behind')
    # and a start and destroy without a restart
    uuid = call_ok(h, 'CreateNetworkXML', {'xml': xml})['uuid']
    check_eq(len(ipt_rules(h, uuid)), 19, 'rules of the second start')
    call_ok(h, 'DestroyNetwork', {'network': 'iptnet'})
    check_eq(ipt_rules(h, uuid), [], 'iptables rules left after the second destroy')
    # the shipped network.conf (all commented out): nftables again
    with open(os.path.join(os.environ['VK_TOP_SRCDIR'], 'conf', 'network.conf')) as f:
        write_network_conf(f.read())
    restart_networkd(h)
    uuid = call_ok(h, 'CreateNetworkXML', {'xml': xml})['uuid']
    check(our_rules(h, uuid) and not ipt_rules(h, uuid), 'the default backend is not nftables')
    call_ok(h, 'DestroyNetwork', {'network': 'iptnet'})
    write_network_conf(None)


def restart_networkd_expect_exit(h, what):
    h.stop(S['networkd'])
    if os.path.exists(S['sock']):
        os.unlink(S['sock'])
    p = h.spawn(ns_argv('host', h.daemon_path('network'), '--root', S['root'], '--bus', 'none'),
                'virtkit-networkd', log='networkd-badconf')
    check(p.wait(timeout=10) != 0, 'networkd started with a bad network.conf')
    log = h.log_text('networkd-badconf')
    check(what in log and 'ebtables' in log, 'error of a bad network.conf:', log)


def test_autostart(h):
    call_ok(h, 'SetNetworkAutostart', {'network': 'testnet', 'autostart': True})
    link = os.path.join(S['root'], 'etc', 'network', 'networks', 'autostart', 'testnet.xml')
    check_eq(os.readlink(link), '../testnet.xml', 'autostart link')
    # started again on demand (the same boot): what was destroyed stays down
    restart_networkd(h)
    check(not call_ok(h, 'LookupNetwork', {'name': 'testnet'})['active'],
          'autostarted twice in one boot')
    # a new boot (the run dir is empty again): autostart
    os.unlink(os.path.join(S['root'], 'run', 'network', 'autostarted'))
    restart_networkd(h)
    lst = call_ok(h, 'ListNetworks', {'autostart': 'yes', 'active': 'yes'})['networks']
    check_eq([n['name'] for n in lst], ['testnet'], 'autostarted networks')
    check(BRIDGE in links(h), 'no bridge after autostart')
    call_ok(h, 'DestroyNetwork', {'network': 'testnet'})
    call_ok(h, 'SetNetworkAutostart', {'network': 'testnet', 'autostart': False})
    check(not os.path.lexists(link), 'autostart link left')


def test_transient(h):
    bridge = f'vktr{TAG}'[:15]
    xml = (f"<network><name>trans</name><bridge name='{bridge}' stp='off'/>"
           f"<ip address='10.216.{X}.1' prefix='24'/></network>")
    res = call_ok(h, 'CreateNetworkXML', {'xml': xml})
    info = call_ok(h, 'LookupNetwork', {'name': 'trans'})
    check(info['active'] and not info['persistent'], 'transient network:', info)
    e = call_error(h, 'CreateNetworkXML', {'xml': xml})
    check('already exists' in json.dumps(e), 'second transient of that name:', e)
    # defined while running: persistent from now on, also after a restart
    xml_uuid = xml.replace('<name>trans</name>', f"<name>trans</name><uuid>{res['uuid']}</uuid>")
    call_ok(h, 'DefineNetwork', {'xml': xml_uuid})
    restart_networkd(h)
    info = call_ok(h, 'LookupNetwork', {'name': 'trans'})
    check(info['active'] and info['persistent'], 'defined transient after restart:', info)
    # undefined while running: transient again, gone when destroyed
    call_ok(h, 'UndefineNetwork', {'network': 'trans'})
    restart_networkd(h)
    info = call_ok(h, 'LookupNetwork', {'name': 'trans'})
    check(info['active'] and not info['persistent'], 'undefined running network:', info)
    call_ok(h, 'DestroyNetwork', {'network': res['uuid']})
    e = call_error(h, 'LookupNetwork', {'name': 'trans'})
    check_eq(e[0], 'io.virtkit.Network.NoSuchNetwork', 'destroyed transient network')
    check(bridge not in links(h), 'transient bridge left')


def test_redefine_same_xml(h):
    """The same XML defined twice (no UUID, bridge or MAC): nothing is generated again."""
    plain = f"<network><name>plain</name><ip address='10.217.{X}.1' prefix='24'/></network>"
    first = call_ok(h, 'DefineNetwork', {'xml': plain})
    xml1 = call_ok(h, 'GetNetworkXML', {'network': 'plain'})['xml']
    second = call_ok(h, 'DefineNetwork', {'xml': plain})
    xml2 = call_ok(h, 'GetNetworkXML', {'network': 'plain'})['xml']
    check_eq(second, first, 'name and UUID')
    check_eq(xml2, xml1, 'the definition (bridge, MAC)')
    check("<bridge name='virbr" in xml1, 'generated bridge name:', xml1)
    call_ok(h, 'UndefineNetwork', {'network': 'plain'})


def test_dbus_objects(h):
    """Each network is a D-Bus object with properties that follow its state."""
    h.start_buses()
    root = h.path('root-dbus')
    sock = os.path.join(root, 'run', 'io.virtkit.Network')
    p = h.spawn(ns_argv('host', h.daemon_path('network'), '--root', root, '--bus', 'session'),
                'virtkit-networkd (D-Bus)', log='networkd-dbus')
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, sock)
    h.wait_bus_name('io.virtkit.Network1', session=True)

    def bus(*args):
        r = h.busctl('--json=short', *args, session=True)
        check(r.rc == 0, f'busctl {args}:', r)
        return r.json()['data'] if r.out.strip() else None

    bridge = f'vkdb{TAG}'[:15]
    xml = (f"<network><name>dbusnet</name><bridge name='{bridge}' stp='off'/>"
           f"<ip address='10.215.{X}.1' prefix='24'/></network>")
    name, uuid = bus('call', 'io.virtkit.Network1', '/io/virtkit/Network1',
                     'io.virtkit.Network1.Manager', 'DefineNetwork', 's', xml)
    path = f'/io/virtkit/Network1/network/_{uuid.replace("-", "_")}'
    iface = 'io.virtkit.Network1.Network'

    def prop(name):
        return bus('get-property', 'io.virtkit.Network1', path, iface, name)

    check_eq((prop('Name'), prop('UUID'), prop('Active'), prop('Persistent'),
              prop('BridgeName')), ('dbusnet', uuid, False, True, bridge), 'properties')
    bus('call', 'io.virtkit.Network1', path, iface, 'Create')
    check_eq(prop('Active'), True, 'Active after Create')
    check(bridge in links(h), 'no bridge after Create')
    objs = bus('call', 'io.virtkit.Network1', '/io/virtkit/Network1',
               'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')[0]
    check(path in objs, 'object not managed:', objs)
    bus('call', 'io.virtkit.Network1', path, iface, 'Destroy')
    check_eq(prop('Active'), False, 'Active after Destroy')
    bus('call', 'io.virtkit.Network1', path, iface, 'Undefine')
    r = h.busctl('get-property', 'io.virtkit.Network1', path, iface, 'Name', session=True)
    check(r.rc != 0, 'object left after Undefine:', r)
    h.stop(p)


def test_default_network(h):
    """A session instance's first start defines "default"; undefined, it does not return."""
    xdg = h.path('xdg')
    env = h.base_env(XDG_CONFIG_HOME=f'{xdg}/config', XDG_RUNTIME_DIR=f'{xdg}/run',
                     XDG_STATE_HOME=f'{xdg}/state', XDG_CACHE_HOME=f'{xdg}/cache', HOME=xdg)
    os.makedirs(f'{xdg}/run', mode=0o700)
    sock = f'{xdg}/run/virtkit/io.virtkit.Network'

    def session():
        p = h.spawn(ns_argv('host', h.daemon_path('network'), '--session', '--bus', 'none'),
                    'virtkit-networkd (session)', env=env, log='networkd-session')
        wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, sock)
        check(p.poll() is None, 'session networkd exited:', h.log_text('networkd-session'))
        return p

    p = session()
    r = h.vlcall(sock, 'io.virtkit.Network.LookupNetwork', '{"name": "default"}')
    check(r.rc == 0, 'no default network on first start:', r, h.log_text('networkd-session'))
    info = json.loads(r.out)
    check(not info['active'] and info['persistent'] and info['bridge'] == 'virbr0',
          'default network:', info)
    r = h.vlcall(sock, 'io.virtkit.Network.GetNetworkXML', '{"network": "default"}')
    check("192.168.122.1" in r.out and "<mac address='52:54:00:" in r.out,
          'default network XML:', r)
    r = h.vlcall(sock, 'io.virtkit.Network.UndefineNetwork', '{"network": "default"}')
    check(r.rc == 0, 'undefine default:', r)
    h.stop(p)
    if os.path.exists(sock):
        os.unlink(sock)
    p = session()
    r = h.vlcall(sock, 'io.virtkit.Network.ListNetworks', '{}')
    check_eq(json.loads(r.out)['networks'], [], 'networks after undefine and restart')
    h.stop(p)


def test_session_without_cap_net_admin(h):
    """A session instance (no CAP_NET_ADMIN) says so, and leaves nothing behind."""
    u = h.add_user()
    xdg = h.path('xdg-user')
    os.makedirs(f'{xdg}/run', mode=0o700)
    shutil.chown(xdg, u.uid, u.gid)
    shutil.chown(f'{xdg}/run', u.uid, u.gid)
    env = h.base_env(XDG_CONFIG_HOME=f'{xdg}/config', XDG_RUNTIME_DIR=f'{xdg}/run',
                     XDG_STATE_HOME=f'{xdg}/state', XDG_CACHE_HOME=f'{xdg}/cache', HOME=xdg)
    sock = f'{xdg}/run/virtkit/io.virtkit.Network'
    p = h.spawn(ns_argv('host', 'setpriv', f'--reuid={u.uid}', f'--regid={u.gid}',
                        '--clear-groups', '--', h.daemon_path('network'), '--session',
                        '--bus', 'none'),
                'virtkit-networkd (user session)', env=env, log='networkd-user')
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, sock)
    check(p.poll() is None, 'user networkd exited:', h.log_text('networkd-user'))
    n_links = len(links(h))
    xml = NET_XML.replace('testnet', 'usernet').replace(BRIDGE, 'vkuser' + TAG)
    r = h.vlcall(sock, 'io.virtkit.Network.CreateNetworkXML', json.dumps({'xml': xml}),
                 user=u)
    check(r.rc == 3 and 'CAP_NET_ADMIN' in r.out + r.err, 'expected a CAP_NET_ADMIN error:', r)
    check_eq(r.varlink_error()[0], 'io.virtkit.Network.PermissionDenied', 'error name')
    check_eq(len(links(h)), n_links, 'interfaces after the refused start')
    r = h.vlcall(sock, 'io.virtkit.Network.ListNetworks', '{}', user=u)
    check_eq(json.loads(r.out)['networks'][0]['name'], 'default', 'only the default network')
    check_eq(os.listdir(f'{xdg}/run/virtkit/network'), ['autostarted'],
             'files left in the run dir')
    h.stop(p)


def cleanup():
    """Kill what still runs in our namespaces (dnsmasq), then delete them."""
    for ns in NS.values():
        r = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True, text=True)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def probe():
    """Why this test cannot run here, or None."""
    return netns_nft_problem(TAG)


if __name__ == '__main__':
    why = probe()
    if why:
        print(f'1..0 # SKIP {why}')
        sys.exit(0)
    try:
        rc = run_tests('networkd', [test_start, test_dhcp_lease, test_ports, test_masquerade,
                                    test_update_dhcp_host,
                                    test_restart_adopts, test_dnsmasq_restarted,
                                    test_dnsmasq_cannot_start, test_hosts_file_unreachable,
                                    test_bad_input, test_destroy,
                                    test_isolated, test_route, test_iptables_backend,
                                    test_autostart,
                                    test_transient, test_redefine_same_xml, test_dbus_objects,
                                    test_default_network, test_session_without_cap_net_admin],
                       setup=setup)
    finally:
        cleanup()
    sys.exit(rc)
