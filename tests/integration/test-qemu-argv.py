#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real QEMU accepts the command lines virtkit builds.

The input is the argv goldens (tests/data/qemuxml/*.args, tests/data/qemuargv/*.args) of
one recorded QEMU (tests/data/qemucaps/caps_VERSION_x86_64.replies; its goldens are
NAME.x86_64-MAJOR.MINOR.args): the host QEMU's version when it is recorded, else the newest
recorded one older than it. test-argv proves they are byte for byte what
vk_qemu_build_command() emits, so starting QEMU with them tests the builder. For each case this script:

  - swaps what points at the test host's imaginary resources for real temporary ones: the
    private dir (monitor socket, master key, channel sockets), disk images (qemu-img create,
    qcow2 or raw as the format node says; an encrypted disk gets a LUKS image and its secret
    in plain text instead of the fixed fake ciphertext), chardev files and sockets, pflash
    firmware (blank 2 MiB files), -bios (SeaBIOS), VNC/SPICE ports and TCP chardevs (free
    ports on the loopback, with a listener for a client socket);
  - gives each vhost-user-fs-pci a real virtiofsd (as root) on its socket, sharing a
    temporary directory, each emulated TPM (-tpmdev emulator) a real swtpm on its chardev's
    socket with a temporary state, and each 9p -fsdev a temporary directory; opens /dev/vhost-vsock for
    a vhost-vsock-pci at the fd number its vhostfd names;
  - replaces each tap netdev (fd passing needs a host bridge and the lifecycle code) by a
    user-mode netdev with the same id, and host_device/host_cdrom storage by a file image;
  - uses /usr/bin/qemu-system-x86_64 whatever <emulator> says, and -accel tcg when
    /dev/kvm cannot be opened;
  - starts QEMU (-S is in every command line), talks QMP on the monitor socket:
    qmp_capabilities, query-status (must be paused in prelaunch), query-block (every drive
    a -device names is inserted), qom-list /machine/peripheral (every -device id is there),
    query-tpm (every -tpmdev is there, with its type), then quit; QEMU must exit 0. On failure QEMU's stderr is printed.

Cases that need what this host cannot give are skipped with the reason: a real kernel
(-kernel), a host TPM for tpm-passthrough (/dev/tpm0), swtpm for an emulated one, SCSI passthrough (scsi-block on a real LUN),
guest RAM on hugepages the host has not reserved (free_hugepages), emulated smartcards
(ccid-card-emulated needs a reader or an NSS database with the certificates), vsock without
/dev/vhost-vsock (module vhost_vsock), virtio-fs without virtiofsd or root,
host-passthrough CPUs where `-accel kvm -cpu host` does not run (no usable /dev/kvm, or a
host whose KVM refuses the host CPU's MSRs: QEMU 7.2 on some AMD EPYC aborts with "failed to set
MSR 0x10a"; vkhost.py probes it once), SMM (smm=on) under a KVM that lacks it (a nested KVM:
"System Management Mode not supported by this hypervisor"). VK_TEST_NO_KVM=1 and VK_TEST_NO_CPU_HOST=1 pretend the
host lacks them, to run those paths on a host that has them. The qemu:commandline arguments of the goldens are
placeholders QEMU rejects ('-newarg') and are dropped. One QEMU at a time. Output: TAP.
"""

import glob
import json
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkhost import (QEMU_IMG, VIRTIOFSD, cpu_host_problem, cpu_hyperv_problem,  # noqa: E402
                    hugepages_problem, kvm_usable, qemu_img_env, vhost_vsock_problem,
                    virtiofsd_problem)

SRC = os.environ.get('VK_TOP_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
QEMU = '/usr/bin/qemu-system-x86_64'
SWTPM = shutil.which('swtpm')
PRIVATE = '/run/vk-argv-test/domain'
SEABIOS = '/usr/share/seabios/bios.bin'
TIMEOUT = 20


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def free_port(lo=5900, hi=6900):
    # start at a random place: the lowest free port is what every other QEMU on this machine
    # (other test runs, a demo) takes next, between our check and our QEMU's bind
    first = random.randrange(lo, hi)
    for port in list(range(first, hi)) + list(range(lo, first)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(('', port))
            except OSError:
                continue
            return port
    raise Skip('no free TCP port for graphics')


def parse_args_file(path):
    text = open(path).read().replace('\\\n', ' ')
    words = shlex.split(text)
    env, i = {}, 0
    while '=' in words[i] and not words[i].startswith('/'):
        k, v = words[i].split('=', 1)
        env[k] = v
        i += 1
    args = words[i + 1:]
    # qemu:commandline arguments come right before "-sandbox … -msg timestamp=on" (libvirt's
    # place); the goldens' are placeholders QEMU would reject ('-newarg'), test-argv checks
    # where they go: drop them here
    extra = qemu_commandline_args(re.sub(r'\.[^.]+-[0-9.]+\.args$', '.xml', path))
    sandbox = args.index('-sandbox')
    if extra and args[sandbox - len(extra):sandbox] == extra:
        args = args[:sandbox - len(extra)] + args[sandbox:]
    return env, words[i], args


def qemu_commandline_args(xml_path):
    """The values of <qemu:commandline><qemu:arg value=…/> of the golden's input, in order."""
    if not os.path.exists(xml_path):
        return []
    root = ET.parse(xml_path).getroot()
    ns = '{http://libvirt.org/schemas/domain/qemu/1.0}'
    return [a.get('value') for c in root.findall(f'{ns}commandline')
            for a in c.findall(f'{ns}arg')]


class Case:
    def __init__(self, path, tmp):
        self.name = os.path.basename(path).split('.')[0]
        self.tmp = tmp
        self.env, self.binary, self.args = self.read_args(path)
        self.private = os.path.join(tmp, 'private')
        os.makedirs(self.private)
        with open(os.path.join(self.private, 'master-key.aes'), 'wb') as f:
            f.write(os.urandom(32))
        self.files = {}
        self.n = 0
        self.drives = []       # node names a -device uses as drive
        self.device_ids = []   # ids of every -device
        self.secret_plain = {}  # secret id -> passphrase
        self.vu_fs_chardevs = set()  # chardev ids of vhost-user-fs-pci devices
        self.pass_fds = {}  # fd number QEMU sees -> our fd
        self.daemons = []  # virtiofsd and swtpm processes
        self.tpm_chardevs = set()  # chardev ids of emulated TPMs
        self.tpmdevs = {}  # -tpmdev id -> type

    def tmpfile(self, orig, suffix=''):
        if orig not in self.files:
            self.n += 1
            self.files[orig] = os.path.join(self.tmp, f'f{self.n}{suffix}')
        return self.files[orig]

    def read_args(self, path):
        """Environment, binary and arguments of the command line in @path (a golden)."""
        return parse_args_file(path)

    def sub_private(self, s):
        return s.replace(PRIVATE, self.private)

    def prepare(self):
        out, args, i = [], self.args, 0
        formats = {}   # storage node -> (format driver, encrypted secret id)
        for j in range(len(args) - 1):
            if args[j] == '-blockdev':
                o = json.loads(args[j + 1])
                if 'file' in o and isinstance(o['file'], str):
                    enc = o.get('key-secret') or (o.get('encrypt') or {}).get('key-secret')
                    formats[o['file']] = (o['driver'], enc)
            if args[j] in ('-kernel', '-initrd'):
                raise Skip('needs a real kernel image for -kernel')
            if args[j] == '-tpmdev':
                self.check_tpmdev(args[j + 1])
            if args[j] == '-cpu' and args[j + 1].split(',')[0] == 'host' and cpu_host_problem():
                raise Skip(f'-cpu host: {cpu_host_problem()}')
            if args[j] == '-cpu' and ',hv-' in args[j + 1]:
                accel = args[args.index('-accel') + 1] if '-accel' in args else 'tcg'
                problem = cpu_hyperv_problem(args[j + 1], accel)
                if problem:
                    raise Skip(f'Hyper-V enlightenments: {problem}')
            if args[j] == '-device' and json.loads(args[j + 1])['driver'] == 'scsi-block':
                raise Skip('scsi-block needs a real SCSI LUN')
            if args[j] == '-object':
                self.check_memory_backend(json.loads(args[j + 1]))
            if args[j] == '-device':
                self.check_device(json.loads(args[j + 1]))
            if args[j] == '-machine' and 'smm=on' in args[j + 1].split(','):
                self.check_smm(args)
        while i < len(args):
            a = args[i]
            v = args[i + 1] if i + 1 < len(args) else None
            if a == '-accel' and v == 'kvm' and not kvm_usable():
                v = 'tcg'
            elif a == '-object':
                o = json.loads(v)
                if o.get('qom-type') == 'secret' and o['id'] != 'masterKey0':
                    pw = 'virtkit-test-passphrase'
                    self.secret_plain[o['id']] = pw
                    o = {'qom-type': 'secret', 'id': o['id'], 'data': pw, 'format': 'raw'}
                elif 'file' in o:
                    o['file'] = self.sub_private(o['file'])
                v = json.dumps(o)
            elif a == '-blockdev':
                o = json.loads(v)
                if 'filename' in o:
                    o = self.make_image(o, formats.get(o['node-name'], ('raw', None)))
                v = json.dumps(o)
            elif a == '-netdev':
                o = json.loads(v)
                if o['type'] == 'tap':  # needs a bridge and an fd from the lifecycle code
                    o = {'type': 'user', 'id': o['id']}
                v = json.dumps(o)
            elif a == '-device':
                o = json.loads(v)
                if 'id' in o:  # a USB companion controller has none, as under libvirt
                    self.device_ids.append(o['id'])
                if 'drive' in o:
                    self.drives.append(o['drive'])
            elif a == '-chardev':
                v = self.fix_chardev(v)
            elif a == '-fsdev':
                v = self.fix_fsdev(v)
            elif a == '-bios':
                v = SEABIOS
            elif a == '-vnc':
                v = self.fix_vnc(v)
            elif a == '-spice':
                parts = [f'port={free_port(6000)}' if p.startswith('port=') else p
                         for p in v.split(',')]
                v = ','.join(parts)
            if v is not None and not v.startswith('-'):
                out += [a, v]
                i += 2
            else:
                out.append(a)
                i += 1
        self.args = out
        self.env['HOME'] = self.private

    def check_memory_backend(self, o):
        if o.get('qom-type') == 'memory-backend-memfd' and o.get('hugetlb'):
            problem = hugepages_problem(o.get('hugetlbsize'), o['size'])
            if problem:
                raise Skip(f'guest RAM on hugepages: {problem}')
        if o.get('qom-type') == 'memory-backend-file' and 'hugepages' in o.get('mem-path', ''):
            problem = hugepages_problem(None, o['size'])
            if problem:
                raise Skip(f'guest RAM on hugetlbfs: {problem}')

    def check_smm(self, args):
        from vkhost import kvm_smm_problem
        accel = args[args.index('-accel') + 1] if '-accel' in args else 'tcg'
        # without a usable /dev/kvm the case runs under TCG, which has SMM
        if accel == 'kvm' and kvm_usable() and kvm_smm_problem():
            raise Skip(f'SMM (smm=on) under KVM: {kvm_smm_problem()}')

    def check_device(self, o):
        if o['driver'] == 'ccid-card-emulated':
            raise Skip('ccid-card-emulated needs a smartcard reader or an NSS database holding '
                       'the certificates on the host (QEMU: "failed to initialize vcard")')
        if o['driver'] == 'vhost-vsock-pci' and 'vhostfd' in o:
            problem = vhost_vsock_problem()
            if problem:
                raise Skip(f'vsock: {problem}')
            fd = os.open('/dev/vhost-vsock', os.O_RDWR | os.O_CLOEXEC)
            self.pass_fds[int(o['vhostfd'])] = fd
        if o['driver'] == 'vhost-user-fs-pci':
            problem = virtiofsd_problem()
            if problem:
                raise Skip(f'virtio-fs: {problem}')
            self.vu_fs_chardevs.add(o['chardev'])

    def check_tpmdev(self, v):
        kind, opts = v.split(',')[0], dict(p.split('=', 1) for p in v.split(',')[1:])
        if kind == 'passthrough' and not os.path.exists(opts.get('path', '/dev/tpm0')):
            raise Skip(f'tpm-passthrough needs a host TPM ({opts.get("path", "/dev/tpm0")})')
        if kind == 'emulator':
            if not SWTPM:
                raise Skip('an emulated TPM needs swtpm (package swtpm)')
            self.tpm_chardevs.add(opts['chardev'])
        self.tpmdevs[opts['id']] = kind

    def start_swtpm(self, path):
        """A real swtpm (TPM 2.0, a fresh temporary state) listening on the socket @path."""
        n = len(self.daemons)
        state = os.path.join(self.tmp, f'tpm{n}')
        os.makedirs(state)
        log = open(os.path.join(self.tmp, f'swtpm{n}.log'), 'wb')
        proc = subprocess.Popen([SWTPM, 'socket', '--ctrl', f'type=unixio,path={path},mode=0600',
                                 '--tpmstate', f'dir={state},mode=0600', '--terminate',
                                 '--tpm2'], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.wait_daemon(proc, path, log, 'swtpm')

    def wait_daemon(self, proc, path, log, what):
        self.daemons.append(proc)
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(path):
            if proc.poll() is not None:
                raise Fail(f'{what} exited with {proc.returncode}: '
                           + open(log.name, errors='replace').read().strip())
            if time.monotonic() > deadline:
                raise Fail(f'{what} did not create {path} within {TIMEOUT} s')
            time.sleep(0.02)

    def start_virtiofsd(self, path):
        """A real virtiofsd serving a temporary directory on the socket @path."""
        share = os.path.join(self.tmp, f'share{len(self.daemons)}')
        os.makedirs(share)
        log = open(os.path.join(self.tmp, f'virtiofsd{len(self.daemons)}.log'), 'wb')
        proc = subprocess.Popen([VIRTIOFSD, f'--socket-path={path}', '-o', f'source={share}',
                                 '-o', 'cache=auto'], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log)
        self.wait_daemon(proc, path, log, 'virtiofsd')

    def cleanup(self):
        for proc in self.daemons:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for fd in self.pass_fds.values():
            os.close(fd)
        self.pass_fds = {}

    def fix_fsdev(self, v):
        # a 9p share of a directory this host has: a temporary one (',,' is an escaped comma)
        parts = v.replace(',,', '\0').split(',')
        for k, p in enumerate(parts):
            if p.startswith('path='):
                share = self.tmpfile(p, '.9p')
                os.makedirs(share, exist_ok=True)
                parts[k] = 'path=' + share.replace(',', ',,')
        return ','.join(parts).replace('\0', ',,')

    def make_image(self, o, fmt):
        driver, secret = fmt
        if driver in ('qcow2', 'luks'):
            img = self.tmpfile(o['filename'], '.' + driver)
            if not os.path.exists(img):
                cmd = [QEMU_IMG, 'create', '-q']
                if secret:
                    cmd += ['--object', f'secret,id=sec0,data={self.secret_plain[secret]}']
                    if driver == 'qcow2':
                        cmd += ['-f', 'qcow2', '-o', 'encrypt.format=luks,'
                                'encrypt.key-secret=sec0,encrypt.iter-time=10']
                    else:
                        cmd += ['-f', 'luks', '-o', 'key-secret=sec0,iter-time=10']
                else:
                    cmd += ['-f', 'qcow2']
                # as storaged runs it (vkhost.qemu_img_env(): exact CPU time for LUKS)
                r = subprocess.run(cmd + [img, '64M'], env=qemu_img_env(),
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f'qemu-img could not create {img}: {r.stderr.strip()}')
        else:
            img = self.tmpfile(o['filename'], '.raw')
            if not os.path.exists(img):
                size = 2 * 1024 * 1024 if 'pflash' in o['node-name'] else 64 * 1024 * 1024
                with open(img, 'wb') as f:
                    f.truncate(size)
        o['filename'] = img
        # no block device or CD-ROM drive to spare: a file stands in
        if o['driver'] in ('host_device', 'host_cdrom'):
            o['driver'] = 'file'
        return o

    def fix_chardev(self, v):
        parts = []
        for p in v.split(','):
            if p.startswith('path='):
                path = self.sub_private(p[5:])
                if not path.startswith(self.private):
                    path = self.tmpfile(path, '.chr')
                p = 'path=' + path
            parts.append(p)
        ids = [p[3:] for p in parts if p.startswith('id=')]
        if parts[0] == 'socket' and ids and ids[0] in self.vu_fs_chardevs:
            self.start_virtiofsd([p[5:] for p in parts if p.startswith('path=')][0])
        elif parts[0] == 'socket' and ids and ids[0] in self.tpm_chardevs:
            self.start_swtpm([p[5:] for p in parts if p.startswith('path=')][0])
        elif parts[0] == 'socket' and any(p.startswith('port=') for p in parts):
            # TCP: a free port on the loopback; a client needs a listener there: be one
            port = free_port(20000, 30000)
            parts = ['host=127.0.0.1' if p.startswith('host=') else
                     f'port={port}' if p.startswith('port=') else p for p in parts]
            if 'server=on' not in parts:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind(('127.0.0.1', port))
                s.listen(1)
                self.listeners = getattr(self, 'listeners', []) + [s]
        elif parts[0] == 'socket' and 'server=on' not in parts and 'charmonitor' not in v:
            # a client socket needs a listener: be one
            path = [p[5:] for p in parts if p.startswith('path=')][0]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(1)
            self.listeners = getattr(self, 'listeners', []) + [s]
        return ','.join(parts)

    def fix_vnc(self, v):
        parts = v.split(',')
        addr = parts[0]
        if addr.startswith('unix:'):
            parts[0] = 'unix:' + self.sub_private(addr[5:])
        elif addr != 'none':  # none: no listener at all
            host = addr.rsplit(':', 1)[0]
            parts[0] = f'{host}:{free_port() - 5900}'
        parts = [f'websocket={free_port(5700, 5800)}' if p.startswith('websocket=') else p
                 for p in parts]
        return ','.join(parts)


class Qmp:
    def __init__(self, path, proc):
        # QEMU binds the monitor socket before it listens on it, and under load a connect in
        # between is refused: retry while QEMU lives, until the deadline
        deadline = time.monotonic() + TIMEOUT
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(TIMEOUT)
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError) as e:
                self.sock.close()
                if proc.poll() is not None:
                    raise Fail(f'QEMU exited with {proc.returncode} before QMP')
                if time.monotonic() > deadline:
                    raise Fail(f'QMP socket {path} not accepting after {TIMEOUT} s: {e}')
                time.sleep(0.02)
        self.buf = b''
        greeting = self.read()
        if 'QMP' not in greeting:
            raise Fail(f'no QMP greeting: {greeting}')

    def read(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise Fail('QMP connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {'execute': name}
        if args:
            msg['arguments'] = args
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            r = self.read()
            if 'event' in r:
                continue
            if 'error' in r:
                raise Fail(f'{name}: {r["error"]}')
            return r['return']


def run_case(path):
    with tempfile.TemporaryDirectory(prefix='vk-argv-') as tmp:
        c = Case(path, tmp)
        try:
            return run_prepared(c, tmp)
        finally:
            c.cleanup()


def run_prepared(c, tmp):
    c.prepare()
    mon = os.path.join(c.private, 'monitor.sock')
    errpath = os.path.join(tmp, 'stderr')
    # fds QEMU gets at the numbers its command line names (vhostfd=)
    for target, fd in c.pass_fds.items():
        os.dup2(fd, target, inheritable=True)
    try:
        with open(errpath, 'wb') as err:
            proc = subprocess.Popen([QEMU] + c.args, env=c.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, cwd=tmp,
                                    pass_fds=list(c.pass_fds))
    finally:
        for target in c.pass_fds:
            os.close(target)
    try:
        qmp = Qmp(mon, proc)
        qmp.cmd('qmp_capabilities')
        st = qmp.cmd('query-status')
        if st['running'] or st['status'] != 'prelaunch':
            raise Fail(f'not paused in prelaunch: {st}')
        blocks = qmp.cmd('query-block')
        inserted = {b['inserted']['node-name'] for b in blocks if 'inserted' in b}
        missing = [d for d in c.drives if d not in inserted]
        if missing:
            raise Fail(f'drives not in query-block: {missing}')
        names = {p['name'] for p in qmp.cmd('qom-list', path='/machine/peripheral')}
        missing = [d for d in c.device_ids if d not in names]
        if missing:
            raise Fail(f'devices not in /machine/peripheral: {missing}')
        if c.tpmdevs:
            tpms = {t['id']: t['options']['type'] for t in qmp.cmd('query-tpm')}
            if tpms != c.tpmdevs:
                raise Fail(f'query-tpm: got {tpms}, want {c.tpmdevs}')
        qmp.cmd('quit')
        rc = proc.wait(TIMEOUT)
        if rc != 0:
            raise Fail(f'QEMU exited with {rc}')
    except (Fail, OSError, subprocess.TimeoutExpired) as e:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr = open(errpath, errors='replace').read()
        raise Fail(f'{e}\n  args: {shlex.join(c.args)}\n  stderr: {stderr.strip()}')
    for s in getattr(c, 'listeners', []):
        s.close()
    return len(c.device_ids), len(c.drives)


def version_key(v):
    return tuple(int(x) for x in v.split('.'))


def golden_suffix():
    """The suffix of the goldens to run on the host's QEMU, or None; and why."""
    out = subprocess.run([QEMU, '--version'], capture_output=True, text=True).stdout
    m = re.search(r'version (\d+)\.(\d+)', out)
    if not m:
        return None, f'cannot tell the version of {QEMU}: {out.strip()!r}'
    host = f'{m.group(1)}.{m.group(2)}'
    recorded = set()
    for f in glob.glob(os.path.join(SRC, 'tests/data/qemucaps/caps_*_x86_64.replies')):
        version = os.path.basename(f)[len('caps_'):].split('_')[0]
        recorded.add('.'.join(version.split('.')[:2]))
    older = [v for v in recorded if version_key(v) <= version_key(host)]
    if not older:
        return None, f'QEMU {host}: no goldens recorded for it or older ({sorted(recorded)})'
    use = max(older, key=version_key)
    return f'.x86_64-{use}', f'QEMU {host}: the goldens recorded for QEMU {use}'


def main():
    if not os.access(QEMU, os.X_OK) or not os.access(QEMU_IMG, os.X_OK):
        print(f'1..0 # SKIP {QEMU} or {QEMU_IMG} not found')
        return 0
    suffix, why = golden_suffix()
    if not suffix:
        print(f'1..0 # SKIP {why}')
        return 0
    print(f'# {why}')
    files = sorted(glob.glob(os.path.join(SRC, f'tests/data/qemuxml/*{suffix}.args')) +
                   glob.glob(os.path.join(SRC, f'tests/data/qemuargv/*{suffix}.args')))
    only = sys.argv[1:]
    if only:
        files = [f for f in files if os.path.basename(f).split('.')[0] in only]
    print(f'1..{len(files)}')
    failed = 0
    start = time.monotonic()
    for n, f in enumerate(files, 1):
        name = os.path.relpath(f, os.path.join(SRC, 'tests/data'))
        t0 = time.monotonic()
        try:
            devs, drives = run_case(f)
            print(f'ok {n} - {name} ({devs} devices, {drives} drives, '
                  f'{time.monotonic() - t0:.2f}s)')
        except Skip as e:
            print(f'ok {n} - {name} # SKIP {e}')
        except Fail as e:
            failed += 1
            print(f'not ok {n} - {name}')
            for line in str(e).splitlines():
                print(f'# {line}')
        sys.stdout.flush()
    print(f'# {len(files)} cases, {failed} failed, {time.monotonic() - start:.1f}s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
