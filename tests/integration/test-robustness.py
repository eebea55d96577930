#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a raw socket can throw at a daemon's varlink front door: malformed messages, an
oversized one, deep nesting, huge XML, truncation, messages batched and split, many clients at
once, clients that never read. The daemon (virtkit-qemud, binding its own socket) must say why
it refuses a message, close bad connections, stay small and keep serving others."""

import json
import os
import selectors
import socket
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vkharness import (Reader, TestFailure, check, check_eq, expect_closed,  # noqa: E402
                       read_until_closed, run_tests, varlink_connect, varlink_encode,
                       varlink_raw_call, wait_until)

S = {}
GETVERSION = varlink_encode('io.virtkit.Qemu.GetVersion')
GETINFO = varlink_encode('org.varlink.service.GetInfo')


# Under ASan, freed memory waits in a 256 MiB quarantine, which the memory checks below would
# count as growth: the daemons of this test keep a small one (ignored by other builds).
ASAN_ENV = {'ASAN_OPTIONS': 'quarantine_size_mb=8'}


def setup(h):
    S['proc'] = h.spawn([h.daemon_path('qemu'), '--system', '--root', h.path('root'),
                         '--bus', 'none', '-v'], 'virtkit-qemud', log='qemud',
                        env=h.base_env(**ASAN_ENV))
    S['sock'] = h.path('root', 'run', 'io.virtkit.Qemu')
    wait_until(lambda: os.path.exists(S['sock']) or S['proc'].poll() is not None, 10,
               'the daemon to bind its socket')
    check(S['proc'].poll() is None, 'the daemon exited:', h.log_text('qemud'))


def healthy(h, what):
    check(S['proc'].poll() is None, f'the daemon died after {what}:', h.log_text('qemud'))
    reply = varlink_raw_call(S['sock'], 'io.virtkit.Qemu.GetVersion', timeout=5)
    check(reply and reply['parameters'].get('product') == 'virtkit-qemud',
          f'GetVersion on a new connection after {what}:', reply)


def is_version(reply):
    return reply is not None and 'error' not in reply and \
        reply['parameters'].get('product') == 'virtkit-qemud'


def is_info(reply):
    return reply is not None and 'error' not in reply and \
        'io.virtkit.Qemu' in reply['parameters'].get('interfaces', [])


def test_self_bound_socket(h):
    st = os.stat(S['sock'])
    check(stat.S_ISSOCK(st.st_mode), 'a socket')
    check_eq(stat.S_IMODE(st.st_mode), 0o666, 'mode of a root instance\'s own socket')


def expect_refused(s, what, why, timeout=10):
    """Read io.virtkit.InvalidMessage naming @why (valid UTF-8 JSON), then EOF."""
    data = read_until_closed(s, timeout)
    msgs = data.split(b'\0')
    check(len(msgs) == 2 and msgs[1] == b'', f'{what}: one message, then the close:', data[:300])
    reply = json.loads(msgs[0].decode('utf-8'))  # strict: invalid UTF-8 raises
    check_eq(reply.get('error'), 'io.virtkit.InvalidMessage', f'{what}: error name')
    check(why in reply['parameters'].get('message', ''), f'{what}: the message names "{why}":',
          reply)


def test_malformed_messages_close_the_connection(h):
    cases = [
        ('malformed JSON', b'{"method": "io.virtkit.Qemu.GetVersion",\0', 'invalid JSON'),
        ('not JSON at all', b'hello\0', 'invalid JSON'),
        ('invalid UTF-8', b'{"method": "io.virtkit.Qemu.Get\xff\xfe"}\0', 'invalid JSON'),
        # json-glib quotes the bad input in its message: a lone surrogate, as raw bytes
        ('a lone surrogate', b'{"method": "io.virtkit.Qemu.GetVersion", '
                             b'"parameters": {"x": "q\\ud800", }}\0', 'invalid JSON'),
        ('a JSON array', b'[1, 2, 3]\0', 'not a JSON object'),
        ('no method', b'{"parameters": {}}\0', 'no "method"'),
        ('a method that is no string', b'{"method": 42}\0', 'no "method"'),
        ('parameters that are no object', b'{"method": "io.virtkit.Qemu.GetVersion", '
                                          b'"parameters": [1]}\0', '"parameters" is not'),
        ('an empty message', b'\0', 'invalid JSON'),
    ]
    for what, data, why in cases:
        with varlink_connect(S['sock'], 5) as bad, varlink_connect(S['sock'], 5) as good:
            # a healthy neighbour opened before the bad message must not be affected
            bad.sendall(data + GETVERSION)
            expect_refused(bad, what, why, 5)
            good.sendall(GETVERSION)
            check(is_version(Reader(good).read()), f'{what}: the neighbour is answered')
        healthy(h, what)


def test_oversized_message_is_refused(h):
    s = varlink_connect(S['sock'], 10)
    chunk = b'a' * (1 << 20)
    err = []

    def send():
        try:
            s.sendall(b'{"method": "io.virtkit.Qemu.GetVersion", "parameters": {"x": "')
            for _ in range(9):
                s.sendall(chunk)
        except OSError as e:  # the daemon hung up on us: expected
            err.append(e)

    t0 = time.monotonic()
    t = threading.Thread(target=send, daemon=True)
    t.start()
    expect_refused(s, 'a 9 MiB message', 'exceeds the limit of 8388608 bytes', 10)
    t.join(timeout=10)
    check(not t.is_alive(), 'the sender is not stuck')
    s.close()
    check(time.monotonic() - t0 < 10, 'closed promptly')
    healthy(h, 'a 9 MiB message without NUL')


def test_deep_nesting_is_refused(h):
    # json-glib recursed once per level: 100,000 levels overflowed the stack (SIGSEGV)
    for opener in (b'[', b'{"a":'):
        with varlink_connect(S['sock'], 10) as s:
            s.sendall(b'{"method": "io.virtkit.Qemu.GetVersion", "parameters": {"x": ' +
                      opener * 100000 + b'\0')
            expect_refused(s, f'{opener!r} nested 100,000 deep', 'nested deeper than 64 levels')
        healthy(h, f'{opener!r} nested 100,000 deep')


def test_many_values_are_refused(h):
    with varlink_connect(S['sock'], 10) as s:
        s.sendall(b'{"method": "io.virtkit.Qemu.GetVersion", "parameters": {"x": [' +
                  b'0,' * 300000 + b'0]}}\0')
        expect_refused(s, '300,000 values', 'more than 262144 values')
    healthy(h, '300,000 values')


def test_many_xml_attributes_do_not_stall(h):
    # libxml2's duplicate-attribute check is quadratic: 100,000 attributes on one element
    # blocked the loop for 40 s and more
    attrs = ' '.join(f"a{i}='x'" for i in range(100000))
    xml = f"<domain type='kvm'><name>x</name><devices><disk {attrs}/></devices></domain>"
    t0 = time.monotonic()
    with varlink_connect(S['sock'], 10) as s:
        s.sendall(varlink_encode('io.virtkit.Qemu.DomainXMLToNative',
                                 {'format': 'qemu-argv', 'xml': xml}))
        try:
            reply = Reader(s).read()
        except socket.timeout:
            raise TestFailure('no reply within 10 s to 100,000 attributes')
    took = time.monotonic() - t0
    check(reply and reply.get('error') == 'io.virtkit.Qemu.LimitExceeded' and
          'element <disk> has more than 64 attributes' in reply['parameters']['message'],
          'refused naming the limit:', str(reply)[:300])
    check(took < 2, f'answered in {took:.2f} s (1.4 MB)')
    healthy(h, '100,000 XML attributes')


def rss_mb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return 0


def test_clients_that_never_read_stay_bounded(h):
    # 64 clients send request after request and read nothing: the daemon must stop reading
    # them (back-pressure) instead of queueing 64 MiB of replies for each
    req = varlink_encode('org.varlink.service.GetInterfaceDescription',
                         {'interface': 'io.virtkit.Qemu'})
    batch = req * 100
    limit = 150
    socks = [varlink_connect(S['sock'], 10) for _ in range(64)]
    pid = S['proc'].pid
    peak = rss_mb(pid)
    try:
        for s in socks:
            s.setblocking(False)
        sent = {s: 0 for s in socks}
        idle_since = time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and time.monotonic() - idle_since < 3:
            for s in socks:
                if sent[s] >= 2 << 20:  # 2 MiB of requests (about 120 MiB of replies) each
                    continue
                try:
                    if s.send(batch) > 0:
                        sent[s] += len(batch)
                        idle_since = time.monotonic()
                except BlockingIOError:
                    pass
            peak = max(peak, rss_mb(pid))
            check(S['proc'].poll() is None, 'the daemon died:', h.log_text('qemud'))
            check(peak < limit, f'daemon RSS {peak:.0f} MB with 64 clients that never read '
                                f'(limit {limit} MB)')
            time.sleep(0.02)
        print(f'# peak RSS {peak:.0f} MB; requests sent per client: '
              f'{min(sent.values()) >> 10}..{max(sent.values()) >> 10} KiB')
        healthy(h, '64 clients that never read (while they are still connected)')
    finally:
        for s in socks:
            s.close()
    healthy(h, '64 clients that never read')


def test_dbus_clients_that_never_read_stay_bounded(h):
    # On D-Bus the daemon writes to dbus-daemon, which queues replies for a client that does
    # not read (bounded by its max_outgoing_bytes and max_replies_per_connection): the
    # daemon's memory must not grow, and it must keep answering on both wires.
    try:
        import dbus
        import dbus.lowlevel
    except ImportError:
        print('# SKIP: no dbus-python (python3-dbus) for raw D-Bus clients')
        return
    h.start_buses()
    h.install_virtkit_bus_policies(['qemu'])
    os.makedirs(h.path('root-dbus'))
    p = h.spawn([h.daemon_path('qemu'), '--system', '--root', h.path('root-dbus'),
                 '--bus', 'system'], 'virtkit-qemud (D-Bus)', log='qemud-dbus',
                env=h.base_env(**ASAN_ENV))
    h.wait_bus_name('io.virtkit.Qemu1')
    conns = [dbus.bus.BusConnection(h.system_bus) for _ in range(8)]
    peak = rss_mb(p.pid)
    for _ in range(20):
        for c in conns:
            for _ in range(100):
                m = dbus.lowlevel.MethodCallMessage('io.virtkit.Qemu1', '/io/virtkit/Qemu1',
                                                    'org.freedesktop.DBus.Introspectable',
                                                    'Introspect')
                c.send_message(m)  # queued; the replies are never read
            c.flush()
        peak = max(peak, rss_mb(p.pid))
        check(p.poll() is None, 'the D-Bus daemon died:', h.log_text('qemud-dbus'))
    print(f'# qemud RSS peak {peak:.0f} MB after 16,000 unread Introspect replies')
    check(peak < 100, f'daemon RSS {peak:.0f} MB with 8 D-Bus clients that never read')
    r = h.busctl('call', 'io.virtkit.Qemu1', '/io/virtkit/Qemu1', 'io.virtkit.Qemu1.Manager',
                 'GetVersion', timeout=5)
    check(r.rc == 0, 'GetVersion on D-Bus while the slow clients are connected:', r)
    for c in conns:
        c.close()
    check_eq(h.stop(p), 0, 'exit status of the D-Bus daemon after SIGTERM')


def test_large_message_under_the_limit_is_answered(h):
    pad = 'b' * (7 << 20)
    with varlink_connect(S['sock'], 10) as s:
        s.sendall(varlink_encode('io.virtkit.Qemu.GetVersion', {'pad': pad}))
        reply = Reader(s).read()
    check(reply is not None and reply.get('error') == 'org.varlink.service.InvalidParameter'
          and reply['parameters'].get('parameter') == 'pad',
          'a 7 MiB message is parsed and answered (unknown parameter "pad"):',
          str(reply)[:200])
    healthy(h, 'a 7 MiB message')


def test_truncated_message_then_close(h):
    half = GETVERSION[:len(GETVERSION) // 2]
    with varlink_connect(S['sock'], 5) as s:
        s.sendall(half)
    # and a half-closed one: the daemon sees EOF inside a message and hangs up, no reply
    with varlink_connect(S['sock'], 5) as s:
        s.sendall(half)
        s.shutdown(socket.SHUT_WR)
        expect_closed(s, 5)
    healthy(h, 'truncated messages')


def test_batched_messages_are_answered_in_order(h):
    with varlink_connect(S['sock'], 5) as s:
        s.sendall(GETVERSION + varlink_encode('io.virtkit.Qemu.NoSuchMethod') + GETINFO)
        rd = Reader(s)
        r1, r2, r3 = rd.read(), rd.read(), rd.read()
    check(is_version(r1), 'first reply is GetVersion\'s:', r1)
    check(r2 and r2.get('error') == 'org.varlink.service.MethodNotFound',
          'second reply is the MethodNotFound error:', r2)
    check(is_info(r3), 'third reply is GetInfo\'s:', r3)


def test_byte_by_byte_messages_are_answered_in_order(h):
    data = GETINFO + GETVERSION
    with varlink_connect(S['sock'], 5) as s:
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(0.001)  # let the daemon read each byte on its own
        rd = Reader(s)
        r1, r2 = rd.read(), rd.read()
    check(is_info(r1), 'first reply is GetInfo\'s:', r1)
    check(is_version(r2), 'second reply is GetVersion\'s:', r2)


def test_200_concurrent_connections(h):
    n = 200
    socks = [varlink_connect(S['sock'], 10) for _ in range(n)]
    try:
        # every connection is open before the first request goes out
        for s in socks:
            s.sendall(GETVERSION)
        sel = selectors.DefaultSelector()
        readers = {}
        for s in socks:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            readers[s] = b''
        answered = 0
        deadline = time.monotonic() + 20
        while answered < n and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                data = s.recv(65536)
                check(data, 'a connection was closed without a reply')
                readers[s] += data
                if b'\0' in readers[s]:
                    sel.unregister(s)
                    answered += 1
        check_eq(answered, n, 'connections answered within 20 s')
        for s, buf in readers.items():
            check(is_version(json.loads(buf.split(b'\0', 1)[0])),
                  'a GetVersion reply:', buf[:200])
    finally:
        for s in socks:
            s.close()
    healthy(h, f'{n} concurrent connections')


def test_sigterm_removes_socket(h):
    check_eq(h.stop(S['proc']), 0, 'exit status after SIGTERM')
    check(not os.path.exists(S['sock']), 'the self-bound socket is removed at exit')


if __name__ == '__main__':
    sys.exit(run_tests('robustness', [
        test_self_bound_socket,
        test_malformed_messages_close_the_connection,
        test_oversized_message_is_refused,
        test_deep_nesting_is_refused,
        test_many_values_are_refused,
        test_many_xml_attributes_do_not_stall,
        test_clients_that_never_read_stay_bounded,
        test_dbus_clients_that_never_read_stay_bounded,
        test_large_message_under_the_limit_is_answered,
        test_truncated_message_then_close,
        test_batched_messages_are_answered_in_order,
        test_byte_by_byte_messages_are_answered_in_order,
        test_200_concurrent_connections,
        test_sigterm_removes_socket,
    ], setup))
