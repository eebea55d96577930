#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cockpit's Virtual Machines page (cockpit-machines, Debian 12: 288) in real headless Chromium
against virtkit-qemud's org.libvirt API (docs/libvirt-dbus.md, "Cockpit").

A private system bus with polkitd and virtkit-qemud (private --root) holding three domains: a
paused one with VNC graphics and a disk, a shut off one, and a shut off one that boots the tiny
TCG test guest (tests/integration/guest, vkguest=wait: it powers off on the ACPI power button).
cockpit-ws --no-tls on 127.0.0.1 runs cockpit-bridge as a local session (no PAM) with the
unpacked cockpit-machines on its XDG_DATA_DIRS; Chromium is driven over the DevTools protocol
(python3-websocket). Checks, each with a screenshot in meson-logs/cockpit/:

  list       the VM list shows the domains with their states
  overview   one VM's overview shows its memory, vCPUs and disk; its Autostart switch; the
             memory dialog of a shut off VM
  lifecycle  Run, Shut down, Run, Force off change the state shown and qemud's (varlink);
             Delete takes a VM off the list and out of qemud
  console    Resume the paused VM: its VNC console shows a frame (the BIOS on noVNC's
             canvas); Pause
  networks and storage   virtkit-networkd (in a network namespace of the test's own),
             -storaged and -secretd run on qemud's root: the networks page lists the
             `default` network inactive, Activate and Deactivate change its state shown and
             networkd's; the storage pools page lists the dir pool `default` active with its
             two volumes (where network namespaces cannot be made, only storaged and secretd
             run and the networks page must say there are none)
  session    the same page as a normal user: cockpit-ws and the bridge as that user, on the
             user's own session bus (a dbus-daemon running as them) with their session qemud:
             the list, an overview, Run / Shut down / Run / Force off of the test guest, the
             VNC console, the networks and storage pools pages

The bridge runs with libvirt's programs hidden from its PATH, as on a virtkit host.
Any JavaScript exception, console error or error toast on the page fails the check that saw
it. Everything started is stopped by pid (chromium's helpers, the bridge and the ssh-agent
it starts carry a marker in their environment). cockpit-machines is unpacked from its .deb
(apt-get download + dpkg-deb -x; installing it would pull in libvirt), cached under
/var/cache/virtkit-test (VK_TEST_CACHE). Skips (77) when this machine lacks chromium,
cockpit-ws, python3-websocket or the package.
"""

import base64
import fcntl
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vkguest  # noqa: E402
import vkharness  # noqa: E402
import vksiblings  # noqa: E402
from vkharness import check, check_eq, run_tests, wait_until  # noqa: E402

QEMU = '/usr/bin/qemu-system-x86_64'
CHROMIUM = '/usr/bin/chromium'
COCKPIT_WS = '/usr/lib/cockpit/cockpit-ws'
BRIDGE = '/usr/bin/cockpit-bridge'
CACHE = os.environ.get('VK_TEST_CACHE', '/var/cache/virtkit-test')
IFACE = 'io.virtkit.Qemu'
SKIP = 77
S = {}


def skip(reason):
    print(f'1..0 # SKIP {reason}', flush=True)
    sys.exit(SKIP)


# --- cockpit-machines, unpacked and cached ---

def apt_candidate(pkg):
    try:
        r = subprocess.run(['apt-cache', 'policy', pkg], capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'Candidate: (\S+)', r.stdout)
    return m.group(1) if m and m.group(1) != '(none)' else None


def cockpit_machines():
    """The data dir (XDG_DATA_DIRS entry) of an unpacked cockpit-machines, or a skip."""
    ver = apt_candidate('cockpit-machines')
    if not ver:
        cached = sorted(d for d in (os.listdir(CACHE) if os.path.isdir(CACHE) else [])
                        if re.fullmatch(r'cockpit-machines-[^.][^/]*', d)
                        and os.path.exists(os.path.join(CACHE, d, '.complete')))
        if not cached:
            skip('apt knows no cockpit-machines and none is cached in ' + CACHE)
        return os.path.join(CACHE, cached[-1], 'usr', 'share')
    name = 'cockpit-machines-' + re.sub(r'[^A-Za-z0-9.+~-]', '_', ver)
    final = os.path.join(CACHE, name)
    os.makedirs(CACHE, exist_ok=True)
    with open(final + '.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(final, '.complete')):
            shutil.rmtree(final, ignore_errors=True)
            tmp = os.path.join(CACHE, f'.{name}.{os.getpid()}')
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            os.chmod(tmp, 0o755)  # apt's _apt user writes the download
            try:
                r = subprocess.run(['apt-get', '-q', 'download', f'cockpit-machines={ver}'],
                                   cwd=tmp, capture_output=True, text=True, timeout=150)
                debs = [f for f in os.listdir(tmp) if f.endswith('.deb')]
                if r.returncode != 0 or len(debs) != 1:
                    skip(f'apt-get download cockpit-machines={ver} failed: '
                         f'{r.stderr.strip()[-300:]}')
                r = subprocess.run(['dpkg-deb', '-x', debs[0], 'x'], cwd=tmp,
                                   capture_output=True, text=True, timeout=60)
                check(r.returncode == 0, 'dpkg-deb -x cockpit-machines:', r.stderr)
                os.rename(os.path.join(tmp, 'x'), final)
                with open(os.path.join(final, '.complete'), 'w') as f:
                    f.write(ver + '\n')
            except subprocess.TimeoutExpired:
                skip('apt-get download cockpit-machines did not finish within 150 s')
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    share = os.path.join(final, 'usr', 'share')
    check(os.path.exists(os.path.join(share, 'cockpit', 'machines', 'manifest.json')),
          f'no cockpit/machines/manifest.json in {share}')
    return share


def prerequisites():
    if os.geteuid() != 0:
        skip('needs root (users, bind mounts, polkitd)')
    for prog, pkg in ((QEMU, 'qemu-system-x86'), (CHROMIUM, 'chromium'),
                      (COCKPIT_WS, 'cockpit-ws'), (BRIDGE, 'cockpit-bridge')):
        if not os.access(prog, os.X_OK):
            skip(f'{prog} not found (install {pkg})')
    if importlib.util.find_spec('websocket') is None:
        skip('python3-websocket is not installed')
    r = subprocess.run([BRIDGE, '--packages'], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        skip(f'cockpit-bridge --packages fails here: {r.stderr.strip()[-300:]}')
    # can Chromium run here at all (sandbox, /dev/shm, libraries)?
    prof = tempfile.mkdtemp(prefix='vk-cockpit-probe-')
    p = subprocess.Popen([CHROMIUM, '--headless=new', '--no-sandbox', '--disable-gpu',
                          '--disable-dev-shm-usage', f'--user-data-dir={prof}', '--dump-dom',
                          'data:text/html,<p>virtkit-probe</p>'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env={'PATH': '/usr/bin:/bin', 'HOME': prof})
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    if '<p>virtkit-probe</p>' not in out:
        skip(f'headless Chromium does not run here (rc {p.returncode}): {err.strip()[-300:]}')


# --- processes marked by the test: stopped by pid at teardown ---

class Marked:
    """Teardown (Harness.threads) of everything whose environment carries our marker: the
    processes we spawned and what they left behind (chromium's helpers, cockpit-bridge,
    the ssh-agent it starts), each by pid."""

    def __init__(self, marker):
        self.marker = f'VK_COCKPIT_TEST={marker}'.encode()

    def pids(self):
        out = []
        for pid, _, _ in vkharness.proc_cmdlines():
            if pid == os.getpid():
                continue
            try:
                with open(f'/proc/{pid}/environ', 'rb') as f:
                    env = f.read().split(b'\0')
            except OSError:
                continue
            if self.marker in env:
                out.append(pid)
        return out

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            try:
                wait_until(lambda: not any(vkharness.pid_alive(p) for p in pids), 5,
                           'marked processes to exit')
                if not self.pids():
                    return
            except AssertionError:
                continue


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def env_for(h, **extra):
    return h.base_env(VK_COCKPIT_TEST=h.tmp, **extra)


# --- the browser, over the DevTools protocol ---

class Browser:
    def __init__(self, h, logdir):
        import websocket
        self.h, self.logdir = h, logdir
        self.port = free_port()
        prof = h.path('chromium-profile')
        os.makedirs(prof)
        self.proc = h.spawn([CHROMIUM, '--headless=new', '--no-sandbox', '--disable-gpu',
                             '--disable-dev-shm-usage', '--no-first-run',
                             '--window-size=1400,1000', f'--user-data-dir={prof}',
                             '--remote-debugging-address=127.0.0.1',
                             f'--remote-debugging-port={self.port}', 'about:blank'],
                            'chromium', env=env_for(h, HOME=prof), log='chromium')
        ws = wait_until(self._page_ws, 30, 'chromium\'s DevTools endpoint', interval=0.2)
        self.ws = websocket.create_connection(ws, suppress_origin=True, timeout=60)
        self.next_id = 0
        self.replies = {}
        self.events = []        # page problems: (kind, text)
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        for domain in ('Page', 'Runtime', 'Log'):
            self.cmd(f'{domain}.enable')
        self.shots = 0

    def _page_ws(self):
        if self.proc.poll() is not None:
            raise vkharness.TestFailure('chromium exited: ' + self.h.log_text('chromium')[-2000:])
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/json/list',
                                        timeout=2) as r:
                targets = json.load(r)
        except OSError:
            return None
        pages = [t for t in targets if t.get('type') == 'page']
        return pages[0]['webSocketDebuggerUrl'] if pages else None

    def _read(self):
        while True:
            try:
                msg = json.loads(self.ws.recv())
            except Exception:
                return
            with self.cond:
                if 'id' in msg:
                    self.replies[msg['id']] = msg
                else:
                    self._event(msg)
                self.cond.notify_all()

    def _event(self, msg):
        m, p = msg.get('method'), msg.get('params', {})
        if m == 'Runtime.exceptionThrown':
            d = p['exceptionDetails']
            ex = d.get('exception', {})
            # a thrown object that is no Error (cockpit's ProcessError) describes itself
            # poorly: add its JSON preview
            preview = ' '.join(f'{q.get("name")}={q.get("value")}' for q in
                               ex.get('preview', {}).get('properties', []))
            text = ' '.join(filter(None, (d.get('text'), ex.get('description'), preview)))
            self.events.append(('exception', text))
        elif m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert',
                                                                      'warning'):
            text = ' '.join(str(a.get('value', a.get('description', ''))) for a in p['args'])
            self.events.append((p['type'], text))
        elif m == 'Log.entryAdded' and p['entry'].get('level') == 'error':
            self.events.append(('log', p['entry'].get('text', '') + ' ' +
                                p['entry'].get('url', '')))

    def cmd(self, method, timeout=30, **params):
        with self.cond:
            self.next_id += 1
            i = self.next_id
        self.ws.send(json.dumps({'id': i, 'method': method, 'params': params}))
        with self.cond:
            ok = self.cond.wait_for(lambda: i in self.replies, timeout)
            check(ok, f'DevTools {method}: no reply within {timeout} s')
            msg = self.replies.pop(i)
        check('error' not in msg, f'DevTools {method}:', msg.get('error'))
        return msg['result']

    def js(self, expr):
        r = self.cmd('Runtime.evaluate', expression=expr, returnByValue=True,
                     awaitPromise=True)
        check('exceptionDetails' not in r, f'evaluating {expr[:200]}:',
              r.get('exceptionDetails'))
        return r['result'].get('value')

    def goto(self, url):
        self.cmd('Page.navigate', url=url)

    def text(self, sel):
        return self.js(f'(() => {{ const e = document.querySelector({json.dumps(sel)}); '
                       'return e ? e.innerText : null; })()')

    def wait_text(self, sel, pattern, timeout=30, what=None):
        rx = re.compile(pattern)
        try:
            # a one-element list: an empty text (an input's) is a match too
            return wait_until(lambda: (lambda t: [t] if t is not None and rx.search(t) else None)(
                self.text(sel)), timeout, what or f'{sel} to show {pattern!r}', interval=0.1)[0]
        except AssertionError as e:
            self.screenshot('failed')
            raise vkharness.TestFailure(f'{e}; {sel} shows {self.text(sel)!r}; the page: '
                                        f'{(self.text("body") or "")[:1500]!r}')

    def wait_sel(self, sel, timeout=30):
        return self.wait_text(sel, r'', timeout, f'{sel} to appear')

    def click(self, sel, timeout=15):
        """A real mouse click in the middle of @sel (PatternFly menus ignore element.click())."""
        get = (f'(() => {{ const e = document.querySelector({json.dumps(sel)}); '
               'if (!e || e.disabled) return null; e.scrollIntoView({block: "center"}); '
               'const r = e.getBoundingClientRect(); '
               'return r.width > 0 ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()')
        x, y = wait_until(lambda: self.js(get), timeout, f'{sel} to be clickable',
                          interval=0.1)
        self.cmd('Input.dispatchMouseEvent', type='mouseMoved', x=x, y=y)
        for t in ('mousePressed', 'mouseReleased'):
            self.cmd('Input.dispatchMouseEvent', type=t, x=x, y=y, button='left',
                     clickCount=1)

    def screenshot(self, name):
        self.shots += 1
        # the page scrolls inside its own container: a taller window shows what is below
        # the fold
        self.cmd('Emulation.setDeviceMetricsOverride', width=1400, height=2000,
                 deviceScaleFactor=1, mobile=False)
        time.sleep(0.3)
        try:
            r = self.cmd('Page.captureScreenshot', format='png')
        finally:
            self.cmd('Emulation.clearDeviceMetricsOverride')
        path = os.path.join(self.logdir, f'{self.shots:02d}-{name}.png')
        with open(path, 'wb') as f:
            f.write(base64.b64decode(r['data']))
        return path

    def problems(self, ignore=()):
        """Exceptions, console errors and failed loads seen since the last call (warnings
        are printed, not counted), less those matching a pattern in @ignore."""
        with self.cond:
            ev, self.events = self.events, []
        bad = []
        for kind, text in ev:
            if any(re.search(p, text) for p in ignore):
                continue
            if kind == 'warning':
                print(f'# console warning: {text[:300]}')
            else:
                bad.append(f'{kind}: {text[:500]}')
        return bad

    def toasts(self):
        """The texts of error alerts on the page (PatternFly's danger alerts)."""
        return self.js('Array.from(document.querySelectorAll(".pf-m-danger, .pf-c-alert.pf-m-'
                       'danger")).map(e => e.innerText).filter(t => t.trim())')


# what cockpit-machines 288 itself logs as errors on every load, whatever the API answers;
# and on a host without libvirt-clients its check `virt-host-validate | grep ...` fails, and
# the page leaves that promise's rejection unhandled (it then assumes virtualization works)
PAGE_NOISE = (r'running a slower development build of Redux',
              r'^Scrollbar test exception',
              r'^Uncaught \(in promise\).* message=/bin/sh exited with code 1 ')


def check_page_clean(b, what, ignore=()):
    bad = b.problems(PAGE_NOISE + tuple(ignore))
    toasts = b.toasts()
    check(not bad and not toasts, f'{what}: the page reported problems:', bad, toasts)


# --- qemud and cockpit ---

def domain_xml(name, devices='', os_extra='', memory=128, vcpus=2):
    return (f"<domain type='qemu'><name>{name}</name>"
            f"<memory unit='MiB'>{memory}</memory><vcpu>{vcpus}</vcpu>"
            f"<os><type arch='x86_64' machine='pc'>hvm</type>{os_extra}</os>"
            f"<features><acpi/></features><devices>{devices}</devices></domain>")


def vnc_domain(h, name, tag):
    disk = h.path(f'{tag}.qcow2')
    r = h.run(['qemu-img', 'create', '-q', '-f', 'qcow2', disk, '1G'])
    check(r.rc == 0, 'qemu-img create:', r)
    os.chmod(disk, 0o666)
    return domain_xml(name, "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                      f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>"
                      "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>"
                      "<video><model type='vga'/></video>")


def guest_domain(h, name, guest, console_dir=None):
    console = os.path.join(console_dir or h.tmp, f'{name}.console')
    return domain_xml(name, f"<serial type='file'><source path='{console}'/>"
                      "<target port='0'/></serial>", memory=256, vcpus=1,
                      os_extra=f"<kernel>{guest}/vmlinuz</kernel>"
                      f"<initrd>{guest}/initrd.img</initrd>"
                      "<cmdline>console=ttyS0 panic=-1 quiet vkguest=wait</cmdline>"), console


def busctl_call(h, path, iface, method, sig, *args):
    r = h.busctl('--json=short', '--', 'call', 'org.libvirt', path, iface, method, sig,
                 *[str(a) for a in args], timeout=30)
    check(r.rc == 0, f'{method}:', r)
    return r.json()['data'] if r.out.strip() else None


def create_paused(call):
    """Create(VIR_DOMAIN_START_PAUSED) through @call (busctl arguments -> Result). A VNC
    autoport is free when qemud tests it, but other QEMUs on this machine (other tests'
    instances allocate their own) may take it before ours binds it: try again then."""
    for attempt in range(3):
        r = call()
        if r.rc == 0 or 'Failed to find an available port' not in r.err:
            break
        print(f'# VNC port taken before QEMU bound it, trying again: {r.err.strip()[-200:]}')
    check(r.rc == 0, 'Create(VIR_DOMAIN_START_PAUSED):', r)


def define(h, xml, start_paused=False):
    path = busctl_call(h, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's',
                       xml)[0]
    if start_paused:
        create_paused(lambda: h.busctl('call', 'org.libvirt', path, 'org.libvirt.Domain',
                                       'Create', 'u', '1', timeout=30))
    return path


def varlink_state(h, sock, name, user=None):
    r = h.vlcall(sock, f'{IFACE}.ListDomains', '{}', user=user)
    check(r.rc == 0, 'varlink ListDomains:', r)
    return {d['name']: d['state'] for d in r.json()['domains']}.get(name)


# libvirt's programs, which the page runs for some of its buttons: a virtkit host has none
LIBVIRT_PROGRAMS = ('virsh', 'virt-host-validate', 'virt-install', 'virt-xml', 'virt-clone',
                    'virt-viewer', 'remote-viewer', 'virt-admin', 'virt-pki-query-dn',
                    'virt-pki-validate', 'virt-qemu-run', 'virt-login-shell')


def bin_without_libvirt(h):
    """A directory of links to /usr/bin's programs but libvirt's, so that the page behaves
    the same on this machine (where libvirt-clients and virtinst may be installed) as on a
    virtkit host without them."""
    d = h.path('bin')
    if not os.path.isdir(d):
        os.makedirs(d)
        for name in os.listdir('/usr/bin'):
            if name not in LIBVIRT_PROGRAMS:
                os.symlink(os.path.join('/usr/bin', name), os.path.join(d, name))
    return d


def start_cockpit(h, share, user=None, env=None, tag='root'):
    port = free_port()
    env = dict(env or env_for(h))
    # the system python first (the page's OS list runs python3 with gi), our package dir
    # before the system ones, the private buses; /bin is /usr/bin (merged /usr): left out
    env.update(VK_COCKPIT_TEST=h.tmp, XDG_DATA_DIRS=f'{share}:/usr/local/share:/usr/share',
               PATH=f'{bin_without_libvirt(h)}:/usr/sbin:/sbin')
    if 'HOME' not in env or user is None:
        home = h.path(f'home-{tag}')
        os.makedirs(home, exist_ok=True)
        env['HOME'] = home
    h.spawn([COCKPIT_WS, '--no-tls', '--address', '127.0.0.1', '--port', str(port),
             f'--local-session={BRIDGE}'], f'cockpit-ws ({tag})', user=user, env=env,
            log=f'cockpit-ws-{tag}')

    def up():
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return True
        except OSError:
            return False
    wait_until(up, 20, f'cockpit-ws ({tag}) to listen', interval=0.1)
    return f'http://127.0.0.1:{port}/cockpit/@localhost/machines/index.html'


def open_page(b, url, hash_=''):
    b.goto(url + hash_)
    # the page asks virt-host-validate, which sees no vmx/svm flag here although /dev/kvm works
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = b.js('(() => { if (document.querySelector('
                     '"#ignore-hw-virtualization-disabled-btn")) return "hw"; '
                     'if (document.querySelector("#virtual-machines-listing, '
                     '.vm-details, #app .pf-c-page__main-section, .pf-c-card")) '
                     'return "page"; return null; })()')
        if found == 'hw':
            b.click('#ignore-hw-virtualization-disabled-btn')
            break
        if found == 'page':
            break
        time.sleep(0.1)


# --- system ---

def setup(h):
    S['logdir'] = os.path.join(os.environ['VK_TOP_BUILDDIR'], 'meson-logs', 'cockpit')
    shutil.rmtree(S['logdir'], ignore_errors=True)
    os.makedirs(S['logdir'])
    S['share'] = cockpit_machines()
    S['guest'] = vkguest.build()
    h.threads.append(QemuKiller(h))
    h.threads.append(Marked(h.tmp))
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    h.install_bus_policies([os.path.join(h.srcdir, 'conf', 'dbus', 'virtkit-org.libvirt.conf')])
    h.start_polkitd()
    root = h.path('root')
    os.makedirs(root)
    S['sock'] = os.path.join(root, 'run', IFACE)
    # the siblings whose networks, pools and volumes org.libvirt serves: networkd needs a
    # network namespace of its own
    S['no_netns'] = vksiblings.problem(str(os.getpid() % 100000))
    if S['no_netns']:
        print(f'# no networkd: {S["no_netns"]}')
    vksiblings.start(h, root, ('storage', 'secret') if S['no_netns'] else
                     ('network', 'storage', 'secret'))
    S['qemud'] = h.spawn([h.daemon_path('qemu'), '--root', root, '--bus', 'system', '-v'],
                         'virtkit-qemud', log='qemud')
    h.wait_bus_name('org.libvirt')
    define_storage_and_network(h, root)
    S['paths'] = {
        'vk-vnc': define(h, vnc_domain(h, 'vk-vnc', 'vnc'), start_paused=True),
        'vk-off': define(h, domain_xml('vk-off', memory=512, vcpus=1)),
    }
    xml, S['console'] = guest_domain(h, 'vk-guest', S['guest'])
    S['paths']['vk-guest'] = define(h, xml)
    S['url'] = start_cockpit(h, S['share'])
    S['browser'] = Browser(h, S['logdir'])


def vm_state(b, name, conn='system'):
    return f'#vm-{name}-{conn}-state'


def test_list(h):
    b = S['browser']
    t0 = time.monotonic()
    open_page(b, S['url'])
    for name, state in (('vk-vnc', 'Paused'), ('vk-off', 'Shut off'),
                        ('vk-guest', 'Shut off')):
        b.wait_text(vm_state(b, name), f'^{state}')
    print(f'# VM list rendered {time.monotonic() - t0:.1f} s after loading the page')
    b.screenshot('list')
    check_page_clean(b, 'the VM list')


def test_overview(h):
    b = S['browser']
    open_page(b, S['url'], '#vm?name=vk-vnc&connection=system')
    b.wait_text('#vm-vk-vnc-memory-count', r'^128(\.0)? MiB')
    b.wait_text('#vm-vk-vnc-vcpus-count', r'^2')
    b.wait_text('#vm-vk-vnc-disks-vda-device', r'disk')
    b.wait_text('#vm-vk-vnc-disks-vda-source-file', re.escape(h.path('vnc.qcow2')))
    b.screenshot('overview')
    # the Autostart switch: Properties.Set of Autostart, shown from what the page reads back
    sw = '#vm-vk-vnc-autostart-switch'
    check_eq(b.js(f'document.querySelector("{sw}").checked'), False, 'autostart off at first')
    b.click(f'label[for="{sw[1:]}"]')
    wait_until(lambda: b.js(f'document.querySelector("{sw}").checked'), 10,
               'the switch to show autostart on')
    r = h.busctl('--json=short', 'get-property', 'org.libvirt', S['paths']['vk-vnc'],
                 'org.libvirt.Domain', 'Autostart')
    check(r.rc == 0 and r.json()['data'] is True, 'qemud: autostart on:', r)
    check_page_clean(b, 'the overview of vk-vnc')


def test_memory_dialog(h):
    # the memory dialog of a shut off VM: SetMemory(KiB, VIR_DOMAIN_AFFECT_CONFIG)
    b = S['browser']
    open_page(b, S['url'], '#vm?name=vk-off&connection=system')
    b.wait_text('#vm-vk-off-memory-count', r'^512(\.0)? MiB')
    b.click('#vm-vk-off-memory-count button')
    field = 'input#vm-vk-off-memory-modal-memory'
    b.wait_sel(field)
    b.click(field)
    b.js(f'document.querySelector("{field}").select()')
    b.cmd('Input.insertText', text='256')
    b.screenshot('memory-dialog')
    b.click('#vm-vk-off-memory-modal-save')
    b.wait_text('#vm-vk-off-memory-count', r'^256(\.0)? MiB')
    xml = busctl_call(h, S['paths']['vk-off'], 'org.libvirt.Domain', 'GetXMLDesc', 'u', 2)[0]
    check(re.search(r"<currentMemory unit='KiB'>262144</currentMemory>", xml),
          'qemud: currentMemory 256 MiB:', xml[:600])
    check_page_clean(b, 'the memory dialog')


def run_shutdown_run_forceoff(h, url, name, conn, sock, console, user=None):
    """Run, Shut down (the guest powers off on the ACPI button), Run, Force off of the TCG
    test guest @name, each change seen on the page and in qemud's state (varlink)."""
    b = S['browser']
    vm = f'vm-{name}-{conn}'
    st = f'#{vm}-state'
    open_page(b, url)
    b.wait_text(st, '^Shut off')
    b.click(f'#{vm}-run')
    b.wait_text(st, '^Running')
    check_eq(varlink_state(h, sock, name, user), 'running', 'qemud: running')
    b.screenshot(f'{conn}-guest-running')
    wait_until(lambda: 'VKGUEST: waiting for the power button' in
               vkguest.console_text(console), 60, 'the guest to wait for the power button',
               interval=0.2)
    b.click(f'#{vm}-shutdown-button')
    b.wait_text(st, '^Shut off', 60)
    check_eq(varlink_state(h, sock, name, user), 'shutoff', 'qemud: shut down')
    b.screenshot(f'{conn}-guest-shut-down')
    b.click(f'#{vm}-run')
    b.wait_text(st, '^Running')
    kebab(b, vm, 'forceOff')
    b.wait_text(st, '^Shut off')
    check_eq(varlink_state(h, sock, name, user), 'shutoff', 'qemud: forced off')
    b.screenshot(f'{conn}-guest-forced-off')


def test_lifecycle(h):
    b = S['browser']
    run_shutdown_run_forceoff(h, S['url'], 'vk-guest', 'system', S['sock'], S['console'])
    # Delete (Undefine with libvirt's MANAGED_SAVE|SNAPSHOTS_METADATA|NVRAM flags)
    kebab(b, 'vm-vk-off-system', 'delete')
    b.click('#vm-vk-off-delete-modal-dialog button.pf-m-danger')
    wait_until(lambda: b.text(vm_state(b, 'vk-off')) is None, 15, 'vk-off to leave the list')
    check_eq(varlink_state(h, S['sock'], 'vk-off'), None, 'qemud: vk-off undefined')
    b.screenshot('deleted')
    check_page_clean(b, 'run, shut down, force off, delete')


def canvas_shows_something():
    """True when noVNC's canvas has a frame with pixels that are not all black."""
    return ('(() => { const c = document.querySelector(".vm-console-vnc canvas, canvas"); '
            'if (!c || !c.width || !c.height) return false; '
            'const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; '
            'for (let i = 0; i < d.length; i += 4) if (d[i] > 64 || d[i + 1] > 64 || '
            'd[i + 2] > 64) return true; return false; })()')


def kebab(b, vm, action):
    """An action of @vm's menu (vm-NAME-CONN), with real mouse clicks."""
    b.click(f'#{vm}-action-kebab')
    b.click(f'#{vm}-{action}')


def resume_and_watch_console(h, url, name, conn, sock, user=None):
    """cockpit-machines 288 offers the console of a running VM only: resume the paused one
    (its BIOS finds no bootable disk and says so on the VGA screen) and wait for a frame.
    Returns the VM's id prefix."""
    b = S['browser']
    vm = f'vm-{name}-{conn}'
    open_page(b, url, f'#vm?name={name}&connection={conn}')
    b.wait_text(f'#{vm}-state', '^Paused')
    kebab(b, vm, 'resume')
    b.wait_text(f'#{vm}-state', '^Running')
    check_eq(varlink_state(h, sock, name, user=user), 'running', 'qemud: resumed')
    t0 = time.monotonic()
    wait_until(lambda: b.js(canvas_shows_something()), 30, 'a VNC frame on the canvas',
               interval=0.1)
    print(f'# VNC ({conn}): first frame {time.monotonic() - t0:.1f} s after the VM showed '
          'Running')
    b.screenshot(f'{conn}-vnc-console')
    return vm


def test_console(h):
    b = S['browser']
    vm = resume_and_watch_console(h, S['url'], 'vk-vnc', 'system', S['sock'])
    kebab(b, vm, 'pause')
    b.wait_text(f'#{vm}-state', '^Paused')
    check_eq(varlink_state(h, S['sock'], 'vk-vnc'), 'paused', 'qemud: paused')
    check_page_clean(b, 'the VNC console')


VOLUMES = ('disk1.qcow2', 'disk2.raw')


def define_storage_and_network(h, root):
    """The `default` network (inactive) and dir pool (active) a system instance's first start
    defines, through org.libvirt, and two volumes in the pool."""
    if S['no_netns']:
        pool = busctl_call(h, '/org/libvirt/QEMU', 'org.libvirt.Connect',
                           'StoragePoolDefineXML', 'su',
                           "<pool type='dir'><name>default</name><target><path>"
                           f"{os.path.join(root, 'images')}</path></target></pool>", 0)[0]
        busctl_call(h, pool, 'org.libvirt.StoragePool', 'Create', 'u', 1)
    else:
        _, pool = vksiblings.define_defaults(lambda *a: busctl_call(h, *a), root, h.srcdir)
    for name, fmt, mib in (('disk1.qcow2', 'qcow2', 64), ('disk2.raw', 'raw', 8)):
        busctl_call(h, pool, 'org.libvirt.StoragePool', 'StorageVolCreateXML', 'su',
                    f"<volume><name>{name}</name><capacity unit='M'>{mib}</capacity>"
                    f"<target><format type='{fmt}'/></target></volume>", 0)


def libvirt_get(h, path, iface, prop):
    r = h.busctl('--json=short', 'get-property', 'org.libvirt', path, iface, prop)
    check(r.rc == 0, f'Get {prop}:', r)
    return r.json()['data']


def mark_by_text(b, tag, text):
    """A selector for the (first) visible @tag whose text is @text, once there is one."""
    js = (f'(() => {{ const e = Array.from(document.querySelectorAll({json.dumps(tag)}))'
          f'.find(e => e.innerText.trim() == {json.dumps(text)} && e.offsetParent); '
          'if (!e) return false; e.setAttribute("data-vk-mark", "1"); return true; })()')
    wait_until(lambda: b.js(js), 15, f'a {tag} saying {text!r}', interval=0.1)
    return '[data-vk-mark="1"]'


def check_network_page(h, b, url):
    """The networks page lists `default` inactive; Activate and Deactivate work."""
    net = busctl_call(h, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'NetworkLookupByName', 's',
                      'default')[0]
    row = 'network-default-system'
    open_page(b, url, '#networks')
    b.wait_text(f'#{row}-name', '^default$')
    b.wait_text(f'#{row}-state', '(?i)^inactive')
    b.screenshot('networks-inactive')
    b.click(f'#activate-{row}')
    b.wait_text(f'#{row}-state', '(?i)^active', 30)
    check_eq(libvirt_get(h, net, 'org.libvirt.Network', 'Active'), True, 'networkd: active')
    b.screenshot('networks-active')
    b.click(f'#deactivate-{row}')
    b.wait_text(f'#{row}-state', '(?i)^inactive', 30)
    check_eq(libvirt_get(h, net, 'org.libvirt.Network', 'Active'), False, 'networkd: inactive')
    b.screenshot('networks-deactivated')


def check_storage_page(h, b, url):
    """The storage pools page lists `default` active and, expanded, its volumes."""
    row = 'pool-default-system'
    open_page(b, url, '#storages')
    b.wait_text(f'#{row}-name', '^default$')
    b.wait_text(f'#{row}-state', '(?i)^active')
    b.screenshot('storage-pools')
    b.click(f'tr[data-row-id="{row}"] button[aria-expanded="false"]')
    b.wait_text('body', 'Storage volumes')
    tab = mark_by_text(b, '.pf-c-tabs__item button', 'Storage volumes')
    # the tab's own click handler (the row's expansion may still move it under the mouse)
    b.js(f'document.querySelector({json.dumps(tab)}).click()')
    for name in VOLUMES:
        b.wait_text(f'[id="{row}-volume-{name}-name"]', re.escape(name))
    b.screenshot('storage-volumes')


def check_empty_lists(b, url, prefix='', ignore=()):
    """The networks and storage pools pages load and say there are none (no networkd or
    storaged runs for this instance: the lists answer empty)."""
    for hash_, text, shot in (('#networks', 'No network is defined on this host', 'networks'),
                              ('#storages', 'No storage pool is defined on this host',
                               'storage-pools')):
        open_page(b, url, hash_)
        b.wait_text('body', text)
        b.screenshot(prefix + shot)
    check_page_clean(b, 'the networks and storage pools pages', ignore)


def test_networks_and_storage(h):
    b = S['browser']
    if S['no_netns']:
        open_page(b, S['url'], '#networks')
        b.wait_text('body', 'No network is defined on this host')
    else:
        check_network_page(h, b, S['url'])
    check_storage_page(h, b, S['url'])
    check_page_clean(b, 'the networks and storage pools pages')


# --- session: a normal user's page, bridge and session qemud ---

SESSION_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={d}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def ubusctl_run(h, u, *args):
    return h.run(['busctl', f'--address={u["bus"]}', '--no-pager', '--timeout=30',
                  '--json=short', '--'] + list(args), user=u['user'], env=u['env'], timeout=35)


def ubusctl(h, u, *args):
    r = ubusctl_run(h, u, *args)
    check(r.rc == 0, 'busctl as the user:', r)
    return r.json()['data'] if r.out.strip() else None


def test_session_setup(h):
    """A user with a session bus of their own (a dbus-daemon running as them), their session
    qemud on it, two domains, cockpit-ws and its bridge as that user."""
    user = h.add_user()
    env = h.session_env(user, 'u')
    d = h.path('dbus-user')
    os.makedirs(d)
    os.chown(d, user.uid, user.gid)
    with open(os.path.join(d, 'session.conf'), 'w') as f:
        f.write(SESSION_BUS_CONF.format(d=d))
    bus = f'unix:path={d}/bus'
    env.update(DBUS_SESSION_BUS_ADDRESS=bus, DBUS_SYSTEM_BUS_ADDRESS=h.system_bus,
               VK_COCKPIT_TEST=h.tmp)
    h.spawn(['dbus-daemon', '--nofork', '--nopidfile', f'--config-file={d}/session.conf'],
            'dbus-daemon (the user\'s session)', user=user, env=env, log='dbus-user')
    wait_until(lambda: os.path.exists(f'{d}/bus'), 10, 'the user\'s session bus')
    u = S['u'] = {'user': user, 'env': env, 'bus': bus}
    u['sock'] = os.path.join(env['XDG_RUNTIME_DIR'], 'virtkit', IFACE)
    h.spawn([h.daemon_path('qemu'), '--session', '--bus', 'session', '-v'],
            'virtkit-qemud (session)', user=user, env=env, log='qemud-session')
    wait_until(lambda: ubusctl(h, u, 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                               'org.freedesktop.DBus', 'NameHasOwner', 's',
                               'org.libvirt')[0], 10, 'org.libvirt on the user\'s bus')
    for name, paused in (('vk-user-vnc', True), ('vk-user-off', False)):
        xml = vnc_domain(h, name, name) if paused else domain_xml(name, memory=96, vcpus=1)
        path = ubusctl(h, u, 'call', 'org.libvirt', '/org/libvirt/QEMU', 'org.libvirt.Connect',
                       'DomainDefineXML', 's', xml)[0]
        if paused:
            create_paused(lambda: ubusctl_run(h, u, 'call', 'org.libvirt', path,
                                              'org.libvirt.Domain', 'Create', 'u', '1'))
    # its console file where the user's QEMU may write it
    xml, u['console'] = guest_domain(h, 'vk-user-guest', S['guest'], env['HOME'])
    ubusctl(h, u, 'call', 'org.libvirt', '/org/libvirt/QEMU', 'org.libvirt.Connect',
            'DomainDefineXML', 's', xml)
    u['url'] = start_cockpit(h, S['share'], user=user, env=env, tag='user')


# The user is no member of group libvirt, yet reaches the system instance read-only (the
# connection that owns org.libvirt also owns io.virtkit.Qemu1, open to local users): the page
# lists the system domains, asks for their secure XML (GetXMLDesc(VIR_DOMAIN_XML_SECURE)),
# which needs io.virtkit.qemu.manage, gets a refusal and leaves them out (a console warning).
# Forcing off a VM whose VNC console is open: QEMU closes the VNC connection, then the page
# unmounts the console and noVNC complains that it was already disconnected.
SESSION_NOISE = (r'^Tried changing state of a disconnected RFB object',)


def test_session_list(h):
    b, u = S['browser'], S['u']
    t0 = time.monotonic()
    open_page(b, u['url'])
    b.wait_text('#vm-vk-user-vnc-session-state', '^Paused')
    b.wait_text('#vm-vk-user-off-session-state', '^Shut off')
    print(f'# session: VM list rendered {time.monotonic() - t0:.1f} s after loading the page')
    b.screenshot('session-list')
    check(b.text('#vm-vk-vnc-system-state') is None,
          'the user, without io.virtkit.qemu.manage, sees no system VMs')
    check_page_clean(b, 'the session VM list', SESSION_NOISE)


def test_session_overview_and_lifecycle(h):
    b, u = S['browser'], S['u']
    open_page(b, u['url'], '#vm?name=vk-user-off&connection=session')
    b.wait_text('#vm-vk-user-off-memory-count', r'^96(\.0)? MiB')
    b.wait_text('#vm-vk-user-off-vcpus-count', r'^1')
    b.screenshot('session-overview')
    run_shutdown_run_forceoff(h, u['url'], 'vk-user-guest', 'session', u['sock'],
                              u['console'], u['user'])
    check_page_clean(b, 'the session VM\'s overview, run, shut down, force off',
                     SESSION_NOISE)


def test_session_console(h):
    b, u = S['browser'], S['u']
    vm = resume_and_watch_console(h, u['url'], 'vk-user-vnc', 'session', u['sock'], u['user'])
    kebab(b, vm, 'forceOff')
    b.wait_text(f'#{vm}-state', '^Shut off')
    check_page_clean(b, 'the session VNC console', SESSION_NOISE)


def test_session_networks_and_storage(h):
    """The user's session instance has no networkd or storaged (empty lists); the system's
    networks are there read-only (listing is open to local users). Cockpit refreshes an active
    pool before it shows it, which needs io.virtkit.storage.manage on the system instance:
    without it the system's pool is not shown."""
    b, u = S['browser'], S['u']
    open_page(b, u['url'], '#networks')
    if S['no_netns']:
        b.wait_text('body', 'No network is defined on this host')
    else:
        b.wait_text('#network-default-system-name', '^default$')
        check(b.text('[id$="-session-name"]') is None, 'no session networks')
    b.screenshot('session-networks')
    open_page(b, u['url'], '#storages')
    b.wait_text('body', 'No storage pool is defined on this host')
    b.screenshot('session-storage-pools')
    check_page_clean(b, 'the session\'s networks and storage pools pages', SESSION_NOISE)


class QemuKiller:
    """Teardown: the QEMUs of this run (they outlive qemud by design), by pid."""

    def __init__(self, h):
        self.h = h

    def stop(self):
        for pid in vkharness.qemu_pids(self.h.tmp, QEMU):
            os.kill(pid, signal.SIGKILL)


TESTS = [test_list, test_overview, test_memory_dialog, test_lifecycle, test_console, test_networks_and_storage,
         test_session_setup, test_session_list, test_session_overview_and_lifecycle,
         test_session_console, test_session_networks_and_storage]

if __name__ == '__main__':
    prerequisites()
    sys.exit(run_tests('cockpit', TESTS, setup))
