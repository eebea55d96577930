# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tiny TCG test guest (guest/build-guest.sh: Debian's kernel + a busybox initramfs whose
init follows vkguest=MODE) for the tests that run a real guest, and QEMUs of a test run."""

import os
import subprocess

import vkharness
from vkharness import check

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
