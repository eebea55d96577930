# SPDX-License-Identifier: LGPL-2.1-or-later
"""vkhost: what this host can give the tests (python 3 stdlib only, no root needed).

Every integration test asks here instead of assuming: whether /dev/kvm opens (for root or a
user), whether QEMU can run `-accel kvm -cpu host` (it aborts on some AMD hosts with QEMU 7.2:
"failed to set MSR 0x10a"), the cgroup layout (v1, hybrid, pure v2), the active LSMs. A test
then skips with the reason or picks what runs here (TCG instead of KVM); it never fails because
the host lacks a feature.

To check the skip paths on a host that has everything, pretend it has less:
  VK_TEST_NO_KVM=1        /dev/kvm counts as unusable (domains are type='qemu', QEMU on TCG)
  VK_TEST_NO_CPU_HOST=1   `-cpu host` counts as broken, as on the AMD hosts above
"""

import functools
import os
import subprocess

QEMU = '/usr/bin/qemu-system-x86_64'
QEMU_IMG = '/usr/bin/qemu-img'


def _forced(var):
    return os.environ.get(var, '') not in ('', '0')


def kvm_usable():
    """Whether this process may open /dev/kvm read-write (and VK_TEST_NO_KVM is not set)."""
    if _forced('VK_TEST_NO_KVM'):
        return False
    try:
        os.close(os.open('/dev/kvm', os.O_RDWR | os.O_CLOEXEC))
    except OSError:
        return False
    return True


def user_kvm_usable(run_as_user):
    """Whether a user may open /dev/kvm: @run_as_user(argv) runs argv as that user and returns
    its exit status (e.g. lambda argv: h.run(argv, user=u).rc)."""
    if _forced('VK_TEST_NO_KVM'):
        return False
    return run_as_user(['sh', '-c', 'exec 3<>/dev/kvm']) == 0


def kvm_usable_by(h, user):
    """Whether @user (None: this process) may open /dev/kvm read-write; @h runs a command as
    a user (vkharness.Harness)."""
    if user is None:
        return kvm_usable()
    return user_kvm_usable(lambda argv: h.run(argv, user=user).rc)


def virt_type():
    """The <domain type=…> a test's VM should have here: 'kvm' or 'qemu' (TCG)."""
    return 'kvm' if kvm_usable() else 'qemu'


@functools.lru_cache(maxsize=None)
def cpu_host_problem():
    """None when QEMU runs a paused machine with `-accel kvm -cpu host` here, else why not.
    Probed once per process (about 0.1 s): QEMU sets the vCPU's MSRs when the machine is
    created, also with -S, so a host whose KVM refuses them fails here as in the test."""
    if _forced('VK_TEST_NO_CPU_HOST'):
        return 'VK_TEST_NO_CPU_HOST is set'
    if not kvm_usable():
        return 'no usable /dev/kvm'
    if not os.access(QEMU, os.X_OK):
        return f'{QEMU} not found'
    return _paused_machine_problem(['-machine', 'q35', '-accel', 'kvm', '-cpu', 'host'])


def _paused_machine_problem(args):
    """None when QEMU creates a paused machine with @args (and quits on QMP), else why not,
    naming @args and QEMU's last line of error."""
    what = ' '.join(args)
    try:
        r = subprocess.run([QEMU] + args + ['-S', '-nodefaults', '-display', 'none', '-m', '64',
                                            '-qmp', 'stdio'],
                           input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
                           capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return f'QEMU with {what} did not quit within 30 s'
    if r.returncode != 0:
        err = r.stderr.decode(errors='replace').strip().splitlines()
        return (f'QEMU with {what} exits {r.returncode} on this host: '
                + (err[-1] if err else 'no message'))
    return None


_HYPERV_PROBED = {}


def cpu_hyperv_problem(cpu, accel):
    """None when QEMU creates a paused machine with `-accel ACCEL -cpu CPU` (a model with
    Hyper-V enlightenments, hv-…) here, else why not: a nested KVM often refuses some of
    their MSRs ("kernel doesn't allow setting HyperV VP_INDEX"). Probed once per pair."""
    if (cpu, accel) in _HYPERV_PROBED:
        return _HYPERV_PROBED[(cpu, accel)]
    if accel == 'kvm' and not kvm_usable():
        accel = 'tcg'
    try:
        r = subprocess.run([QEMU, '-machine', 'q35', '-accel', accel, '-cpu', cpu, '-S',
                            '-nodefaults', '-display', 'none', '-m', '64', '-qmp', 'stdio'],
                           input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
                           capture_output=True, timeout=30)
        err = r.stderr.decode(errors='replace').strip().splitlines()
        problem = None if r.returncode == 0 else (
            f'QEMU with -accel {accel} -cpu {cpu} exits {r.returncode} on this host: '
            + (err[0] if err else 'no message'))
    except subprocess.TimeoutExpired:
        problem = f'QEMU with -cpu {cpu} did not quit within 30 s'
    _HYPERV_PROBED[(cpu, accel)] = problem
    return problem


@functools.lru_cache(maxsize=None)
def kvm_smm_problem():
    """None when QEMU creates a paused q35 machine with `smm=on` under KVM here, else why not
    (a nested KVM may lack SMM: "System Management Mode not supported by this hypervisor").
    Probed once per process."""
    if not kvm_usable():
        return 'no usable /dev/kvm'
    return _paused_machine_problem(['-machine', 'q35,smm=on', '-accel', 'kvm'])


def cgroup_layout():
    """'v2' (cgroup2 at /sys/fs/cgroup), 'hybrid' (v1 controllers, cgroup2 at
    /sys/fs/cgroup/unified), 'v1' or None (no cgroup file system)."""
    fstypes = {}
    try:
        with open('/proc/self/mountinfo') as f:
            for line in f:
                fields = line.split()
                sep = fields.index('-')
                fstypes[fields[4]] = fields[sep + 1]
    except OSError:
        return None
    if fstypes.get('/sys/fs/cgroup') == 'cgroup2':
        return 'v2'
    if fstypes.get('/sys/fs/cgroup/unified') == 'cgroup2':
        return 'hybrid'
    if any(t == 'cgroup' for p, t in fstypes.items() if p.startswith('/sys/fs/cgroup/')):
        return 'v1'
    return None


def lsms():
    """The active LSMs of the kernel (e.g. ['lockdown', 'capability', 'apparmor'])."""
    try:
        with open('/sys/kernel/security/lsm') as f:
            return [x for x in f.read().strip().split(',') if x]
    except OSError:
        return []


def netns_nft_problem(tag):
    """None when this host runs networkd's tests (root, ip, nft, busybox, dnsmasq, nftables in
    a network namespace of our own), else why not."""
    import shutil
    if os.geteuid() != 0:
        return 'needs root'
    for tool in ('ip', 'nft', 'busybox'):
        if not shutil.which(tool):
            return f'{tool} is not installed'
    if not os.path.exists('/usr/sbin/dnsmasq'):
        return 'dnsmasq is not installed'
    probe_ns = f'vkt-probe-{tag}'
    r = subprocess.run(['ip', 'netns', 'add', probe_ns], capture_output=True, text=True)
    if r.returncode != 0:
        return f'cannot create a network namespace: {r.stderr.strip()}'
    r = subprocess.run(['ip', 'netns', 'exec', probe_ns, 'nft', 'list', 'ruleset'],
                       capture_output=True, text=True)
    subprocess.run(['ip', 'netns', 'del', probe_ns], capture_output=True)
    if r.returncode != 0:
        return f'nftables does not work in a network namespace: {r.stderr.strip()}'
    return None


def hugepages_problem(page_size, total):
    """None when the host has @total bytes of free hugepages of @page_size bytes (None: the
    default size, /proc/meminfo's Hugepagesize), else why not."""
    if page_size is None:
        try:
            with open('/proc/meminfo') as f:
                line = next(x for x in f if x.startswith('Hugepagesize:'))
            page_size = int(line.split()[1]) * 1024
        except (OSError, StopIteration, ValueError):
            return 'no hugepages on this host (/proc/meminfo has no Hugepagesize)'
    kib = page_size // 1024
    try:
        with open(f'/sys/kernel/mm/hugepages/hugepages-{kib}kB/free_hugepages') as f:
            free = int(f.read())
    except (OSError, ValueError):
        return f'the host has no {kib} kB hugepages'
    need = -(-total // page_size)
    if free < need:
        return f'needs {need} free {kib} kB hugepages, the host has {free}'
    return None


def vhost_vsock_problem():
    """None when this process can open /dev/vhost-vsock (module vhost_vsock), else why not."""
    try:
        os.close(os.open('/dev/vhost-vsock', os.O_RDWR | os.O_CLOEXEC))
    except OSError as e:
        return f'/dev/vhost-vsock cannot be opened (module vhost_vsock): {e.strerror}'
    return None


VIRTIOFSD = '/usr/lib/qemu/virtiofsd'


def virtiofsd_problem():
    """None when virtiofsd can serve a share here (it is installed and we are root: Debian 12's
    C virtiofsd needs root for its sandbox), else why not."""
    if not os.access(VIRTIOFSD, os.X_OK):
        return f'{VIRTIOFSD} is not installed (qemu-system-common)'
    if os.geteuid() != 0:
        return 'virtiofsd needs root (its namespace sandbox)'
    return None


def qemu_img_env(base=None):
    """The environment (@base, else this process's) for a qemu-img that derives LUKS keys, as
    storaged runs it: the build tree's tools/virtkit-thread-cputime.so preloaded. Without it
    qemu-img 7.2 fails "Unable to get accurate CPU usage" now and then, often on fast CPUs (its
    source says why)."""
    build = os.environ.get('VK_TOP_BUILDDIR')
    lib = os.path.join(build, 'tools', 'virtkit-thread-cputime.so') if build else ''
    if not os.path.exists(lib):
        raise RuntimeError(f'no virtkit-thread-cputime.so in the build tree ({lib!r}): '
                           'VK_TOP_BUILDDIR must name a built tree')
    env = dict(os.environ if base is None else base)
    env['LD_PRELOAD'] = lib
    return env
