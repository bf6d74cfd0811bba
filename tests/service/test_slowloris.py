# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Slow and idle clients cannot hold the service (issue 19, finding 8): headers must arrive within
--header-timeout, a kept-alive connection may idle for --idle-timeout, connections are capped
below the open-file limit so health and API calls keep answering, and held requests (?wait, SSE)
have their own cap."""

from __future__ import annotations

import http.client
import resource
import selectors
import socket
import threading
import time

import pytest

pytestmark = pytest.mark.backends('embedded')  # the HTTP layer is the same on every store


def fd_limit_256():
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


class Slowloris:
    """`n` connections that each send one header byte every `every` seconds and never finish
    their headers; a connection the service closes is opened again, as an attacker would."""

    def __init__(self, port, n, every=1.0):
        self.port, self.n, self.every = port, n, every
        self.stop = threading.Event()
        self.opened = 0
        self.closed_by_service = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)

    def connect(self, sel):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(('127.0.0.1', self.port))
        sel.register(s, selectors.EVENT_READ)
        self.opened += 1
        return s

    def run(self):
        sel = selectors.DefaultSelector()
        socks = [self.connect(sel) for dummy in range(self.n)]
        header = b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ' + b'a' * 10_000
        sent = {}
        next_byte = time.monotonic()
        while not self.stop.is_set():
            for key, dummy in sel.select(timeout=0.1):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b''
                if not data:
                    sel.unregister(s)
                    s.close()
                    self.closed_by_service += 1
                    socks[socks.index(s)] = self.connect(sel)
            if time.monotonic() >= next_byte:
                next_byte += self.every
                for s in socks:
                    i = sent.get(s.fileno(), 0)
                    try:
                        s.send(header[i:i + 1])
                        sent[s.fileno()] = i + 1
                    except OSError:
                        pass  # not connected yet, or closed: the select loop reopens it
        for s in socks:
            s.close()


def timed(f, *args, **kw):
    t0 = time.monotonic()
    r = f(*args, **kw)
    return r, time.monotonic() - t0


def test_slow_headers_cannot_take_the_service(service):
    """300 slow clients under a 256-descriptor limit (a unit file's LimitNOFILE): health and an
    authenticated API call still answer within seconds, and each slow client is dropped after the
    header timeout."""
    svc = service(stub=True, workers=2, preexec=fd_limit_256, extra_args=['--header-timeout', '2s'])
    c = svc.client
    with Slowloris(svc.port, 300) as loris:
        time.sleep(3)  # every slot the cap allows is taken, the rest wait in the backlog
        for dummy in range(3):
            r, took = timed(c.get, '/healthz', timeout=15)
            assert r.status == 200 and took < 8, (took, r)
            r, took = timed(c.get, '/api/v1/jobs', timeout=15)
            assert r.status == 200 and took < 8, (took, r)
            time.sleep(1)
        # The slow clients were closed by the service, not left to hold their descriptor.
        assert loris.closed_by_service >= 150, (loris.opened, loris.closed_by_service)
        r, took = timed(c.submit, 'hello.yml', query='?sync=true', expect=None)
        assert r.status == 200 and r.json()['status'] == 'successful', r
    out = svc.log.read_text(errors='replace')
    assert out.count('every connection slot is taken') == 1, 'the warning is not rate-limited'
    assert 'connection limits' in out and 'fd_limit' in out and '256' in out, out
    assert 'every connection slot is taken' in out, out
    assert 'cannot accept a connection' not in out, 'the cap let the descriptors run out'


def read_until_closed(sock, limit):
    """Seconds until the service closed `sock` (None if it stayed open for `limit`)."""
    t0 = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            if sock.recv(4096) == b'':
                return time.monotonic() - t0
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - t0
    return None


def test_header_timeout_and_idle_timeout(service):
    svc = service(stub=True, extra_args=['--header-timeout', '2s', '--idle-timeout', '5s'])
    # Connected, sends nothing: closed after the header timeout.
    with socket.create_connection(('127.0.0.1', svc.port)) as s:
        took = read_until_closed(s, 15)
        assert took is not None and 1.5 <= took < 5, took
    # Headers one byte every half second: closed after the header timeout too, though bytes move.
    with socket.create_connection(('127.0.0.1', svc.port)) as s:
        t0 = time.monotonic()
        closed = None
        for b in b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-slow: ' + b'x' * 40:
            try:
                s.send(bytes([b]))
            except OSError:
                closed = time.monotonic() - t0
                break
            s.settimeout(0.5)
            try:
                if s.recv(4096) == b'':
                    closed = time.monotonic() - t0
                    break
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed = time.monotonic() - t0
                break
        assert closed is not None and 1.5 <= closed < 5, closed
    # A kept-alive connection may idle longer than the header timeout, up to the idle timeout.
    conn = http.client.HTTPConnection('127.0.0.1', svc.port, timeout=10)
    auth = {'Authorization': f'Bearer {svc.client.token}'}
    conn.request('GET', '/api/v1/jobs', headers=auth)
    r = conn.getresponse()
    assert r.status == 200, r.read()
    r.read()
    time.sleep(3.5)  # over --header-timeout, under --idle-timeout
    conn.request('GET', '/api/v1/jobs', headers=auth)
    r = conn.getresponse()
    assert r.status == 200, r.read()
    r.read()
    took = read_until_closed(conn.sock, 15)
    assert took is not None and 4 <= took < 8, took
    conn.close()


def test_held_requests_have_their_own_cap(service):
    svc = service(stub=True, extra_args=['--max-long-polls', '2'])
    c = svc.client
    job = c.submit('hello.yml', extra_vars={'stub_sleep': 60}).json()['job_id']
    held = [threading.Thread(target=c.get, args=(f'/api/v1/jobs/{job}?wait=20',), daemon=True) for dummy in range(2)]
    for t in held:
        t.start()
    time.sleep(1)
    for path in (f'/api/v1/jobs/{job}?wait=20',):
        r = c.get(path)
        assert r.status == 503 and r.headers.get('retry-after'), r
        assert 'max-long-polls' in r.json()['detail'], r
    r = c.get(f'/api/v1/jobs/{job}/events', headers={'Accept': 'text/event-stream'})
    assert r.status == 503 and r.headers.get('retry-after'), r
    r = c.post('/api/v1/jobs?wait=5', {'playbook': 'hello.yml'})
    assert r.status == 503, r
    # Requests that do not wait are not counted; nothing was queued by the refused POST.
    assert c.get(f'/api/v1/jobs/{job}').status == 200
    assert [j['job_id'] for j in c.jobs()] == [job]
    assert c.post(f'/api/v1/jobs/{job}/cancel').status in (200, 202)
    for t in held:
        t.join(30)
    r = c.get(f'/api/v1/jobs/{job}?wait=1')
    assert r.status == 200, r
