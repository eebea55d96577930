#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The compatibility corpus: virtkit's definition against libvirt 9.0's, element by element.

tests/data/compat/ holds every domain as virt-install writes it and as libvirt 9.0's
`virsh dumpxml` shows it after `virsh define` (NAME.dumpxml.xml: the inactive XML). For every
domain, in both forms, this runs `virtkit -c qemu:///embed?root=TMP define FILE` (the real
embedded driver, which knows the host's QEMU) and `dumpxml --inactive NAME`, and compares the
result with libvirt's, element by element:

  - every element's attributes and text (whitespace around text aside), and its children:
    paired by tag and position, a <controller> by its type and index, so that a controller
    missing or added is named as such; the order of the children is compared on its own;
  - what legitimately differs between the two instances is normalised on both sides: the
    embedded root's directories become libvirt's (/var/lib/libvirt, ...) before comparing.

A difference is a path (/domain/devices/controller[type=pci,index=1]/@model) and what each
side has. tests/data/compat/known-xml-differences.json lists, as data, the differences that
are meant (with the reason, docs/domain-xml.md "The compatibility corpus"): each entry names
the domains (or "*") and a regular expression of the path. A difference that no entry
explains fails the test; an entry that explains nothing any more is printed. The summary
counts the domains whose XML is libvirt's exactly and with the known differences aside.

Skips unless root could use the corpus's QEMU: /usr/bin/qemu-system-x86_64 of the recorded
major.minor version (tests/data/compat/VERSIONS) and a usable /dev/kvm, as test-compat.py.
"""

import fnmatch
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the skip conditions are test-compat.py's (the same corpus, QEMU and driver)
_spec = importlib.util.spec_from_file_location('test_compat', os.path.join(HERE, 'test-compat.py'))
compat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compat)

SRC = os.environ.get('VK_TOP_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('VK_TOP_BUILDDIR', os.path.join(SRC, 'build'))
DATA = os.path.join(SRC, 'tests', 'data', 'compat')
KNOWN = os.path.join(DATA, 'known-xml-differences.json')
FORMS = ('virt-install', 'dumpxml')
# the embedded root's dirs and the libvirt dirs they stand for
ROOT_DIRS = [('var/lib/virtkit', '/var/lib/libvirt'), ('var/cache/virtkit', '/var/cache/libvirt'),
             ('run/virtkit', '/run/libvirt'), ('var/log/virtkit', '/var/log/libvirt'),
             ('etc/virtkit', '/etc/libvirt')]


# ---------------------------------------------------------------- XML as data

def norm_text(s):
    return (s or '').strip()


def child_key(el):
    """How a child is paired with the other side's: controllers by type and index (and a USB
    controller's model: the companions of a USB2 set share the index)."""
    if el.tag == 'controller':
        model = f',model={el.get("model")}' if el.get('type') == 'usb' else ''
        return f'controller[type={el.get("type")},index={el.get("index")}{model}]'
    return None


def label(el, keyed, nth):
    k = child_key(el) if keyed else None
    return k if k else f'{el.tag}[{nth}]'


def children(el):
    """The children of @el as an ordered list of (label, element)."""
    out, seen = [], {}
    for c in el:
        if not isinstance(c.tag, str):
            continue  # comments
        seen[c.tag] = seen.get(c.tag, 0) + 1
        out.append((label(c, True, seen[c.tag]), c))
    return out


def show(el):
    attrs = ''.join(f" {k}='{v}'" for k, v in sorted(el.attrib.items()))
    return f'<{el.tag}{attrs}>'


def compare(ours, theirs, path, diffs):
    """Append (path, detail) for every difference between the elements @ours and @theirs."""
    for k in sorted(set(ours.attrib) | set(theirs.attrib)):
        a, b = ours.get(k), theirs.get(k)
        if a != b:
            diffs.append((f'{path}/@{k}', f'ours {a!r}, libvirt {b!r}'))
    if norm_text(ours.text) != norm_text(theirs.text):
        diffs.append((f'{path}/text()', f'ours {norm_text(ours.text)!r}, libvirt '
                      f'{norm_text(theirs.text)!r}'))
    oc, tc = children(ours), children(theirs)
    od, td = dict(oc), dict(tc)
    for lb, el in tc:
        if lb in od:
            compare(od[lb], el, f'{path}/{lb}', diffs)
        else:
            diffs.append((f'{path}/{lb}', f'missing: libvirt has {show(el)}'))
    for lb, el in oc:
        if lb not in td:
            diffs.append((f'{path}/{lb}', f'extra: ours has {show(el)}'))
    common_o = [lb for lb, _ in oc if lb in td]
    common_t = [lb for lb, _ in tc if lb in od]
    if common_o != common_t:
        diffs.append((f'{path}/*', 'order: ours ' + ' '.join(common_o) + '; libvirt ' +
                      ' '.join(common_t)))


def normalise(text, root):
    for rel, lv in ROOT_DIRS:
        text = text.replace(os.path.join(root, rel), lv)
    return text


def diff_domain(ours_xml, theirs_path, root):
    ours = ET.fromstring(normalise(ours_xml, root))
    theirs = ET.parse(theirs_path).getroot()
    diffs = []
    compare(ours, theirs, '/domain', diffs)
    return diffs


# ---------------------------------------------------------------- known differences

def load_known():
    with open(KNOWN) as f:
        return json.load(f)['differences']


def explain(key, diffs, known, used):
    """The differences of domain @key that no entry of @known explains."""
    left = []
    for path, detail in diffs:
        hit = None
        for i, k in enumerate(known):
            if not any(fnmatch.fnmatchcase(key, d) for d in k['domains']):
                continue
            if re.fullmatch(k['path'], path) and re.search(k.get('detail', ''), detail):
                hit = i
                break
        if hit is None:
            left.append((path, detail))
        else:
            used.add(hit)
    return left


# ---------------------------------------------------------------- virtkit and the corpus

class Virtkit:
    def __init__(self, root):
        self.root = root
        self.cli = os.path.join(BUILD, 'tools', 'virtkit')
        self.uri = f'qemu:///embed?root={root}'

    def run(self, *args):
        r = subprocess.run([self.cli, '-c', self.uri] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        return r.returncode, r.stdout, r.stderr.strip()


def corpus():
    names = sorted(os.path.basename(p)[:-len('.virt-install.xml')]
                   for p in glob.glob(os.path.join(DATA, '*.virt-install.xml')))
    return [(n, f) for n in names for f in FORMS
            if os.path.exists(os.path.join(DATA, f'{n}.{f}.xml')) and
            os.path.exists(os.path.join(DATA, f'{n}.dumpxml.xml'))]


def self_check():
    """The instrument: libvirt's XML equals itself; a changed attribute, a dropped element and
    two swapped controllers are each seen, as what they are."""
    path = os.path.join(DATA, 'os-debian11.dumpxml.xml')
    text = open(path).read()
    problems = []
    if diff_domain(text, path, '/nonexistent'):
        problems.append(f'{path} differs from itself')
    tree = ET.fromstring(text)
    tree.find('os/type').set('machine', 'q35')
    devices = tree.find('devices')
    devices.remove(devices.find('memballoon'))
    ctrls = devices.findall('controller')
    i, j = list(devices).index(ctrls[0]), list(devices).index(ctrls[1])
    devices[i], devices[j] = ctrls[1], ctrls[0]
    got = sorted(p for p, _ in diff_domain(ET.tostring(tree, encoding='unicode'), path,
                                           '/nonexistent'))
    want = ['/domain/devices[1]/*', '/domain/devices[1]/memballoon[1]',
            '/domain/os[1]/type[1]/@machine']
    if got != want:
        problems.append(f'altered copy of {path}: {got}, expected {want}')
    return problems


def main():
    why = compat.skip_reason()
    if why:
        print(f'1..0 # SKIP {why}')
        return 0
    cases = corpus()
    only = sys.argv[1:]
    if only:
        cases = [c for c in cases if c[0] in only]
    known = load_known()
    used = set()
    print(f'1..{len(cases) + 2}')
    failed = 0
    problems = self_check()
    print(f'{"not ok" if problems else "ok"} 1 - the comparison sees an identical definition as '
          f'such, and a changed attribute, a missing element and a changed order')
    for p in problems:
        print(f'# {p}')
    failed += bool(problems)
    exact = {f: 0 for f in FORMS}
    explained = {f: 0 for f in FORMS}
    total = {f: 0 for f in FORMS}
    tmp = tempfile.mkdtemp(prefix='vk-compat-xml-')
    try:
        vk = Virtkit(os.path.join(tmp, 'root'))
        os.makedirs(vk.root)
        for n, (name, form) in enumerate(cases, 2):
            key = f'{name}/{form}'
            total[form] += 1
            rc, _, err = vk.run('define', os.path.join(DATA, f'{name}.{form}.xml'))
            if rc == 0:
                rc, out, err = vk.run('dumpxml', '--inactive', name)
                vk.run('undefine', '--nvram', name)
            if rc != 0:
                failed += 1
                print(f'not ok {n} - {key}: {err}')
                continue
            diffs = diff_domain(out, os.path.join(DATA, f'{name}.dumpxml.xml'), vk.root)
            left = explain(key, diffs, known, used)
            exact[form] += not diffs
            explained[form] += not left
            if left:
                failed += 1
                print(f'not ok {n} - {key}: {len(left)} differences from libvirt\'s dumpxml')
                for path, detail in left:
                    print(f'#   {path}: {detail}')
            else:
                print(f'ok {n} - {key}: ' + ('libvirt\'s XML' if not diffs else
                                             f'libvirt\'s XML, {len(diffs)} known '
                                             f'differences aside'))
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    unused = [k for i, k in enumerate(known) if i not in used]
    if unused and not only:
        print(f'not ok {len(cases) + 2} - known differences that explain nothing any more:')
        for k in unused:
            print(f'#   {k["path"]}: {k["why"]}')
        failed += 1
    else:
        print(f'ok {len(cases) + 2} - every known difference is seen')
    for form in FORMS:
        print(f'# {form} form: {exact[form]}/{total[form]} domains give libvirt\'s dumpxml '
              f'exactly, {explained[form]}/{total[form]} with the known differences aside')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
