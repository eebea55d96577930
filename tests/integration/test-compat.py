#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The compatibility corpus: virtkit's command line against libvirt 9.0's, option for option.

tests/data/compat/ holds domain XML the way users get it (virt-install --print-xml, and
virsh dumpxml after virsh define) with the command line libvirt 9.0 builds for it on QEMU 7.2
(virsh domxml-to-native qemu-argv); tests/data/compat/regenerate.py makes them. For every
domain, in both forms, this asks `virtkit -c qemu:///embed?root=TMP domxml-to-native
qemu-argv FILE` (the real embedded driver, which probes the host's QEMU) and compares:

  - both command lines are split into options (`-opt value`), the environment into `env NAME`
    options (PATH left out: it is the daemon's own); a value is a set of properties: JSON
    objects flattened to dotted keys, `a,b=c` lists split on unescaped commas (the first bare
    word is the property `_`); booleans and numbers compared as QEMU reads them (on/off);
  - host paths are normalised on both sides: the per-domain private dirs (libvirt's
    /var/lib/libvirt/qemu/domain--1-NAME and channel/target/domain--1-NAME, ours under the
    embedded root) become @PRIVATE@, the rest of the two instances' dirs @LIB@, @RUN@, ...,
    and passed fd numbers @FD@; the TPM chardev's backend is not compared (libvirt's
    domxml-to-native writes `null` where its real start has swtpm's socket);
  - block node names (libvirt-N-storage/-format) are renamed after the file they hold on
    both sides: which image a disk uses is compared, the builder's numbering is not;
  - per domain: precision, recall and F1 of the option multiset (an option counts when name
    and every property agree), exact match (same options, order aside); unmatched options are
    paired by name and driver/type to tell "different" (with the properties) from
    "missing" (libvirt has it) and "extra" (only ours).

Known differences: tests/data/compat/known-differences.json names, per domain, where libvirt's
recorded line is not what virtkit should build and why (an artefact of domxml-to-native, a
table of libvirt's own); each entry turns libvirt's option into the expected one. Both counts
are reported: exact against libvirt's line as recorded, and exact with the known differences
aside ("explained"); the F1 that the verdict checks is always the one against the recording.
An entry that no longer applies is printed.

The verdict is against tests/data/compat/expected-results.json (per domain and form: accepted,
F1): a domain that was accepted and is now refused, or whose F1 dropped, is a failure (not ok);
improvements are printed. VK_TEST_REGENERATE=1 rewrites the expectations. The summary (accepted
count, exact matches, mean F1, refusals grouped by message, the most common option
differences) goes to the TAP output and to BUILD/tests/compat-results.json.

For the work plan, a refused domain is also retried with what was refused taken out (the
element or attribute the error names, one at a time, until it is accepted or an error names
no path): every refusal reason of the corpus is counted, not only the first of each domain.
These "stripped" figures are reported, never compared.

Skips unless root could run the corpus's QEMU: /usr/bin/qemu-system-x86_64 of the recorded
major.minor version (tests/data/compat/VERSIONS) and a usable /dev/kvm (the domains are
type='kvm', host CPUs are expanded from this host's).
"""

import collections
import glob
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkhost import kvm_usable  # noqa: E402

SRC = os.environ.get('VK_TOP_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('VK_TOP_BUILDDIR', os.path.join(SRC, 'build'))
DATA = os.path.join(SRC, 'tests', 'data', 'compat')
EXPECTED = os.path.join(DATA, 'expected-results.json')
KNOWN = os.path.join(DATA, 'known-differences.json')
QEMU = '/usr/bin/qemu-system-x86_64'
FORMS = ('virt-install', 'dumpxml')
# libvirt's instance dirs and what they become; ours are the same names under the embed root
LIBVIRT_DIRS = [('/var/lib/libvirt', 'lib'), ('/var/cache/libvirt', 'cache'),
                ('/run/libvirt', 'run'), ('/var/log/libvirt', 'log'), ('/etc/libvirt', 'etc')]
FD_KEYS = {'fd', 'fds', 'vhostfd', 'vhostfds'}
TOP = 20


# ---------------------------------------------------------------- command lines as data

def split_commas(s):
    """QEMU's key=value list: commas split, a doubled comma is a literal one."""
    out, cur, i = [], '', 0
    while i < len(s):
        if s[i] == ',':
            if i + 1 < len(s) and s[i + 1] == ',':
                cur += ','
                i += 2
                continue
            out.append(cur)
            cur = ''
        else:
            cur += s[i]
        i += 1
    out.append(cur)
    return out


def scalar(v):
    if v is True or v in ('true', 'on', 'yes'):
        return 'on'
    if v is False or v in ('false', 'off', 'no'):
        return 'off'
    return str(v)


def flatten(prefix, o, out):
    if isinstance(o, dict):
        for k, v in o.items():
            flatten(f'{prefix}.{k}' if prefix else k, v, out)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            flatten(f'{prefix}.{i}', v, out)
    else:
        out[prefix] = scalar(o)


def properties(value):
    """A value as a dict of properties (or {'_': value} for a plain word)."""
    if value is None:
        return {}
    if value.startswith('{'):
        try:
            props = {}
            flatten('', json.loads(value), props)
            return props
        except ValueError:
            pass
    props = {}
    for i, part in enumerate(split_commas(value)):
        if '=' in part:
            k, v = part.split('=', 1)
            props[k] = scalar(v)
        elif i == 0:
            props['_'] = part
        else:
            props[part] = 'on'  # a bare flag after the first word
    return props


class Normaliser:
    """Host paths of one side become placeholders: (regex, replacement) pairs, in order."""

    def __init__(self, pairs):
        self.pairs = [(re.compile(p), r) for p, r in pairs]

    def __call__(self, s):
        for pat, new in self.pairs:
            s = pat.sub(new, s)
        return s


# the per-domain dirs are named domain-ID-NAME, NAME cut to 20 characters (both do so)
DOMAIN_DIR = r'domain--1-[^/,"\']+'


def libvirt_normaliser():
    pairs = [(r'/var/lib/libvirt/qemu/channel/target/' + DOMAIN_DIR, '@PRIVATE@'),
             (r'/var/lib/libvirt/qemu/' + DOMAIN_DIR, '@PRIVATE@')]
    pairs += [(re.escape(path), f'@{sub.upper()}@') for path, sub in LIBVIRT_DIRS]
    return Normaliser(pairs)


def virtkit_normaliser(root):
    pairs = [(re.escape(f'{root}/run/qemu/') + DOMAIN_DIR, '@PRIVATE@')]
    pairs += [(re.escape(f'{root}/{sub}'), f'@{sub.upper()}@') for _, sub in LIBVIRT_DIRS]
    pairs += [(re.escape(path), f'@{sub.upper()}@') for path, sub in LIBVIRT_DIRS]
    return Normaliser(pairs)


class Option:
    def __init__(self, name, value, norm):
        self.name = name
        self.value = norm(value) if value is not None else None
        self.props = properties(self.value)
        for k in list(self.props):
            if k.split('.')[-1] in FD_KEYS:
                self.props[k] = '@FD@'
        self.canon = (name, tuple(sorted(self.props.items())))

    def with_props(self, props):
        """A copy with other properties (the value is left as it was: for the report only)."""
        o = Option(self.name, self.value, str)
        o.props = dict(props)
        o.canon = (self.name, tuple(sorted(o.props.items())))
        return o

    def kind(self):
        """What the option is, for pairing and the report: -device DRIVER, -netdev TYPE..."""
        p = self.props
        for k in ('driver', 'qom-type', 'type', 'backend'):
            if self.name in ('-device', '-blockdev', '-object', '-netdev', '-chardev',
                             '-audiodev', '-tpmdev') and k in p:
                return f'{self.name} {p[k]}'
        if self.name in ('-chardev', '-netdev', '-tpmdev', '-device') and '_' in p:
            return f'{self.name} {p["_"]}'
        if self.name == '-global' and 'driver' not in p and '_' in p:
            return f'-global {p["_"].rsplit("=", 1)[0]}'
        if self.name == '-global':
            return f'-global {p.get("driver")}.{p.get("property")}'
        return self.name

    def __str__(self):
        return self.name + ('' if self.value is None else ' ' + self.value)


def node_names(words):
    """Block node names numbered by the order a builder meets disks (libvirt-N-storage,
    libvirt-N-format) renamed after what they hold: libvirt-<file name>-storage; a disk's
    files and formats are still compared, its number is not."""
    index = {}
    for i, w in enumerate(words[:-1]):
        if w == '-blockdev' and words[i + 1].startswith('{'):
            try:
                o = json.loads(words[i + 1])
            except ValueError:
                continue
            m = re.fullmatch(r'libvirt-(\d+)-storage', str(o.get('node-name', '')))
            if m and 'filename' in o:
                index[m.group(1)] = os.path.basename(o['filename'])
    if not index:
        return words
    pat = re.compile(r'libvirt-(\d+)-(storage|format|slice-sto)')
    return [pat.sub(lambda m: f'libvirt-{index.get(m.group(1), m.group(1))}-{m.group(2)}', w)
            for w in words]


def parse_command(text, norm):
    """Environment and options of a command line (.args form or one shell line)."""
    words = node_names(shlex.split(text.replace('\\\n', ' ')))
    opts = []
    while words and '=' in words[0] and not words[0].startswith('/'):
        k, v = words.pop(0).split('=', 1)
        if k != 'PATH':
            opts.append(Option(f'env {k}', v, norm))
    words = words[1:]  # the binary: both are <emulator>
    i = 0
    while i < len(words):
        name = words[i]
        value = None
        if i + 1 < len(words) and not words[i + 1].startswith('-'):
            value = words[i + 1]
            i += 1
        opt = Option(name, value, norm)
        if name == '-chardev' and opt.props.get('id') == 'chrtpm':
            # libvirt's domxml-to-native has no swtpm to point at and writes `null` where its
            # real start has swtpm's socket: the backend is not compared, the id is
            opt.props = {'_': '@SWTPM@', 'id': 'chrtpm'}
            opt.canon = (name, tuple(sorted(opt.props.items())))
        opts.append(opt)
        i += 1
    return opts


def similarity(a, b):
    ka, kb = set(a.props.items()), set(b.props.items())
    if not ka and not kb:
        return 1.0
    return len(ka & kb) / len(ka | kb)


def compare(ours, theirs):
    """Option multiset comparison; returns the figures and the differences."""
    left = collections.Counter(o.canon for o in ours)
    right = collections.Counter(o.canon for o in theirs)
    common = sum((left & right).values())
    precision = common / len(ours) if ours else 0.0
    recall = common / len(theirs) if theirs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # unmatched options, paired by kind (then id, then most properties in common)
    rest_l = left - right
    rest_r = right - left
    only_ours, only_theirs = [], []
    for o in ours:
        if rest_l[o.canon] > 0:
            rest_l[o.canon] -= 1
            only_ours.append(o)
    for o in theirs:
        if rest_r[o.canon] > 0:
            rest_r[o.canon] -= 1
            only_theirs.append(o)
    diffs = []
    for t in only_theirs:
        cands = [o for o in only_ours if o.kind() == t.kind()]
        if not cands:
            diffs.append(('missing', t.kind(), str(t)))
            continue
        best = max(cands, key=lambda o: similarity(o, t))
        only_ours.remove(best)
        props = []
        for k in sorted(set(best.props) | set(t.props)):
            a, b = best.props.get(k), t.props.get(k)
            if a == b:
                continue
            if a is None:
                props.append((f'{k} missing', f'{k}={b}'))
            elif b is None:
                props.append((f'{k} extra', f'{k}={a}'))
            else:
                props.append((f'{k} differs', f'{k}: ours {a}, libvirt {b}'))
        diffs.append(('different', t.kind(), props))
    for o in only_ours:
        diffs.append(('extra', o.kind(), str(o)))
    return {'precision': precision, 'recall': recall, 'f1': f1,
            'exact': not (left - right) and not (right - left),
            'options_ours': len(ours), 'options_libvirt': len(theirs),
            'options_common': common}, diffs


# ---------------------------------------------------------------- virtkit and the corpus

class Virtkit:
    def __init__(self, root):
        self.root = root
        self.cli = os.path.join(BUILD, 'tools', 'virtkit')
        self.uri = f'qemu:///embed?root={root}'

    def native(self, path):
        r = subprocess.run([self.cli, '-c', self.uri, 'domxml-to-native', 'qemu-argv', path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        return r.returncode, r.stdout, r.stderr.strip()


def refusal_group(err, name):
    """An error as a group key: the domain's name and numbers are left out."""
    s = err.replace(f"'{name}'", "'NAME'").replace(f'domain--1-{name}', 'domain--1-NAME')
    s = re.sub(r'^error: ', '', s)
    s = re.sub(r'\[\d+\]', '', s)
    return s.splitlines()[0] if s else '(no message)'


def error_path(err):
    """The element path an error names (/domain/..., maybe /@attr at the end), or None."""
    m = re.search(r'(/domain(?:/[A-Za-z_:@][\w:.-]*(?:\[\d+\])?)*)', err)
    return m.group(1).rstrip(':') if m else None


def find(tree, steps):
    """The elements at @steps (tags with optional [N], 1-based) and their parents."""
    nodes, parents = [tree.getroot()], {}
    for step in steps:
        m = re.fullmatch(r'([^\[]+)(?:\[(\d+)\])?', step)
        tag, idx = m.group(1), m.group(2)
        nxt = []
        for n in nodes:
            kids = [k for k in n if k.tag == tag]
            if idx is not None:
                kids = kids[int(idx) - 1:int(idx)] if int(idx) >= 1 else []
            for k in kids:
                parents[k] = n
            nxt += kids
        nodes = nxt
    return nodes, parents


def strip_refused(tree, err):
    """Take out of @tree what @err refuses: an unsupported element (every one at the path), an
    unsupported attribute, the elements whose attribute has an unsupported value, or what a
    few errors without a path name (an interface by alias, a SPICE attribute). True when
    something was taken out; False when the error says nothing this can act on."""
    m = re.search(r"interface '(net(\d+))'", err)
    if m:
        # the interface stays where it is (as type='user': the PCI slots after it do not
        # move), its network or bridge source goes
        nodes, _ = find(tree, ['devices', f'interface[{int(m.group(2)) + 1}]'])
        for n in nodes:
            n.set('type', 'user')
            for src in n.findall('source'):
                n.remove(src)
        return bool(nodes)
    m = re.search(r'SPICE graphics: (\w+) is not supported', err)
    if m:
        hit = [g for g in find(tree, ['devices', 'graphics'])[0] if g.get('type') == 'spice'
               and m.group(1) in g.attrib]
        for g in hit:
            del g.attrib[m.group(1)]
        return bool(hit)
    path = error_path(err)
    if not path:
        return False
    steps = path.strip('/').split('/')[1:]
    attr = steps.pop()[1:] if steps and steps[-1].startswith('@') else None
    if not steps:
        return False
    nodes, parents = find(tree, steps)
    if attr is None:
        if 'unsupported element' not in err:
            return False
        for n in nodes:
            parents[n].remove(n)
        return bool(nodes)
    m = re.search(r"unsupported value '([^']*)'", err)
    if m:
        # the element with the value goes; under <devices>, the whole device it belongs to
        depth = 2 if steps[0] == 'devices' else len(steps)
        tops, top_parents = find(tree, steps[:depth])
        hit = [t for t in tops if any(n.get(attr) == m.group(1) for n in
                                      ([t] if depth == len(steps) else t.iter(steps[-1])))]
        for t in hit:
            top_parents[t].remove(t)
        return bool(hit)
    if 'unsupported attribute' in err:
        hit = [n for n in nodes if attr in n.attrib]
        for n in hit:
            del n.attrib[attr]
        return bool(hit)
    return False


def load_known():
    if not os.path.exists(KNOWN):
        return []
    with open(KNOWN) as f:
        return json.load(f)['differences']


def option_of(text):
    """An option of known-differences.json ("-name value", already normalised)."""
    name, _, value = text.partition(' ')
    return Option(name, value or None, str)


def explain(key, theirs, known):
    """libvirt's options with the known differences of @key applied: the expected line, and
    the entries that applied and that did not."""
    out = list(theirs)
    applied, unused = [], []
    for k in known:
        if key not in k['domains']:
            continue
        hit = False
        if 'replace' in k:
            lv, vk = k['replace'].get('libvirt'), k['replace'].get('virtkit')
            want = option_of(lv).canon if lv else None
            idx = next((i for i, o in enumerate(out) if o.canon == want), None) if lv else None
            if lv and idx is not None:
                if vk:
                    out[idx] = option_of(vk)
                else:
                    del out[idx]
                hit = True
            elif not lv and vk:
                out.append(option_of(vk))
                hit = True
        else:
            spec = k['properties']
            drop = spec['libvirt_only']
            for i, o in enumerate(out):
                if o.kind() == spec['option'] and all(o.props.get(p) == scalar(v)
                                                      for p, v in drop.items()):
                    out[i] = o.with_props({p: v for p, v in o.props.items() if p not in drop})
                    hit = True
                    break
        (applied if hit else unused).append(k['why'])
    return out, applied, unused


def expected_args(name, form):
    for f in ([f'{name}.dumpxml.libvirt.args'] if form == 'dumpxml' else []) + \
            [f'{name}.libvirt.args']:
        p = os.path.join(DATA, f)
        if os.path.exists(p):
            return p
    return None


def run_domain(vk, name, form, tmp, known=()):
    """One domain in one form: accepted or not, figures, differences, refusal chain."""
    src = os.path.join(DATA, f'{name}.{form}.xml')
    lv_path = expected_args(name, form)
    res = {'domain': name, 'form': form}
    if lv_path is None:
        res['libvirt_refused'] = True
        return res, []
    theirs = parse_command(open(lv_path).read(), libvirt_normaliser())
    rc, out, err = vk.native(src)
    diffs = []
    res['accepted'] = rc == 0
    if rc == 0:
        ours = parse_command(out, virtkit_normaliser(vk.root))
        fig, diffs = compare(ours, theirs)
        res.update(fig)
        expected, applied, unused = explain(f'{name}/{form}', theirs, known)
        if applied:
            efig, diffs = compare(ours, expected)
            res['explained'] = applied
        else:
            efig = fig
        res['exact_explained'] = efig['exact']
        res['f1_explained'] = efig['f1']
        res['known_unused'] = unused
        res['refusals'] = []
        return res, diffs
    res['error'] = err
    res['f1'] = 0.0
    res['exact'] = False
    # the refusal chain: take out what each error names and ask again
    chain = [refusal_group(err, name)]
    tree = ET.parse(src)
    for _ in range(40):
        if not strip_refused(tree, err):
            break
        stripped = os.path.join(tmp, f'{name}.{form}.stripped.xml')
        tree.write(stripped)
        rc, out, err = vk.native(stripped)
        if rc == 0:
            ours = parse_command(out, virtkit_normaliser(vk.root))
            fig, sdiffs = compare(ours, theirs)
            res['stripped'] = {'f1': fig['f1'], 'exact': fig['exact']}
            diffs = sdiffs
            break
        chain.append(refusal_group(err, name))
    res['refusals'] = chain
    return res, diffs


def corpus():
    names = sorted(os.path.basename(p)[:-len('.virt-install.xml')]
                   for p in glob.glob(os.path.join(DATA, '*.virt-install.xml')))
    return [(n, f) for n in names for f in FORMS
            if os.path.exists(os.path.join(DATA, f'{n}.{f}.xml'))]


def skip_reason():
    if os.geteuid() != 0:
        return 'needs root (the embedded driver probes QEMU with /dev/kvm)'
    if not os.access(QEMU, os.X_OK):
        return f'{QEMU} not found'
    if not kvm_usable():
        return '/dev/kvm is not usable (the corpus domains are type=kvm)'
    if not os.access(os.path.join(BUILD, 'tools', 'virtkit'), os.X_OK):
        return f'{BUILD}/tools/virtkit not built'
    want = None
    with open(os.path.join(DATA, 'VERSIONS')) as f:
        for line in f:
            if line.startswith('qemu '):
                want = '.'.join(line.split()[1].split('.')[:2])
    out = subprocess.run([QEMU, '--version'], capture_output=True, text=True).stdout
    m = re.search(r'version (\d+\.\d+)', out)
    if not m or m.group(1) != want:
        return f'host QEMU {m.group(1) if m else "?"} is not the corpus\'s QEMU {want}'
    return None


# ---------------------------------------------------------------- the summary

def summarise(results, diffs_by_key):
    by_form = {}
    for form in FORMS:
        rs = [r for r in results if r['form'] == form and not r.get('libvirt_refused')]
        acc = [r for r in rs if r['accepted']]
        stripped = [r for r in rs if not r['accepted'] and 'stripped' in r]
        by_form[form] = {
            # the first target: virt-install's default device set of each OS family
            'os_defaults_accepted': f'{sum(1 for r in acc if r["domain"].startswith("os-"))}/'
                                    f'{sum(1 for r in rs if r["domain"].startswith("os-"))}',
            'domains': len(rs),
            'accepted': len(acc),
            'exact': sum(1 for r in acc if r['exact']),
            'exact_explained': sum(1 for r in acc if r['exact_explained']),
            'mean_f1_explained': round(sum(r['f1_explained'] for r in acc) / len(acc), 4)
            if acc else None,
            'mean_f1_accepted': round(sum(r['f1'] for r in acc) / len(acc), 4) if acc else None,
            'mean_f1_all': round(sum(r['f1'] for r in rs) / len(rs), 4) if rs else None,
            'accepted_when_stripped': len(stripped),
            'mean_f1_stripped': round(sum(r['stripped']['f1'] for r in stripped + [
                {'stripped': {'f1': x['f1']}} for x in acc]) / (len(stripped) + len(acc)), 4)
            if stripped or acc else None,
        }
    # refusals: first reason, and every reason of the chains, counted per domain (virt-install
    # form) and per form
    first = collections.Counter()
    every = collections.Counter()
    for r in results:
        if r.get('accepted') is False:
            first[(r['form'], r['refusals'][0])] += 1
            for reason in set(r['refusals']):
                every[(r['form'], reason)] += 1
    opt = collections.Counter()
    prop = collections.Counter()
    examples = {}
    for (name, form), diffs in diffs_by_key.items():
        seen, seen_p = set(), set()
        for what, kind, detail in diffs:
            key = (form, f'{kind} {what}')
            if key not in seen:
                seen.add(key)
                opt[key] += 1
                examples.setdefault(key, detail if what != 'different' else
                                    '; '.join(d for _, d in detail))
            if what == 'different':
                for short, d in detail:
                    pk = (form, f'{kind}: {short}')
                    if pk not in seen_p:
                        seen_p.add(pk)
                        prop[pk] += 1
                        examples.setdefault(pk, d)

    def top(counter, form):
        return [{'what': k[1], 'domains': c, 'example': examples.get(k)}
                for k, c in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0][1]))
                if k[0] == form]
    return {
        'forms': by_form,
        'refusals_first': {f: [{'what': k[1], 'domains': c} for k, c in
                               sorted(first.items(), key=lambda kv: (-kv[1], kv[0][1]))
                               if k[0] == f] for f in FORMS},
        'refusals_all': {f: [{'what': k[1], 'domains': c} for k, c in
                             sorted(every.items(), key=lambda kv: (-kv[1], kv[0][1]))
                             if k[0] == f] for f in FORMS},
        'option_differences': {f: top(opt, f) for f in FORMS},
        'property_differences': {f: top(prop, f) for f in FORMS},
    }


def self_check():
    """The instrument itself: libvirt's line equals itself; one option dropped, one property
    changed and one option added are each seen, as what they are. Returns the problems."""
    path = sorted(glob.glob(os.path.join(DATA, '*.libvirt.args')))[0]
    text = open(path).read()
    theirs = parse_command(text, libvirt_normaliser())
    problems = []
    fig, diffs = compare(theirs, theirs)
    if not fig['exact'] or fig['f1'] != 1.0 or diffs:
        problems.append(f'{path} against itself: {fig} {diffs}')
    ours = [o for o in theirs if o.name != '-no-user-config']
    ours.append(Option('-extra', None, str))
    m = next(i for i, o in enumerate(ours) if o.name == '-machine')
    ours[m] = Option('-machine', ours[m].value + ',x-test=on', str)
    fig, diffs = compare(ours, theirs)
    kinds = sorted((d[0], d[1]) for d in diffs)
    want = [('different', '-machine'), ('extra', '-extra'), ('missing', '-no-user-config')]
    n = len(theirs)
    if kinds != want or fig['exact'] or abs(fig['recall'] - (n - 2) / n) > 1e-9:
        problems.append(f'altered copy of {path}: {fig} {kinds}')
    return problems


def main():
    why = skip_reason()
    if why:
        print(f'1..0 # SKIP {why}')
        return 0
    regenerate = os.environ.get('VK_TEST_REGENERATE', '') not in ('', '0')
    cases = corpus()
    only = sys.argv[1:]
    if only:
        cases = [c for c in cases if c[0] in only]
    expected = {}
    if os.path.exists(EXPECTED):
        with open(EXPECTED) as f:
            expected = json.load(f)['domains']
    known = load_known()
    results, diffs_by_key = [], {}
    tmp = tempfile.mkdtemp(prefix='vk-compat-')
    print(f'1..{len(cases) + 2}')
    failed = 0
    problems = self_check()
    print(f'{"not ok" if problems else "ok"} 1 - the comparison sees an identical line as '
          f'exact and a dropped, an added and a changed option as such')
    for p in problems:
        print(f'# {p}')
    failed += bool(problems)
    improved = []
    try:
        vk = Virtkit(os.path.join(tmp, 'root'))
        os.makedirs(vk.root)
        for n, (name, form) in enumerate(cases, 2):
            res, diffs = run_domain(vk, name, form, tmp, known)
            results.append(res)
            diffs_by_key[(name, form)] = diffs
            key = f'{name}/{form}'
            exp = expected.get(key)
            exactness = (' exact' if res.get('exact') else
                         ' exact, known differences aside' if res.get('exact_explained') else '')
            desc = (f'{key}: ' + ('libvirt refuses it too' if res.get('libvirt_refused') else
                                  f'F1 {res["f1"]:.3f}{exactness}'
                                  if res['accepted'] else f'refused: {res["refusals"][0]}'))
            problems = []
            if res.get('libvirt_refused'):
                pass
            elif exp is None:
                if not regenerate:
                    problems.append('not in expected-results.json (VK_TEST_REGENERATE=1 '
                                    'records it)')
            else:
                if exp['accepted'] and not res['accepted']:
                    problems.append(f'regression: was accepted, now refused: {res["error"]}')
                elif res['accepted'] and res['f1'] + 1e-9 < exp['f1']:
                    problems.append(f'regression: F1 {res["f1"]:.4f} < recorded {exp["f1"]}')
                if res['accepted'] and (not exp['accepted'] or res['f1'] > exp['f1'] + 1e-4):
                    improved.append(f'{key}: {"accepted" if not exp["accepted"] else ""} '
                                    f'F1 {exp["f1"]} -> {res["f1"]:.4f}')
            if problems and not regenerate:
                failed += 1
                print(f'not ok {n} - {desc}')
                for p in problems:
                    print(f'# {p}')
                for what, kind, detail in diffs:
                    print(f'#   {what} {kind}: {detail}')
            else:
                print(f'ok {n} - {desc}')
            for why in res.get('explained', []):
                print(f'#   known difference: {why}')
            for why in res.get('known_unused', []):
                print(f'#   known difference not seen (any more?): {why}')
            sys.stdout.flush()
        # the expectations name nothing the corpus lost
        gone = sorted(set(expected) - {f'{n}/{f}' for n, f in cases}) if not only else []
        if gone and not regenerate:
            failed += 1
            print(f'not ok {len(cases) + 2} - expected-results.json names domains the corpus '
                  f'lacks: {" ".join(gone)}')
        else:
            print(f'ok {len(cases) + 2} - expectations and corpus agree')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    summary = summarise(results, diffs_by_key)
    summary['domains'] = results
    out = os.path.join(BUILD, 'tests', 'compat-results.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write('\n')
    for form in FORMS:
        s = summary['forms'][form]
        print(f'# {form} form: {s["accepted"]}/{s["domains"]} accepted, {s["exact"]} exact, '
              f'mean F1 {s["mean_f1_accepted"]} over accepted, {s["mean_f1_all"]} over all '
              f'(refused = 0); with refused elements stripped {s["accepted_when_stripped"]} '
              f'more accepted, mean F1 {s["mean_f1_stripped"]}; OS default device sets '
              f'accepted: {s["os_defaults_accepted"]}')
        print(f'# {form} form, known differences ({os.path.basename(KNOWN)}) aside: '
              f'{s["exact_explained"]} exact, mean F1 {s["mean_f1_explained"]} over accepted')
    for form in FORMS:
        print(f'# refusals ({form} form; every reason of each domain, as the refused part is '
              f'taken out one at a time):')
        for r in summary['refusals_all'][form][:TOP]:
            print(f'#   {r["domains"]:3d}  {r["what"]}')
    for form in FORMS:
        print(f'# option differences ({form} form; domains, accepted or stripped):')
        for r in summary['option_differences'][form][:TOP]:
            print(f'#   {r["domains"]:3d}  {r["what"]}')
        print(f'# property differences ({form} form):')
        for r in summary['property_differences'][form][:TOP]:
            print(f'#   {r["domains"]:3d}  {r["what"]}  ({r["example"]})')
    for i in improved:
        print(f'# improvement: {i}')
    print(f'# details: {out}')
    if regenerate and not only:
        exp = {f'{r["domain"]}/{r["form"]}': {'accepted': r['accepted'],
                                              'f1': math.floor(r['f1'] * 10000) / 10000
                                              if r['accepted'] else 0.0}
               for r in results if not r.get('libvirt_refused')}
        with open(EXPECTED, 'w') as f:
            json.dump({'comment': 'tests/integration/test-compat.py: per domain and form, '
                       'accepted by virtkit and the per-option F1 against libvirt; a drop '
                       'fails the test. VK_TEST_REGENERATE=1 rewrites it.',
                       'domains': exp}, f, indent=1, sort_keys=True)
            f.write('\n')
        print(f'# wrote {EXPECTED}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
