# SPDX-License-Identifier: LGPL-2.1-or-later
"""The CLI's embed group (test-cli.py embed): qemu:///embed?root=TMP, no daemon: every domain
command on a paused VM (KVM when /dev/kvm works, else TCG) that keeps running between
invocations (each one a new process that reconnects), exit codes 0/1, create (transient), two
processes on one root (the second waits for the lock), capabilities (and their <secmodel>s from
qemu.conf), domxml-to/from-native."""

import json
import os
import re
import subprocess
import time

import vkguest
from vkcli import NO_SUCH, S, domain_xml, fails, no_qemu_left, ok, virtkit_path, vk, write
from vkguest import QEMU
from vkharness import check, check_eq, lock_held, wait_until
from vkhost import kvm_usable


def embed_uri(h, root='embed'):
    return f'qemu:///embed?root={h.path(root)}'


def test_embed_define_start(h):
    u = embed_uri(h)
    xml = write(h, 'cli1.xml', domain_xml('cli1', '6b3c1f2e-0c1a-4c2a-9d3e-00000000c111'))
    r = ok(h, u, 'define', xml)
    check_eq(r.out, f"Domain 'cli1' defined from {xml}\n", 'define')
    t_define = r.elapsed
    for d in ('log/qemu', 'etc', 'run/qemu', 'cache/qemu', 'lib/qemu'):
        check(os.path.isdir(h.path('embed', d)), f'the root has {d}')
    r = ok(h, u, 'start', 'cli1', '--paused')
    check_eq(r.out, "Domain 'cli1' started\n", 'start')
    S['qemu'] = vkguest.qemu_pids(h)
    check_eq(len(S['qemu']), 1, 'one QEMU runs after the CLI exited')
    print(f'# embed: define {t_define:.2f} s, start --paused (first, with probe) {r.elapsed:.2f} s')


def test_embed_list(h):
    u = embed_uri(h)
    r = ok(h, u, 'list')
    lines = r.out.splitlines()
    check_eq(lines[0].split(), ['Id', 'Name', 'State'], 'table header')
    check(set(lines[1]) == {'-'}, 'a rule under the header:', lines)
    check_eq(len(lines), 3, f'one domain in {lines}')
    S['id'] = int(lines[2].split()[0])
    check_eq(lines[2].split()[1:], ['cli1', 'paused'], 'the row')
    d = ok(h, u, 'list', '--all', '--json').json()
    check_eq(list(d), ['domains'], 'list --json keys')
    check_eq(d['domains'], [{'name': 'cli1', 'uuid': '6b3c1f2e-0c1a-4c2a-9d3e-00000000c111',
                             'id': S['id'], 'state': 'paused', 'persistent': True,
                             'autostart': False}], 'list --all --json')
    check_eq(ok(h, u, 'list', '--name').out, 'cli1\n', 'list --name')
    check_eq(ok(h, u, 'list', '--inactive').out.count('\n'), 2, 'list --inactive: no rows')
    check_eq(vkguest.qemu_pids(h), S['qemu'], 'the same QEMU still runs')


def test_embed_info_commands(h):
    u, uuid = embed_uri(h), '6b3c1f2e-0c1a-4c2a-9d3e-00000000c111'
    info = dict(line.split(':', 1) for line in ok(h, u, 'dominfo', 'cli1').out.splitlines())
    info = {k: v.strip() for k, v in info.items()}
    check_eq(info, {'Id': str(S['id']), 'Name': 'cli1', 'UUID': uuid, 'State': 'paused',
                    'CPU(s)': '1', 'Max memory': '65536 KiB', 'Used memory': '65536 KiB'},
             'dominfo')
    check_eq(ok(h, u, 'dominfo', 'cli1', '--json').json()['state'], 'paused', 'dominfo --json')
    check_eq(ok(h, u, 'domstate', 'cli1').out, 'paused\n', 'domstate')
    check_eq(ok(h, u, 'domstate', '--reason', 'cli1').out, 'paused (user)\n', 'domstate --reason')
    check_eq(ok(h, u, 'domid', 'cli1').out, f'{S["id"]}\n', 'domid')
    check_eq(ok(h, u, 'domuuid', 'cli1').out, f'{uuid}\n', 'domuuid')
    check_eq(ok(h, u, 'domname', str(S['id'])).out, 'cli1\n', 'domname by id')
    check_eq(ok(h, u, 'domname', uuid).out, 'cli1\n', 'domname by UUID')
    live = ok(h, u, 'dumpxml', 'cli1').out
    check(f"<domain type='{'kvm' if kvm_usable() else 'qemu'}' id='{S['id']}'>" in live,
          'live XML has the id:', live[:200])
    m = re.search(r"<graphics type='vnc' port='(\d+)'", live)
    check(m and int(m.group(1)) >= 5900, 'live XML has the VNC port picked:', live)
    inactive = ok(h, u, 'dumpxml', '--inactive', 'cli1').out
    check(" id='" not in inactive.split('\n', 1)[0], 'no id in the inactive XML:', inactive[:80])
    check("port='-1'" in inactive, 'the inactive XML keeps autoport:', inactive)
    r = ok(h, u, 'qemu-monitor-command', 'cli1', '--pretty', '{"execute":"query-status"}')
    check(r.out.startswith('{\n'), '--pretty prints indented JSON:', r)
    check_eq(r.json()['return']['running'], False, 'QEMU says paused')
    r = ok(h, u, 'qemu-monitor-command', 'cli1', '--hmp', 'info', 'status')
    check('paused' in r.out, 'HMP info status:', r)


def test_embed_suspend_resume(h):
    u = embed_uri(h)
    check_eq(ok(h, u, 'resume', 'cli1').out, "Domain 'cli1' resumed\n", 'resume')
    check_eq(ok(h, u, 'domstate', 'cli1').out, 'running\n', 'after resume')
    r = ok(h, u, 'qemu-monitor-command', 'cli1', '{"execute":"query-status"}')
    check_eq(json.loads(r.out)['return']['running'], True, 'QEMU runs')
    check_eq(ok(h, u, 'suspend', 'cli1').out, "Domain 'cli1' suspended\n", 'suspend')
    check_eq(ok(h, u, 'domstate', '--reason', 'cli1').out, 'paused (user)\n', 'after suspend')
    check_eq(vkguest.qemu_pids(h), S['qemu'], 'the same QEMU throughout')


def test_embed_exit_codes(h):
    u = embed_uri(h)
    for args in (['domstate', 'nope'], ['start', 'nope'], ['dumpxml', 'nope']):
        r = fails(h, u, 1, *args)
        check(r.err.startswith(NO_SUCH) and 'nope' in r.err, 'NoSuchDomain on stderr:', r)
    for args, msg in ((['bogus'], "unknown command 'bogus'"),
                      (['list', '--bogus'], "unknown option '--bogus'"),
                      (['start'], 'Usage: virtkit start DOMAIN'),
                      (['domid', 'a', 'b'], 'Usage: virtkit domid DOMAIN'),
                      (['domcapabilities', '--arch'], "option '--arch' needs a value")):
        r = fails(h, u, 1, *args)
        check(msg in r.err, f'usage message {msg!r}:', r)
    r = h.run([virtkit_path(h)])
    check(r.rc == 1 and r.err.startswith('Usage: virtkit'), 'no command:', r)
    r = h.run([virtkit_path(h), 'help', 'start'])
    check(r.rc == 0 and r.out.startswith('Usage: virtkit start DOMAIN [--paused]'), 'help:', r)


def test_embed_lock(h):
    u = embed_uri(h)
    # `event --all --timeout 3` keeps the root open (and locked) for 3 s
    holder = subprocess.Popen([virtkit_path(h), '-c', u, 'event', '--all', '--timeout', '3'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=h.base_env())
    try:
        lock = h.path('embed', 'run', 'qemu.lock')
        wait_until(lambda: lock_held(lock), 5, 'the first process to take the lock')
        t0 = time.monotonic()
        r = ok(h, u, 'domstate', 'cli1')
        waited = time.monotonic() - t0
        out, err = holder.communicate(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    # virsh's exit status when no event came
    check_eq(holder.returncode, 1, f'the first process (stderr {err!r})')
    check_eq(out, 'event loop timed out\nevents received: 0\n', 'the first process')
    check(waited > 1.5, f'the second process waited for the lock ({waited:.2f} s)')
    check_eq(r.out, 'paused\n', 'the second process then ran')
    print(f'# embed: the second process waited {waited:.2f} s for the lock')


def test_embed_keys_nmi(h):
    """send-key and inject-nmi on the running (paused) cli1: QEMU takes them and runs on."""
    u = embed_uri(h)
    for args in (['KEY_LEFTCTRL', 'KEY_LEFTALT', 'KEY_DELETE'],
                 ['--codeset', 'xt', '--holdtime', '50', '0x1e', '0x30'],
                 ['--codeset', 'usb', '4'], ['--codeset', 'os_x', 'ANSI_A'],
                 ['--codeset', 'win32', 'VK_A'], ['--codeset', 'atset2', '0x1c'],
                 ['--codeset', 'qnum', '30'], ['--codeset', 'rfb', '30'],
                 ['0x1e', '--codeset', 'xt', '0x30']):  # options stand anywhere, as in virsh
        check_eq(ok(h, u, 'send-key', 'cli1', *args).out, '', f'send-key {args}')
    for args, msg in ((['--codeset', 'foo', '1'], "unknown codeset: 'foo'"),
                      (['KEY_NOPE'], "invalid keycode: 'KEY_NOPE'"),
                      (['--codeset', 'xt', 'KEY_A'], "invalid keycode: 'KEY_A'"),
                      (['--codeset', 'atset1', '0x7f'],
                       'cannot translate keycode 127 of atset1 codeset to qnum keycode'),
                      ([str(k) for k in range(2, 19)], '17 keys: give 1 to 16'),
                      (['--holdtime', 'x', '1'], "invalid value of --holdtime: 'x'"),
                      (['1', '--holdtime', 'x'], "invalid value of --holdtime: 'x'")):
        r = fails(h, u, 1, 'send-key', 'cli1', *args)
        check(msg in r.err, f'send-key {args}: {msg!r}', r)
    check_eq(ok(h, u, 'inject-nmi', 'cli1').out, '', 'inject-nmi')
    r = ok(h, u, 'qemu-monitor-command', 'cli1', '{"execute":"query-status"}')
    check_eq(json.loads(r.out)['return']['status'], 'paused', 'QEMU is still there, paused')
    r = ok(h, u, 'qemu-monitor-command', 'cli1', '{"execute":"query-status"}', '--pretty')
    check('\n' in r.out.strip() and json.loads(r.out)['return']['status'] == 'paused',
          'qemu-monitor-command: --pretty after the command is its option:', r)
    check_eq(vkguest.qemu_pids(h), S['qemu'], 'the same QEMU throughout')
    r = fails(h, u, 1, 'domrename', 'cli1', 'cli9')
    check('cannot rename active domain' in r.err, 'domrename of a running domain:', r)
    check_eq(ok(h, u, 'desc', 'cli1', '--live', 'live text').out,
             'Domain description updated successfully\n', 'desc --live')
    check_eq(ok(h, u, 'desc', 'cli1').out, 'live text', 'the live description')
    check_eq(ok(h, u, 'desc', 'cli1', '--config').out, 'No description for domain: cli1',
             'not in the persistent one')


def test_embed_rename_metadata(h):
    """domrename and metadata/desc of a shut off domain, kept across processes; a UEFI
    domain's variable store at the default path moves with the name."""
    u = embed_uri(h)
    ok(h, u, 'define', write(h, 'mv1.xml', domain_xml('mv1').replace(
        "<os>", "<os firmware='efi'>")))
    ok(h, u, 'autostart', 'mv1')
    nvdir = h.path('embed', 'lib', 'qemu', 'nvram')
    os.makedirs(nvdir, exist_ok=True)
    with open(os.path.join(nvdir, 'mv1_VARS.fd'), 'wb') as f:
        f.write(b'vars')
    check_eq(ok(h, u, 'metadata', 'mv1', 'http://example.org/app', '--key', 'app', '--set',
                '<info a="1"><n>x</n></info>').out, 'Metadata modified\n', 'metadata --set')
    ok(h, u, 'desc', 'mv1', '--title', 'The title')
    check_eq(ok(h, u, 'domrename', 'mv1', 'mv2').out, 'Domain successfully renamed\n',
             'domrename')
    etc = h.path('embed', 'etc', 'qemu')
    check(os.path.exists(os.path.join(etc, 'mv2.xml')) and
          not os.path.exists(os.path.join(etc, 'mv1.xml')), 'the config file moved:',
          os.listdir(etc))
    check_eq(os.readlink(os.path.join(etc, 'autostart', 'mv2.xml')), '../mv2.xml',
             'the autostart link moved')
    check(not os.path.lexists(os.path.join(etc, 'autostart', 'mv1.xml')), 'old link gone')
    check_eq(sorted(os.listdir(nvdir)), ['mv2_VARS.fd'], 'the NVRAM file moved')
    check_eq(ok(h, u, 'metadata', 'mv2', 'http://example.org/app').out,
             '<app:info xmlns:app="http://example.org/app" a="1"><app:n>x</app:n></app:info>\n',
             'the element, in its namespace, after the rename')
    check_eq(ok(h, u, 'desc', '--title', 'mv2').out, 'The title', 'the title kept')
    r = fails(h, u, 1, 'domstate', 'mv1')
    check(r.err.startswith(NO_SUCH), 'the old name is gone:', r)
    ok(h, u, 'define', write(h, 'mv3.xml', domain_xml('mv3')))
    for args, msg in ((['mv2', 'mv3'], "domain with name 'mv3' already exists"),
                      (['mv2', 'mv2'], 'to its own name'),
                      (['mv2', 'a/b'], "'a/b' cannot be used as a domain name"),
                      (['nope', 'x'], 'nope')):
        r = fails(h, u, 1, 'domrename', *args)
        check(msg in r.err, f'domrename {args}: {msg!r}', r)
    check(os.path.exists(os.path.join(etc, 'mv2.xml')), 'mv2 untouched by the failures')
    r = fails(h, u, 1, 'metadata', 'mv2', 'http://example.org/other')
    check('NoDomainMetadata: Requested metadata element is not present' in r.err,
          'an element not there:', r)
    for args, msg in ((['--set', '<a/>'], 'namespace key is required'),
                      (['--key', 'bad key', '--set', '<a/>'], "metadata key 'bad key'"),
                      (['--key', 'k', '--set', '<a'], 'InvalidXML'),
                      (['--live'], 'domain is not running')):
        r = fails(h, u, 1, 'metadata', 'mv2', 'http://example.org/app', *args)
        check(msg in r.err, f'metadata {args}: {msg!r}', r)
    r = fails(h, u, 1, 'desc', 'mv2', '--title', 'two\nlines')
    check("title can't contain newlines" in r.err, 'a title of two lines:', r)
    # a control character XML cannot hold: refused naming it, not an internal error at the write
    r = fails(h, u, 1, 'desc', 'mv2', '--config', 'a\x01b')
    check('InvalidArgument: description: a character XML cannot hold at byte 1' in r.err,
          'a description with a control character:', r)
    check_eq(ok(h, u, 'metadata', 'mv2', '--uri', 'http://example.org/app', '--remove').out,
             'Metadata removed\n', 'metadata --remove')
    check('<metadata>' not in ok(h, u, 'dumpxml', 'mv2').out, 'no <metadata> left')
    ok(h, u, 'undefine', '--nvram', 'mv2')
    ok(h, u, 'undefine', 'mv3')
    check_eq(os.listdir(nvdir), [], 'the NVRAM went with the undefine')


def task_cpus(pid):
    """comm → Cpus_allowed_list of QEMU @pid's threads (the first of each name)."""
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/comm') as f:
                comm = f.read().strip()
            with open(f'/proc/{pid}/task/{tid}/status') as f:
                allowed = [ln.split()[1] for ln in f if ln.startswith('Cpus_allowed_list:')][0]
        except OSError:
            continue
        out.setdefault(re.sub(r'/.*', '', comm), allowed)
    return out


def test_embed_vcpu(h):
    """vcpuinfo, vcpupin, emulatorpin, vcpucount on a 2-vCPU domain: shut off (the config),
    running paused (the threads' affinity in /proc), a config pin applied at the next start."""
    if len(os.sched_getaffinity(0)) < 2:
        print('# SKIP vcpu: needs 2 host CPUs')
        return
    try:
        embed_vcpu(h)
    finally:
        u = embed_uri(h)
        vk(h, u, 'destroy', 'vc1')
        vk(h, u, 'undefine', 'vc1')
        wait_until(lambda: not vkguest.qemu_pids(h) or vkguest.qemu_pids(h) == S['qemu'], 10,
                   'vc1 to be gone')


def embed_vcpu(h):
    u = embed_uri(h)
    ok(h, u, 'define', write(h, 'vc1.xml', domain_xml('vc1', virt='qemu').replace(
        '<vcpu>1</vcpu>', "<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='1'/></cputune>")))
    r = ok(h, u, 'vcpuinfo', 'vc1')
    check_eq(r.out, 'VCPU:           0\nCPU:            N/A\nState:          N/A\n'
             'CPU time        N/A\nCPU Affinity:   yy\n\nVCPU:           1\n'
             'CPU:            N/A\nState:          N/A\nCPU time        N/A\n'
             'CPU Affinity:   -y\n', 'vcpuinfo of a shut off domain')
    check_eq(ok(h, u, 'vcpucount', 'vc1').out,
             'maximum      config         2\ncurrent      config         2\n', 'vcpucount')
    for args, msg in ((['vcpupin', 'vc1', '0', '7'],
                       "<vcpupin vcpu='0' cpuset='7'>: CPU 7 of cpuset '7' is not an online CPU"),
                      (['vcpupin', 'vc1', '2', '0'], 'vcpu 2 is out of range of persistent cpu'),
                      (['vcpupin', 'vc1', '0', 'x'], "invalid CPU set 'x'"),
                      (['vcpupin', 'vc1', '--cpulist', '0'], 'Missing vCPU number in pin mode'),
                      (['vcpupin', 'vc1', 'a'], "Numeric value 'a' for <vcpu> option"),
                      (['vcpupin', 'vc1', '0', '0', '--live'], 'domain is not running'),
                      (['vcpupin', 'vc1', '--live', '--config'],
                       'Options --live and --config are mutually exclusive'),
                      (['emulatorpin', 'vc1', '0', '--current', '--live'],
                       'Options --current and --live are mutually exclusive'),
                      (['vcpuinfo', 'nope'], 'NoSuchDomain'),
                      (['vcpucount', 'vc1', '--live'], 'domain is not running'),
                      (['vcpucount', 'vc1', '--guest'], 'guest agent')):
        r = fails(h, u, 1, *args)
        check(msg in r.err, f'{args}: {msg!r}', r)
    check_eq(ok(h, u, 'vcpupin', 'vc1', '0', '0').out, '', 'vcpupin of a shut off domain')
    check_eq(ok(h, u, 'emulatorpin', 'vc1', '1', '--config').out, '', 'emulatorpin --config')
    xml = ok(h, u, 'dumpxml', 'vc1').out
    check("<vcpupin vcpu='0' cpuset='0'/>" in xml and "<emulatorpin cpuset='1'/>" in xml,
          'the pins are in the persistent definition:', xml)
    ok(h, u, 'start', '--paused', 'vc1')
    try:
        pid = json.load(open(h.path('embed', 'run', 'qemu', 'vc1.json')))['pid']
        t = task_cpus(pid)
        check_eq((t['CPU 0'], t['CPU 1'], t['qemu-system-x86']), ('0', '1', '1'),
                 'the config pins applied at start')
        check_eq(ok(h, u, 'vcpupin', 'vc1', '1', '0-1', '--live').out, '', 'vcpupin --live')
        check_eq(task_cpus(pid)['CPU 1'], '0-1', 'vCPU 1 pinned live')
        check_eq(ok(h, u, 'vcpupin', 'vc1').out,
                 ' VCPU   CPU Affinity\n----------------------\n 0      0\n 1      0-1\n',
                 'the live pins')
        check_eq(ok(h, u, 'vcpupin', 'vc1', '1', '--config').out,
                 ' VCPU   CPU Affinity\n----------------------\n 1      1\n',
                 'the persistent pin of vCPU 1 is unchanged')
        ok(h, u, 'emulatorpin', 'vc1', 'r')
        t = task_cpus(pid)
        check_eq((t['qemu-system-x86'], t['CPU 0']), ('0-1', '0'),
                 'emulatorpin r: every thread but the vCPUs on all CPUs')
        check_eq(ok(h, u, 'emulatorpin', 'vc1', '--config').out.splitlines()[-1], '       *: 1',
                 'the persistent emulator pin is unchanged')
        ok(h, u, 'vcpupin', 'vc1', '0', '1', '--live', '--config')
        check_eq(task_cpus(pid)['CPU 0'], '1', 'vCPU 0 moved live')
        check("<vcpupin vcpu='0' cpuset='1'/>" in ok(h, u, 'dumpxml', '--inactive', 'vc1').out,
              'and in the config')
        r = ok(h, u, 'vcpuinfo', 'vc1')
        blocks = r.out.split('\n\n')
        check(len(blocks) == 2, 'two vCPUs in vcpuinfo:', r)
        check(re.match(r'VCPU: +0\nCPU: +[01]\nState: +running\n(CPU time: +[0-9.]+s\n)?'
                       r'CPU Affinity: +-y\n$', blocks[0] + '\n'), 'vcpuinfo of vCPU 0:', r)
        check(blocks[1].endswith('CPU Affinity:   yy\n'), 'vCPU 1 on both CPUs:', r)
        v = ok(h, u, '--json', 'vcpuinfo', 'vc1').json()
        check_eq([(x['vcpu'], x['state'], x['affinity']) for x in v['vcpus']],
                 [(0, 'running', '1'), (1, 'running', '0-1')], 'vcpuinfo --json')
        check_eq(ok(h, u, 'vcpucount', 'vc1', '--live', '--maximum').out, '2\n',
                 'vcpucount --live --maximum')
        r = fails(h, u, 1, 'vcpupin', 'vc1', '0', '5', '--live')
        check("CPU 5 of cpuset '5' is not an online CPU" in r.err, 'a live pin off the host', r)
        check_eq(task_cpus(pid)['CPU 0'], '1', 'vCPU 0 unchanged by the failure')
    finally:
        ok(h, u, 'destroy', 'vc1')
    wait_until(lambda: not vkguest.qemu_pids(h) or vkguest.qemu_pids(h) == S['qemu'], 10,
               'vc1 to be gone')
    ok(h, u, 'start', '--paused', 'vc1')
    try:
        pid = json.load(open(h.path('embed', 'run', 'qemu', 'vc1.json')))['pid']
        t = task_cpus(pid)
        check_eq((t['CPU 0'], t['CPU 1'], t['qemu-system-x86']), ('1', '1', '1'),
                 'the next start applies the changed config')
    finally:
        ok(h, u, 'destroy', 'vc1')
    wait_until(lambda: not vkguest.qemu_pids(h) or vkguest.qemu_pids(h) == S['qemu'], 10,
               'vc1 to be gone')
    ok(h, u, 'undefine', 'vc1')


def test_embed_destroy_undefine(h):
    u = embed_uri(h)
    check_eq(ok(h, u, 'destroy', 'cli1').out, "Domain 'cli1' destroyed\n", 'destroy')
    wait_until(lambda: not vkguest.qemu_pids(h), 10, 'QEMU to be gone')
    # a later process knows it is shut off, not why (as libvirtd after a restart)
    check(re.fullmatch(r'shut off \((destroyed|unknown)\)\n',
                       ok(h, u, 'domstate', '--reason', 'cli1').out), 'shut off after destroy')
    check_eq(ok(h, u, 'domid', 'cli1').out, '-\n', 'no id when shut off')
    check_eq(ok(h, u, 'undefine', 'cli1').out, "Domain 'cli1' has been undefined\n", 'undefine')
    check_eq(ok(h, u, 'list', '--all', '--json').json(), {'domains': []}, 'no domains')


def test_embed_undefine_nvram(h):
    """virsh's undefine of a UEFI domain whose variable store exists: refused (exit 1) unless
    --nvram (removes it) or --keep-nvram; no QEMU involved."""
    u = embed_uri(h)
    nv = h.path('nv1_VARS.fd')
    xml = domain_xml('nv1').replace(
        '</os>', "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
        f"<nvram>{nv}</nvram></os>")
    path = write(h, 'nv1.xml', xml)
    for flags, kept in (([], None), (['--keep-nvram'], True), (['--nvram'], False)):
        with open(nv, 'wb') as f:
            f.write(b'vars')
        ok(h, u, 'define', path)
        if kept is None:
            r = fails(h, u, 1, 'undefine', 'nv1')
            check('cannot undefine domain with nvram' in r.err, 'the refusal:', r)
            check_eq(ok(h, u, 'domstate', 'nv1').out, 'shut off\n', 'still defined')
            r = fails(h, u, 1, 'undefine', '--nvram', '--keep-nvram', 'nv1')
            check('both' in r.err, 'both flags refused:', r)
            ok(h, u, 'undefine', '--keep-nvram', 'nv1')
        else:
            check_eq(ok(h, u, 'undefine', *flags, 'nv1').out,
                     "Domain 'nv1' has been undefined\n", ' '.join(flags))
        check_eq(os.path.exists(nv), kept is not False, f'NVRAM after undefine {flags}')


def test_embed_create_transient(h):
    u = embed_uri(h)
    xml = write(h, 'tr1.xml', domain_xml('tr1'))
    check_eq(ok(h, u, 'create', xml, '--paused').out, f"Domain 'tr1' created from {xml}\n",
             'create')
    d = ok(h, u, '--json', 'list').json()['domains']
    check_eq([(x['name'], x['state'], x['persistent']) for x in d], [('tr1', 'paused', False)],
             'a transient domain')
    ok(h, u, 'destroy', 'tr1')
    check_eq(ok(h, u, 'list', '--all', '--json').json(), {'domains': []}, 'gone after destroy')
    r = fails(h, u, 1, 'domstate', 'tr1')
    check(r.err.startswith(NO_SUCH), 'NoSuchDomain:', r)
    no_qemu_left(h, 'create/destroy')


def test_embed_capabilities_native(h):
    u = embed_uri(h)
    r = ok(h, u, 'capabilities')
    check(r.out.startswith('<capabilities>') and '<host>' in r.out and '<guest>' in r.out,
          'capabilities XML:', r.out[:200])
    r = ok(h, u, 'domcapabilities', '--arch', 'x86_64')
    check(r.out.startswith('<domainCapabilities>') and QEMU in r.out, 'domcapabilities:',
          r.out[:200])
    xml = write(h, 'native.xml', domain_xml('native1', graphics=False))
    r = ok(h, u, 'domxml-to-native', 'qemu-argv', xml)
    check_eq(r.out.count('\n'), 1, f'one line: {r.out!r}')
    words = r.out.split()
    i = words.index(QEMU) if QEMU in words else -1
    check(i > 0 and all(re.fullmatch(r'[A-Z_][A-Z0-9_]*=.*', w) for w in words[:i]),
          'environment, then the binary:', r.out[:300])
    check('-name' in words and '-S' in words, 'QEMU options follow:', r.out[:300])
    # autoport graphics: libvirt's placeholder ports, VNC 5900 (display :0), SPICE 5901
    xml = write(h, 'native-graphics.xml', domain_xml('native2', graphics=False).replace(
        '<devices>', "<devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>"
        "<graphics type='spice' autoport='yes' listen='127.0.0.1'/>"))
    r = ok(h, u, 'domxml-to-native', 'qemu-argv', xml)
    words = r.out.split()
    check('127.0.0.1:0,audiodev=audio1' in words and
          'port=5901,addr=127.0.0.1,disable-ticketing=on,seamless-migration=on' in words,
          'autoport VNC and SPICE get the placeholder ports:', r.out)
    r = fails(h, u, 1, 'domxml-from-native', 'qemu-argv', xml)
    check(r.err.startswith('error: io.virtkit.Qemu.NotSupported: ') and 'removed' in r.err,
          'domxml-from-native is refused:', r)
    no_qemu_left(h, 'the embed group')


def test_embed_capabilities_secmodel(h):
    """<secmodel> in the host capabilities: "none" (no MAC driver: security_driver = "none")
    then "dac" with qemu.conf's user and group as the base labels of KVM and TCG domains.
    As root only: an unprivileged instance runs QEMU as its caller, whoever qemu.conf names."""
    if os.geteuid() != 0:
        print('# secmodel: not root, the DAC base label is the caller; skipped')
        return
    root = h.path('embed-secmodel')
    os.makedirs(os.path.join(root, 'etc'), exist_ok=True)
    write(h, 'embed-secmodel/etc/qemu.conf',
          'user = "+4242"\ngroup = "+4343"\nsecurity_driver = "none"\n')
    r = ok(h, embed_uri(h, 'embed-secmodel'), 'capabilities')
    host = r.out.split('<host>', 1)[1].split('</host>', 1)[0]
    models = re.findall(r'<secmodel>(.*?)</secmodel>', host, re.S)
    check_eq([re.sub(r'\s+', '', m) for m in models],
             ['<model>none</model><doi>0</doi>',
              "<model>dac</model><doi>0</doi><baselabeltype='kvm'>+4242:+4343</baselabel>"
              "<baselabeltype='qemu'>+4242:+4343</baselabel>"],
             'the secmodels of the host')


TESTS = [test_embed_define_start, test_embed_list, test_embed_info_commands,
         test_embed_suspend_resume, test_embed_exit_codes, test_embed_lock, test_embed_keys_nmi,
         test_embed_rename_metadata, test_embed_vcpu, test_embed_destroy_undefine,
         test_embed_undefine_nvram, test_embed_create_transient, test_embed_capabilities_native,
         test_embed_capabilities_secmodel]
