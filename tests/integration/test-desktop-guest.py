#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The device set virt-install gives a desktop guest, booted for real under TCG: q35, UEFI
(OVMF picked from QEMU's firmware descriptors), an emulated TPM 2.0 (swtpm), SPICE graphics with
the spicevmc agent channel and two USB redirections, ich9 sound, qxl video, virtio-rng, a USB
tablet, the guest-agent channel, a virtio NIC (user networking: no networkd here), the clock
timers virt-install writes — the desktop-fedora / desktop-win11 XML of the compatibility corpus
(tests/data/compat) with the disk replaced by the tiny test guest (guest/build-guest.sh:
Debian's kernel + busybox, vkguest=devices) booted as a <kernel> through OVMF. virtkit-qemud
--root as root, QEMU as a throwaway user. For each start, on the host while the guest boots:
the live XML shows the firmware picked and the TPM 2.0, QMP query-tpm shows the CRB TPM on an
emulator backend, one swtpm runs, QEMU has the devices (qom types) and the chardevs of the
channels and redirections, SPICE listens; in the guest: its PCI vendor:device ids (qxl, ich9
HDA, virtio-rng, virtio-serial, xHCI, virtio NIC, balloon), the ACPI TPM MSFT0101 and the TPM
2.0 the kernel's tpm_crb driver talked to, that UEFI booted it; then the guest powers off
(on_poweroff destroy): the domain is shut off, no QEMU or swtpm, run dir, socket or pid file is
left, the TPM state stays until undefine removes it.

  boot      secure boot off (the plain OVMF build): the kernel reports secure boot disabled
  secure    secure-boot + enrolled-keys: the Microsoft-keys build with SMM and the secure
            pflash; the kernel reports secure boot enabled. (OVMF still boots the <kernel>,
            which Microsoft did not sign: for a direct kernel boot it falls back to its own
            Linux loader when the image fails verification, so a refusal cannot be shown here.)
Skips (with the reason) without root, QEMU, OVMF's descriptors, swtpm or the guest.
"""

import json
import os
import re
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkguest  # noqa: E402
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
DESCRIPTORS = '/usr/share/qemu/firmware'
SECURE_DESCRIPTOR = '40-edk2-x86_64-secure-enrolled.json'
SWTPM = shutil.which('swtpm')
S = {}

# what the guest must see on PCI: vendor:device (virtio 1.0 ids on q35's PCIe ports)
PCI_EXPECTED = {
    '0x1b36:0x0100': 'qxl video',
    '0x8086:0x293e': 'ich9 sound (HDA)',
    '0x1af4:0x1044': 'virtio-rng',
    '0x1af4:0x1043': 'virtio-serial (spicevmc and guest agent channels)',
    '0x1b36:0x000d': 'qemu-xhci (tablet, USB redirections)',
    '0x1af4:0x1041': 'virtio NIC',
    '0x1af4:0x1045': 'virtio balloon',
}


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def firmware(secure):
    if secure:
        return ("\n    <firmware><feature enabled='yes' name='secure-boot'/>"
                "<feature enabled='yes' name='enrolled-keys'/></firmware>")
    return "\n    <firmware><feature enabled='no' name='secure-boot'/></firmware>"


def domain_xml(name, guest, console, secure):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://fedoraproject.org/fedora/37"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>{firmware(secure)}
    <kernel>{guest}/vmlinuz</kernel>
    <initrd>{guest}/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vkguest=devices</cmdline>
  </os>
  <features><acpi/><apic/><vmport state='off'/></features>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>
  <devices>
    <controller type='usb' model='qemu-xhci' ports='15'/>
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <interface type='user'>
      <mac address='52:54:00:81:0c:d1'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='{console}'/>
      <target port='0'/>
    </serial>
    <channel type='spicevmc'>
      <target type='virtio' name='com.redhat.spice.0'/>
    </channel>
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <input type='tablet' bus='usb'/>
    <tpm model='tpm-crb'>
      <backend type='emulator'/>
    </tpm>
    <graphics type='spice' port='-1' tlsPort='-1' autoport='yes'>
      <image compression='off'/>
    </graphics>
    <sound model='ich9'/>
    <video>
      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>
    </video>
    <redirdev bus='usb' type='spicevmc'/>
    <redirdev bus='usb' type='spicevmc'/>
    <memballoon model='virtio'/>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>"""


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=60)
    check(r.rc == 0, f'{method} failed:', r, h.log_text('qemud')[-2000:])
    return r.json()


def qmp(h, name, command, **args):
    msg = {'execute': command}
    if args:
        msg['arguments'] = args
    r = call(h, 'QemuMonitorCommand', {'domain': name, 'command': json.dumps(msg)})
    return json.loads(r['reply'])['return']


def new_console(h, name):
    path = h.path(f'{name}.console')
    with open(path, 'w'):
        pass
    os.chown(path, S['qemu'].uid, S['qemu'].gid)
    return path


def swtpm_pids(h):
    return vkharness.qemu_pids(h.tmp, SWTPM)


def setup(h):
    S['qemu'] = h.add_user()
    vkguest.qemud_root(h, root(h), S['qemu'])


def state(h, name):
    for d in call(h, 'ListDomains')['domains']:
        if d['name'] == name:
            return d['state']
    return None


def guest_run(h, name, secure):
    """Start the desktop domain, check the host side while the guest boots, wait for the
    guest's device list and the poweroff; the guest's console text."""
    con = new_console(h, name)
    call(h, 'DefineDomain', {'xml': domain_xml(name, S['guest'], con, secure)})
    t0 = time.monotonic()
    call(h, 'StartDomain', {'domain': name})
    # the host side, while it boots
    xml = call(h, 'GetDomainXML', {'domain': name})['xml']
    os_xml = xml[xml.index('<os'):xml.index('</os>')]
    if secure:
        check("secure='yes'" in os_xml and 'OVMF_CODE_4M.ms.fd' in os_xml,
              'the enrolled secure build:', os_xml)
        check("<smm state='on'/>" in xml, 'SMM on in the live XML')
    else:
        check("<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
              in os_xml, 'the plain build:', os_xml)
    check("<backend type='emulator' version='2.0'" in xml,
          'the TPM defaults to 2.0 in the live XML:', xml[xml.index('<tpm'):xml.index('</tpm>')])
    tpms = qmp(h, name, 'query-tpm')
    check_eq([(t['model'], t['options']['type']) for t in tpms], [('tpm-crb', 'emulator')],
             'QMP query-tpm')
    check_eq(len(swtpm_pids(h)), 1, 'one swtpm runs')
    periph = {p['name'] for p in qmp(h, name, 'qom-list', path='/machine/peripheral')}
    for dev, what in (('redir0', 'usb-redir'), ('redir1', 'usb-redir'), ('sound0', 'ich9-intel-hda'),
                      ('video0', 'qxl-vga'), ('rng0', 'virtio-rng-pci'), ('tpm0', 'tpm-crb'),
                      ('input0', 'usb-tablet'), ('net0', 'virtio-net-pci'),
                      ('channel0', 'virtserialport'), ('channel1', 'virtserialport')):
        check(dev in periph, f'QEMU has {dev} ({what}):', sorted(periph))
        t = qmp(h, name, 'qom-get', path=f'/machine/peripheral/{dev}', property='type')
        check_eq(t, what, f'the type of {dev}')
    chardevs = {c['label'] for c in qmp(h, name, 'query-chardev')}
    check({'charchannel0', 'charchannel1', 'charredir0', 'charredir1'} <= chardevs,
          'the chardevs (spicevmc agent, guest agent, two redirections):', sorted(chardevs))
    spice = qmp(h, name, 'query-spice')
    check(spice.get('enabled') and spice.get('port', 0) >= 5900, 'SPICE listens:', spice)
    # the guest: it lists what it sees and powers off
    wait_until(lambda: 'VKGUEST: devices listed' in vkguest.console_text(con), 240,
               'the guest to list its devices; console: '
               + repr(vkguest.console_text(con)[-600:]), interval=0.5)
    print(f'# {name}: start to the guest init listing its devices: '
          f'{time.monotonic() - t0:.1f} s')
    text = vkguest.console_text(con)
    for line in text.splitlines():
        if line.startswith('VKGUEST: ') and not line.startswith('VKGUEST: pci '):
            print(f'# {name}: {line}')
    check('VKGUEST: booted mode=devices' in text, "the guest's init ran")
    seen = set(re.findall(r'VKGUEST: pci \S+ (0x[0-9a-f]{4}:0x[0-9a-f]{4})', text))
    missing = {k: v for k, v in PCI_EXPECTED.items() if k not in seen}
    check_eq(missing, {}, 'PCI devices the guest does not see (it sees ' + str(sorted(seen)) + ')')
    print(f'# {name}: the guest sees {len(seen)} PCI device ids')
    check('VKGUEST: acpi MSFT0101' in text, 'the guest sees the CRB TPM (ACPI MSFT0101)')
    # the kernel's tpm_crb driver asked the TPM (QEMU's CRB, swtpm behind it) for its version
    check('VKGUEST: tpm tpm0 version 2' in text, 'the guest drives a TPM 2.0')
    check('VKGUEST: efi' in text, 'UEFI booted the kernel')
    # it powers off (on_poweroff destroy): the domain stops, nothing is left
    wait_until(lambda: state(h, name) == 'shutoff', 60, 'the domain to stop after poweroff')
    print(f'# {name}: start to shutoff: {time.monotonic() - t0:.1f} s')
    wait_until(lambda: not swtpm_pids(h), 10, 'swtpm to end with QEMU')
    check_eq(vkguest.qemu_pids(h), [], 'no QEMU left')
    left = [os.path.join(dp, f) for dp, ds, fs in os.walk(os.path.join(root(h), 'run'))
            for f in [f for f in fs if 'swtpm' in f] + [d for d in ds if d.endswith(f'-{name}')]]
    check_eq(left, [], 'no run dir, swtpm socket or pid file left')
    uuid = re.search(r'<uuid>([^<]+)</uuid>', xml).group(1)
    check(os.path.isdir(os.path.join(root(h), 'lib', 'swtpm', uuid, 'tpm2')),
          'the TPM state stays while the domain is defined')
    nvram = os.path.join(root(h), 'lib', 'qemu', 'nvram', f'{name}_VARS.fd')
    check(os.path.exists(nvram), 'the first start made the NVRAM', nvram)
    call(h, 'UndefineDomain', {'domain': name, 'nvram': True})
    check(not os.path.exists(os.path.join(root(h), 'lib', 'swtpm', uuid)),
          'undefine removes the TPM state')
    check(not os.path.exists(nvram), 'undefine with nvram removes the NVRAM')
    return text


def test_boot(h):
    text = guest_run(h, 'desktop', secure=False)
    check('VKGUEST: secureboot: Secure boot disabled' in text,
          'the plain build: the kernel sees secure boot off')


def test_secure(h):
    text = guest_run(h, 'desktop-sb', secure=True)
    # OVMF boots a direct <kernel> even when its signature is not enrolled (it falls back to
    # its own Linux loader), so what shows secure boot at work is what the kernel was told
    check('VKGUEST: secureboot: Secure boot enabled' in text,
          'the Microsoft-keys build: the kernel sees secure boot on')


def test_no_qemu_left(h):
    left = vkguest.qemu_pids(h) + swtpm_pids(h)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    check_eq(left, [], 'QEMUs or swtpms left behind by the tests')


def main():
    if os.geteuid() != 0:
        print('1..0 # SKIP needs root (throwaway users, QEMU as another user)')
        return 0
    for path in (QEMU, os.path.join(DESCRIPTORS, '60-edk2-x86_64.json')):
        if not os.path.exists(path):
            print(f'1..0 # SKIP {path} is missing (packages qemu-system-x86, ovmf)')
            return 0
    if not SWTPM or not shutil.which('swtpm_setup'):
        print('1..0 # SKIP swtpm or swtpm_setup is missing (packages swtpm, swtpm-tools)')
        return 0
    # the guest image: built once and cached (apt-get download of Debian's kernel, busybox)
    try:
        S['guest'] = vkguest.build()
    except (SystemExit, vkharness.TestFailure) as e:
        print(f'1..0 # SKIP no test guest: {str(e).splitlines()[0] if str(e) else e!r}')
        return 0
    tests = [vkguest.guarded(test_boot, sock)]
    if os.path.exists(os.path.join(DESCRIPTORS, SECURE_DESCRIPTOR)):
        tests.append(vkguest.guarded(test_secure, sock))
    else:
        print(f'# secure: skipped, {SECURE_DESCRIPTOR} is missing (package ovmf)')
    return run_tests('desktop-guest', tests + [test_no_qemu_left], setup)


if __name__ == '__main__':
    sys.exit(main())
