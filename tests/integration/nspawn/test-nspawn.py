#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The units under a real systemd: boot a Debian container with systemd-nspawn, install the
build tree into it, and check socket activation, D-Bus activation, idle exit, polkit through
the logind-backed polkitd, a clean stop, and the user units (TEST-ENV.md sections 4a/5, 11).

One container per run: a throwaway overlay over a rootfs cached by rootfs.sh. Every command
in the container runs through `nsenter -t LEADER -a` and has a timeout; teardown (poweroff,
cgroups, nspawn's /run leftovers, the overlay) always runs, also on SIGTERM from meson.

Prints one `ok`/`not ok` line per check (TAP-like, for the log) and exits 0, 1 when a check
failed, or 77 (skip) when the machine cannot run it: not root, no systemd-nspawn, debootstrap
or overlayfs, or a sanitizer build (the container has no sanitizer runtime).

Environment: VK_TOP_BUILDDIR, VK_VLCALL (set by meson), VK_NSPAWN_CACHE (rootfs cache,
default /var/cache/virtkit-test), VK_TEST_KEEP=1 (leave the container's files for a look).
"""

import base64
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from vkrootfs import (Failure, Overlay, build_options, check, host, install_build,  # noqa: E402
                      log, put_file, skip, wait_until)
from vkhost import qemu_img_env  # noqa: E402
DRIVERS = [('qemud', 'Qemu'), ('secretd', 'Secret'), ('networkd', 'Network'),
           ('storaged', 'Storage')]
MEMBER, OTHER = 'vkmember', 'vkother'   # users in the container only
VLCALL = '/opt/virtkit-test/vlcall'     # where the client goes in the container


# --- the container ---

class Container:
    def __init__(self, rootfs, workdir):
        self.work = workdir
        self.tree = Overlay(rootfs, workdir)
        self.root = self.tree.root
        self.name = f'vkunits-{os.getpid()}'
        self.log = os.path.join(workdir, 'nspawn.log')
        self.nspawn = None
        self.leader = None
        self.cgdirs = []

    def prepare(self):
        self.tree.prepare()

    def boot(self):
        cgdirs = [f'/sys/fs/cgroup/{h}/nspawn-{self.name}' for h in ('systemd', 'unified')
                  if os.path.isdir(f'/sys/fs/cgroup/{h}')]
        for d in cgdirs:
            os.makedirs(d, exist_ok=True)
        self.cgdirs = cgdirs

        def enter_cgroups():
            # keep nspawn's payload and supervisor cgroups out of the host's root cgroup
            for d in cgdirs:
                with open(os.path.join(d, 'cgroup.procs'), 'w') as f:
                    f.write(str(os.getpid()))

        env = dict(os.environ, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY='1')
        with open(self.log, 'w') as logf:
            self.nspawn = subprocess.Popen(
                ['systemd-nspawn', '-b', '-D', self.root, '-M', self.name, '--register=no',
                 '--keep-unit', '--console=read-only', '--system-call-filter=bpf',
                 '--private-network'],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, env=env,
                preexec_fn=enter_cgroups)
        t = time.monotonic()
        my_pidns = os.readlink('/proc/self/ns/pid')

        def leader():
            """The container's PID 1: the child of nspawn in a new PID namespace (nspawn's
            short-lived setup child is in ours)."""
            if self.nspawn.poll() is not None:
                raise Failure(f'systemd-nspawn exited with {self.nspawn.returncode}: '
                              + self.log_tail())
            r = host(['ps', '-o', 'pid=', '--ppid', str(self.nspawn.pid)], check_rc=False)
            for pid in r.out.split():
                try:
                    if os.readlink(f'/proc/{pid}/ns/pid') != my_pidns:
                        return int(pid)
                except OSError:
                    pass
            return None
        self.leader = wait_until(leader, 20, 'the container leader', interval=0.05)
        with open(os.path.join(self.work, 'nspawn'), 'w') as f:
            f.write(f'{self.name} {self.nspawn.pid} {self.leader} {start_time(self.leader)}\n')

        def running():
            r = self.run(['systemctl', 'is-system-running'], check_rc=False, timeout=5)
            return r.out.strip() if r.out.strip() in ('running', 'degraded') else None
        state = wait_until(running, 30, 'the container to finish booting', interval=0.1)
        log(f'container {self.name} booted in {time.monotonic() - t:.2f} s ({state}), '
            f'leader {self.leader}')
        if state == 'degraded':
            log(self.run(['systemctl', '--failed', '--no-pager'], check_rc=False).out)

    def live(self, path):
        """@path in the running container, seen from the host."""
        return f'/proc/{self.leader}/root{path}'

    def log_tail(self):
        try:
            with open(self.log, errors='replace') as f:
                return ''.join(f.readlines()[-30:])
        except OSError:
            return ''

    def run(self, argv, timeout=30, check_rc=True, user=None, session=False):
        """@argv in the container, as root, as @user without a login session (runuser), or
        as @user in a logind session (a transient service with PAMName=login)."""
        if user and session:
            argv = ['systemd-run', '--quiet', '--wait', '--pipe', f'--uid={user}',
                    '-p', 'PAMName=login', '--'] + argv
        elif user:
            argv = ['runuser', '-u', user, '--'] + argv
        return host(['nsenter', '-t', str(self.leader), '-a'] + argv, timeout=timeout,
                    check_rc=check_rc)

    def systemctl(self, *args, **kw):
        return self.run(['systemctl', '--no-pager'] + list(args), **kw)

    def show(self, unit, *props):
        r = self.systemctl('show', unit, *[f'-p{p}' for p in props])
        return dict(line.split('=', 1) for line in r.out.splitlines() if '=' in line)

    def user_env(self, user):
        uid = int(self.run(['id', '-u', user]).out)
        return uid, ['env', f'XDG_RUNTIME_DIR=/run/user/{uid}',
                     f'DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus']

    def user_systemctl(self, user, *args, **kw):
        """systemctl --user as @user, talking to @user's service manager."""
        _, env = self.user_env(user)
        return self.run(env + ['systemctl', '--user', '--no-pager'] + list(args), user=user,
                        **kw)

    def stop(self):
        if self.nspawn is None:
            return
        t = time.monotonic()
        if self.leader:
            r = subprocess.run(['nsenter', '-t', str(self.leader), '-a', 'systemctl',
                                'poweroff', '--no-block'], capture_output=True, timeout=10)
            if r.returncode != 0:
                try:
                    os.kill(self.leader, signal.SIGRTMIN + 4)
                except OSError:
                    pass
        try:
            self.nspawn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log('the container did not power off in 20 s: killing it')
            for pid in (self.leader, self.nspawn.pid):
                try:
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.nspawn.wait(timeout=10)
        log(f'container stopped in {time.monotonic() - t:.2f} s')
        self.nspawn = None

    def cleanup(self):
        for d in self.cgdirs:
            for top, dirs, _ in os.walk(d, topdown=False):
                for sub in dirs:
                    try:
                        os.rmdir(os.path.join(top, sub))
                    except OSError:
                        pass
            try:
                os.rmdir(d)
            except OSError as e:
                log(f'WARNING: cgroup {d} left behind: {e}')
        for d in ('propagate', 'unix-export'):
            shutil.rmtree(f'/run/systemd/nspawn/{d}/{self.name}', ignore_errors=True)
        # nspawn's image lock, left behind when nspawn was killed
        try:
            st = os.stat(self.root)
            os.unlink(f'/run/systemd/nspawn/locks/inode-{st.st_dev}:{st.st_ino}')
        except OSError:
            pass
        self.tree.release()


def proc_field(pid, field):
    """A field of /proc/PID/status ('PPid', 'Name'), or None when @pid is gone."""
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                k, _, v = line.partition(':')
                if k == field:
                    return v.strip()
    except OSError:
        pass
    return None


def start_time(pid):
    """The start time of @pid (field 22 of /proc/PID/stat), to tell it from a recycled pid."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def sweep_stale(keep):
    """Tear down what runs killed by SIGKILL left: their container, cgroups, overlay, files.
    A work directory is stale when the test process that made it ('owner') is gone."""
    for work in glob.glob('/var/tmp/vk-nspawn-*'):
        if work == keep:
            continue
        try:
            with open(os.path.join(work, 'owner')) as f:
                owner = int(f.read())
        except (OSError, ValueError):
            continue
        state = proc_field(owner, 'State')
        if state and state[0] not in 'ZX':
            continue
        log(f'cleaning up after a killed run: {work}')
        try:
            with open(os.path.join(work, 'nspawn')) as f:
                name, nsp, leader, started = f.read().split()
        except (OSError, ValueError):
            name = nsp = leader = started = None
        # the container's PID 1 (killing it ends the whole container), then nspawn
        if leader and start_time(leader) == started:
            try:
                os.kill(int(leader), signal.SIGKILL)
            except OSError:
                pass
            wait_until(lambda: proc_field(leader, 'Name') is None, 10, 'a stale container')
        # (nspawn is a zombie now if the killed run was its parent: nothing more to do)
        if nsp and proc_field(nsp, 'Name') == 'systemd-nspawn':
            try:
                os.kill(int(nsp), signal.SIGKILL)
            except OSError:
                pass
            wait_until(lambda: proc_field(nsp, 'Name') is None, 10, 'a stale nspawn')
        ct = Container(None, work)
        if name:
            ct.name = name
            ct.cgdirs = [f'/sys/fs/cgroup/{h}/nspawn-{name}' for h in ('systemd', 'unified')
                         if os.path.isdir(f'/sys/fs/cgroup/{h}/nspawn-{name}')]
        ct.tree.mounted = os.path.ismount(ct.root)
        ct.cleanup()
        shutil.rmtree(work, ignore_errors=True)


# --- install into the container ---

def install(ct, builddir, opts, vlcall):
    t = time.monotonic()
    root, datadir = ct.root, opts['datadir']
    install_build(root, builddir, opts)
    put_file(root, vlcall, VLCALL, 0o755)
    # D-Bus service files under /usr/local/share are found (standard directories), others not
    if datadir not in ('/usr/share', '/usr/local/share'):
        for n in os.listdir(root + datadir + '/dbus-1/system-services'):
            put_file(root, root + datadir + '/dbus-1/system-services/' + n,
                     '/usr/share/dbus-1/system-services/' + n)
    # the example rule: group "virtkit" may manage
    put_file(root, root + datadir + '/doc/virtkit/50-virtkit.rules.example',
             '/etc/polkit-1/rules.d/50-virtkit.rules')
    log(f'installed the build tree into the container in {time.monotonic() - t:.2f} s')


# --- checks ---

class Skip(Exception):
    """A check the container cannot run: reported as TAP '# SKIP reason'."""


class Suite:
    def __init__(self, ct, opts):
        self.ct, self.opts = ct, opts
        self.sbindir = opts['sbindir']
        self.unitdir = None
        self.n = 0
        self.failed = 0

    def run(self, name, fn):
        self.n += 1
        t = time.monotonic()
        try:
            fn()
        except Skip as e:
            print(f'ok {self.n} - {name} # SKIP {e}', flush=True)
            return True
        except Exception as e:
            self.failed += 1
            print(f'not ok {self.n} - {name}', flush=True)
            log(e if isinstance(e, Failure) else traceback.format_exc())
            return False
        print(f'ok {self.n} - {name} ({time.monotonic() - t:.1f} s)', flush=True)
        return True

    # helpers

    def vlcall(self, iface, method, params=None, user=None, session=False, sock=None,
               check_rc=True, timeout=10):
        sock = sock or f'/run/virtkit/io.virtkit.{iface}'
        argv = [VLCALL, '-timeout', str(timeout), f'unix:{sock}', f'io.virtkit.{iface}.{method}']
        if params is not None:
            argv.append(json.dumps(params))
        return self.ct.run(argv, user=user, session=session, check_rc=check_rc,
                           timeout=timeout + 10)

    def get_version(self, iface, instance='system', **kw):
        r = self.vlcall(iface, 'GetVersion', **kw)
        try:
            v = json.loads(r.out)
        except ValueError:
            raise Failure(f'{r}: no JSON')
        check(v.get('instance') == instance and v.get('product', '').startswith('virtkit-'),
              'unexpected GetVersion answer', r)
        return v

    def state(self, unit):
        return self.ct.systemctl('is-active', unit, check_rc=False).out.strip()

    def wait_state(self, unit, want, timeout):
        return wait_until(lambda: self.state(unit) == want, timeout, f'{unit} to be {want}')

    def test_setup(self):
        ct = self.ct
        ct.systemctl('daemon-reload')
        ct.run(['systemd-sysusers'])
        ct.run(['systemd-tmpfiles', '--create'])
        pw = ct.run(['getent', 'passwd', 'virtkit-qemu'], check_rc=False)
        check(pw.rc == 0, 'sysusers did not create virtkit-qemu', pw)
        check(ct.run(['getent', 'group', 'virtkit'], check_rc=False).rc == 0,
              'sysusers did not create the group virtkit')
        groups = ct.run(['id', '-nG', 'virtkit-qemu']).out.split()
        check('kvm' in groups, 'virtkit-qemu is not in kvm:', groups)
        lsv = self.opts['localstatedir']
        for path, mode in [('/run/virtkit/qemu', 0o755), ('/run/virtkit/secret', 0o700),
                           (f'{lsv}/lib/virtkit/qemu', 0o755),
                           (f'{lsv}/lib/virtkit/secret', 0o700),
                           (f'{lsv}/cache/virtkit/storage', 0o755),
                           (f'{lsv}/log/virtkit/network', 0o700),
                           (f'{self.opts["sysconfdir"]}/virtkit/secret', 0o700)]:
            st = ct.run(['stat', '-c', '%a %U', path], check_rc=False)
            check(st.out.split() == [f'{mode:o}', 'root'], f'tmpfiles: {path}', st)
        units = [f'virtkit-{d}.socket' for d, _ in DRIVERS]
        ct.systemctl('enable', '--now', *units)
        for u in units:
            check(ct.systemctl('is-enabled', u, check_rc=False).out.strip() == 'enabled',
                  f'{u} is not enabled')
        # test users: one in the group "virtkit", one not
        ct.run(['useradd', '-m', '-G', 'virtkit', MEMBER])
        ct.run(['useradd', '-m', OTHER])

    def test_verify(self):
        unitdir = None
        for d in ['/usr/local/lib/systemd/system', '/usr/lib/systemd/system',
                  '/lib/systemd/system']:
            if os.path.exists(self.ct.root + d + '/virtkit-qemud.service'):
                unitdir = d
                break
        check(unitdir, 'virtkit-qemud.service is not installed in a system unit directory')
        self.unitdir = unitdir
        files = [f'{unitdir}/virtkit-{d}.{k}' for d, _ in DRIVERS for k in ('service', 'socket')]
        files += [f'{unitdir}/virtkit-autostart.{k}' for k in ('path', 'service')]
        r = self.ct.run(['systemd-analyze', 'verify', '--man=no'] + files, check_rc=False)
        check(r.rc == 0 and not r.out.strip() and not r.err.strip(),
              'systemd-analyze verify (system units) is not clean:', r)
        userdir = unitdir.rsplit('/', 1)[0] + '/user'
        files = [f'{userdir}/virtkit-{d}.{k}' for d, _ in DRIVERS for k in ('service', 'socket')]
        files += [f'{userdir}/virtkit-autostart.{k}' for k in ('path', 'service')]
        # a user manager's paths need a runtime directory, any will do
        r = self.ct.run(['env', 'XDG_RUNTIME_DIR=/tmp', 'systemd-analyze', '--user', 'verify',
                         '--man=no'] + files, check_rc=False)
        check(r.rc == 0 and not r.out.strip() and not r.err.strip(),
              'systemd-analyze --user verify (user units) is not clean:', r)

    def test_sockets_listening(self):
        for d, iface in DRIVERS:
            sock = f'virtkit-{d}.socket'
            check(self.state(sock) == 'active', f'{sock} is not active')
            p = self.ct.show(sock, 'Listen', 'FileDescriptorName')
            check(p.get('Listen') == f'/run/virtkit/io.virtkit.{iface} (Stream)',
                  f'{sock} listens on', p)
            check(p.get('FileDescriptorName') == 'varlink', f'{sock}', p)
            st = self.ct.run(['stat', '-c', '%F %a', f'/run/virtkit/io.virtkit.{iface}'])
            check(st.out.strip() == 'socket 666', f'{sock}: the socket file is', st.out)
            check(self.state(f'virtkit-{d}.service') == 'inactive',
                  f'virtkit-{d}.service runs before any client came')

    def test_socket_activation(self):
        for d, iface in DRIVERS:
            unit = f'virtkit-{d}.service'
            v = self.get_version(iface)
            check(v['product'] == f'virtkit-{d}', 'GetVersion answered', v)
            # Type=notify: "active" only after READY=1; the status text is the daemon's
            check(self.state(unit) == 'active', f'{unit} is not active after a call')
            p = self.ct.show(unit, 'StatusText', 'Type', 'NRestarts', 'MainPID')
            check(p['Type'] == 'notify' and p['StatusText'].startswith('Serving io.virtkit.'),
                  f'{unit}: no READY/STATUS from the daemon:', p)
            # the daemon took the socket from systemd instead of binding its own
            fds = self.ct.run(['ls', '-l', f'/proc/{p["MainPID"]}/fd']).out
            check('socket:' in fds, f'{unit} has no socket fd', fds)
        # (the container has no system credential: secretd's LoadCredential= without a path
        # is skipped, and the unit starts all the same)
        wants = self.ct.show('virtkit-qemud.service', 'Wants')['Wants'].split()
        for d in ('secretd', 'networkd', 'storaged'):
            check(f'virtkit-{d}.socket' in wants, 'virtkit-qemud.service does not want', d)

    def test_idle_exit(self):
        ct, unit = self.ct, 'virtkit-qemud.service'
        ct.systemctl('stop', unit)
        # through the running container's root: its /run is a tmpfs over the overlay's
        dropin = ct.live(f'/run/systemd/system/{unit}.d/50-test-timeout.conf')
        os.makedirs(os.path.dirname(dropin), exist_ok=True)
        with open(dropin, 'w') as f:
            # more than the default 5 starts in 10 s happen below
            f.write('[Unit]\nStartLimitBurst=50\n[Service]\nExecStart=\n'
                    f'ExecStart={self.sbindir}/virtkit-qemud --system --timeout 2\n')
        ct.systemctl('daemon-reload')
        self.get_version('Qemu')
        check(self.state(unit) == 'active', f'{unit} is not active after a call')
        inv1 = ct.show(unit, 'InvocationID')['InvocationID']
        t = time.monotonic()
        self.wait_state(unit, 'inactive', 12)
        idle = time.monotonic() - t
        p = ct.show(unit, 'Result', 'ExecMainCode', 'ExecMainStatus')
        check(p == {'Result': 'success', 'ExecMainCode': '1', 'ExecMainStatus': '0'},
              f'{unit} did not exit cleanly when idle:', p)
        check(1.0 < idle < 6, f'idle exit after {idle:.1f} s with --timeout 2')
        check(self.state('virtkit-qemud.socket') == 'active', 'the socket stopped with the service')
        self.get_version('Qemu')
        inv2 = ct.show(unit, 'InvocationID')['InvocationID']
        check(inv1 != inv2 and self.state(unit) == 'active', 'the next call did not re-activate')
        # calls that arrive around the moment of the idle exit: each must get its answer
        # from this instance or the next one, none may hang (vlcall -timeout bounds them)
        invocations = {inv2}
        for delay in (1.9, 2.0, 2.1, 3.0):
            time.sleep(delay)
            self.get_version('Qemu', timeout=8)
            invocations.add(ct.show(unit, 'InvocationID')['InvocationID'])
        check(len(invocations) >= 2, 'no call re-activated the daemon after an idle exit')
        log(f'idle exit after {idle:.1f} s; 4 calls around later idle exits all answered, '
            f'by {len(invocations)} instances')

    def test_dbus_activation(self):
        ct, unit = self.ct, 'virtkit-qemud.service'
        ct.systemctl('stop', unit)
        check(self.state(unit) == 'inactive', f'{unit} did not stop')

        def call():
            r = ct.run(['busctl', '--timeout=10', 'call', 'io.virtkit.Qemu1', '/io/virtkit/Qemu1',
                        'io.virtkit.Qemu1.Manager', 'GetVersion'], check_rc=False, timeout=20)
            check(r.rc == 0 and r.out.startswith('sss "virtkit-qemud"')
                  and r.out.strip().endswith('"system"'), 'busctl GetVersion:', r)
        call()
        check(self.state(unit) == 'active', f'{unit} is not active after a D-Bus call')
        owner = ct.run(['busctl', 'status', '--no-pager', 'io.virtkit.Qemu1'],
                       check_rc=False).out
        check(f'Unit={unit}' in owner, 'io.virtkit.Qemu1 is not owned by the unit', owner)
        # idle exit (still --timeout 2) releases the name; the next call activates again
        self.wait_state(unit, 'inactive', 12)
        call()
        check(self.state(unit) == 'active', f'{unit} was not re-activated through D-Bus')

    def test_polkit(self):
        ct = self.ct
        check(MEMBER in ct.run(['getent', 'group', 'virtkit']).out, 'test user not in virtkit')
        # what polkitd sees of a caller run with PAMName=login: a local, active logind session
        r = ct.run(['loginctl', 'show-session', 'self', '-p', 'Active', '-p', 'Remote'],
                   user=OTHER, session=True, check_rc=False)
        check(r.rc == 0 and r.out.split() == ['Remote=no', 'Active=yes'],
              'no local active logind session for the test callers:', r)
        params = {'level': 'info'}
        # varlink, as a user in a logind session (PAM login) and without one (runuser)
        for session in (True, False):
            how = 'in a login session' if session else 'without a session'
            r = self.vlcall('Qemu', 'SetLogLevel', params, user=MEMBER, session=session,
                            check_rc=False)
            check(r.rc == 0, f'{MEMBER} (group virtkit, {how}) may not SetLogLevel:', r)
            r = self.vlcall('Qemu', 'SetLogLevel', params, user=OTHER, session=session,
                            check_rc=False)
            check(r.rc == 3 and ('io.virtkit.Qemu.PermissionDenied' in r.err or
                                 'io.virtkit.Qemu.InteractiveAuthenticationRequired' in r.err),
                  f'{OTHER} (not in virtkit, {how}) was not refused:', r)
            # read-only calls stay open to everyone
            self.get_version('Qemu', user=OTHER, session=session)
        # D-Bus, same answers
        base = ['busctl', '--timeout=10', '--allow-interactive-authorization=no', 'call',
                'io.virtkit.Qemu1', '/io/virtkit/Qemu1', 'io.virtkit.Qemu1.Manager',
                'SetLogLevel', 's', 'info']
        r = ct.run(base, user=MEMBER, session=True, check_rc=False)
        check(r.rc == 0, f'{MEMBER}: D-Bus SetLogLevel refused:', r)
        r = ct.run(base, user=OTHER, session=True, check_rc=False)
        check(r.rc != 0 and 'io.virtkit.qemu.manage' in (r.err + r.out),
              f'{OTHER}: D-Bus SetLogLevel not refused (or the error names no action):', r)

    def test_clean_stop(self):
        ct, unit = self.ct, 'virtkit-qemud.service'
        os.unlink(ct.live(f'/run/systemd/system/{unit}.d/50-test-timeout.conf'))
        ct.systemctl('daemon-reload')
        self.get_version('Qemu')
        check(self.state(unit) == 'active', f'{unit} is not active')
        inv = ct.show(unit, 'InvocationID')['InvocationID']
        r = ct.systemctl('stop', unit, timeout=20)
        check(r.rc == 0, 'systemctl stop failed', r)
        p = ct.show(unit, 'ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus')
        check(p == {'ActiveState': 'inactive', 'Result': 'success', 'ExecMainCode': '1',
                    'ExecMainStatus': '0'}, f'{unit} did not exit cleanly on SIGTERM:', p)
        j = ct.run(['journalctl', '--no-pager', '-q', '-o', 'cat', f'_SYSTEMD_INVOCATION_ID={inv}'],
                   check_rc=False).out
        check('STOPPING' not in j and 'rror' not in j, 'the journal of the last run shows:', j)
        j = ct.run(['journalctl', '--no-pager', '-q', '-p', 'err', '-u', 'virtkit-*'],
                   check_rc=False).out
        check(not j.strip(), 'errors in the journal of the virtkit units:', j)
        check(self.state('virtkit-qemud.socket') == 'active', 'the socket went down with stop')

    def test_secretd_credential(self):
        """The drop-in of docs/systemd.md: the key from a file, as a credential."""
        ct, unit = self.ct, 'virtkit-secretd.service'
        keyfile = '/etc/virtkit/secrets-encryption-key'
        os.makedirs(ct.live('/etc/virtkit'), exist_ok=True)
        with open(os.open(ct.live(keyfile), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                  'wb') as f:
            f.write(os.urandom(32))
        dropin = ct.live(f'/etc/systemd/system/{unit}.d/50-key.conf')
        os.makedirs(os.path.dirname(dropin), exist_ok=True)
        with open(dropin, 'w') as f:
            f.write(f'[Service]\nLoadCredential=secrets-encryption-key:{keyfile}\n')
        ct.systemctl('daemon-reload')
        ct.systemctl('stop', unit)
        r = ct.run(['systemd-analyze', 'verify', '--man=no', unit], check_rc=False)
        check(r.rc == 0 and not (r.out + r.err).strip(), 'verify with the drop-in:', r)
        self.get_version('Secret')
        r = ct.run(['cmp', keyfile,
                    f'/run/credentials/{unit}/secrets-encryption-key'], check_rc=False)
        check(r.rc == 0, 'the credential is not the key file:', r)
        ct.systemctl('stop', unit)
        check(ct.show(unit, 'Result')['Result'] == 'success', f'{unit} did not stop cleanly')

    def qmp(self, domain, command, check_rc=True):
        r = self.vlcall('Qemu', 'QemuMonitorCommand',
                        {'domain': domain, 'command': json.dumps(command)}, check_rc=check_rc)
        return json.loads(json.loads(r.out)['reply']) if r.rc == 0 else r

    def machines(self):
        r = self.ct.run(['machinectl', 'list', '--no-legend', '--no-pager'], check_rc=False)
        return [line.split()[0] for line in r.out.splitlines() if line.strip()]

    def scope_units(self):
        r = self.ct.systemctl('list-units', '--no-legend', '--plain', '--all',
                              'machine-qemu*', check_rc=False)
        return [line.split()[0] for line in r.out.splitlines() if line.strip()]

    def test_vm_scope(self):
        """Issue 7: the VM in its own machine scope with the device ACL, outliving qemud."""
        ct, name = self.ct, 'scopevm'
        machine, scope = f'qemu-1-{name}', 'machine-qemu\\x2d1\\x2dscopevm.scope'
        # KVM when the host has it: a node of our own in the container's /dev (a bind mount
        # of the host's would carry the host's owner and mode), group kvm as udev would make it
        kvm = False
        if os.path.exists('/dev/kvm'):
            st = os.stat('/dev/kvm')
            ct.run(['sh', '-c', f'[ -e /dev/kvm ] || mknod -m 0660 /dev/kvm c '
                    f'{os.major(st.st_rdev)} {os.minor(st.st_rdev)}; chgrp kvm /dev/kvm'])
            kvm = ct.run(['sh', '-c', 'exec 3<>/dev/kvm'], user='virtkit-qemu',
                         check_rc=False).rc == 0
        log(f'the VM runs with {"KVM" if kvm else "TCG"}')
        xml = (f"<domain type='{'kvm' if kvm else 'qemu'}'><name>{name}</name>"
               "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
               "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>")
        # a registration of the same name left by an earlier run is terminated first
        ct.run(['systemd-run', '--unit=vk-stale', '--quiet', 'sleep', '600'])
        stale = ct.show('vk-stale.service', 'MainPID')['MainPID']
        ct.run(['busctl', 'call', 'org.freedesktop.machine1', '/org/freedesktop/machine1',
                'org.freedesktop.machine1.Manager', 'CreateMachine', 'sayssusa(sv)', machine,
                '0', 'stale-test', 'vm', stale, '', '0'])
        check(machine in self.machines(), 'the stale registration is not there')
        self.vlcall('Qemu', 'DefineDomain', {'xml': xml})
        self.vlcall('Qemu', 'StartDomain', {'domain': name, 'paused': True}, timeout=60)
        with open(ct.live(f'/run/virtkit/qemu/{name}.json')) as f:
            pid = json.load(f)['pid']
        check(machine in self.machines(), f'{machine} is not in machinectl list:',
              self.machines())
        check(ct.run(['sh', '-c', f'kill -0 {stale}'], check_rc=False).rc != 0,
              'the process of the stale registration still runs')
        cg = ct.run(['cat', f'/proc/{pid}/cgroup']).out
        check(f'/machine.slice/{scope}' in cg,
              f'QEMU (pid {pid}) is not in {scope}:', cg)
        props = ct.show(scope, 'DevicePolicy', 'DeviceAllow', 'Slice')
        check(props['DevicePolicy'] == 'closed' and props['Slice'] == 'machine.slice',
              f'{scope}: wrong policy or slice:', props)
        allow = [line.split('=', 1)[1] for line in
                 ct.systemctl('show', scope, '-pDeviceAllow').out.splitlines()]
        for dev in ['/dev/null rw', '/dev/urandom rw', 'char-pts rw'] + (['/dev/kvm rw'] if kvm
                                                                        else []):
            check(dev in allow, f'{scope}: DeviceAllow lacks {dev}:', allow)
        # QEMU itself opens what the ACL allows and nothing else (/dev/kvm: it runs on KVM)
        ok = self.qmp(name, {'execute': 'chardev-add', 'arguments': {
            'id': 'null0', 'backend': {'type': 'file', 'data': {'out': '/dev/null'}}}})
        check(ok == {'return': {}}, 'QEMU could not open /dev/null:', ok)
        if kvm:
            k = self.qmp(name, {'execute': 'query-kvm'})
            check(k['return'] == {'enabled': True, 'present': True}, 'QEMU without KVM:', k)
        # a device outside the ACL that DAC lets virtkit-qemu open (kmsg, 0666, write only):
        # only the ACL keeps QEMU out
        ct.run(['sh', '-c', 'rm -f /dev/vk-outside; mknod -m 0666 /dev/vk-outside c 1 11'])
        ct.run(['sh', '-c', 'exec 3>/dev/vk-outside'], user='virtkit-qemu')
        bad = self.vlcall('Qemu', 'QemuMonitorCommand', {'domain': name, 'command': json.dumps(
            {'execute': 'chardev-add', 'arguments': {'id': 'out0', 'backend': {
                'type': 'file', 'data': {'out': '/dev/vk-outside'}}}})}, check_rc=False)
        check(bad.rc == 0 and 'Operation not permitted' in bad.out,
              'QEMU opened /dev/vk-outside (c 1:11) outside its device ACL:', bad)
        # a stop of the daemon leaves the VM and its scope; a new daemon adopts it
        r = ct.systemctl('stop', 'virtkit-qemud.service', timeout=30)
        check(r.rc == 0, r)
        check(ct.run(['sh', '-c', f'kill -0 {pid}'], check_rc=False).rc == 0,
              'QEMU died with the daemon')
        check(self.state(scope) == 'active' and
              machine in self.machines(), 'the scope went with the daemon')
        st = json.loads(self.vlcall('Qemu', 'GetDomainInfo', {'domain': name}).out)
        check(st.get('state') == 'paused', 'the restarted daemon does not see the VM:', st)
        self.vlcall('Qemu', 'DestroyDomain', {'domain': name}, timeout=30)
        wait_until(lambda: machine not in self.machines() and not self.scope_units(), 10,
                   'the machine and its scope to go away')
        # a start that fails after the scope was made leaves no scope and no machine
        bad_xml = xml.replace(f'<name>{name}</name>', '<name>failvm</name>').replace(
            '</domain>', "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
            "<qemu:arg value='-no-such-option'/></qemu:commandline></domain>")
        self.vlcall('Qemu', 'DefineDomain', {'xml': bad_xml})
        r = self.vlcall('Qemu', 'StartDomain', {'domain': 'failvm'}, check_rc=False, timeout=60)
        check(r.rc == 3 and 'no-such-option' in r.err, 'the bad start did not fail:', r)
        wait_until(lambda: not self.scope_units() and 'qemu-2-failvm' not in self.machines(), 10,
                   'the failed start\'s scope to go away')
        # without machined (as if systemd-container were not installed: no D-Bus activation
        # file), systemd itself makes the scope (same name, same ACL)
        act = '/usr/share/dbus-1/system-services/org.freedesktop.machine1.service'
        os.rename(ct.live(act), ct.live(act + '.off'))
        reload = ['busctl', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                  'org.freedesktop.DBus', 'ReloadConfig']
        ct.run(reload)
        ct.systemctl('stop', 'systemd-machined.service')
        try:
            self.vlcall('Qemu', 'StartDomain', {'domain': name, 'paused': True}, timeout=60)
            with open(ct.live(f'/run/virtkit/qemu/{name}.json')) as f:
                st = json.load(f)
            scope3 = 'machine-qemu\\x2d3\\x2dscopevm.scope'
            check(st.get('cgroup') == {'via': 'systemd', 'name': scope3},
                  'without machined: not a systemd scope:', st.get('cgroup'))
            cg = ct.run(['cat', f'/proc/{st["pid"]}/cgroup']).out
            check(f'/machine.slice/{scope3}' in cg, f'QEMU is not in {scope3}:', cg)
            check(ct.show(scope3, 'DevicePolicy')['DevicePolicy'] == 'closed',
                  f'{scope3}: no closed device policy')
            self.vlcall('Qemu', 'DestroyDomain', {'domain': name}, timeout=30)
            wait_until(lambda: not self.scope_units(), 10, f'{scope3} to go away')
        finally:
            os.rename(ct.live(act + '.off'), ct.live(act))
            ct.run(reload)
        for d in (name, 'failvm'):
            self.vlcall('Qemu', 'UndefineDomain', {'domain': d})

    def test_vm_cputune(self):
        """<cputune> under systemd: <shares> and <global_period>/<global_quota> become the
        machine scope's CPUWeight, CPUQuotaPerSecUSec and CPUQuotaPeriodUSec; per-thread
        values are refused by name."""
        ct, name = self.ct, 'tunevm'
        base = ("<domain type='qemu'><name>NAME</name><memory unit='MiB'>64</memory>"
                "<vcpu>1</vcpu><cputune>TUNE</cputune>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>")
        def err(r):  # the varlink error's text, with JSON's \u003c/\u003e as < and >
            return r.err.replace('\\u003c', '<').replace('\\u003e', '>')
        ctrls = ct.run(['cat', '/sys/fs/cgroup/cgroup.controllers'], check_rc=False).out.split()
        has_cpu = 'cpu' in ctrls or ct.run(['test', '-e', '/sys/fs/cgroup/cpu/cpu.shares'],
                                           check_rc=False).rc == 0
        # a per-thread value: refused, naming the element, whatever the host has
        self.vlcall('Qemu', 'DefineDomain', {'xml': base.replace('NAME', 'threadvm').replace(
            'TUNE', '<period>20000</period><quota>10000</quota>')})
        r = self.vlcall('Qemu', 'StartDomain', {'domain': 'threadvm'}, check_rc=False,
                        timeout=60)
        check(r.rc != 0 and '<cputune><period>' in err(r), 'a <period> start was not refused:', r)
        if has_cpu:
            check('systemd scope' in err(r), 'the refusal does not say why:', r)
        check(not self.scope_units(), 'the refused start left a scope:', self.scope_units())
        self.vlcall('Qemu', 'UndefineDomain', {'domain': 'threadvm'})
        tune = ('<shares>2048</shares><global_period>200000</global_period>'
                '<global_quota>50000</global_quota>')
        self.vlcall('Qemu', 'DefineDomain', {'xml': base.replace('NAME', name).replace(
            'TUNE', tune)})
        try:
            if not has_cpu:
                r = self.vlcall('Qemu', 'StartDomain', {'domain': name}, check_rc=False,
                                timeout=60)
                check(r.rc != 0 and '<cputune><shares>' in err(r) and
                      'no cgroup cpu controller' in err(r),
                      'a start without a cpu controller was not refused by name:', r)
                check(not self.scope_units(), 'the refused start left a scope')
                raise Skip('the container has no cpu controller (its cgroup2 offers '
                           f'"{" ".join(ctrls)}": the host binds cpu to a v1 hierarchy): '
                           'the refusal was checked, not the scope properties')
            self.vlcall('Qemu', 'StartDomain', {'domain': name, 'paused': True}, timeout=60)
            with open(ct.live(f'/run/virtkit/qemu/{name}.json')) as f:
                st = json.load(f)
            scope = st['cgroup']['name']
            props = ct.show(scope, 'CPUWeight', 'CPUShares', 'CPUQuotaPerSecUSec',
                            'CPUQuotaPeriodUSec')
            v2 = 'cpu' in ctrls
            check(props.get('CPUWeight' if v2 else 'CPUShares') == '2048',
                  f'{scope}: no CPU weight 2048:', props)
            check(props.get('CPUQuotaPerSecUSec') == '250ms' and
                  props.get('CPUQuotaPeriodUSec') == '200ms', f'{scope}: wrong quota:', props)
            cg = [line.split(':', 2) for line in
                  ct.run(['cat', f'/proc/{st["pid"]}/cgroup']).out.splitlines()]
            if v2:
                path = '/sys/fs/cgroup' + next(f[2] for f in cg if f[0] == '0')
                got = ct.run(['cat', f'{path}/cpu.weight', f'{path}/cpu.max']).out.split('\n')
                check(got[:2] == ['2048', '50000 200000'], f'{path}: cpu.weight, cpu.max:', got)
            else:
                path = '/sys/fs/cgroup/cpu' + next(f[2] for f in cg if 'cpu' in f[1].split(','))
                got = ct.run(['cat', f'{path}/cpu.shares', f'{path}/cpu.cfs_period_us',
                              f'{path}/cpu.cfs_quota_us']).out.split('\n')
                check(got[:3] == ['2048', '200000', '50000'], f'{path}: cpu files:', got)
            self.vlcall('Qemu', 'DestroyDomain', {'domain': name}, timeout=30)
            wait_until(lambda: not self.scope_units(), 10, f'{scope} to go away')
        finally:
            self.vlcall('Qemu', 'DestroyDomain', {'domain': name}, check_rc=False, timeout=30)
            self.vlcall('Qemu', 'UndefineDomain', {'domain': name}, check_rc=False)

    def test_luks_system(self):
        """Issue 6 on the real system instance: a LUKS disk opened by a socket-activated
        qemud with its passphrase from a socket-activated secretd; the secret is defined
        through qemud's front door (forwarded to secretd)."""
        ct, name, uuid = self.ct, 'luksvm', '6b0e0c0a-7f4e-4d36-9d0b-6f1f0d1e2a3b'
        passphrase = 'nspawn-luks-passphrase-Hq4'
        img = '/var/lib/virtkit-test/luks.qcow2'
        os.makedirs(os.path.dirname(ct.live(img)), exist_ok=True)
        # made on the host (the container has no qemu-img), as storaged runs it
        r = host(['qemu-img', 'create', '--object', f'secret,id=s0,data={passphrase}', '-f',
                  'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=s0,'
                  'encrypt.iter-time=10', ct.live(img), '16M'], timeout=60, check_rc=False,
                 env=qemu_img_env())
        check(r.rc == 0, 'qemu-img create failed:', r)
        self.vlcall('Secret', 'DefineSecret', {'xml': (
            f"<secret ephemeral='no' private='yes'><uuid>{uuid}</uuid>"
            f"<usage type='volume'><volume>{img}</volume></usage></secret>")},
            sock='/run/virtkit/io.virtkit.Qemu')
        self.vlcall('Secret', 'SetSecretValue', {
            'secret': uuid, 'value': base64.b64encode(passphrase.encode()).decode()},
            sock='/run/virtkit/io.virtkit.Qemu')
        check(self.state('virtkit-secretd.service') == 'active',
              'the forwarded calls did not activate virtkit-secretd')
        xml = (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
               "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
               "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
               f"<source file='{img}'/><target dev='vda' bus='virtio'/>"
               f"<encryption format='luks'><secret type='passphrase' uuid='{uuid}'/>"
               "</encryption></disk></devices></domain>")
        self.vlcall('Qemu', 'DefineDomain', {'xml': xml})
        self.vlcall('Qemu', 'StartDomain', {'domain': name, 'paused': True}, timeout=60)
        blocks = self.qmp(name, {'execute': 'query-block'})['return']
        check(len(blocks) == 1 and blocks[0]['inserted']['encrypted'],
              'QEMU did not open the LUKS disk:', blocks)
        with open(ct.live(f'/run/virtkit/qemu/{name}.json')) as f:
            pid = json.load(f)['pid']
        argv = ct.run(['cat', f'/proc/{pid}/cmdline']).out
        check(passphrase not in argv and passphrase not in open(ct.live(
            f'{self.opts["localstatedir"]}/log/virtkit/qemu/{name}.log')).read(),
            'the passphrase is in QEMU\'s argv or log')
        self.vlcall('Qemu', 'DestroyDomain', {'domain': name}, timeout=30)
        self.vlcall('Qemu', 'UndefineDomain', {'domain': name})
        self.vlcall('Secret', 'UndefineSecret', {'secret': uuid},
                    sock='/run/virtkit/io.virtkit.Qemu')

    def test_autostart(self):
        """Issue 7: virtkit-autostart.path starts flagged domains at boot, once per boot."""
        ct, name = self.ct, 'autovm'
        autodir = f'{self.opts["sysconfdir"]}/virtkit/qemu/autostart'
        xml = (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
               "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>")
        self.vlcall('Qemu', 'DefineDomain', {'xml': xml})
        self.vlcall('Qemu', 'SetDomainAutostart', {'domain': name, 'enabled': True})
        check(ct.run(['test', '-L', f'{autodir}/{name}.xml'], check_rc=False).rc == 0,
              'no autostart link in', autodir)
        ct.systemctl('enable', 'virtkit-autostart.path')
        check(ct.run(['test', '-L', '/etc/systemd/system/multi-user.target.wants/'
                      'virtkit-autostart.path'], check_rc=False).rc == 0,
              'virtkit-autostart.path is not wanted by multi-user.target')
        # a reboot as virtkit sees one: no daemon, no autostart service, a fresh /run
        ct.systemctl('stop', 'virtkit-autostart.path', 'virtkit-autostart.service',
                     'virtkit-qemud.service', timeout=30)
        ct.run(['rm', '-f', '/run/virtkit/qemu/autostarted'])
        check(self.state('virtkit-qemud.service') == 'inactive', 'qemud still runs')
        ct.systemctl('start', 'virtkit-autostart.path')  # what multi-user.target does at boot
        self.wait_state('virtkit-autostart.service', 'active', 30)

        def info():
            return json.loads(self.vlcall('Qemu', 'GetDomainInfo', {'domain': name}).out)
        wait_until(lambda: info().get('state') == 'running', 30, f'{name} to be autostarted')
        # once per boot: a daemon restart does not start it again, the path does not re-trigger
        self.vlcall('Qemu', 'DestroyDomain', {'domain': name}, timeout=30)
        ct.systemctl('restart', 'virtkit-qemud.service', timeout=30)
        time.sleep(1)
        check(info().get('state') == 'shutoff', 'autostarted twice in one boot:', info())
        check(self.state('virtkit-autostart.service') == 'active', 'the oneshot went inactive')
        ct.systemctl('disable', '--now', 'virtkit-autostart.path')
        ct.systemctl('stop', 'virtkit-autostart.service')
        self.vlcall('Qemu', 'UndefineDomain', {'domain': name})

    def test_user_units(self):
        ct = self.ct
        uid, _ = ct.user_env(MEMBER)
        ct.run(['loginctl', 'enable-linger', MEMBER])
        self.wait_state(f'user@{uid}.service', 'active', 30)
        units = [f'virtkit-{d}.socket' for d, _ in DRIVERS]
        r = ct.user_systemctl(MEMBER, 'enable', '--now', *units, check_rc=False)
        check(r.rc == 0, 'systemctl --user enable --now failed:', r)
        rt = f'/run/user/{uid}/virtkit'
        st = ct.run(['stat', '-c', '%F %a %U', rt, f'{rt}/io.virtkit.Qemu'])
        check(st.out.split('\n')[:2] == [f'directory 700 {MEMBER}', f'socket 600 {MEMBER}'],
              'session socket directory and socket:', st.out)
        for d, iface in DRIVERS:
            v = self.get_version(iface, instance='session', user=MEMBER,
                                 sock=f'{rt}/io.virtkit.{iface}')
            check(v['product'] == f'virtkit-{d}', v)
            a = ct.user_systemctl(MEMBER, 'is-active', f'virtkit-{d}.service', check_rc=False)
            check(a.out.strip() == 'active', f'user unit virtkit-{d}.service:', a)
        # another user cannot even reach the socket
        r = self.vlcall('Qemu', 'GetVersion', user=OTHER, sock=f'{rt}/io.virtkit.Qemu',
                        check_rc=False)
        check(r.rc == 1 and 'permission denied' in r.err, f'{OTHER} reached {MEMBER}\'s socket', r)
        # D-Bus activation on the user's session bus (dbus-user-session)
        ct.user_systemctl(MEMBER, 'stop', 'virtkit-qemud.service')
        _, env = ct.user_env(MEMBER)
        r = ct.run(env + ['busctl', '--user', '--timeout=10', 'call', 'io.virtkit.Qemu1',
                          '/io/virtkit/Qemu1', 'io.virtkit.Qemu1.Manager', 'GetVersion'],
                   user=MEMBER, check_rc=False)
        check(r.rc == 0 and r.out.strip().endswith('"session"'),
              'busctl --user GetVersion:', r)
        a = ct.user_systemctl(MEMBER, 'is-active', 'virtkit-qemud.service', check_rc=False)
        check(a.out.strip() == 'active', 'user virtkit-qemud.service after a D-Bus call:', a)
        r = ct.user_systemctl(MEMBER, 'stop', 'virtkit-qemud.service', check_rc=False)
        check(r.rc == 0, r)
        j = ct.run(['journalctl', '--no-pager', '-q', '-p', 'err', f'_UID={uid}'],
                   check_rc=False).out
        check(not j.strip(), 'errors in the user journal:', j)


def main():
    if os.geteuid() != 0:
        skip('needs root (systemd-nspawn, overlayfs, cgroups)')
    for prog in ('systemd-nspawn', 'debootstrap', 'nsenter', 'meson'):
        if not shutil.which(prog):
            skip(f'{prog} not found (install systemd-container, debootstrap, util-linux)')
    builddir = os.environ.get('VK_TOP_BUILDDIR')
    vlcall = os.environ.get('VK_VLCALL')
    if not builddir or not vlcall:
        skip('VK_TOP_BUILDDIR/VK_VLCALL not set: run through meson test')
    opts = build_options(builddir)
    if opts['sanitize'] != 'none':
        skip(f'sanitizer build (b_sanitize={opts["sanitize"]}): the container has no '
             'sanitizer runtime; the plain build runs this suite')

    t0 = time.monotonic()
    cache = os.environ.get('VK_NSPAWN_CACHE', '/var/cache/virtkit-test')
    r = host([os.path.join(HERE, 'rootfs.sh'), cache], timeout=300, check_rc=False)
    if r.rc != 0:
        print('not ok 1 - rootfs', flush=True)
        log(r.err)
        return 1
    rootfs = r.out.strip()
    log(f'rootfs {rootfs} ready in {time.monotonic() - t0:.1f} s')

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda s, f: sys.exit(f'killed by signal {s}'))

    work = tempfile.mkdtemp(prefix='vk-nspawn-', dir='/var/tmp')
    with open(os.path.join(work, 'owner'), 'w') as f:
        f.write(f'{os.getpid()}\n')
    try:
        sweep_stale(work)
    except Exception:
        log('cleaning up after killed runs failed:\n' + traceback.format_exc())
    ct = Container(rootfs, work)
    suite = Suite(ct, opts)
    try:
        ok = suite.run('prepare the container and install the build tree',
                       lambda: (ct.prepare(), install(ct, builddir, opts, vlcall), ct.boot()))
        if ok:
            ok = suite.run('daemon-reload, sysusers, tmpfiles, enable the sockets',
                           suite.test_setup)
        if ok:
            for name, fn in [
                    ('systemd-analyze verify: all system and user units', suite.test_verify),
                    ('the four .socket units listen, no daemon runs yet',
                     suite.test_sockets_listening),
                    ('a varlink call activates each daemon (Type=notify, READY)',
                     suite.test_socket_activation),
                    ('idle exit (--timeout 2 drop-in) and re-activation, no call lost',
                     suite.test_idle_exit),
                    ('D-Bus activation through SystemdService=, also after idle exit',
                     suite.test_dbus_activation),
                    ('polkit (logind-backed): group virtkit may SetLogLevel, others are refused',
                     suite.test_polkit),
                    ('systemctl stop: clean exit, no error in the journal',
                     suite.test_clean_stop),
                    ('secretd: the credential drop-in of docs/systemd.md',
                     suite.test_secretd_credential),
                    ('a VM in its machine scope: device ACL enforced, outlives qemud',
                     suite.test_vm_scope),
                    ('<cputune> under systemd: the scope\'s CPUWeight and CPUQuota',
                     suite.test_vm_cputune),
                    ('virtkit-autostart.path starts autostart domains at boot, once',
                     suite.test_autostart),
                    ('a LUKS disk on the system instance, the secret set through qemud',
                     suite.test_luks_system),
                    ('user units: session sockets activate the session daemons',
                     suite.test_user_units)]:
                suite.run(name, fn)
        if suite.failed:
            log('the end of the container console:\n' + ct.log_tail())
            if ct.leader and ct.nspawn and ct.nspawn.poll() is None:
                log(ct.run(['journalctl', '--no-pager', '-q', '-n', '60'], check_rc=False).out)
    finally:
        try:
            ct.stop()
        finally:
            ct.cleanup()
            if os.environ.get('VK_TEST_KEEP') == '1':
                log(f'kept {work}')
            else:
                shutil.rmtree(work, ignore_errors=True)
    print(f'1..{suite.n}')
    log(f'{suite.n - suite.failed}/{suite.n} passed in {time.monotonic() - t0:.1f} s')
    return 1 if suite.failed else 0


if __name__ == '__main__':
    sys.exit(main())
