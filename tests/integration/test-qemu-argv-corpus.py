#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real QEMU accepts virtkit's command lines for the compatibility corpus.

tests/data/compat/ holds domain XML the way users get it (virt-install --print-xml and virsh
dumpxml); test-compat.py compares virtkit's command line for each with libvirt's, but never
runs it. This runs it: for every domain in both forms, `virtkit -c qemu:///embed?root=TMP
domxml-to-native qemu-argv FILE` (the real embedded driver, probing the host's QEMU), and the
command line it prints goes through the machinery of test-qemu-argv.py (its Case and
run_prepared: imaginary resources swapped for real temporary ones, QEMU started paused, every
drive and device checked over QMP, quit, exit status 0), with:

  - the domain's private dir under the embedded root (ROOT/run/qemu/domain--1-NAME, where the
    monitor, guest agent, virtiofsd and swtpm sockets and the master key live) swapped for
    the case's own, as the goldens' placeholder is (the XDG_* variables too);
  - the firmware kept: a read-only pflash file that exists under /usr/share (OVMF from the
    firmware descriptors) is opened as is, and the NVRAM, which domxml-to-native names but
    does not create, is a copy of the matching VARS template beside it (CODE -> VARS);
    disks, ISOs, 9p shares and taps are swapped as in the goldens.

A domain virtkit refuses is skipped with virtkit's error (test-compat.py tracks refusals);
the probe-based skips of test-qemu-argv.py apply as they are (TPM without swtpm, -kernel,
-cpu host where KVM refuses it, hugepages, vsock, emulated smartcards, virtio-fs without
virtiofsd or root), each naming the reason. Two host limitations would skip most of the
Windows and UEFI domains on a nested KVM (the CI's): those are taken out of the line instead,
and the rest runs, the TAP line naming what was taken out and the probe's answer:

  - the Hyper-V enlightenments KVM refuses (vkhost.cpu_hyperv_problem, each flag probed
    alone: hv-time and hv-vapic here, "failed to set MSR 0x40000021");
  - smm=on where KVM has no SMM (vkhost.kvm_smm_problem: "System Management Mode not
    supported by this hypervisor"): smm=off.

Anything else QEMU refuses is a failure, printed with QEMU's error and the command line.

The virt-install form of a domain is run only when its command line differs from the dumpxml
form's (the two differ only in the XML; most give the same line): it is reported as the same
line otherwise. VK_TEST_ALL_FORMS=1 runs both forms always. Arguments: domain names to run
only those. Needs /dev/kvm (the corpus domains are type='kvm'), QEMU and the built virtkit;
skips without. One QEMU at a time. Output: TAP.
"""

import collections
import importlib.util
import os
import re
import shlex
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vkhost import cpu_hyperv_problem, kvm_smm_problem, kvm_usable  # noqa: E402


def load(script):
    """A test script of this directory as a module (its main() does not run)."""
    name = os.path.splitext(script)[0].replace('-', '_')
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, script))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


argvrun = load('test-qemu-argv.py')
compat = load('test-compat.py')

FORM_ORDER = ('dumpxml', 'virt-install')  # the dumpxml form first: the other one may match it
FIRMWARE_DIR = '/usr/share/'


def vars_template(code):
    """The NVRAM template beside the firmware @code (OVMF_CODE_4M.ms.fd -> OVMF_VARS_4M.ms.fd,
    else OVMF_VARS_4M.fd), or None."""
    d, base = os.path.split(code)
    if 'CODE' not in base:
        return None
    for cand in (base.replace('CODE', 'VARS'), base.replace('CODE', 'VARS').split('.')[0] + '.fd'):
        if os.path.isfile(os.path.join(d, cand)):
            return os.path.join(d, cand)
    return None


class CorpusCase(argvrun.Case):
    """One command line printed by `virtkit domxml-to-native` for the embedded root @root."""

    def __init__(self, path, tmp, root):
        self.domain_dir = re.compile(re.escape(f'{root}/run/qemu/') + compat.DOMAIN_DIR)
        self.root = root
        self.firmware_code = None
        super().__init__(path, tmp)

    def read_args(self, path):
        words = shlex.split(open(path).read())
        env, i = {}, 0
        while '=' in words[i] and not words[i].startswith('/'):
            k, v = words[i].split('=', 1)
            env[k] = v
            i += 1
        return env, words[i], words[i + 1:]

    def sub_private(self, s):
        return self.domain_dir.sub(lambda m: self.private, s)

    def prepare(self):
        self.work_around_host()
        super().prepare()
        self.env = {k: self.sub_private(v) for k, v in self.env.items()}

    def work_around_host(self):
        """What the probes say this host's KVM refuses is taken out of the line, the rest runs:
        Hyper-V enlightenments it refuses (each probed alone, then the rest together) and
        smm=on. Each is recorded in self.workarounds with the probe's answer."""
        self.workarounds = []
        args = self.args
        accel = args[args.index('-accel') + 1] if '-accel' in args else 'tcg'
        if accel != 'kvm' or not kvm_usable():
            return
        for j in range(len(args) - 1):
            if args[j] == '-cpu' and ',hv-' in args[j + 1] and \
                    cpu_hyperv_problem(args[j + 1], accel):
                props = args[j + 1].split(',')
                base = [p for p in props if not p.startswith('hv-')]
                hv = [p for p in props if p.startswith('hv-')]
                refused = [p for p in hv if cpu_hyperv_problem(','.join(base + [p]), accel)]
                kept = [p for p in hv if p not in refused]
                if kept and cpu_hyperv_problem(','.join(base + kept), accel):
                    refused, kept = hv, []
                args[j + 1] = ','.join(base + kept)
                self.workarounds.append(f'-cpu without {",".join(refused)}: '
                                        f'{cpu_hyperv_problem(",".join(base + refused), accel)}')
            if args[j] == '-machine' and 'smm=on' in args[j + 1].split(',') and \
                    kvm_smm_problem():
                args[j + 1] = ','.join('smm=off' if p == 'smm=on' else p
                                       for p in args[j + 1].split(','))
                self.workarounds.append(f'-machine with smm=off: {kvm_smm_problem()}')

    def make_image(self, o, fmt):
        path = o['filename']
        if 'pflash' in o['node-name'] and path.startswith(FIRMWARE_DIR) and os.path.isfile(path):
            self.firmware_code = path  # the real firmware, read-only (auto-read-only)
            return o
        template = vars_template(self.firmware_code) if self.firmware_code else None
        if 'pflash' in o['node-name'] and path.startswith(self.root) and template:
            img = self.tmpfile(path, '.fd')
            shutil.copyfile(template, img)
            o['filename'] = img
            return o
        return super().make_image(o, fmt)


def skip_reason(build):
    if not os.access(argvrun.QEMU, os.X_OK) or not os.access(argvrun.QEMU_IMG, os.X_OK):
        return f'{argvrun.QEMU} or {argvrun.QEMU_IMG} not found'
    if not kvm_usable():
        return '/dev/kvm is not usable (the corpus domains are type=kvm)'
    if not os.access(os.path.join(build, 'tools', 'virtkit'), os.X_OK):
        return f'{build}/tools/virtkit not built'
    return None


def run_line(line, case_dir, root):
    """virtkit's command line @line in QEMU: ('ok', what ran), ('skip', why) or ('fail', why)."""
    os.makedirs(case_dir)
    args_path = os.path.join(case_dir, 'argv')
    with open(args_path, 'w') as f:
        f.write(line)
    t0 = time.monotonic()
    c = CorpusCase(args_path, case_dir, root)
    try:
        devs, drives = argvrun.run_prepared(c, case_dir)
        notes = ''.join(f'\n  ran with {w}' for w in c.workarounds)
        return 'ok', f'{devs} devices, {drives} drives, {time.monotonic() - t0:.2f}s{notes}'
    except argvrun.Skip as e:
        return 'skip', str(e)
    except argvrun.Fail as e:
        return 'fail', str(e)
    finally:
        c.cleanup()
        shutil.rmtree(case_dir, ignore_errors=True)


def main():
    why = skip_reason(compat.BUILD)
    if why:
        print(f'1..0 # SKIP {why}')
        return 0
    all_forms = os.environ.get('VK_TEST_ALL_FORMS', '') not in ('', '0')
    cases = sorted(compat.corpus(), key=lambda c: (c[0], FORM_ORDER.index(c[1])))
    only = sys.argv[1:]
    if only:
        cases = [c for c in cases if c[0] in only]
    print(f'1..{len(cases)}')
    counts = collections.Counter()
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix='vk-argv-corpus-')
    try:
        vk = compat.Virtkit(os.path.join(tmp, 'root'))
        os.makedirs(vk.root)
        dumpxml = {}  # domain -> the dumpxml form's command line and its result
        for n, (name, form) in enumerate(cases, 1):
            key = f'{name}/{form}'
            rc, out, err = vk.native(os.path.join(compat.DATA, f'{name}.{form}.xml'))
            if rc != 0:
                counts['refused'] += 1
                first = err.splitlines()[0] if err else f'exit status {rc}'
                print(f'ok {n} - {key} # SKIP virtkit refuses it (test compat tracks it): '
                      f'{first}')
                sys.stdout.flush()
                continue
            same = ''
            if form == 'dumpxml' or all_forms or dumpxml.get(name, (None,))[0] != out:
                status, detail = run_line(out, os.path.join(tmp, f'{name}.{form}'), vk.root)
                counts[status] += 1
                counts['worked_around'] += status == 'ok' and 'ran with' in detail
            else:
                # byte for byte the dumpxml form's line: QEMU would say the same again
                status, detail = dumpxml[name][1]
                same = ' (the dumpxml form\'s command line)'
                counts['same'] += 1
            if form == 'dumpxml':
                dumpxml[name] = (out, (status, detail))
            first, *rest = detail.splitlines() or ['']
            if status == 'ok':
                print(f'ok {n} - {key}{same}' + ('' if same else f' ({first})'))
                rest = [] if same else rest
            elif status == 'skip':
                print(f'ok {n} - {key}{same} # SKIP {first}')
            else:
                print(f'not ok {n} - {key}{same}')
                counts['not ok'] += 1
                rest = [first] + rest
            for line in rest:
                print(f'# {line}')
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'# {len(cases)} domain forms: {counts["ok"]} ran in QEMU ({counts["worked_around"]} '
          f'without what this host\'s KVM refuses), {counts["skip"]} skipped (host), '
          f'{counts["fail"]} failed, {counts["refused"]} refused by virtkit; {counts["same"]} '
          f'virt-install forms had the dumpxml form\'s line (not run again); '
          f'{time.monotonic() - start:.1f}s')
    return 1 if counts['not ok'] else 0


if __name__ == '__main__':
    sys.exit(main())
