#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The virtkit CLI and virtkit-qemu-run end to end. One group per run:

  embed     qemu:///embed?root=TMP, no daemon: every domain command on a paused VM (KVM when
            /dev/kvm works, else TCG) that keeps running between invocations (each one a new
            process that reconnects), exit codes 0/1, create (transient), two processes on
            one root (the second waits for the lock), capabilities (and their <secmodel>s from
            qemu.conf), domxml-to/from-native
  goldens   `list --all`, `dominfo` and `--json list --all` against tests/data/cli/ (ids and
            UUIDs normalised; VK_TEST_REGENERATE=1 rewrites them; an unused file fails)
  errors    relative and over-long embed roots, unsupported URIs: exit 1, clear messages
  session   throwaway user A: `-c qemu:///session` spawns A's daemon (detached, --timeout 60)
            and a lifecycle round runs on it; user B on A's socket is PermissionDenied; with no
            VIRTKIT_DAEMON_DIR the build tree's daemon is spawned; a missing one is named at once
  basics    `virtkit CMD --help` for every command, exit status 1 for every failure, --json
            errors as one JSON object on stderr
  polkit-agent  a real polkitd (auth_self rule): on a pty virtkit starts pkttyagent for itself
            and repeats the call; a wrong password fails, the right one defines the domain;
            on a pipe no agent
  ssh       a private sshd on 127.0.0.1 (throwaway host and client keys): qemu+ssh://...
            ?socket=PATH through the remote `virtkit bridge` to a virtkit-qemud; a changed host
            key and a closed port fail with exit 1 and ssh's reason
  qemu-run  virtkit-qemu-run runs the tiny TCG guest (tests/integration/guest/) to completion
            (vkguest=poweroff), and a waiting guest shuts down on one SIGINT: exit 0, the
            temporary root removed, no QEMU left
"""

import fcntl
import json
import os
import pty
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_embed  # noqa: E402
from cli_embed import embed_uri  # noqa: E402
from vkcli import (NO_SUCH, S, UUID_RE, domain_xml, fails, no_qemu_left, ok,  # noqa: E402
                   virtkit_path, vk, write)
from vkharness import (PidKiller, check, check_eq, pid_alive, run_tests,  # noqa: E402
                       user_daemons, wait_until)
import vkguest  # noqa: E402

SSHD = '/usr/sbin/sshd'


# --- goldens ---

GOLDEN_DIR = 'tests/data/cli'


def normalise(text, ids=True):
    text = UUID_RE.sub('UUID', text)
    if ids:
        text = re.sub(r'^ (\d+)( +)', lambda m: ' ' + 'ID'.ljust(len(m.group(1) + m.group(2))),
                      text, flags=re.M)
    text = re.sub(r'^(Id: +)\d+$', r'\1ID', text, flags=re.M)
    text = re.sub(r'\(out of \d+\)', '(out of HOSTCPUS)', text)
    text = re.sub(r'"hostCpus" : \d+', '"hostCpus" : "HOSTCPUS"', text)
    return re.sub(r'"id" : \d+', '"id" : "ID"', text)


def golden(h, name, text, ids=True):
    path = os.path.join(h.srcdir, GOLDEN_DIR, name)
    S.setdefault('used', set()).add(name)
    text = normalise(text, ids)
    if os.environ.get('VK_TEST_REGENERATE') == '1':
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return
    try:
        with open(path) as f:
            want = f.read()
    except FileNotFoundError:
        raise AssertionError(f'{path} is missing (VK_TEST_REGENERATE=1 writes it)')
    check(text == want, f'{name} differs from {path}:\n--- got ---\n{text}--- want ---\n{want}')


def test_goldens(h):
    u = embed_uri(h, 'gold')
    ok(h, u, 'define', write(h, 'gold-a.xml',
                             domain_xml('gold-a', '0f0e0d0c-0b0a-4908-8706-0504030201aa')))
    ok(h, u, 'define', write(h, 'gold-b.xml',
                             domain_xml('gold-b', '0f0e0d0c-0b0a-4908-8706-0504030201bb')))
    ok(h, u, 'start', '--paused', 'gold-a')
    try:
        golden(h, 'list-all.txt', ok(h, u, 'list', '--all').out)
        golden(h, 'list-all.json', ok(h, u, '--json', 'list', '--all').out)
        golden(h, 'dominfo-paused.txt', ok(h, u, 'dominfo', 'gold-a').out)
        golden(h, 'dominfo-shutoff.txt', ok(h, u, 'dominfo', 'gold-b').out)
        out = ''
        for args in (['desc', 'gold-b'], ['desc', 'gold-b', 'A description'], ['desc', 'gold-b'],
                     ['desc', '--title', 'gold-b', 'A title'], ['desc', '--title', 'gold-b'],
                     ['metadata', 'gold-b', 'http://example.org/x', '--key', 'x', '--set',
                      '<x a="1"><y/></x>'],
                     ['metadata', 'gold-b', 'http://example.org/x'],
                     ['--json', 'metadata', 'gold-b', 'http://example.org/x'],
                     ['metadata', 'gold-b', 'http://example.org/x', '--remove'],
                     ['domrename', 'gold-b', 'gold-c'], ['domrename', 'gold-c', 'gold-b']):
            out += f'$ virtkit {" ".join(args)}\n' + ok(h, u, *args).out + '\n'
        golden(h, 'domops.txt', out)
        ok(h, u, 'define', write(h, 'gold-v.xml', domain_xml(
            'gold-v', '0f0e0d0c-0b0a-4908-8706-0504030201cc').replace(
            '<vcpu>1</vcpu>', "<vcpu current='1'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='0'/>"
            "<vcpupin vcpu='1' cpuset='0,1'/><emulatorpin cpuset='1'/></cputune>")))
        out = ''
        for args in (['vcpupin', 'gold-v'], ['vcpupin', 'gold-v', '1'],
                     ['vcpupin', 'gold-v', '--config', '0'], ['--json', 'vcpupin', 'gold-v'],
                     ['emulatorpin', 'gold-v'], ['--json', 'emulatorpin', 'gold-v'],
                     ['vcpuinfo', '--pretty', 'gold-v'], ['vcpucount', 'gold-v'],
                     ['vcpucount', 'gold-v', '--maximum'], ['vcpucount', 'gold-v', '--active'],
                     ['--json', 'vcpucount', 'gold-v']):
            out += f'$ virtkit {" ".join(args)}\n' + ok(h, u, *args).out + '\n'
        golden(h, 'vcpu.txt', out, ids=False)
        ok(h, u, 'undefine', 'gold-v')
    finally:
        vk(h, u, 'destroy', 'gold-a')
    no_qemu_left(h, 'the goldens')


def test_goldens_all_used(h):
    d = os.path.join(h.srcdir, GOLDEN_DIR)
    unused = sorted(set(os.listdir(d)) - S.get('used', set()))
    check_eq(unused, [], f'files in {GOLDEN_DIR} no test used')


# --- errors ---

def test_errors_relative_root(h):
    for root in ('rel/dir', './x', ''):
        r = fails(h, f'qemu:///embed?root={root}', 1, 'list')
        if root:
            check_eq(r.err, f"error: URI 'qemu:///embed?root={root}': the root path '{root}' "
                     "must be absolute\n", 'the message')
        else:
            check('needs ?root=/absolute/dir' in r.err, 'the message:', r)
    check(not os.path.exists('rel'), 'nothing created')


def test_errors_long_root(h):
    # /tmp/vk-cli-XXXX/ + 100 bytes: the socket paths under it exceed sun_path (108 bytes)
    root = h.path('r' * 100)
    r = fails(h, f'qemu:///embed?root={root}', 1, 'list')
    check(f"Socket path '{root}/run/io.virtkit." in r.err and 'bytes' in r.err,
          'the message names the path:', r)
    check(not os.path.exists(root), 'the root is not created')
    # just short enough for the sockets: accepted
    # (io.virtkit.Network: the longest sibling qemud reaches, for ports and forwarding)
    root = h.path('s' * (107 - len(h.path('')) - len('/run/io.virtkit.Network')))
    r = ok(h, f'qemu:///embed?root={root}', 'list', '--all', '--name')
    check_eq(r.out, '', 'an empty list')


TRANSPORT = 'this transport is not supported (use qemu, qemu+unix or qemu+ssh)'


def test_errors_unsupported_uris(h):
    for uri, msg in (
            ('qemu://host/system', 'remote access over TLS (qemu://HOST/…) is not supported; '
             'use qemu+ssh://HOST/system'),
            ('qemu+tcp://host/system', TRANSPORT),
            ('qemu+tls://host/system', TRANSPORT),
            ('xen:///system', "only the qemu driver's URIs (qemu:///…) are supported"),
            ('qemu:///embed', 'qemu:///embed needs ?root=/absolute/dir'),
            ('qemu:///system?root=/x', "unsupported query parameter 'root'"),
            ('qemu:///nowhere', 'the path must be /system, /session or /embed'),
            ('qemu+unix:///system?socket=rel', "the socket path 'rel' must be absolute"),
            ('qemu+ssh://host:port/system', 'the port must be a number'),
            ('nonsense', 'expected SCHEME://[HOST]/PATH, e.g. qemu:///system')):
        r = fails(h, uri, 1, 'list')
        check_eq(r.err, f"error: URI '{uri}': {msg}\n", f'the message for {uri}')
    env = h.base_env(VIRTKIT_DEFAULT_URI='qemu:///embed?root=/nonexistent/x')
    r = h.run([virtkit_path(h), 'uri'], env=env)
    check(r.rc == 0 and r.out == 'qemu:///embed?root=/nonexistent/x\n',
          'VIRTKIT_DEFAULT_URI is the default:', r)
    r = h.run([virtkit_path(h), 'uri'], env=h.base_env())
    check(r.rc == 0 and r.out == 'qemu:///system\n', 'root defaults to system:', r)
    r = fails(h, 'qemu+unix:///system?socket=' + h.path('none.sock'), 1, 'list')
    check(r.err.startswith('error: OperationFailed: cannot reach virtkit-qemud at '
                           f"'{h.path('none.sock')}'"), 'an absent daemon:', r)


# --- session ---

def session_setup(h):
    a = S['a'] = h.add_user()
    S['b'] = h.add_user()
    xdg, home = h.path('xdg-a'), h.path('home-a')
    for d in (xdg, home):
        os.makedirs(d, mode=0o700)
        os.chown(d, a.uid, a.gid)
    S['xdg'] = xdg
    S['env_a'] = h.base_env(XDG_RUNTIME_DIR=xdg, HOME=home,
                            VIRTKIT_DAEMON_DIR=os.path.join(h.builddir, 'daemons'),
                            VIRTKIT_NO_SYSTEMD='1')


def test_session_autospawn(h):
    a = S['a']
    check_eq(user_daemons(a.uid), [], f'no daemon of {a} before')
    r = vk(h, 'qemu:///session', 'version', user=a, env=S['env_a'])
    t_first = r.elapsed
    pids = user_daemons(a.uid)
    for pid in pids:
        h.threads.append(PidKiller(pid, f'the session daemon of {a}'))
    check(r.rc == 0, 'version on the session URI:', r)
    check(r.out.endswith('(session instance)\n'), 'the session instance answered:', r)
    check_eq(len(pids), 1, f'one virtkit-qemud of {a} runs')
    S['daemon'] = pid = pids[0]
    with open(f'/proc/{pid}/cmdline', 'rb') as f:
        argv = f.read().split(b'\0')[:-1]
    check_eq(argv[1:], [b'--session', b'--timeout', b'60'], 'spawned with an idle timeout')
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    check(int(fields[1]) not in (os.getpid(), 0) and int(fields[3]) != os.getsid(0),
          f'detached: ppid {fields[1]}, session {fields[3]}')
    check(os.path.exists(os.path.join(S['xdg'], 'virtkit', 'io.virtkit.Qemu')),
          'the socket in XDG_RUNTIME_DIR')
    r = vk(h, 'qemu:///session', '--json', 'version', user=a, env=S['env_a'])
    check(r.rc == 0 and r.json()['instance'] == 'session', 'version --json:', r)
    check_eq(user_daemons(a.uid), [pid], 'the second call reuses the daemon')
    print(f'# session: first call (spawning the daemon) {t_first:.2f} s')


def test_session_lifecycle(h):
    a, u, env = S['a'], 'qemu:///session', S['env_a']
    xml = write(h, 'sess1.xml', domain_xml('sess1', virt='qemu'))  # /dev/kvm is root's here
    ok(h, u, 'define', xml, user=a, env=env)
    ok(h, u, 'start', 'sess1', '--paused', user=a, env=env)
    check_eq(ok(h, u, 'list', '--name', user=a, env=env).out, 'sess1\n', 'list')
    check_eq(ok(h, u, 'domstate', '--reason', 'sess1', user=a, env=env).out, 'paused (user)\n',
             'domstate')
    pids = vkguest.qemu_pids(h)
    check(len(pids) == 1 and os.stat(f'/proc/{pids[0]}').st_uid == a.uid,
          f'QEMU runs as {a}:', pids)
    ok(h, u, 'destroy', 'sess1', user=a, env=env)
    ok(h, u, 'undefine', 'sess1', user=a, env=env)
    check_eq(ok(h, u, 'list', '--all', '--name', user=a, env=env).out, '', 'nothing left')
    no_qemu_left(h, 'the session round')


def test_session_stale_socket(h):
    """A session daemon killed with SIGKILL leaves its socket file: the next call starts a new
    daemon and waits until it accepts connections, not only until the file is there."""
    a, sock = S['a'], os.path.join(S['xdg'], 'virtkit', 'io.virtkit.Qemu')
    for i in range(3):
        for pid in user_daemons(a.uid):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not pid_alive(pid), 10, f'daemon {pid} gone')
        check(os.path.exists(sock), 'the dead daemon\'s socket file is left')
        r = vk(h, 'qemu:///session', 'version', user=a, env=S['env_a'])
        for pid in user_daemons(a.uid):
            h.threads.append(PidKiller(pid, f'the session daemon of {a}'))
        check(r.rc == 0 and r.out.endswith('(session instance)\n'),
              f'version after a stale socket (round {i}):', r)


def test_session_other_user_refused(h):
    b, sock = S['b'], os.path.join(S['xdg'], 'virtkit', 'io.virtkit.Qemu')
    # open the way, so that only the daemon's own check stands in it
    os.chmod(S['xdg'], 0o755)
    os.chmod(os.path.dirname(sock), 0o755)
    os.chmod(sock, 0o666)
    for args in (['version'], ['list', '--all']):
        r = fails(h, f'qemu+unix:///session?socket={sock}', 1, *args, user=b)
        check(r.err.startswith('error: io.virtkit.Qemu.PermissionDenied: '),
              f'{b} is refused:', r)
    check_eq(user_daemons(b.uid), [], f'nothing started for {b}')


def test_session_build_tree_daemons(h):
    """A virtkit run from the build tree, with no VIRTKIT_DAEMON_DIR, spawns the daemon of
    that tree (there may be no installed one, or another version)."""
    c = S['c'] = h.add_user()
    xdg = h.path('xdg-c')
    os.makedirs(xdg, mode=0o700)
    os.chown(xdg, c.uid, c.gid)
    env = h.base_env(XDG_RUNTIME_DIR=xdg, HOME=xdg, VIRTKIT_NO_SYSTEMD='1')
    S['env_c'] = env
    r = vk(h, 'qemu:///session', 'version', user=c, env=env)
    pids = user_daemons(c.uid)
    for pid in pids:
        h.threads.append(PidKiller(pid, f'the session daemon of {c}'))
    check(r.rc == 0 and r.out.endswith('(session instance)\n'), 'version from the build tree:',
          r)
    check_eq(len(pids), 1, f'one virtkit-qemud of {c} runs')
    check_eq(os.readlink(f'/proc/{pids[0]}/exe'),
             os.path.join(os.path.realpath(h.builddir), 'daemons', 'virtkit-qemud'),
             "the build tree's daemon")


def test_session_missing_daemon(h):
    """A daemon binary that is not there: an error naming its path at once, not a 5 s wait."""
    c, empty = S['c'], h.path('no-daemons')
    os.makedirs(empty)
    env = dict(S['env_c'], XDG_RUNTIME_DIR=h.path('xdg-c2'), VIRTKIT_DAEMON_DIR=empty)
    os.makedirs(env['XDG_RUNTIME_DIR'], mode=0o700)
    os.chown(env['XDG_RUNTIME_DIR'], c.uid, c.gid)
    r = fails(h, 'qemu:///session', 1, 'list', user=c, env=env)
    missing = os.path.join(empty, 'virtkit-qemud')
    check(f"'{missing}' does not exist" in r.err, 'the error names the missing daemon:', r)
    check(r.elapsed < 1.5, f'the error comes at once, not after a wait ({r.elapsed:.2f} s)')


# --- basics: help, exit status, JSON errors, the polkit text agent ---

def command_names(h):
    r = h.run([virtkit_path(h), '--help'])
    check(r.rc == 0, 'virtkit --help:', r)
    names = re.findall(r'^  ([a-z][a-z-]*) ', r.out.split('Commands:', 1)[1], re.M)
    check(len(names) > 20, 'the command list of --help:', r.out)
    return names


def test_basics_help_every_command(h):
    for name in command_names(h):
        for flag in ('--help', '-h'):
            r = h.run([virtkit_path(h), name, flag])
            check(r.rc == 0 and r.out.startswith(f'Usage: virtkit {name} ') and r.err == '',
                  f'virtkit {name} {flag}:', r)
    # a variadic command's data words are data: --help after them is sent, not shown
    r = h.run([virtkit_path(h), '-c', 'qemu+unix:///system?socket=' + h.path('none.sock'),
               'qemu-monitor-command', 'dom', 'help', '--help'])
    check(r.rc == 1 and 'cannot reach' in r.err, 'monitor command words stay data:', r)


def test_basics_exit_status(h):
    # every failure exits 1, as virsh: usage errors, bad URIs, unreachable daemons
    none = 'qemu+unix:///system?socket=' + h.path('none.sock')
    for argv in ([], ['bogus'], ['list', '--bogus'], ['start'], ['-c', 'http://x', 'list'],
                 ['-c', 'qemu:///embed?root=rel', 'list'], ['-c', none, 'list'],
                 ['--no-such-option', 'list'], ['help', 'bogus']):
        r = h.run([virtkit_path(h)] + argv)
        check(r.rc == 1 and r.out == '', f'virtkit {" ".join(argv)} exits 1:', r)


def test_basics_json_errors(h):
    none = 'qemu+unix:///system?socket=' + h.path('none.sock')
    for argv, name, text in (
            (['--json', 'list', '--bogus'], 'io.virtkit.UsageError', "unknown option '--bogus'"),
            (['list', '--bogus', '--json'], 'io.virtkit.UsageError', "unknown option '--bogus'"),
            (['--json', 'bogus'], 'io.virtkit.UsageError', "unknown command 'bogus'"),
            (['--json', 'start'], 'io.virtkit.UsageError', 'usage: virtkit start DOMAIN'),
            (['--json', '-c', 'http://x', 'list'], None, 'http://x'),
            (['--json', '-c', none, 'list'], 'OperationFailed', 'cannot reach virtkit-qemud')):
        r = h.run([virtkit_path(h)] + argv)
        check(r.rc == 1 and r.out == '', f'virtkit {" ".join(argv)} fails:', r)
        try:
            o = json.loads(r.err)
        except ValueError:
            raise AssertionError(f'virtkit {" ".join(argv)}: stderr is not JSON: {r.err!r}')
        check(set(o) == {'error', 'message'} and text in o['message'] and
              (name is None or o['error'] == name), f'virtkit {" ".join(argv)}: the error', o)
    r = h.run([virtkit_path(h), 'list', '--bogus'])
    check(r.err.startswith('virtkit: list: unknown option'), 'without --json, text:', r)


AGENT_RULE = '''// virtkit integration test: {u} manages VMs after authenticating as itself
polkit.addRule(function(action, subject) {{
    if (subject.user == "{u}" && action.id == "io.virtkit.qemu.manage")
        return polkit.Result.AUTH_SELF;
}});
'''


def agent_setup(h):
    h.start_buses()
    h.install_virtkit_bus_policies()
    h.start_polkitd()
    u = S['u'] = h.add_user()
    os.makedirs(h.path('root-qemu'))
    _, S['sock'] = h.socket_activate(
        'qemu', ['--system', '--root', h.path('root-qemu'), '--bus', 'system'],
        pass_env=['DBUS_SYSTEM_BUS_ADDRESS'])
    # the agent virtkit starts: a wrapper that records its arguments, then the real pkttyagent
    S['agent_log'] = h.path('agent.log')
    S['agent'] = write(h, 'agent.sh', f'#!/bin/sh\necho "$$ $*" >> {S["agent_log"]}\n'
                       'exec pkttyagent "$@" 2>>' + S['agent_log'] + '.err\n')
    os.chmod(S['agent'], 0o755)
    for f in (S['agent_log'], S['agent_log'] + '.err'):
        with open(f, 'w'):
            pass
        os.chmod(f, 0o666)
    S['xml'] = write(h, 'agent-dom.xml', domain_xml('agent1', virt='qemu', graphics=False))
    h.add_polkit_rule('60-virtkit-agent.rules', AGENT_RULE.format(u=u.name))


def run_on_pty(h, argv, user, env, answer=None, timeout=30):
    """Run argv as @user with a new pty as its controlling terminal (stdin, stdout, stderr);
    type @answer after a "Password:" prompt. Returns (rc, everything the terminal showed)."""
    master, slave = pty.openpty()

    def ctty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    p = subprocess.Popen(h.user_argv(argv, user), stdin=slave, stdout=slave, stderr=slave,
                         env=env, preexec_fn=ctty, close_fds=True)
    os.close(slave)
    out, deadline = b'', time.monotonic() + timeout
    prompt_at = prompt_len = typed_at = None
    try:
        while time.monotonic() < deadline:
            rl, _, _ = select.select([master], [], [], 0.1)
            if rl:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: every holder of the slave closed it
                    data = b''
                if not data and p.poll() is not None:
                    break
                out += data
            elif p.poll() is not None:
                break
            # the agent turns echo off with TCSAFLUSH after it printed the prompt, which
            # drops input typed too early: type a moment after the prompt, and again when
            # nothing happened for a while (a dropped answer)
            now = time.monotonic()
            if answer is not None and out.endswith(b'Password: '):
                if prompt_at is None or len(out) != prompt_len:
                    prompt_at, prompt_len, typed_at = now, len(out), None
                if (typed_at is None and now - prompt_at > 0.3) or \
                        (typed_at is not None and now - typed_at > 5):
                    os.write(master, answer.encode() + b'\n')
                    typed_at = now
        else:
            p.kill()
            raise AssertionError(f'{argv} did not end in {timeout} s; the terminal: {out!r}')
        return p.wait(5), out.decode(errors='replace')
    finally:
        os.close(master)


def agent_env(h):
    return h.base_env(VIRTKIT_PKTTYAGENT=S['agent'])


def test_agent_not_on_a_pipe(h):
    # no terminal: no agent, the refusal as it is
    uri = f'qemu+unix:///system?socket={S["sock"]}'
    r = vk(h, uri, 'define', S['xml'], user=S['u'], env=agent_env(h))
    check(r.rc == 1 and 'InteractiveAuthenticationRequired' in r.err, 'refused:', r)
    check_eq(open(S['agent_log']).read(), '', 'no agent started without a terminal')


def test_agent_wrong_password(h):
    u = S['u']
    uri = f'qemu+unix:///system?socket={S["sock"]}'
    rc, out = run_on_pty(h, [virtkit_path(h), '-c', uri, 'define', S['xml']], u, agent_env(h),
                         answer='not-the-password')
    calls = open(S['agent_log']).read().split('\n')
    check(len(calls) >= 1 and calls[0], 'the agent was started:', calls, out)
    # no logind session here: polkitd would never use a --fallback agent, so none is asked for
    m = re.fullmatch(r'\d+ --process (\d+) --notify-fd (\d+)', calls[0])
    check(m, 'pkttyagent --process PID --notify-fd N:', calls[0])
    check('io.virtkit.qemu.manage' in out and 'Password:' in out,
          'polkitd asked on the terminal (the call was repeated allowing interaction):', out)
    check(rc == 1, f'a wrong password fails (rc {rc}):', out)
    r = vk(h, uri, 'list', '--all', '--name', user=u)
    check_eq(r.out, '', 'nothing defined')


def test_agent_password(h):
    u = S['u']
    pw = 'vk-agent-Pw-7731'
    subprocess.run(['chpasswd'], input=f'{u.name}:{pw}\n', text=True, check=True)
    with open(S['agent_log'], 'w'):
        pass
    uri = f'qemu+unix:///system?socket={S["sock"]}'
    # pkttyagent checks the password with the setuid polkit-agent-helper-1, which ignores
    # DBUS_SYSTEM_BUS_ADDRESS and answers polkitd on /run/dbus/system_bus_socket: in a mount
    # namespace of its own, the private bus is there
    bus = h.system_bus.split('unix:path=', 1)[1].split(',')[0]
    inner = ' '.join(shlex.quote(w) for w in h.user_argv(
        [virtkit_path(h), '-c', uri, 'define', S['xml']], u))
    script = ('mount -t tmpfs vk-run-dbus /run/dbus && touch /run/dbus/system_bus_socket && '
              f'mount --bind {shlex.quote(bus)} /run/dbus/system_bus_socket && exec {inner}')
    rc, out = run_on_pty(h, ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                             script], None, agent_env(h), answer=pw)
    check(rc == 0 and "Domain 'agent1' defined" in out, f'defined after the password (rc {rc}):',
          out)
    check_eq(ok(h, uri, 'list', '--all', '--name', user=u).out, 'agent1\n', 'list')
    agents = [int(line.split()[0]) for line in open(S['agent_log']).read().split('\n') if line]
    check(agents and not any(pid_alive(p) for p in agents), 'the agent was stopped:', agents)


# --- ssh ---

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def keygen(h, name):
    path = h.path(name)
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path],
                   check=True, timeout=10)
    with open(path + '.pub') as f:
        return path, f.read().strip()


def ssh_wrapper(h, name, options):
    path = h.path(name)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n'
                f'exec ssh -i {S["client_key"]} -o ConnectTimeout=5 -o LogLevel=ERROR '
                f'{options} "$@"\n')
    os.chmod(path, 0o755)
    return path


def ssh_setup(h):
    if not os.path.exists('/run/sshd'):  # sshd's privilege separation directory
        os.makedirs('/run/sshd', mode=0o755)
    host_key, host_pub = keygen(h, 'ssh_host_ed25519_key')
    S['client_key'], client_pub = keygen(h, 'client_key')
    S['other_host_pub'] = keygen(h, 'other_host_key')[1]
    auth = write(h, 'authorized_keys', client_pub + '\n')
    S['port'] = port = free_port()
    path = f'{os.path.join(h.builddir, "tools")}:/usr/local/sbin:/usr/local/bin:' \
           '/usr/sbin:/usr/bin:/sbin:/bin'
    conf = write(h, 'sshd_config', f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile none
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile {auth}
StrictModes no
SetEnv PATH={path}
""")
    r = h.run([SSHD, '-t', '-f', conf])
    check(r.rc == 0, 'sshd -t:', r)
    p = h.spawn([SSHD, '-D', '-e', '-f', conf], 'sshd', log='sshd')

    def listening():
        check(p.poll() is None, 'sshd exited:', h.log_text('sshd'))
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_until(listening, 10, f'sshd on port {port}', interval=0.05)
    S['ssh'] = ssh_wrapper(h, 'ssh-ok', '-o StrictHostKeyChecking=no '
                           '-o UserKnownHostsFile=/dev/null')
    known = write(h, 'known_hosts_wrong', f'[127.0.0.1]:{port} {S["other_host_pub"]}\n')
    S['ssh_badkey'] = ssh_wrapper(h, 'ssh-badkey', f'-o StrictHostKeyChecking=yes '
                                  f'-o UserKnownHostsFile={known}')
    # the daemon the remote `virtkit bridge` reaches through ?socket=
    root = h.path('sshroot')
    os.makedirs(root)
    S['sock'] = sock = os.path.join(root, 'run', 'io.virtkit.Qemu')
    d = h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'none'], 'virtkit-qemud',
                log='qemud')
    wait_until(lambda: os.path.exists(sock) or d.poll() is not None, 10, 'the socket')
    check(d.poll() is None, 'the daemon exited:', h.log_text('qemud'))


def ssh_uri(port=None):
    return f'qemu+ssh://root@127.0.0.1:{port or S["port"]}/system?socket={S["sock"]}'


def test_ssh_lifecycle(h):
    env = h.base_env(VIRTKIT_SSH=S['ssh'])
    u = ssh_uri()
    t = {}
    r = ok(h, u, 'version', env=env)
    t['version'] = r.elapsed
    check(r.out.startswith('Compiled against virtkit ') and 'Running daemon: ' in r.out,
          'version over ssh:', r)
    check_eq(ok(h, u, 'list', '--all', '--json', env=env).json(), {'domains': []}, 'list')
    xml = write(h, 'ssh1.xml', domain_xml('ssh1'))
    ok(h, u, 'define', xml, env=env)
    t['start'] = ok(h, u, 'start', '--paused', 'ssh1', env=env).elapsed
    r = ok(h, u, 'list', env=env)
    check('ssh1' in r.out and 'paused' in r.out, 'list over ssh:', r)
    check_eq(ok(h, u, 'domstate', 'ssh1', env=env).out, 'paused\n', 'domstate over ssh')
    r = fails(h, u, 1, 'domstate', 'nope', env=env)
    check(r.err.startswith(NO_SUCH), 'errors come through ssh:', r)
    t['destroy'] = ok(h, u, 'destroy', 'ssh1', env=env).elapsed
    ok(h, u, 'undefine', 'ssh1', env=env)
    check_eq(ok(h, u, 'list', '--all', '--name', env=env).out, '', 'nothing left')
    no_qemu_left(h, 'the ssh round')
    print('# ssh: ' + ', '.join(f'{k} {v:.2f} s' for k, v in t.items()))


def test_ssh_bad_host_key(h):
    r = fails(h, ssh_uri(), 1, 'list', env=h.base_env(VIRTKIT_SSH=S['ssh_badkey']))
    check('Host key verification failed' in r.err, "ssh's reason:", r)
    check(r.err.endswith(f"error: OperationFailed: URI '{r.argv[2]}': ssh to 127.0.0.1 failed "
                         '(exit status 255; its message is above)\n'), 'then what failed:', r)


def test_ssh_closed_port(h):
    r = fails(h, ssh_uri(free_port()), 1, 'list', env=h.base_env(VIRTKIT_SSH=S['ssh']))
    check('Connection refused' in r.err, "ssh's reason:", r)
    check(r.err.endswith(f"error: OperationFailed: URI '{r.argv[2]}': ssh to 127.0.0.1 failed "
                         '(exit status 255; its message is above)\n'), 'then what failed:', r)


# --- qemu-run ---

def console_text(h, name):
    return vkguest.console_text(h.path(name + '.console'))


def guest_xml(h, name, mode):
    return vkguest.domain_xml(S['guest'], name, mode, h.path(name + '.console'))


def qemu_run_setup(h):
    S['guest'] = vkguest.build()
    S['tmpdir'] = h.path('tmpdir')  # TMPDIR: where the temporary roots go
    os.makedirs(S['tmpdir'])


def qemu_run_argv(h, xml):
    return [os.path.join(h.builddir, 'tools', 'virtkit-qemu-run'), xml]


def test_qemu_run_poweroff(h):
    xml = write(h, 'run-off.xml', guest_xml(h, 'run-off', 'poweroff'))
    r = h.run(qemu_run_argv(h, xml), env=h.base_env(TMPDIR=S['tmpdir']), timeout=90)
    check_eq(r.rc, 0, f'exit status of {r}')
    check('VKGUEST: powering off' in console_text(h, 'run-off'), 'the guest ran:',
          console_text(h, 'run-off')[-300:])
    m = re.search(r"is running under (\S+);", r.err)
    check(m and m.group(1).startswith(S['tmpdir'] + '/virtkit-qemu-run.'),
          'a temporary root:', r)
    check(not os.path.exists(m.group(1)), f'{m.group(1)} is removed')
    check_eq(os.listdir(S['tmpdir']), [], 'nothing left in TMPDIR')
    check("domain 'run-off' stopped (shutdown)" in r.err, 'it says why it stopped:', r)
    no_qemu_left(h, 'virtkit-qemu-run')
    print(f'# qemu-run: guest poweroff, start to exit {r.elapsed:.1f} s')


def test_qemu_run_sigint(h):
    xml = write(h, 'run-wait.xml', guest_xml(h, 'run-wait', 'wait'))
    log = h.log_path('qemu-run-wait')
    with open(log, 'wb') as out:
        p = subprocess.Popen(qemu_run_argv(h, xml), stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT,
                             env=h.base_env(TMPDIR=S['tmpdir']))
    h.procs.append((p, 'virtkit-qemu-run'))
    wait_until(lambda: 'VKGUEST: waiting for the power button' in console_text(h, 'run-wait')
               or p.poll() is not None, 60, 'the guest to wait for the power button',
               interval=0.1)
    check(p.poll() is None, 'virtkit-qemu-run exited early:', h.log_text('qemu-run-wait'))
    # the guest prints its marker just before it opens the input device: a press in between
    # is lost (ACPI has no queue), so give it a moment
    time.sleep(1)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError('no exit within 60 s of SIGINT: ' + h.log_text('qemu-run-wait'))
    text = h.log_text('qemu-run-wait')
    check_eq(rc, 0, f'exit status after one SIGINT ({text})')
    check('asking the guest to shut down' in text, 'SIGINT asks the guest:', text)
    check('VKGUEST: power button' in console_text(h, 'run-wait'), 'the guest saw the button')
    check_eq(os.listdir(S['tmpdir']), [], 'the temporary root is removed')
    no_qemu_left(h, 'virtkit-qemu-run after SIGINT')
    print(f'# qemu-run: SIGINT to exit {time.monotonic() - t0:.1f} s')


GROUPS = {
    'embed': (cli_embed.TESTS, None),
    'goldens': ([test_goldens, test_goldens_all_used], None),
    'errors': ([test_errors_relative_root, test_errors_long_root,
                test_errors_unsupported_uris], None),
    'session': ([test_session_autospawn, test_session_lifecycle,
                 test_session_stale_socket, test_session_other_user_refused,
                 test_session_build_tree_daemons,
                 test_session_missing_daemon], session_setup),
    'basics': ([test_basics_help_every_command, test_basics_exit_status,
                test_basics_json_errors], None),
    'polkit-agent': ([test_agent_not_on_a_pipe, test_agent_wrong_password, test_agent_password],
                     agent_setup),
    'ssh': ([test_ssh_lifecycle, test_ssh_bad_host_key, test_ssh_closed_port], ssh_setup),
    'qemu-run': ([test_qemu_run_poweroff, test_qemu_run_sigint], qemu_run_setup),
}


def main():
    groups = sys.argv[1:] or list(GROUPS)
    rc = 0
    for g in groups:
        if g not in GROUPS:
            raise SystemExit(f'unknown group {g!r} (one of {", ".join(GROUPS)})')
    if 'ssh' in groups and not os.access(SSHD, os.X_OK):
        print(f'1..0 # SKIP {SSHD} is missing (openssh-server)')
        return 77 if groups == ['ssh'] else 1
    for g in groups:
        tests, setup = GROUPS[g]
        rc |= run_tests(f'cli-{g}', tests, setup)
    return rc


if __name__ == '__main__':
    sys.exit(main())
