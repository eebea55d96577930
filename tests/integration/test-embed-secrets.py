#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Secrets on an embedded root (qemu:///embed?root=…): no daemon at all.

The CLI hosts the secrets driver in-process next to the QEMU driver: secret-* commands work on
the root, values are kept encrypted under it, and a domain with a LUKS disk gets its passphrase
from the in-process driver. virtkit-qemu-run --secret UUID=FILE gives a one-shot VM its
passphrase without writing it anywhere.
"""

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402
from vkhost import kvm_usable, qemu_img_env  # noqa: E402

UUID = '8f3c1a44-9b8e-4d2e-a1c3-5e6f7a8b9c0d'
PASS = 'embedded-luks-passphrase-42'
S = {}


def vk(h, *args, input=None):
    return h.run([os.path.join(h.builddir, 'tools', 'virtkit'), '-c', S['uri']] + list(args),
                 input=input, timeout=60)


def qemu_pids(name):
    r = subprocess.run(['pgrep', '-f', f'guest={name},'], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def setup(h):
    S['root'] = h.path('root')
    S['uri'] = f'qemu:///embed?root={S["root"]}'
    S['img'] = h.path('disk.qcow2')
    r = subprocess.run(['qemu-img', 'create', '-q', '--object', f'secret,id=s0,data={PASS}',
                        '-f', 'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=s0,'
                        'encrypt.iter-time=10', S['img'], '64M'], capture_output=True,
                       env=qemu_img_env())
    check(r.returncode == 0, 'qemu-img:', r.stderr)
    kind = 'kvm' if kvm_usable() else 'qemu'
    S['xml'] = h.path('dom.xml')
    with open(S['xml'], 'w') as f:
        f.write(f"""<domain type='{kind}'><name>@NAME@</name><memory unit='MiB'>128</memory>
<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='{S['img']}'/><target dev='vda' bus='virtio'/>
<encryption format='luks'><secret type='passphrase' uuid='{UUID}'/></encryption></disk>
</devices></domain>""")


def domain_xml(name):
    with open(S['xml']) as f:
        text = f.read().replace('@NAME@', name)
    path = S['xml'] + f'.{name}'
    with open(path, 'w') as f:
        f.write(text)
    return path


def test_secret_commands(h):
    sx = h.path('s.xml')
    with open(sx, 'w') as f:
        f.write(f"<secret ephemeral='no' private='yes'><uuid>{UUID}</uuid></secret>")
    r = vk(h, 'secret-define', sx)
    check(r.rc == 0, 'secret-define on the embed root:', r)
    r = vk(h, 'secret-set-value', UUID, '--plain', input=PASS + '\n')
    check(r.rc == 0, 'secret-set-value:', r)
    r = vk(h, '--json', 'secret-list')
    check(r.rc == 0 and [s['uuid'] for s in json.loads(r.out)['secrets']] == [UUID],
          'secret-list:', r)
    check_eq(json.loads(r.out)['secrets'][0]['hasValue'], True, 'the value is stored')
    r = vk(h, 'secret-get-value', UUID)
    check(r.rc == 1 and 'private' in r.err, 'a private value is refused:', r)
    for dirpath, _, files in os.walk(S['root']):
        for fn in files:
            p = os.path.join(dirpath, fn)
            if os.path.isfile(p):
                with open(p, 'rb') as f:
                    check(PASS.encode() not in f.read(), 'the passphrase in clear in', p)


def test_luks_domain(h):
    r = vk(h, 'create', '--paused', domain_xml('emb-luks'))
    check(r.rc == 0, 'create with a LUKS disk:', r)
    r = vk(h, 'qemu-monitor-command', 'emb-luks', '{"execute":"query-block"}')
    check(r.rc == 0, 'query-block:', r)
    blocks = json.loads(r.out)['return']
    check(any(b.get('inserted', {}).get('encrypted') for b in blocks), 'an encrypted disk:',
          blocks)
    pids = qemu_pids('emb-luks')
    check_eq(len(pids), 1, 'one QEMU')
    with open(f'/proc/{pids[0]}/cmdline', 'rb') as f:
        check(PASS.encode() not in f.read(), 'the passphrase on the command line')
    r = vk(h, 'destroy', 'emb-luks')
    check(r.rc == 0, 'destroy:', r)
    check_eq(qemu_pids('emb-luks'), [], 'no QEMU left')


def test_qemu_run_secret(h):
    pw = h.path('pw')
    with open(pw, 'w') as f:
        f.write(PASS)
    p = subprocess.Popen([os.path.join(h.builddir, 'tools', 'virtkit-qemu-run'), '--secret',
                          f'{UUID}={pw}', domain_xml('run-luks')],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: qemu_pids('run-luks') or p.poll() is not None, 20,
                   'virtkit-qemu-run to start the domain')
        if p.poll() is not None:
            check(False, 'virtkit-qemu-run exited early:', p.stdout.read())
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    check_eq(p.returncode, 0, 'virtkit-qemu-run exit status')
    check('stopped (destroyed)' in out, 'destroyed on SIGTERM:', out)
    check_eq(qemu_pids('run-luks'), [], 'no QEMU left')


if __name__ == '__main__':
    sys.exit(run_tests('embed-secrets', [test_secret_commands, test_luks_domain,
                                         test_qemu_run_secret], setup=setup))
