# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tiny TCG test guest (guest/build-guest.sh: Debian's kernel + a busybox initramfs whose
init follows vkguest=MODE) for the tests that run a real guest, and QEMUs of a test run."""

import json
import os
import subprocess

import vkharness
from vkharness import check, wait_until

QEMU = '/usr/bin/qemu-system-x86_64'
BUILD_GUEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'guest',
                           'build-guest.sh')


def build():
    """The guest directory (vmlinuz, initrd.img), built and cached on first use; SystemExit
    when this machine cannot run the guest."""
    if not os.access(QEMU, os.X_OK):
        raise SystemExit(f'{QEMU} is missing')
    try:
        r = subprocess.run([BUILD_GUEST], capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        raise SystemExit('build-guest.sh did not finish within 240 s')
    check(r.returncode == 0, f'build-guest.sh failed (rc {r.returncode}):', r.stderr)
    return r.stdout.strip().splitlines()[-1]


def domain_xml(guest, name, mode, console, on_poweroff=None, on_reboot=None):
    """A TCG domain booting @guest with vkguest=@mode, its serial console in the file
    @console; the lifecycle actions only when given."""
    lifecycle = ''
    if on_poweroff:
        lifecycle += f'\n  <on_poweroff>{on_poweroff}</on_poweroff>'
    if on_reboot:
        lifecycle += f'\n  <on_reboot>{on_reboot}</on_reboot>'
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{guest}/vmlinuz</kernel>
    <initrd>{guest}/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vkguest={mode}</cmdline>
  </os>
  <features><acpi/></features>{lifecycle}
  <devices>
    <serial type='file'>
      <source path='{console}'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>"""


def console_text(path):
    """What the guest wrote to its console file so far ('' before it exists)."""
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def qemu_pids(h):
    """Live QEMUs whose command line mentions the test's temp dir (never other runs')."""
    return vkharness.qemu_pids(h.tmp, QEMU)


def qemud_root(h, root, qemu_user):
    """A private --root at @root whose QEMUs run as @qemu_user (etc/qemu.conf), the dirs on
    the way 0711 so that user reaches its files, and a virtkit-qemud on it (log 'qemud');
    returns the varlink socket path."""
    os.chmod(h.tmp, 0o711)
    for d in ('', 'etc', 'run', 'run/qemu', 'lib', 'lib/qemu'):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, d), 0o711)
    with open(os.path.join(root, 'etc', 'qemu.conf'), 'w') as f:
        f.write(f'user = "{qemu_user.name}"\ngroup = "{qemu_user.name}"\n')
    env = h.base_env(VIRTKIT_LIBEXEC_DIR=os.path.join(os.environ['VK_TOP_BUILDDIR'], 'tools'))
    sock = os.path.join(root, 'run', 'io.virtkit.Qemu')
    p = h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'none', '-v'],
                'virtkit-qemud', log='qemud', env=env)
    wait_until(lambda: os.path.exists(sock) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text('qemud'))
    return sock


def guarded(test, sock_of):
    """@test, then DestroyDomain of every domain of the daemon at @sock_of(h) even when it
    failed (the daemon does not stop its QEMUs when it ends)."""
    def run(h):
        try:
            test(h)
        finally:
            sock = sock_of(h)
            r = h.vlcall(sock, 'io.virtkit.Qemu.ListDomains', '{}', timeout=30)
            for d in (r.json()['domains'] if r.rc == 0 else []):
                h.vlcall(sock, 'io.virtkit.Qemu.DestroyDomain',
                         json.dumps({'domain': d['name']}), timeout=30)
    run.__name__ = test.__name__
    return run
