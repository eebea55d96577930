#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Everything we write loads again, end to end.

Every golden domain of tests/data/qemuxml that parses is defined and started (paused) with
the virtkit CLI on an embedded root, then read back by later CLI processes: each one loads
the config files and status files a previous process wrote. A started domain must show as
paused in `list --all` of the next process and be stopped by `destroy` in another one. Under
each security setup a daemon can have:

  root-dac             root, qemu.conf defaults (DAC relabels the files)
  no-dynamic-ownership root, qemu.conf dynamic_ownership = 0
  non-root             a throwaway user on its own embedded root (QEMU runs as that user)
  session              a throwaway user's qemu:///session daemon, stopped after each batch
                       of starts: the next call spawns a new daemon that must adopt them
  selinux, apparmor    security_driver = "selinux"/"apparmor": started only where the host
                       has the LSM, else skipped with the reason (the unit test
                       domain-roundtrip re-parses their status XML on any host)

A golden that cannot start on this host (a block device, a storage volume, a kernel image,
a host device) is counted with the reason, not failed; most must start. Domains run in
batches of 8 to bound memory. Last, tools/demo.sh (`./quickstart.sh demo`) runs as a
throwaway user. Needs root (throwaway users).
"""

import glob
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (PidKiller, check, check_eq, pid_alive, run_tests,  # noqa: E402
                       user_daemons)
import vkguest  # noqa: E402
from vkhost import kvm_usable_by  # noqa: E402

SRCDIR = os.environ.get('VK_TEST_SRCDIR') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..')
BATCH = 8
S = {}


def goldens():
    """(stem, xml) of every input of tests/data/qemuxml (NAME.xml, no other dot)."""
    out = []
    for path in sorted(glob.glob(os.path.join(SRCDIR, 'data', 'qemuxml', '*.xml'))):
        base = os.path.basename(path)
        if base.count('.') != 1 or base.startswith('err-'):
            continue
        with open(path) as f:
            out.append((base[:-4], f.read()))
    return out


def adapt(stem, xml, image, kvm):
    """The golden as a domain of its own on this host: its own name, no UUID, the disk
    images replaced by @image, TCG where KVM is not usable."""
    name = 'rt-' + stem
    xml = re.sub(r'<name>[^<]*</name>', f'<name>{name}</name>', xml, count=1)
    xml = re.sub(r'<uuid>[^<]*</uuid>', '', xml, count=1)
    xml = re.sub(r"""(<source file=)(['"])[^'"]*\2""", rf"\1'{image}'", xml)
    if not kvm:
        xml = xml.replace("<domain type='kvm'", "<domain type='qemu'", 1)
    return name, xml


def virtkit(h):
    return os.path.join(h.builddir, 'tools', 'virtkit')


def vk(h, setup, *args, timeout=60):
    r = h.run([virtkit(h), '-c', setup['uri']] + list(args), user=setup.get('user'),
              env=setup.get('env'), timeout=timeout)
    if setup.get('restart'):
        for pid in user_daemons(setup['user'].uid):
            if pid not in setup['killers']:
                setup['killers'][pid] = PidKiller(pid, 'a session daemon')
                h.threads.append(setup['killers'][pid])
    return r


def restart_session(h, setup):
    """Stop the session daemon (SIGTERM: QEMUs stay); the next call spawns a new one."""
    for pid in user_daemons(setup['user'].uid):
        setup['killers'][pid].stop()
        check(not pid_alive(pid), f'the session daemon {pid} exited')
        setup['restarts'] = setup.get('restarts', 0) + 1


def make_setup(h, name, conf='', user=None):
    root = h.path(f'root-{name}')
    os.makedirs(os.path.join(root, 'etc'))
    with open(os.path.join(root, 'etc', 'qemu.conf'), 'w') as f:
        f.write(conf)
    image = h.path(f'disk-{name}.img')
    with open(image, 'wb') as f:
        f.truncate(1 << 20)
    if user:
        for dirpath, dirs, files in os.walk(root):
            for p in [dirpath] + [os.path.join(dirpath, x) for x in files]:
                os.chown(p, user.uid, user.gid)
        os.chown(image, user.uid, user.gid)
    return {'name': name, 'root': root, 'image': image, 'user': user,
            'kvm': kvm_usable_by(h, user), 'uri': f'qemu:///embed?root={root}'}


def domains(h, setup):
    r = vk(h, setup, '--json', 'list', '--all')
    if setup.get('restart') and r.rc != 0 and 'Connection refused' in r.err:
        # Known, not this test's subject: tools/cli-connect.c session_autospawn() waits for
        # the socket file to appear, not for a listener, and connects in the window between
        # the new daemon's bind() and listen() (or before it took over a stale file).
        setup['refused'] = setup.get('refused', 0) + 1
        time.sleep(0.5)
        r = vk(h, setup, '--json', 'list', '--all')
    check(r.rc == 0, 'list --all failed:', r)
    return {d['name']: d['state'] for d in r.json()['domains']}


def round_trip(h, setup):
    """Define, start, re-read and destroy every golden under @setup; returns (started,
    skipped reasons)."""
    started, skipped = [], {}
    todo = []
    for stem, xml in goldens():
        name, xml = adapt(stem, xml, setup['image'], setup['kvm'])
        path = h.path(f"{setup['name']}-{stem}.xml")
        with open(path, 'w') as f:
            f.write(xml)
        os.chmod(path, 0o644)
        r = vk(h, setup, 'define', path)
        if r.rc != 0:  # the driver refuses what the model accepts (hvf on Linux)
            check(r.err.startswith('error: '), f'{stem}: define fails with an error:', r)
            skipped[name] = 'define: ' + r.err.strip()
            continue
        todo.append(name)
    # the definitions load again in a new process
    listed = domains(h, setup)
    check_eq(sorted(n for n in listed if n.startswith('rt-')), sorted(todo),
             'every defined golden is listed by the next process')

    for i in range(0, len(todo), BATCH):
        batch = []
        for name in todo[i:i + BATCH]:
            r = vk(h, setup, 'start', name, '--paused')
            if r.rc != 0:
                skipped[name] = r.err.strip().splitlines()[-1] if r.err.strip() else str(r)
                continue
            batch.append(name)
        if setup.get('restart'):
            restart_session(h, setup)
        state = domains(h, setup)
        for name in batch:
            check_eq(state.get(name), 'paused',
                     f"{setup['name']}: {name} after a start, in the next process's list")
            r = vk(h, setup, 'dumpxml', name)
            check(r.rc == 0 and "id='" in r.out, f'{name}: live XML:', r)
        for name in batch:
            r = vk(h, setup, 'destroy', name)
            check(r.rc == 0, f"{setup['name']}: {name} cannot be stopped:", r)
        state = domains(h, setup)
        for name in batch:
            check_eq(state.get(name), 'shutoff', f'{name} after destroy')
        started += batch
    left = vkguest.qemu_pids(h)
    check_eq(left, [], f"QEMUs left after the {setup['name']} round")
    for name in todo:
        vk(h, setup, 'undefine', name)
    return started, skipped


def report(setup, started, skipped, minimum):
    print(f"# {setup['name']}: {len(started)} goldens started and re-read, "
          f"{len(skipped)} cannot start here")
    reasons = {}
    for name, why in skipped.items():
        why = re.sub(r"'rt-[^']*'", "'…'", why)
        why = re.sub(r'\d{4}-\d\d-\d\dT[\d:.]+Z ', '', why)
        reasons.setdefault(why[:150], []).append(name)
    for why, names in sorted(reasons.items()):
        print(f"#   {len(names)}× {why} ({', '.join(sorted(names)[:4])}"
              f"{', …' if len(names) > 4 else ''})")
    check(len(started) >= minimum, f"{setup['name']}: only {len(started)} goldens started")


def test_root_dac(h):
    s = make_setup(h, 'root-dac')
    started, skipped = round_trip(h, s)
    report(s, started, skipped, 40)


def test_no_dynamic_ownership(h):
    s = make_setup(h, 'no-dynamic-ownership', 'dynamic_ownership = 0\n')
    started, skipped = round_trip(h, s)
    report(s, started, skipped, 40)


def test_non_root(h):
    s = make_setup(h, 'non-root', user=h.add_user())
    started, skipped = round_trip(h, s)
    report(s, started, skipped, 40)


def test_session_restart(h):
    """A session instance (a throwaway user's qemu:///session, spawned by the CLI), its
    daemon stopped after each batch of starts: the new daemon adopts the running QEMUs."""
    user = h.add_user()
    s = make_setup(h, 'session', user=user)
    home, xdg = h.path('home-session'), h.path('xdg-session')
    for d in (home, xdg):
        os.makedirs(d, mode=0o700)
        os.chown(d, user.uid, user.gid)
    s.update(uri='qemu:///session', restart=True, killers={},
             env=h.base_env(XDG_RUNTIME_DIR=xdg, HOME=home,
                            VIRTKIT_DAEMON_DIR=os.path.join(h.builddir, 'daemons'),
                            VIRTKIT_NO_SYSTEMD='1'))
    started, skipped = round_trip(h, s)
    report(s, started, skipped, 40)
    check(s.get('restarts', 0) >= len(started) // BATCH, 'the daemon was restarted:', s)
    print(f"# session: the daemon was stopped {s['restarts']} times; the first call after it "
          f"was refused {s.get('refused', 0)} times (autospawn race, see domains())")
    restart_session(h, s)


def lsm_round(h, model):
    s = make_setup(h, model, f'security_driver = "{model}"\n')
    minimal = os.path.join(SRCDIR, 'data', 'qemuxml', 'minimal.xml')
    name, xml = adapt('lsm-probe', open(minimal).read(), s['image'], s['kvm'])
    path = h.path(f'{model}-probe.xml')
    with open(path, 'w') as f:
        f.write(xml)
    os.chmod(path, 0o644)
    r = vk(h, s, 'define', path)
    if r.rc == 0:
        r = vk(h, s, 'start', name, '--paused')
    why = r.err.strip()
    if r.rc == 0:
        live = vk(h, s, 'dumpxml', name)
        if f"model='{model}'" not in live.out:
            why = f'no {model} on this host: the stack fell back to DAC'
        else:
            why = None
        vk(h, s, 'destroy', name)
    if why is not None:
        vk(h, s, 'undefine', name)
        print(f'# {model}: SKIP starting: {why} (the unit test domain-roundtrip '
              f're-parses status XML with {model} labels on any host)')
        shutil.rmtree(s['root'], ignore_errors=True)
        return
    vk(h, s, 'undefine', name)
    started, skipped = round_trip(h, s)
    report(s, started, skipped, 40)


def test_selinux(h):
    lsm_round(h, 'selinux')


def test_apparmor(h):
    lsm_round(h, 'apparmor')


def test_unloadable_config_is_reported(h):
    """A config file that does not load (written by hand, or by an older version) is named
    on stderr with the reason, not skipped silently."""
    s = make_setup(h, 'unloadable')
    check_eq(domains(h, s), {}, 'an empty root')
    bad = os.path.join(s['root'], 'etc', 'qemu', 'bad.xml')
    with open(bad, 'w') as f:
        f.write("<domain type='qemu'><name>bad</name><memory>1024</memory>"
                "<os><type>hvm</type></os><bogus/></domain>")
    r = vk(h, s, 'list', '--all')
    check(r.rc == 0 and f"Ignoring '{bad}': /domain/bogus: unsupported element" in r.err,
          'the ignored file is named with the reason:', r)


def test_demo_non_root(h):
    """`./quickstart.sh demo` (tools/demo.sh) as a normal user: the VM is listed running
    by the call after the start, and stopped by destroy."""
    demo = os.path.join(os.environ.get('VK_TOP_SRCDIR', os.path.join(SRCDIR, '..')), 'tools',
                        'demo.sh')
    r = h.run(['bash', demo, h.builddir], user=h.add_user(), timeout=120)
    out = re.sub(r'\x1b\[[0-9;]*m', '', r.out)
    check(r.rc == 0, 'demo.sh failed:', r)
    after_start = out.split('$ virtkit list --all', 1)[-1].split('$ virtkit', 1)[0]
    check(re.search(r'\s1\s+demo\s+running', after_start), 'running after start:', out)
    check(re.search(r'-\s+demo\s+shut off', out.rsplit('$ virtkit list --all', 1)[-1]),
          'shut off after destroy:', out)


if __name__ == '__main__':
    TESTS = [test_root_dac, test_no_dynamic_ownership, test_non_root, test_session_restart,
             test_selinux, test_apparmor, test_unloadable_config_is_reported,
             test_demo_non_root]
    # arguments: run only the tests of these names (e.g. session_restart)
    sys.exit(run_tests('roundtrip', [t for t in TESTS if not sys.argv[1:] or
                                     t.__name__.removeprefix('test_') in sys.argv[1:]]))
