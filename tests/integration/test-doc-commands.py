#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The shell commands shown in README.md and docs/*.md run as written, or say what they need.

Every fenced block tagged `sh` must be preceded (the last non-blank line before its fence) by
a marker the reader does not see:

  <!-- doc-test: run -->            this test runs the block, as written, here
  <!-- doc-test: needs WHAT -->     not runnable on a build tree (WHAT: an installed system
                                    instance, systemd as PID 1, clang, ...); the visible text
                                    around the block says so too

A `run` block runs with bash -e in a fresh directory holding `build` (this build tree), and
`tests` and `quickstart.sh` (the source's), with a private PATH-only environment; `/tmp/` in it is
replaced by a directory of this test (so parallel runs and the host's /tmp stay apart).
Whatever it leaves running is stopped (the process group). A `needs` block is checked: every
program it calls that this machine lacks (e.g. `varlinkctl`, systemd 255+, not in Debian 12)
must be named in WHAT. An untagged block whose lines start like commands fails: tag it.
TAP output; one test per block.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get('VK_TOP_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('VK_TOP_BUILDDIR', os.path.join(SRC, 'build'))
MARKER = re.compile(r'^<!-- doc-test: (run|needs (.+?)) -->$')
COMMANDISH = re.compile(r'^(\$ )?(varlinkctl|busctl|gdbus|systemctl|systemd-\w+|build/|\./|'
                        r'virtkit|sudo|meson|ninja|cp|install|head|usermod|mkdir)\b')


def doc_files():
    files = [os.path.join(SRC, 'README.md')]
    files += sorted(os.path.join(SRC, 'docs', f) for f in os.listdir(os.path.join(SRC, 'docs'))
                    if f.endswith('.md'))
    return files


def blocks(path):
    """(line, info, marker text or None, code) of every fenced block of @path."""
    out, lines = [], open(path).read().split('\n')
    i = 0
    while i < len(lines):
        m = re.match(r'^```(\S*)\s*$', lines[i])
        if not m:
            i += 1
            continue
        start, info = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].strip() != '```':
            j += 1
        prev = next((lines[k].strip() for k in range(start - 1, -1, -1) if lines[k].strip()),
                    '')
        out.append((start + 1, info, prev, '\n'.join(lines[start + 1:j])))
        i = j + 1
    return out


SHELL_WORDS = {'for', 'do', 'done', 'if', 'then', 'else', 'elif', 'fi', 'while', 'until',
               'case', 'esac', '{', '}', '(', ')', '!'}


def commands(code):
    """The programs a block calls at the start of its lines (continuations and the shell's
    own words skipped)."""
    progs, cont = [], False
    for line in code.split('\n'):
        s = line.strip()
        if not cont and s and not s.startswith('#'):
            word = s.split()[0]
            if word in SHELL_WORDS:
                pass
            elif '=' not in word:
                progs.append(word)
            elif len(s.split()) > 1:  # VAR=value prog ...
                progs.append(s.split()[1])
        cont = s.endswith('\\')
    return progs


def run_block(code, tmp):
    work = os.path.join(tmp, 'cwd')
    os.makedirs(work)
    os.symlink(os.path.abspath(BUILD), os.path.join(work, 'build'))
    os.symlink(os.path.join(os.path.abspath(SRC), 'tests'), os.path.join(work, 'tests'))
    os.symlink(os.path.join(os.path.abspath(SRC), 'quickstart.sh'),
               os.path.join(work, 'quickstart.sh'))
    code = code.replace('/tmp/', tmp + '/')
    env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
           'HOME': tmp, 'LANG': 'C.UTF-8', 'TMPDIR': tmp}
    logpath = os.path.join(tmp, 'output')
    with open(logpath, 'wb') as log:
        p = subprocess.Popen(['bash', '-e', '-c', code], cwd=work, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        rc = 'timeout'
    finally:
        try:  # what the block left in the background (a daemon), and all of it on a timeout
            os.killpg(p.pid, signal.SIGKILL if rc == 'timeout' else signal.SIGTERM)
        except ProcessLookupError:
            pass
        p.wait()
        for _ in range(100):  # until the group is gone (bounded), before its files are removed
            try:
                os.killpg(p.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
    return rc, open(logpath, errors='replace').read()


def main():
    if not os.access(os.path.join(BUILD, 'tools', 'virtkit'), os.X_OK):
        print(f'1..0 # SKIP no build tree at {BUILD} (VK_TOP_BUILDDIR)')
        return 77
    cases = []
    for path in doc_files():
        for line, info, prev, code in blocks(path):
            cases.append((os.path.relpath(path, SRC), line, info, prev, code))
    print(f'1..{len(cases)}')
    failed = 0
    for n, (name, line, info, prev, code) in enumerate(cases, 1):
        what = f'{name}:{line}'
        m = MARKER.match(prev)
        problem, note = None, ''
        if info != 'sh':
            if m:
                problem = 'a doc-test marker on a block not tagged sh'
            elif info == '' and any(COMMANDISH.match(l.strip()) for l in code.split('\n')):
                problem = 'shell commands in a block not tagged sh (tag it, and mark it)'
            else:
                note = f' # SKIP not a shell block ({info or "untagged"})'
        elif not m:
            problem = ('an sh block without <!-- doc-test: run --> or '
                       '<!-- doc-test: needs WHAT --> before it')
        elif m.group(1) == 'run':
            if os.geteuid() != 0:
                note = ' # SKIP not root (the run blocks start VMs and daemons as the README)'
            else:
                with tempfile.TemporaryDirectory(prefix='vk-doc-') as tmp:
                    rc, out = run_block(code, tmp)
                if rc != 0:
                    problem = f'exit status {rc}; output:\n{out.strip()}'
        else:
            need = m.group(2)
            missing = [c for c in commands(code) if not c.startswith(('./', 'build/')) and
                       shutil.which(c) is None and c not in need]
            if missing:
                problem = (f'calls {", ".join(missing)}, which this machine lacks, and the '
                           f'needs text does not name it: {need!r}')
            else:
                note = f' # SKIP needs {need}'
        if problem:
            failed += 1
            print(f'not ok {n} - {what}')
            for l in problem.split('\n'):
                print(f'# {l}')
        else:
            print(f'ok {n} - {what}{note}')
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
