#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""UEFI guests for real: <os firmware='efi'> on q35 under TCG, with the firmware virtkit picks
from QEMU's descriptors (Debian's ovmf: /usr/share/qemu/firmware) and the NVRAM it copies from
the template. No disk: OVMF's boot manager (BdsDxe) runs and, in the plain build, ends in the
UEFI shell; both print on the serial console, a file the test reads.

  root      virtkit-qemud --root (etc/qemu.conf: QEMU runs as a throwaway user): the plain
            firmware reaches the UEFI shell; the live XML shows the chosen loader and NVRAM;
            the NVRAM is lib/qemu/nvram/NAME_VARS.fd, 0600, QEMU's user's; OVMF wrote its
            variables into it; a second start keeps the same file
  secure    secure-boot + enrolled-keys: the Microsoft-keys build with SMM and the secure
            pflash, its boot manager runs
  failed    a start QEMU refuses (a bad qemu:arg) leaves no NVRAM and no temporary file (a
            plain undefine then works)
  user      a normal user runs the guest with the embedded driver (virtkit-qemu-run --root):
            the NVRAM is made there, the user's, and survives into a second run
"""

import filecmp
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkharness  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
IFACE = 'io.virtkit.Qemu'
DESCRIPTORS = '/usr/share/qemu/firmware'
PLAIN_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
# the plain build (no secure boot, no SMM) has the UEFI shell
INSECURE = "\n    <firmware><feature enabled='no' name='secure-boot'/></firmware>"
S = {}


def root(h):
    return h.path('root')


def sock(h):
    return os.path.join(root(h), 'run', IFACE)


def nvram(h, name, top=None):
    return os.path.join(top or root(h), 'lib', 'qemu', 'nvram', f'{name}_VARS.fd')


def console(h, name):
    return h.path(f'{name}.console')


def console_text(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def domain_xml(name, console_path, firmware='', extra=''):
    return f"""<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>{firmware}
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='file'>
      <source path='{console_path}'/>
      <target port='0'/>
    </serial>
  </devices>{extra}
</domain>"""


def call(h, method, params=None):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params or {}), timeout=30)
    check(r.rc == 0, f'{method} failed:', r, h.log_text('qemud')[-2000:])
    return r.json()


def call_error(h, method, params):
    r = h.vlcall(sock(h), f'{IFACE}.{method}', json.dumps(params), timeout=60)
    check(r.rc == 3, f'{method} should fail with a varlink error:', r)
    return r.varlink_error()


def wait_console(path, marker, timeout=90):
    wait_until(lambda: marker in console_text(path), timeout,
               f'"{marker}" on the console; it says: {console_text(path)[-400:]!r}',
               interval=0.2)


def new_console(h, name, user):
    """An empty console file QEMU (as @user) may write; the DAC driver labels it too."""
    path = console(h, name)
    with open(path, 'w'):
        pass
    os.chown(path, user.uid, user.gid)
    return path


def setup(h):
    S['qemu'] = h.add_user()
    # QEMU runs as the qemu user: it must reach its private dir and its NVRAM
    os.chmod(h.tmp, 0o711)
    for d in ('', 'etc', 'run', 'run/qemu', 'lib', 'lib/qemu'):
        os.makedirs(os.path.join(root(h), d), exist_ok=True)
        os.chmod(os.path.join(root(h), d), 0o711)
    with open(os.path.join(root(h), 'etc', 'qemu.conf'), 'w') as f:
        f.write(f'user = "{S["qemu"].name}"\ngroup = "{S["qemu"].name}"\n')
    env = h.base_env(VIRTKIT_LIBEXEC_DIR=os.path.join(os.environ['VK_TOP_BUILDDIR'], 'tools'))
    p = h.spawn([h.daemon_path('qemu'), '--root', root(h), '--bus', 'none', '-v'],
                'virtkit-qemud', log='qemud', env=env)
    wait_until(lambda: os.path.exists(sock(h)) or p.poll() is not None, 10, 'the socket')
    check(p.poll() is None, 'the daemon exited:', h.log_text('qemud'))


def live_os(h, name):
    xml = call(h, 'GetDomainXML', {'domain': name})['xml']
    return xml[xml.index('<os'):xml.index('</os>')], xml


def test_root_plain(h):
    name = 'efi-plain'
    con = new_console(h, name, S['qemu'])
    call(h, 'DefineDomain', {'xml': domain_xml(name, con, INSECURE)})
    t0 = time.monotonic()
    call(h, 'StartDomain', {'domain': name})
    os_xml, _ = live_os(h, name)
    check("<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
          in os_xml, 'the live XML shows the plain loader:', os_xml)
    check(f'>{nvram(h, name)}</nvram>' in os_xml, 'the live XML shows the NVRAM:', os_xml)
    inactive = call(h, 'GetDomainXML', {'domain': name, 'inactive': True})['xml']
    check("<os firmware='efi'>" in inactive and '<loader' not in inactive,
          'the definition keeps what was written:', inactive)
    wait_console(con, 'UEFI Interactive Shell')
    print(f'# plain OVMF: start to the UEFI shell {time.monotonic() - t0:.1f} s; {os_xml!r}')
    st = os.stat(nvram(h, name))
    check_eq((st.st_uid, st.st_gid, st.st_mode & 0o7777),
             (S['qemu'].uid, S['qemu'].gid, 0o600), 'NVRAM owner and mode')
    call(h, 'DestroyDomain', {'domain': name})
    st2 = os.stat(nvram(h, name))
    check_eq((st2.st_uid, st2.st_ino), (S['qemu'].uid, st.st_ino), 'the NVRAM stays, as it was')
    check(not filecmp.cmp(nvram(h, name), PLAIN_VARS, shallow=False),
          'OVMF wrote its variables into the NVRAM')
    with open(nvram(h, name), 'rb') as f:
        before = f.read()
    os.truncate(con, 0)
    call(h, 'StartDomain', {'domain': name})
    wait_console(con, 'UEFI Interactive Shell')
    check_eq(os.stat(nvram(h, name)).st_ino, st.st_ino, 'the second start used the same NVRAM')
    call(h, 'DestroyDomain', {'domain': name})
    check(os.path.getsize(nvram(h, name)) == len(before), 'NVRAM size kept')
    undefine_nvram(h, name, con)
    check_eq(vkharness.qemu_pids(h.tmp, QEMU), [], 'no QEMU left')


def undefine_nvram(h, name, con):
    """As libvirt 9.0: an existing NVRAM refuses a plain undefine; keepNvram keeps it, nvram
    removes it; both at once is an error."""
    err = call_error(h, 'UndefineDomain', {'domain': name})
    check(err[0].endswith('.OperationInvalid') and
          'cannot undefine domain with nvram' in json.dumps(err), 'plain undefine refused:', err)
    check(os.path.exists(nvram(h, name)), 'the refused undefine left the NVRAM')
    call(h, 'GetDomainInfo', {'domain': name})
    err = call_error(h, 'UndefineDomain', {'domain': name, 'nvram': True, 'keepNvram': True})
    check(err[0].endswith('.InvalidArgument'), 'nvram and keepNvram together:', err)
    call(h, 'UndefineDomain', {'domain': name, 'keepNvram': True})
    check(os.path.exists(nvram(h, name)), 'keepNvram kept the NVRAM')
    err = call_error(h, 'GetDomainInfo', {'domain': name})
    check(err[0].endswith('.NoSuchDomain'), 'the domain is gone:', err)
    call(h, 'DefineDomain', {'xml': domain_xml(name, con, INSECURE)})
    call(h, 'UndefineDomain', {'domain': name, 'nvram': True})
    check(not os.path.exists(nvram(h, name)), 'nvram removed the NVRAM')


def test_root_secure(h):
    name = 'efi-secure'
    con = new_console(h, name, S['qemu'])
    fw = ("\n    <firmware><feature enabled='yes' name='secure-boot'/>"
          "<feature enabled='yes' name='enrolled-keys'/></firmware>")
    call(h, 'DefineDomain', {'xml': domain_xml(name, con, fw)})
    call(h, 'StartDomain', {'domain': name})
    os_xml, xml = live_os(h, name)
    check("secure='yes'" in os_xml and 'OVMF_CODE_4M.ms.fd' in os_xml
          and 'OVMF_VARS_4M.ms.fd' in os_xml, 'the enrolled secure build:', os_xml)
    check("<smm state='on'/>" in xml, 'SMM turned on in the live XML')
    # the enrolled keys refuse the unsigned shell: secure boot at work
    wait_console(con, 'Security Violation')
    with open(os.path.join(root(h), 'run', 'qemu', f'{name}.json')) as f:
        pid = json.load(f)['pid']
    with open(f'/proc/{pid}/cmdline') as f:
        argv = f.read().split('\0')
    check('driver=cfi.pflash01,property=secure,value=on' in argv, 'the secure pflash:', argv)
    check(any('smm=on' in a and 'pflash1=libvirt-pflash1-format' in a for a in argv),
          'smm and both flash chips on -machine:', argv)
    call(h, 'DestroyDomain', {'domain': name})
    call(h, 'UndefineDomain', {'domain': name, 'nvram': True})
    check(not os.path.exists(nvram(h, name)), 'nvram removed the NVRAM')


def test_failed_start(h):
    name = 'efi-fail'
    con = new_console(h, name, S['qemu'])
    extra = "\n  <qemu:commandline><qemu:arg value='-no-such-option'/></qemu:commandline>"
    call(h, 'DefineDomain', {'xml': domain_xml(name, con, extra=extra)})
    err = call_error(h, 'StartDomain', {'domain': name})
    check(err is not None, 'the start failed')
    nvdir = os.path.dirname(nvram(h, name))
    left = [f for f in os.listdir(nvdir) if f.startswith(name)] if os.path.isdir(nvdir) else []
    check_eq(left, [], 'no NVRAM (nor a temporary) left by the failed start')
    call(h, 'UndefineDomain', {'domain': name})


def test_user_embedded(h):
    user = h.add_user()
    top = h.path('user-root')
    os.makedirs(top)
    os.chown(top, user.uid, user.gid)
    name = 'efi-user'
    con = new_console(h, name, user)
    xml = h.path('efi-user.xml')
    with open(xml, 'w') as f:
        f.write(domain_xml(name, con, INSECURE))
    os.chmod(xml, 0o644)
    run = [os.path.join(h.builddir, 'tools', 'virtkit-qemu-run'), '--root', top, xml]
    env = h.base_env(HOME=top, XDG_CONFIG_HOME=os.path.join(top, 'config'))
    for attempt in (1, 2):
        log = h.log_path(f'qemu-run-{attempt}')
        with open(log, 'wb') as out:
            p = subprocess.Popen(h.user_argv(run, user), stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, env=env)
        h.procs.append((p, 'virtkit-qemu-run'))
        wait_until(lambda: 'UEFI Interactive Shell' in console_text(con) or
                   p.poll() is not None, 90, 'the UEFI shell', interval=0.2)
        check(p.poll() is None, 'virtkit-qemu-run exited early:',
              h.log_text(f'qemu-run-{attempt}'))
        st = os.stat(nvram(h, name, top))
        check_eq((st.st_uid, st.st_mode & 0o7777), (user.uid, 0o600), 'NVRAM owner and mode')
        if attempt == 1:
            S['ino'] = st.st_ino
        else:
            check_eq(st.st_ino, S['ino'], 'the second run used the same NVRAM')
        # the shell does not listen for the power button: the second Ctrl-C destroys
        p.send_signal(signal.SIGINT)
        time.sleep(1)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
        os.truncate(con, 0)
    check(os.path.exists(nvram(h, name, top)), 'the NVRAM stays after the run')
    check_eq(vkharness.qemu_pids(h.tmp, QEMU), [], 'no QEMU left')


def stop_all(h):
    """Destroy what a failed test left running (the daemon does not stop its QEMUs)."""
    for d in call(h, 'ListDomains', {})['domains']:
        name = d['name'] if isinstance(d, dict) else d
        h.vlcall(sock(h), f'{IFACE}.DestroyDomain', json.dumps({'domain': name}), timeout=30)


def guarded(test):
    def run(h):
        try:
            test(h)
        finally:
            stop_all(h)
    run.__name__ = test.__name__
    return run


def test_no_qemu_left(h):
    left = vkharness.qemu_pids(h.tmp, QEMU)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    check_eq(left, [], 'QEMUs left behind by the tests')


def main():
    if os.geteuid() != 0:
        print('1..0 # SKIP needs root (throwaway users, QEMU as another user)')
        return 0
    for path in (QEMU, os.path.join(DESCRIPTORS, '60-edk2-x86_64.json'), PLAIN_VARS):
        if not os.path.exists(path):
            print(f'1..0 # SKIP {path} is missing (qemu-system-x86 and ovmf)')
            return 0
    tests = [test_root_plain, test_root_secure, test_failed_start, test_user_embedded]
    if len(sys.argv) > 1:
        tests = [t for t in tests if any(a in t.__name__ for a in sys.argv[1:])]
    return run_tests('uefi-guest', [guarded(t) for t in tests] + [test_no_qemu_left],
                     setup=setup)


if __name__ == '__main__':
    sys.exit(main())
