# SPDX-License-Identifier: LGPL-2.1-or-later
"""vkharness: the integration tests' fixture (python 3 stdlib only, run as root).

One Harness per test script. It owns a temp dir and everything started in it: private D-Bus
buses (a system-like and a session-like dbus-daemon, as in TEST-ENV.md section 2), a standalone
polkitd with our real polkit/io.virtkit.policy and per-test rules bind-mounted over its built-in
directories in a private mount namespace (section 3), daemons under systemd-socket-activate
(section 4) or a socket activator of our own, and throwaway users. Every wait is bounded, and
teardown kills what it started by pid, deletes the users and removes the temp dir, also when a
test fails or the script gets SIGTERM (meson's timeout).

Tests are plain functions taking the harness; run_tests() runs them in order and reports TAP.
"""

import fcntl
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

DRIVERS = {
    # driver: (daemon, varlink/D-Bus interface stem)
    'qemu': ('virtkit-qemud', 'Qemu'),
    'secret': ('virtkit-secretd', 'Secret'),
    'network': ('virtkit-networkd', 'Network'),
    'storage': ('virtkit-storaged', 'Storage'),
}

VERSION_RE = re.compile(r'^\d+\.\d+\.\d+')
USER_PREFIX = 'vkit'
USERADD_LOCK = '/tmp/virtkit-integration-useradd.lock'


class TestFailure(AssertionError):
    pass


def check(cond, what, *details):
    """Fail the current test with @what (and @details, shown on failure) unless @cond."""
    if not cond:
        raise TestFailure(' '.join([what] + [str(d) for d in details]))


def check_eq(got, want, what):
    if got != want:
        raise TestFailure(f'{what}: got {got!r}, want {want!r}')


class Result:
    """The outcome of a finished client command."""

    def __init__(self, argv, rc, out, err, elapsed):
        self.argv, self.rc, self.out, self.err, self.elapsed = argv, rc, out, err, elapsed

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise TestFailure(f'{self} printed no JSON: {e}')

    def varlink_error(self):
        """(name, params) of a 'varlink error: NAME JSON' line from vlcall, or None."""
        m = re.search(r'^varlink error: (\S+) (.*)$', self.err, re.M)
        return (m.group(1), json.loads(m.group(2))) if m else None

    def __str__(self):
        return (f'`{" ".join(self.argv)}` (rc {self.rc}, {self.elapsed:.2f} s, '
                f'stdout {self.out.strip()!r}, stderr {self.err.strip()!r})')


class User:
    def __init__(self, name):
        self.name = name
        pw = subprocess.run(['id', '-u', name], capture_output=True, text=True, check=True)
        gr = subprocess.run(['id', '-g', name], capture_output=True, text=True, check=True)
        self.uid, self.gid = int(pw.stdout), int(gr.stdout)

    def __str__(self):
        return f'{self.name}({self.uid})'


def user_daemons(uid):
    """The pids of the virtkit-qemud processes of @uid."""
    pids = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/comm') as f:
                comm = f.read().strip()
            st = os.stat(f'/proc/{d}')
        except OSError:
            continue
        if comm == 'virtkit-qemud' and st.st_uid == uid and pid_alive(int(d)):
            pids.append(int(d))
    return pids


class PidKiller:
    """Teardown of a process the test did not start itself (a daemon the CLI spawned),
    for Harness.threads."""

    def __init__(self, pid, what):
        self.pid, self.what = pid, what

    def stop(self):
        if not pid_alive(self.pid):
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            wait_until(lambda: not pid_alive(self.pid), 5, f'{self.what} to exit')
        except AssertionError:
            os.kill(self.pid, signal.SIGKILL)


def wait_until(pred, timeout, what, interval=0.02):
    """Poll @pred until it returns a true value (returned) or fail after @timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TestFailure(f'timed out after {timeout} s waiting for {what}')
        time.sleep(interval)


def pid_alive(pid):
    """True while @pid exists and is not a zombie."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def qemu_pids(marker, binary='/usr/bin/qemu-system-x86_64'):
    """Sorted pids of the live QEMUs (@binary) whose command line mentions @marker (a test's
    temp or root dir, so never another run's QEMUs)."""
    marker = marker.encode() if isinstance(marker, str) else marker
    return sorted(pid for pid, cmd, _ in proc_cmdlines()
                  if cmd.startswith(binary.encode()) and marker in cmd)


def proc_cmdlines():
    """(pid, argv bytes NUL-separated, parent pid) of every live (not zombie) process."""
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/cmdline', 'rb') as f:
                cmd = f.read()
            with open(f'/proc/{d}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields and fields[0] != 'Z':
            yield int(d), cmd, int(fields[1])


def lock_held(path):
    """True when someone holds an exclusive flock on @path."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


class Harness:
    def __init__(self, name):
        self.name = name
        self.srcdir = os.environ.get('VK_TOP_SRCDIR') or os.path.realpath(
            os.path.join(os.path.dirname(__file__), '..', '..'))
        self.builddir = os.environ.get('VK_TOP_BUILDDIR')
        if not self.builddir:
            raise SystemExit('VK_TOP_BUILDDIR is not set (run through meson test)')
        self.vlcall_path = os.environ.get('VK_VLCALL') or os.path.join(
            self.builddir, 'tests', 'integration', 'vlcall')
        self.tmp = None
        self.procs = []          # (Popen, description), killed in reverse order at teardown
        self.users = []
        self.threads = []        # objects with a stop() method
        self.system_bus = None
        self.session_bus = None
        self.polkit_dir = None
        self.keep = os.environ.get('VK_TEST_KEEP') == '1'

    # --- lifecycle ---

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix=f'vk-{self.name}-', dir='/tmp')
        os.chmod(self.tmp, 0o755)  # throwaway users must reach the sockets inside
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self._reap_stale_users()
        return self

    def __exit__(self, *exc):
        self.teardown()
        return False

    @staticmethod
    def _on_signal(signo, frame):
        raise SystemExit(f'killed by signal {signo}')

    def teardown(self):
        for t in reversed(self.threads):
            try:
                t.stop()
            except Exception as e:  # keep tearing down
                print(f'# teardown: stopping {t}: {e}')
        self.threads = []
        for p, what in reversed(self.procs):
            self._kill(p, what)
        self.procs = []
        for u in self.users:
            self._userdel(u.name)
        self.users = []
        if self.tmp and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            print(f'# kept {self.tmp}')

    @staticmethod
    def _kill(p, what):
        if p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            print(f'# teardown: {what} (pid {p.pid}) ignored SIGTERM, killing it')
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f'# teardown: {what} (pid {p.pid}) survived SIGKILL')
        except ProcessLookupError:
            pass

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def log_path(self, name):
        return self.path(f'{name}.log')

    def log_text(self, name):
        try:
            with open(self.log_path(name), errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    # --- processes ---

    def user_argv(self, argv, user):
        if user is None:
            return list(argv)
        return ['setpriv', f'--reuid={user.uid}', f'--regid={user.gid}', '--init-groups',
                '--'] + list(argv)

    def base_env(self, **extra):
        env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
               'LANG': 'C.UTF-8', 'TZ': 'UTC'}
        if self.system_bus:
            env['DBUS_SYSTEM_BUS_ADDRESS'] = self.system_bus
        if self.session_bus:
            env['DBUS_SESSION_BUS_ADDRESS'] = self.session_bus
        env.update({k: v for k, v in extra.items() if v is not None})
        return env

    def spawn(self, argv, what, user=None, env=None, log=None, **kw):
        """Start a long-running process, tracked for teardown. Its output goes to tmp/LOG.log."""
        log = log or what
        with open(self.log_path(log), 'ab') as out:
            p = subprocess.Popen(self.user_argv(argv, user), stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT,
                                 env=env if env is not None else self.base_env(), **kw)
        self.procs.append((p, what))
        return p

    def stop(self, p, timeout=5):
        """SIGTERM a tracked process and wait (bounded) for it; returns its exit status."""
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f'pid {p.pid} did not exit within {timeout} s of SIGTERM')

    def run(self, argv, user=None, env=None, timeout=15, input=None):
        """Run a client command to completion (bounded) and return a Result."""
        argv = self.user_argv(argv, user)
        t0 = time.monotonic()
        try:
            r = subprocess.run(argv, capture_output=True, text=True, input=input,
                               env=env if env is not None else self.base_env(),
                               timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise TestFailure(f'`{" ".join(argv)}` did not finish within {timeout} s '
                              f'(stdout {e.stdout!r}, stderr {e.stderr!r})')
        return Result(argv, r.returncode, r.stdout, r.stderr, time.monotonic() - t0)

    # --- varlink ---

    def vlcall(self, sock, *args, user=None, timeout=10):
        """Run our Go varlink client against unix:@sock; its own timeout is @timeout.

        Leading options in @args (-oneway, -more, -strict) go before the address.
        """
        args = list(args)
        opts = []
        while args and args[0].startswith('-'):
            opts.append(args.pop(0))
        return self.run([self.vlcall_path, '-timeout', str(timeout)] + opts + [f'unix:{sock}']
                        + args, user=user, timeout=timeout + 5)

    def vlcall_ok(self, sock, *args, user=None):
        r = self.vlcall(sock, *args, user=user)
        check(r.rc == 0, 'varlink call failed:', r)
        return r

    def vlcall_error(self, sock, *args, user=None):
        """Run a call that must fail with a varlink error; returns (name, params)."""
        r = self.vlcall(sock, *args, user=user)
        check(r.rc == 3, 'expected a varlink error (rc 3):', r)
        e = r.varlink_error()
        check(e is not None, 'no "varlink error:" line:', r)
        return e

    def daemon_path(self, drv):
        return os.path.join(self.builddir, 'daemons', DRIVERS[drv][0])

    def socket_activate(self, drv, args, sock=None, user=None, pass_env=(), trigger=True):
        """Run @drv's daemon under systemd-socket-activate on @sock (default tmp/DRV.sock).

        systemd-socket-activate passes only the variables named with -E, so the bus addresses
        in @pass_env are given explicitly. The socket is chmod'ed 0666 (it is created 0644).
        With @trigger, a first connection makes systemd-socket-activate exec the daemon, and we
        wait until the daemon accepted it. Returns (Popen, socket path).
        """
        sock = sock or self.path(f'{drv}.sock')
        argv = ['systemd-socket-activate', '-l', sock, '--fdname=varlink']
        env = self.base_env()
        for var in pass_env:
            argv += ['-E', f'{var}={env[var]}']
        argv += [self.daemon_path(drv)] + list(args)
        p = self.spawn(argv, f'{DRIVERS[drv][0]} on {os.path.basename(sock)}', user=user,
                       log=f'{drv}-{os.path.basename(sock)}')
        wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10,
                   f'{sock} to appear')
        check(p.poll() is None, f'systemd-socket-activate for {drv} exited early:',
              self.log_text(f'{drv}-{os.path.basename(sock)}'))
        os.chmod(sock, 0o666)
        if trigger:
            # the file appears at bind(), before listen(): a connect in between is refused
            deadline = time.monotonic() + 10
            while True:
                try:
                    reply = varlink_raw_call(sock, 'org.varlink.service.GetInfo', timeout=10)
                    break
                except ConnectionRefusedError:
                    check(time.monotonic() < deadline and p.poll() is None,
                          f'{sock} refused connections for 10 s:',
                          self.log_text(f'{drv}-{os.path.basename(sock)}'))
                    time.sleep(0.02)
            check('parameters' in reply, f'{drv}: GetInfo after activation failed:', reply)
        return p, sock

    # --- D-Bus ---

    def _bus_config(self, kind, any_user):
        d = self.path('dbus')
        if kind == 'system':
            return f'''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={d}/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{d}/system-services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <includedir>{d}/system.d</includedir>
</busconfig>
'''
        return f'''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={d}/session_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{d}/session-services</servicedir>
  <policy context="default">
    {'<allow user="*"/>' if any_user else ''}
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''

    def _start_bus(self, kind, any_user=False):
        d = self.path('dbus')
        conf = os.path.join(d, f'{kind}.conf')
        with open(conf, 'w') as f:
            f.write(self._bus_config(kind, any_user))
        log = open(self.log_path(f'dbus-{kind}'), 'ab')
        p = subprocess.Popen(['dbus-daemon', '--nofork', '--nopidfile', f'--config-file={conf}',
                              '--print-address=1'], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=log, env=self.base_env())
        log.close()
        self.procs.append((p, f'dbus-daemon ({kind})'))
        ready, _, _ = select.select([p.stdout], [], [], 10)
        check(ready, f'the {kind} dbus-daemon printed no address within 10 s')
        addr = p.stdout.readline().decode().strip()
        check(addr.startswith('unix:'), f'{kind} dbus-daemon address', repr(addr))
        return addr

    def start_buses(self, session_any_user=False):
        """Start the private system and session buses (TEST-ENV.md section 2)."""
        d = self.path('dbus')
        for sub in ('system.d', 'system-services', 'session-services'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chmod(d, 0o755)
        self.system_bus = self._start_bus('system')
        self.session_bus = self._start_bus('session', session_any_user)

    def busctl(self, *args, user=None, session=False, timeout=10):
        addr = self.session_bus if session else self.system_bus
        return self.run(['busctl', f'--address={addr}', '--no-pager', f'--timeout={timeout}']
                        + list(args), user=user, timeout=timeout + 5)

    def gdbus_call(self, dest, path, method, *args, user=None, interactive=False, session=False,
                   timeout=10):
        addr = self.session_bus if session else self.system_bus
        argv = ['gdbus', 'call', '--address', addr, '--dest', dest, '--object-path', path,
                '--method', method, '--timeout', str(timeout)]
        if interactive:
            argv.append('--interactive')
        return self.run(argv + list(args), user=user, timeout=timeout + 5)

    def dbus_send(self, dest, path, method, *args, user=None, session=False, timeout=10):
        """dbus-send (libdbus) with typed arguments (e.g. 'int32:5'); prints error names."""
        addr = self.session_bus if session else self.system_bus
        return self.run(['dbus-send', f'--bus={addr}', '--print-reply',
                         f'--reply-timeout={int(timeout * 1000)}', f'--dest={dest}', path,
                         method] + list(args), user=user, timeout=timeout + 5)

    def bus_reload(self):
        r = self.busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                        'org.freedesktop.DBus', 'ReloadConfig')
        check(r.rc == 0, 'ReloadConfig failed:', r)

    def install_bus_policies(self, files):
        """Copy bus policy files into the system bus's system.d and reload its config."""
        for f in files:
            shutil.copy(f, self.path('dbus', 'system.d'))
        self.bus_reload()

    def install_virtkit_bus_policies(self, drivers=DRIVERS):
        self.install_bus_policies([os.path.join(self.srcdir, 'conf', 'dbus',
                                                f'io.virtkit.{DRIVERS[d][1]}1.conf')
                                   for d in drivers])

    def name_owner_pid(self, name, session=False):
        """The pid owning bus name @name, or None."""
        r = self.busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                        'org.freedesktop.DBus', 'GetConnectionUnixProcessID', 's', name,
                        session=session)
        if r.rc != 0:
            return None
        m = re.match(r'u (\d+)', r.out.strip())
        return int(m.group(1)) if m else None

    def wait_bus_name(self, name, timeout=10, session=False):
        return wait_until(lambda: self.name_owner_pid(name, session=session), timeout,
                          f'{name} on the bus', interval=0.05)

    # --- polkit ---

    def start_polkitd(self):
        """Standalone polkitd on the private system bus (TEST-ENV.md section 3).

        polkitd reads only its built-in directories, so our actions dir (the project's real
        io.virtkit.policy) and rules dir are bind-mounted over them in a private mount
        namespace. /usr/share/polkit-1/rules.d stays the host's.
        """
        check(self.system_bus, 'start_buses() first')
        self.install_bus_policies(['/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf'])
        P = self.polkit_dir = self.path('polkit')
        os.makedirs(os.path.join(P, 'actions'))
        os.makedirs(os.path.join(P, 'rules.d'))
        shutil.copy(os.path.join(self.srcdir, 'polkit', 'io.virtkit.policy'),
                    os.path.join(P, 'actions'))
        for root, dirs, files in os.walk(P):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        script = (f'mount --bind {P}/actions /usr/share/polkit-1/actions && '
                  f'mount --bind {P}/rules.d /etc/polkit-1/rules.d && '
                  f'exec /usr/lib/polkit-1/polkitd')
        self.spawn(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
                   'polkitd')
        self.wait_bus_name('org.freedesktop.PolicyKit1')

    def add_polkit_rule(self, name, js):
        """Drop a .rules file into the bind-mounted rules.d (atomically); polkitd reloads it."""
        d = os.path.join(self.polkit_dir, 'rules.d')
        tmp = os.path.join(d, f'.{name}.tmp')
        with open(tmp, 'w') as f:
            f.write(js)
        os.chmod(tmp, 0o644)
        os.rename(tmp, os.path.join(d, name))

    # --- users ---

    def _reap_stale_users(self):
        """Delete vkit<pid>… users left by runs that died without teardown."""
        try:
            with open('/etc/passwd') as f:
                names = [line.split(':', 1)[0] for line in f]
        except OSError:
            return
        for n in names:
            m = re.fullmatch(USER_PREFIX + r'(\d+)[a-z]', n)
            if m and not os.path.exists(f'/proc/{m.group(1)}'):
                self._userdel(n)

    def _locked(self, argv):
        with open(USERADD_LOCK, 'a') as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            try:
                return subprocess.run(argv, capture_output=True, text=True, timeout=60)
            finally:
                fcntl.flock(lk, fcntl.LOCK_UN)

    def _userdel(self, name):
        r = self._locked(['userdel', '-f', name])
        if r.returncode not in (0, 6):  # 6: no such user
            print(f'# teardown: userdel {name}: rc {r.returncode} {r.stderr.strip()}')

    def add_user(self):
        """Create a throwaway user vkit<pid><letter> (no home, own group); deleted at teardown."""
        name = f'{USER_PREFIX}{os.getpid()}{chr(ord("a") + len(self.users))}'
        r = self._locked(['useradd', '-M', '-U', '-s', '/usr/sbin/nologin',
                          '-c', 'virtkit integration test', name])
        check(r.returncode == 0, f'useradd {name} failed:', r.stderr)
        u = User(name)
        self.users.append(u)
        return u

    def session_env(self, user, tag):
        """The environment of @user's session: XDG_RUNTIME_DIR and HOME made under the test dir
        (xdg-@tag, home-@tag, 0700, owned by @user) and the XDG directories below HOME."""
        xdg, home = self.path(f'xdg-{tag}'), self.path(f'home-{tag}')
        for d in (xdg, home):
            os.makedirs(d, mode=0o700)
            os.chown(d, user.uid, user.gid)
        return self.base_env(XDG_RUNTIME_DIR=xdg, HOME=home, XDG_CONFIG_HOME=f'{home}/.config',
                             XDG_CACHE_HOME=f'{home}/.cache', XDG_STATE_HOME=f'{home}/.local/state',
                             XDG_DATA_HOME=f'{home}/.local/share')


# --- raw varlink over a python socket ---

def varlink_connect(sock, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    return s


def varlink_encode(method, params=None, **flags):
    msg = {'method': method}
    if params is not None:
        msg['parameters'] = params
    msg.update(flags)
    return json.dumps(msg).encode() + b'\0'


class Reader:
    """Reads NUL-framed messages from a socket, with a per-read timeout."""

    def __init__(self, s):
        self.s = s
        self.buf = b''

    def read(self):
        """The next message (dict), or None at EOF. Raises on timeout or reset."""
        while b'\0' not in self.buf:
            data = self.s.recv(65536)
            if not data:
                check(self.buf == b'', 'connection closed inside a message:', self.buf[:200])
                return None
            self.buf += data
        raw, self.buf = self.buf.split(b'\0', 1)
        return json.loads(raw)


def varlink_raw_call(sock, method, params=None, timeout=10, **flags):
    """One call on a fresh connection; returns the reply dict (None if closed without one)."""
    with varlink_connect(sock, timeout) as s:
        s.sendall(varlink_encode(method, params, **flags))
        return Reader(s).read()


def read_until_closed(s, timeout=10):
    """All the peer sends on @s until it closes it (EOF or reset); bounded."""
    s.settimeout(timeout)
    data = b''
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        raise TestFailure(f'connection not closed within {timeout} s; got {data[:200]}')
    return data


def expect_closed(s, timeout=10):
    """Wait until the peer closes @s (EOF or reset) without sending a message; bounded."""
    data = read_until_closed(s, timeout)
    check(data == b'', 'the daemon replied before closing:', data[:200])


# --- sd_notify receiver ---

class NotifySocket:
    """A datagram socket for NOTIFY_SOCKET that records (pid, message) with kernel creds."""

    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.s.bind(path)
        os.chmod(path, 0o666)
        self.messages = []
        self.lock = threading.Lock()
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.s.settimeout(0.1)
        while not self._stop:
            try:
                data, anc, _, _ = self.s.recvmsg(4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = int.from_bytes(cdata[0:4], sys.byteorder)
            with self.lock:
                self.messages.append((pid, data.decode(errors='replace'), time.monotonic()))

    def for_pid(self, pid):
        with self.lock:
            return [(m, t) for p, m, t in self.messages if p == pid]

    def has(self, pid, assignment):
        return any(assignment in m.split('\n') for m, _ in self.for_pid(pid))

    def stop(self):
        self._stop = True
        self.thread.join(timeout=2)
        self.s.close()


# --- a socket activator of our own (like a systemd .socket unit with Accept=no) ---

class Activator:
    """Owns a listening socket; whenever it is readable and no daemon runs, starts one.

    The daemon gets the socket as fd 3 with LISTEN_FDS=1, LISTEN_FDNAMES=varlink and
    LISTEN_PID set to its own pid (a tiny bash wrapper sets LISTEN_PID=$$ and then execs the
    daemon, so the pid is the daemon's). It records every daemon's pid and exit status.
    """

    def __init__(self, harness, sock, argv, env, log):
        self.h = harness
        self.sock_path = sock
        self.argv = argv
        self.env = env
        self.log = log
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(sock)
        os.chmod(sock, 0o666)
        self.lsock.listen(128)
        self.spawned = []        # Popen of every instance
        self.exits = []          # (pid, status)
        self.proc = None
        self.error = None
        self._stop = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _spawn(self):
        fd = self.lsock.fileno()
        move = f'exec 3<&{fd} {fd}<&-; ' if fd != 3 else ''
        wrapper = f'LISTEN_PID=$$; export LISTEN_PID; {move}exec "$@"'
        env = dict(self.env, LISTEN_FDS='1', LISTEN_FDNAMES='varlink')
        with open(self.h.log_path(self.log), 'ab') as out:
            p = subprocess.Popen(['bash', '-c', wrapper, 'bash'] + self.argv, pass_fds=(fd,),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 env=env)
        with self.lock:
            self.spawned.append(p)
        return p

    def _loop(self):
        try:
            while not self._stop:
                if self.proc is None:
                    r, _, _ = select.select([self.lsock], [], [], 0.05)
                    if r and not self._stop:
                        self.proc = self._spawn()
                else:
                    try:
                        st = self.proc.wait(timeout=0.01)
                    except subprocess.TimeoutExpired:
                        continue
                    with self.lock:
                        self.exits.append((self.proc.pid, st))
                    self.proc = None
        except Exception as e:
            self.error = e

    def running_pid(self):
        p = self.proc
        return p.pid if p and p.poll() is None else None

    def stop(self):
        self._stop = True
        self.thread.join(timeout=5)
        for p in self.spawned:
            Harness._kill(p, 'activated daemon')
        self.lsock.close()


# --- TAP runner ---

def run_tests(name, tests, setup=None):
    """Run @tests (functions taking the harness) in one Harness; report TAP; exit code."""
    if os.geteuid() != 0:
        print('1..0 # SKIP the integration tests need root (users, bind mounts, polkitd)')
        return 0
    n = 0
    failed = 0
    t_start = time.monotonic()
    with Harness(name) as h:
        try:
            if setup:
                setup(h)
        except BaseException:
            print('not ok 1 - setup')
            for line in traceback.format_exc().splitlines():
                print(f'# {line}')
            print('1..1')
            for logname in sorted(os.listdir(h.tmp)):
                if logname.endswith('.log'):
                    print(f'# --- {logname} ---')
                    for line in h.log_text(logname[:-4]).splitlines()[-30:]:
                        print(f'# {line}')
            sys.stdout.flush()
            return 1
        for t in tests:
            n += 1
            t0 = time.monotonic()
            desc = t.__name__.removeprefix('test_')
            try:
                t(h)
            except (Exception, SystemExit) as e:
                failed += 1
                print(f'not ok {n} - {desc} ({time.monotonic() - t0:.1f} s)')
                for line in traceback.format_exc().splitlines():
                    print(f'# {line}')
                if isinstance(e, SystemExit):
                    break
            else:
                print(f'ok {n} - {desc} ({time.monotonic() - t0:.1f} s)')
            sys.stdout.flush()
        if failed:
            for logname in sorted(os.listdir(h.tmp)):
                if logname.endswith('.log'):
                    print(f'# --- {logname} (last 30 lines) ---')
                    for line in h.log_text(logname[:-4]).splitlines()[-30:]:
                        print(f'# {line}')
    print(f'1..{n}')
    print(f'# {name}: {n - failed}/{n} passed in {time.monotonic() - t_start:.1f} s')
    return 1 if failed else 0
