#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""AppArmor sVirt end to end: QEMU started by the system virtkit-qemud runs
confined in its generated profile `virtkit-<uuid>`, and is denied a file outside it.

This host's kernel has no AppArmor, so the checks run in a TCG guest whose kernel has it on
(TEST-ENV.md sections 6 and 8): the Debian rootfs of nspawn/rootfs.sh (with qemu-system-x86
and apparmor) plus this build tree (`meson install --destdir` into a throwaway overlay),
Debian's kernel and an initramfs that mounts the root from a virtio disk
(guest/build-lsm-guest.sh, cached under /var/cache/virtkit-test), packed into an ext4 image
with `mkfs.ext4 -d` and booted with `-accel tcg`. systemd in the guest runs
guest/lsm-check.sh from the kernel command line (systemd.run=) and powers off when it ends;
the script prints one "VKAA: ok NAME" / "VKAA: not ok NAME: WHY" line per check on the
serial console, which this test reads and reports as TAP-like lines (see lsm-check.sh for
the checks: AppArmor enabled, socket activation of the installed units, a paused domain with
a dynamic AppArmor label, QEMU's label, the loaded profile and its files, a file QEMU may
create, files it may neither create nor read with the kernel's audit lines, no other denial,
destroy unloads and removes the profile, a failed start leaves none, a session instance's
domain runs unconfined). One guest, about 45-70 s on 2 cores once the caches exist.

Exit 0, 1 when a check failed, or 77 (skip) when the machine cannot run it: not root, no
qemu-system-x86_64, qemu-img, mkfs.ext4 or busybox, a sanitizer build, or no rootfs (no
debootstrap). Environment: VK_TOP_BUILDDIR (set by meson), VK_NSPAWN_CACHE (cache dir,
default /var/cache/virtkit-test), VK_TEST_KEEP=1 (keep the work dir: image, console log;
later runs leave it alone, and remove the work dirs of killed runs).
"""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vkrootfs import (Overlay, build_options, host, install_build, log, put_file,  # noqa: E402
                      put_text, skip)
CHECK = '/usr/local/libexec/virtkit-test/lsm-check.sh'   # where the script goes in the guest
BOOT_TIMEOUT = 240          # seconds from QEMU's start to the guest's poweroff
MARK = 'VKAA: '


def install(root, builddir, opts):
    """The build tree, the check script, a qcow2 disk with a backing chain for the domain, and what a guest of
    this rootfs needs to boot quietly from a disk (a machine-id, no getty on the console)."""
    install_build(root, builddir, opts)
    put_file(root, os.path.join(HERE, 'guest', 'lsm-check.sh'), CHECK, 0o755)
    # the paths of this build, for the check script
    put_text(root, '/var/lib/virtkit-test/paths.env',
             f'AADIR={opts["sysconfdir"]}/apparmor.d/virtkit\n'
             f'LOGDIR={opts["localstatedir"]}/log/virtkit/qemu\n'
             f'PATH={opts["bindir"]}:/usr/sbin:/usr/bin:/sbin:/bin\n')
    # a two-deep backing chain; relative names, so they resolve in the guest as here
    d = root + '/var/lib/virtkit-test'
    host(['qemu-img', 'create', '-q', '-f', 'raw', d + '/base.raw', '16M'], timeout=60)
    host(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw',
          d + '/base.qcow2'], timeout=60)
    host(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2',
          d + '/disk.qcow2'], timeout=60)
    put_text(root, '/etc/machine-id', os.urandom(16).hex() + '\n', 0o444)
    os.symlink('/dev/null', root + '/etc/systemd/system/serial-getty@ttyS0.service')
    put_text(root, '/etc/hostname', 'vk-aa-guest\n')


def make_image(root, image):
    used = int(host(['du', '-s', '--block-size=1M', root], timeout=120).out.split()[0])
    with open(image, 'wb') as f:
        f.truncate((used + 768) * 1024 * 1024)
    host(['mkfs.ext4', '-q', '-F', '-L', 'root', '-d', root, image], timeout=180)


def boot(guest, image, console, deadline):
    """Boot the image under TCG until the guest powers off; returns QEMU's exit code."""
    cmdline = ' '.join([
        'root=/dev/vda', 'console=ttyS0', 'panic=-1', 'quiet', 'loglevel=3',
        'systemd.show_status=0', f'systemd.run={CHECK}',
        'systemd.run_success_action=poweroff', 'systemd.run_failure_action=poweroff'])
    argv = ['qemu-system-x86_64', '-accel', 'tcg', '-m', '1536', '-smp', '2', '-nodefaults',
            '-display', 'none', '-no-reboot', '-serial', f'file:{console}',
            '-kernel', f'{guest}/vmlinuz', '-initrd', f'{guest}/initrd.img',
            '-drive', f'file={image},format=raw,if=virtio', '-append', cmdline]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        log(f'the guest did not power off within {BOOT_TIMEOUT} s: killed')
    finally:
        # also when meson's SIGTERM ends us while the guest runs
        if p.poll() is None:
            p.kill()
            p.wait()
    if out.strip():
        log('qemu: ' + out.strip())
    return p.returncode


def sweep_stale(keep):
    """Remove the work dirs of runs that were killed (their 'owner' pid is gone): an overlay
    still mounted, a 1-2 GB image."""
    for work in glob.glob('/var/tmp/vk-aaguest-*'):
        if work == keep or os.path.exists(os.path.join(work, 'kept')):
            continue
        try:
            with open(os.path.join(work, 'owner')) as f:
                os.kill(int(f.read()), 0)
            continue            # its run is alive
        except FileNotFoundError:
            if time.time() - os.stat(work).st_mtime < 60:
                continue        # a run that is just starting
        except (OSError, ValueError):
            pass
        log(f'cleaning up after a killed run: {work}')
        root = os.path.join(work, 'root')
        if os.path.ismount(root):
            subprocess.run(['umount', '-l', root], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def report(console):
    """TAP-like lines from the console's VKAA: lines; (number of checks, failures, done)."""
    try:
        with open(console, errors='replace') as f:
            text = f.read()
    except FileNotFoundError:
        text = ''
    n = failed = 0
    done = False
    for raw in text.splitlines():
        line = raw.strip('\r')
        i = line.find(MARK)
        if i < 0:
            continue
        msg = line[i + len(MARK):]
        if msg.startswith('ok '):
            n += 1
            print(f'ok {n} - {msg[3:]}', flush=True)
        elif msg.startswith('not ok '):
            n += 1
            failed += 1
            print(f'not ok {n} - {msg[7:]}', flush=True)
        elif msg.startswith('# '):
            log(msg[2:])
        elif msg.startswith('done'):
            done = True
    if not done:
        n += 1
        failed += 1
        print(f'not ok {n} - the check script ran to its end in the guest', flush=True)
        log('the end of the console:\n' + '\n'.join(text.splitlines()[-60:]))
    return n, failed


def main():
    if os.geteuid() != 0:
        skip('needs root (overlayfs, meson install --destdir into a rootfs, mkfs.ext4 -d)')
    for prog in ('qemu-system-x86_64', 'qemu-img', 'mkfs.ext4', 'meson', 'debootstrap'):
        if not shutil.which(prog):
            skip(f'{prog} not found (install qemu-system-x86, qemu-utils, e2fsprogs, meson, '
                 'debootstrap)')
    if not os.path.exists('/bin/busybox'):
        skip('/bin/busybox not found (busybox-static, for the initramfs)')
    builddir = os.environ.get('VK_TOP_BUILDDIR')
    if not builddir:
        skip('VK_TOP_BUILDDIR not set: run through meson test')
    opts = build_options(builddir)
    if opts['sanitize'] != 'none':
        skip(f'sanitizer build (b_sanitize={opts["sanitize"]}): the guest has no sanitizer '
             'runtime; the plain build runs this test')

    t0 = time.monotonic()
    cache = os.environ.get('VK_NSPAWN_CACHE', '/var/cache/virtkit-test')
    p = subprocess.run([os.path.join(HERE, 'guest', 'build-lsm-guest.sh'), cache],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        if 'debootstrap' in p.stderr and 'failed' in p.stderr:
            log(p.stderr)
            skip('the Debian rootfs cannot be built here (debootstrap failed)')
        print('not ok 1 - build the guest (kernel, initramfs, rootfs)', flush=True)
        log(p.stderr)
        return 1
    guest, rootfs = p.stdout.split()
    log(f'guest {guest}, rootfs {rootfs}: ready in {time.monotonic() - t0:.1f} s')

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda s, f: sys.exit(f'killed by signal {s}'))
    work = tempfile.mkdtemp(prefix='vk-aaguest-', dir='/var/tmp')
    with open(os.path.join(work, 'owner'), 'w') as f:
        f.write(f'{os.getpid()}\n')
    sweep_stale(work)
    tree = Overlay(rootfs, work)
    image = os.path.join(work, 'root.img')
    console = os.path.join(work, 'console.log')
    try:
        t = time.monotonic()
        try:
            tree.prepare()
            install(tree.root, builddir, opts)
            make_image(tree.root, image)
        finally:
            tree.release()
        log(f'image with the build tree made in {time.monotonic() - t:.1f} s')
        t = time.monotonic()
        rc = boot(guest, image, console, t + BOOT_TIMEOUT)
        log(f'guest booted, ran the checks and powered off in {time.monotonic() - t:.1f} s '
            f'(qemu rc {rc})')
        n, failed = report(console)
    finally:
        if os.environ.get('VK_TEST_KEEP') == '1':
            open(os.path.join(work, 'kept'), 'w').close()
            log(f'kept {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f'1..{n}')
    log(f'{n - failed}/{n} passed in {time.monotonic() - t0:.1f} s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
