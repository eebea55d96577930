# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Debian rootfs (nspawn/rootfs.sh) with this build tree installed into a throwaway writable
copy: the tests that run it as a container (nspawn/test-nspawn.py) or boot it as a TCG guest
(test-apparmor-guest.py). Also their TAP output and host commands."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time

SKIP = 77


class Failure(AssertionError):
    pass


def check(cond, what, *details):
    if not cond:
        raise Failure(' '.join([what] + [str(d) for d in details]))


def log(msg):
    for line in str(msg).splitlines():
        print('# ' + line, flush=True)


def skip(reason):
    print(f'1..0 # SKIP {reason}', flush=True)
    sys.exit(SKIP)


def wait_until(pred, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Failure(f'timed out after {timeout} s waiting for {what}')
        time.sleep(interval)


class Result:
    def __init__(self, argv, proc, elapsed):
        self.argv, self.rc, self.out, self.err = argv, proc.returncode, proc.stdout, proc.stderr
        self.elapsed = elapsed

    def __str__(self):
        return (f'`{shlex.join(self.argv)}` (rc {self.rc}, {self.elapsed:.2f} s, '
                f'stdout {self.out.strip()[-600:]!r}, stderr {self.err.strip()[-600:]!r})')


def host(argv, timeout=30, check_rc=True, env=None):
    """Run @argv on the host; a Result, or Failure when it fails (unless not @check_rc)."""
    t = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Failure(f'`{shlex.join(argv)}` did not finish in {timeout} s')
    r = Result(argv, p, time.monotonic() - t)
    if check_rc and r.rc != 0:
        raise Failure(f'{r} failed')
    return r


def build_options(builddir):
    """The install directories (absolute) and the sanitizer of the meson build @builddir."""
    with open(os.path.join(builddir, 'meson-info', 'intro-buildoptions.json')) as f:
        opts = {o['name']: o['value'] for o in json.load(f)}
    prefix = opts['prefix']

    def under(name):
        v = opts[name]
        return v if v.startswith('/') else os.path.join(prefix, v)
    dirs = {name: under(name) for name in ('bindir', 'sbindir', 'datadir', 'sysconfdir',
                                           'localstatedir')}
    return dict(dirs, prefix=prefix, sanitize=opts.get('b_sanitize', 'none'))


def put_text(root, path, text, mode=0o644):
    dst = root + path
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, 'w') as f:
        f.write(text)
    os.chmod(dst, mode)


def put_file(root, src, path, mode=0o644):
    dst = root + path
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, mode)


def install_build(root, builddir, opts):
    """`meson install --destdir @root`, plus what an administrator adds when the prefix is not
    /usr (docs/systemd.md): dbus-daemon reads bus policy only from /usr/share and /etc,
    polkitd actions only from /usr/share."""
    host(['meson', 'install', '-C', builddir, '--no-rebuild', '--quiet', '--destdir', root],
         timeout=120)
    datadir = opts['datadir']
    if datadir == '/usr/share':
        return
    pol = root + datadir + '/dbus-1/system.d'
    for n in os.listdir(pol):
        put_file(root, os.path.join(pol, n), '/etc/dbus-1/system.d/' + n)
    put_file(root, root + datadir + '/polkit-1/actions/io.virtkit.policy',
             '/usr/share/polkit-1/actions/io.virtkit.policy')


class Overlay:
    """A writable copy of the cached rootfs @lower at WORK/root: an overlay, else a
    (reflinked) copy."""

    def __init__(self, lower, work):
        self.lower, self.work = lower, work
        self.root = os.path.join(work, 'root')
        self.mounted = False

    def prepare(self):
        upper, wdir = os.path.join(self.work, 'upper'), os.path.join(self.work, 'ovl-work')
        for d in (self.root, upper, wdir):
            os.makedirs(d)
        r = host(['mount', '-t', 'overlay', 'overlay', '-o',
                  f'lowerdir={self.lower},upperdir={upper},workdir={wdir}', self.root],
                 check_rc=False)
        if r.rc == 0:
            self.mounted = True
            return
        log(f'overlayfs failed, copying the rootfs instead: {r.err.strip()}')
        os.rmdir(self.root)
        host(['cp', '-a', '--reflink=auto', self.lower, self.root], timeout=180)

    def release(self):
        """Unmount (lazily if busy); a copy stays for the caller to remove with the work dir."""
        if not self.mounted:
            return
        if subprocess.run(['umount', self.root], capture_output=True).returncode != 0:
            subprocess.run(['umount', '-l', self.root], capture_output=True)
        self.mounted = False
