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
import signal
import socket
import threading
import time

import pytest

from conftest import OpenAPI, Response, check

pytestmark = pytest.mark.backends('embedded')  # the HTTP layer is the same on every store


def fd_limit_256():
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


class Background:
    """A client that runs in a thread of its own for the duration of a `with` block."""

    def __init__(self, port, n, every):
        self.port, self.n, self.every = port, n, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


class Slowloris(Background):
    """`n` connections that each send one header byte every `every` seconds and never finish
    their headers; a connection the service closes is opened again, as an attacker would."""

    def __init__(self, port, n, every=1.0):
        super().__init__(port, n, every)
        self.opened = 0
        self.closed_by_service = 0

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


def raw_post(port, token, body_start, length=100):
    """A socket that sent a POST's headers (declaring `length` body bytes) and `body_start`."""
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(b'POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n'
              b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s'
              % (port, token.encode(), length, body_start))
    return s


def answer(sock, limit):
    """The service's answer on `sock` (status, headers, body) and the seconds it took."""
    t0 = time.monotonic()
    sock.settimeout(limit)
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    body = resp.read()
    return Response('POST', '/api/v1/jobs', resp.status, {k.lower(): v for k, v in resp.getheaders()}, body), \
        time.monotonic() - t0


def test_a_stalled_or_trickled_body_is_answered_408(service):
    """A body that stops, or comes one byte every half second, held the connection (and SIGTERM)
    for as long as the client liked: now the whole body must arrive within --body-timeout."""
    svc = service(stub=True, extra_args=['--header-timeout', '3s', '--idle-timeout', '5s', '--body-timeout', '4s'])
    c = svc.client
    OpenAPI.load(c)
    # 7 bytes of 100, then silence.
    with raw_post(svc.port, c.token, b'{"play"') as s:
        r, took = answer(s, 15)
        assert r.status == 408 and 'body-timeout' in r.json()['detail'], r
        check(r, '/api/v1/jobs', 'POST')
        assert 3.5 <= took < 8, took
        assert read_until_closed(s, 5) is not None, 'the connection stayed open after the 408'
    # One byte every half second: bytes move, but the whole body is late.
    s = raw_post(svc.port, c.token, b'')
    stop = threading.Event()

    def trickle():
        for b in b'{"playbook": "hello.yml", "extra_vars": {"a": "' + b'x' * 60:
            if stop.wait(0.5):
                return
            try:
                s.send(bytes([b]))
            except OSError:
                return
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        r, took = answer(s, 15)
        assert r.status == 408, r
        assert took < 8, took
    finally:
        stop.set()
        t.join(5)
        s.close()
    assert not (svc.project / '.stub-calls').exists(), 'a job ran from a partial body'
    # SIGTERM during a trickle: the service ends within the body timeout, not when the client
    # gives up.
    s = raw_post(svc.port, c.token, b'{')
    stop.clear()
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        time.sleep(1)
        t0 = time.monotonic()
        svc.proc.send_signal(signal.SIGTERM)
        svc.proc.wait(15)
        assert time.monotonic() - t0 < 7, time.monotonic() - t0
    finally:
        stop.set()
        t.join(5)
        s.close()


class KeepAlive(Background):
    """`n` kept-alive connections that each send `GET /healthz` every `every` seconds, each
    request resetting the service's idle clock; one the service closes is opened again."""

    def __init__(self, port, n, every):
        super().__init__(port, n, every)
        self.answered = 0
        self.reopened = 0

    def run(self):
        conns = [http.client.HTTPConnection('127.0.0.1', self.port, timeout=30) for dummy in range(self.n)]
        while not self.stop.is_set():
            for i, conn in enumerate(conns):
                try:
                    conn.request('GET', '/healthz')
                    conn.getresponse().read()
                    self.answered += 1
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conns[i] = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
                    self.reopened += 1
            self.stop.wait(self.every)
        for conn in conns:
            conn.close()


def test_kept_alive_connections_cannot_lock_out_new_ones(service):
    """5 connections sending /healthz every 4 s under --idle-timeout 5s and --max-connections 5
    kept every other client out for good; at the cap the connection idle the longest is closed."""
    svc = service(stub=True, extra_args=['--max-connections', '5', '--idle-timeout', '5s'])
    c = svc.client
    with KeepAlive(svc.port, 5, every=4) as keep:
        time.sleep(2)  # every slot is taken
        assert keep.answered >= 5, keep.answered
        for dummy in range(3):
            r, took = timed(c.get, '/healthz', timeout=10)
            assert r.status == 200 and took < 3, (took, r)
        r, took = timed(c.get, '/api/v1/jobs', timeout=10)
        assert r.status == 200 and took < 3, (took, r)
        answered = keep.answered
        time.sleep(5)
        assert keep.answered > answered, 'the kept-alive clients were locked out instead'
    assert 'every connection slot is taken' in svc.output()


def test_sigterm_ends_event_streams_and_waits_at_once(service):
    """An SSE client following a long job, or a ?wait, made SIGTERM wait for the job's end, and
    the job ran on instead of being given --grace: they now end at once."""
    svc = service(stub=True, grace='2s')
    c = svc.client
    job = c.submit('hello.yml', extra_vars={'stub_sleep': 60}).json()['job_id']
    c.wait_for(job, statuses=('running',), timeout=20)
    stream = http.client.HTTPConnection('127.0.0.1', svc.port, timeout=30)
    stream.request('GET', f'/api/v1/jobs/{job}/events',
                   headers={'Accept': 'text/event-stream', 'Authorization': f'Bearer {c.token}'})
    sse = stream.getresponse()
    assert sse.status == 200, sse.status
    waited = {}
    t = threading.Thread(target=lambda: waited.update(r=c.get(f'/api/v1/jobs/{job}?wait=50', timeout=30)),
                         daemon=True)
    t.start()
    time.sleep(1)
    t0 = time.monotonic()
    svc.proc.send_signal(signal.SIGTERM)
    t.join(10)
    r = waited.get('r')
    assert r is not None and time.monotonic() - t0 < 5, 'the ?wait was held through SIGTERM'
    assert r.status == 202 and r.json()['status'] == 'running', r
    sse.read()  # the stream ends
    assert time.monotonic() - t0 < 5, time.monotonic() - t0
    svc.proc.wait(15)
    took = time.monotonic() - t0
    # The grace (2 s), then TERM and the stub's end: far from the 60 s the job would take.
    assert took < 2 + 5, took
    stream.close()


def test_playbooks_get_the_services_original_open_file_limit(service):
    """The service raises its soft open-file limit for connections; ansible-playbook (and every
    module it forks) must not inherit a million descriptors."""
    def soft_512():
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    svc = service(stub=True, preexec=soft_512)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[1] > 512, 'the hard limit leaves nothing to raise: no test'
    c = svc.client
    job = c.submit('hello.yml').json()['job_id']
    assert c.wait_for(job)['status'] == 'successful'
    r = c.get(f'/api/v1/jobs/{job}/stdout')
    assert 'stub: open files: 512\n' in r.text, r.text
