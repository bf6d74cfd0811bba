# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Runs the real `ansible-job-service` binary on a free loopback port, with the real
ansible-playbook of the venv (or tests/service/stub/ansible-playbook where 200 real runs would be
slow), and checks every JSON answer against the service's own OpenAPI document."""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from procs import kill_leftovers
from redisd import RedisServer

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
EXAMPLE = REPO / 'examples' / 'service'
TEST_PROJECT = HERE / 'project'
STUB = HERE / 'stub' / 'ansible-playbook'
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'
BIN = pathlib.Path(os.environ.get('JOB_SERVICE_BIN', REPO / 'target' / 'service' / 'ansible-job-service'))
# A real ansible-playbook takes 3-4 s here, much more while the machine is busy.
RUN_TIMEOUT = 180
FINAL = frozenset({'successful', 'failed', 'canceled'})
STAT_KEYS = {'ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored'}


def service_bin() -> pathlib.Path:
    if not BIN.is_file() or not os.access(BIN, os.X_OK):
        pytest.fail(f'{BIN} is missing: `make build` builds it (or set JOB_SERVICE_BIN to the binary)')
    return BIN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------- schema
class OpenAPI:
    """The served document, fetched and validated once; `check` validates one JSON answer."""

    doc: dict | None = None
    _lock = threading.Lock()
    _routes: list = []

    @classmethod
    def load(cls, client: 'Client') -> dict:
        with cls._lock:
            if cls.doc is None:
                from openapi_spec_validator import validate

                r = client.request('GET', '/api/v1/openapi.json', validate=False)
                assert r.status == 200, r
                doc = r.json()
                validate(doc)
                cls._routes = [
                    (re.compile('^' + re.sub(r'\\\{[^/]+?\\\}', '[^/]+', re.escape(p)) + '$'), p)
                    for p in doc.get('paths', {})
                ]
                cls.doc = doc
            return cls.doc

    @classmethod
    def template(cls, path: str) -> str:
        path = path.split('?', 1)[0]
        exact = [p for rx, p in cls._routes if p == path]
        if exact:
            return exact[0]
        found = [p for rx, p in cls._routes if rx.match(path)]
        assert found, f'{path} is not in the OpenAPI document (paths: {sorted(cls.doc["paths"])})'
        return found[0]


def check(response: 'Response', path_template: str, method: str) -> None:
    """The body of `response` matches the document's schema for this path, method and status."""
    import jsonschema

    doc = OpenAPI.doc
    assert doc is not None, 'the OpenAPI document was not loaded'
    op = doc['paths'].get(path_template, {}).get(method.lower())
    assert op is not None, f'{method} {path_template} is not in the OpenAPI document'
    responses = op.get('responses', {})
    status = str(response.status)
    spec = responses.get(status) or responses.get(status[0] + 'XX') or responses.get('default')
    assert spec is not None, (f'{method} {path_template} answered {status}, which the OpenAPI document does '
                              f'not list (it lists {sorted(responses)}): {response}')
    while '$ref' in spec:
        spec = resolve(doc, spec['$ref'])
    content = spec.get('content', {})
    media = content.get('application/json')
    assert media is not None, (f'{method} {path_template} {status}: the document has no application/json '
                               f'body (it has {sorted(content)}) but the service sent one: {response}')
    schema = dict(media.get('schema', {}))
    schema['components'] = doc.get('components', {})
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, (f'{method} {path_template} {status}: the body does not match the OpenAPI schema: '
                        + '; '.join(f'{list(e.path)}: {e.message}' for e in errors[:5]) + f'\n{response}')


def resolve(doc: dict, ref: str):
    assert ref.startswith('#/'), ref
    node = doc
    for part in ref[2:].split('/'):
        node = node[part.replace('~1', '/').replace('~0', '~')]
    return node


# ---------------------------------------------------------------------------------------- client
class Response:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path, self.status, self.headers, self.body = method, path, status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    def is_json(self):
        return self.headers.get('content-type', '').split(';')[0].strip() == 'application/json'

    def __repr__(self):
        return f'<{self.method} {self.path} -> {self.status} {dict(self.headers)}\n{self.text[-3000:]}>'


class Client:
    """One connection per request (thread safe), no exceptions on 4xx/5xx; every JSON answer is
    validated against the OpenAPI document unless validate=False."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.token = port, token

    def request(self, method, path, json_body=None, data=None, headers=None, timeout=RUN_TIMEOUT,
                validate=True, token=...):
        hdrs = {} if headers is None else dict(headers)
        tok = self.token if token is ... else token
        if tok is not None and 'Authorization' not in hdrs:
            hdrs['Authorization'] = f'Bearer {tok}'
        if json_body is not None:
            data = json.dumps(json_body).encode()
        # The service refuses a POST that is not JSON (415), a body or not: web pages cannot send one.
        if data is not None or method == 'POST':
            hdrs.setdefault('Content-Type', 'application/json')
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            try:
                conn.request(method, path, body=data, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the service may answer (413) before it read the whole body
            resp = conn.getresponse()
            body = resp.read()
            r = Response(method, path, resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        finally:
            conn.close()
        if validate and r.is_json():
            OpenAPI.load(self)
            check(r, OpenAPI.template(path), method)
        return r

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request('POST', path, json_body=json_body, **kw)

    # --- jobs
    def submit(self, playbook='hello.yml', query='', headers=None, expect=202, **fields):
        body = {'playbook': playbook, **fields}
        r = self.post('/api/v1/jobs' + query, body, headers=headers)
        if expect is not None:
            assert r.status == expect, r
        return r

    def job(self, job_id, query=''):
        r = self.get(f'/api/v1/jobs/{job_id}{query}')
        assert r.status in (200, 202), r
        return r.json()

    def wait_for(self, job_id, statuses=FINAL, timeout=RUN_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job['status'] in statuses:
                return job
            assert time.monotonic() < deadline, f'job {job_id} still {job["status"]} after {timeout} s: {job}'
            time.sleep(0.1)

    def jobs(self, **params):
        """Every job of the list, following the cursor."""
        out, cursor = [], None
        while True:
            q = dict(params, **({'cursor': cursor} if cursor else {}))
            r = self.get('/api/v1/jobs' + ('?' + '&'.join(f'{k}={v}' for k, v in q.items()) if q else ''))
            assert r.status == 200, r
            page = r.json()
            out += page['jobs']
            cursor = page['next_cursor']
            if not cursor:
                return out

    def healthy(self):
        r = self.get('/healthz', timeout=10)
        assert r.status == 200 and r.json() == {'status': 'ok'}, r


# --------------------------------------------------------------------------------------- service
class Service:
    def __init__(self, root: pathlib.Path, workers=2, stub=False, token=None, listen=None,
                 extra_args=(), env=None, grace='2s', backend='embedded', redis=None, project=None,
                 ansible_playbook=None, redis_via='flag', preexec=None):
        self.root = root
        # A RedisServer given by the test is shared (several API processes, workers) and the
        # test stops it; otherwise each service on the redis backend gets one of its own.
        self.shared_redis = redis is not None
        self.backend = 'redis' if redis is not None else backend
        self.redis = redis or (RedisServer(root / 'redis') if backend == 'redis' else None)
        self.project = project or root / 'project'
        self.data_dir = root / 'data'
        if not self.project.exists():
            make_project(self.project)
        self.port = free_port()
        self.listen = listen or f'127.0.0.1:{self.port}'
        self.token = token
        self.playbook_bin = STUB if stub else (ansible_playbook or ANSIBLE_PLAYBOOK)
        self.args = [str(service_bin()), 'serve', '--project-dir', str(self.project), '--data-dir',
                     str(self.data_dir), '--listen', self.listen, '--workers', str(workers),
                     '--ansible-playbook', str(self.playbook_bin), '--grace', grace, *extra_args]
        # How the Redis URL (with its password, if any) reaches the service: the flag, a 0600
        # file, or the environment; as --redis-url (the older spelling) or as --store.
        env = dict(env or {})
        if self.redis is not None and redis_via == 'flag':
            self.args += ['--redis-url', self.redis.url()]
        elif self.redis is not None and redis_via == 'file':
            uf = root / 'redis-url'
            uf.write_text(self.redis.url() + '\n')
            uf.chmod(0o600)
            self.args += ['--redis-url-file', str(uf)]
        elif self.redis is not None and redis_via == 'env':
            env['AJS_REDIS_URL'] = self.redis.url()
        elif self.redis is not None and redis_via == 'store':
            self.args += ['--store', self.redis.url()]
        elif self.redis is not None and redis_via == 'store-file':
            uf = root / 'store-url'
            uf.write_text(self.redis.url() + '\n')
            uf.chmod(0o600)
            self.args += ['--store-file', str(uf)]
        elif self.redis is not None and redis_via == 'store-env':
            env['AJS_STORE'] = self.redis.url()
        if token is not None:
            tf = root / 'token'
            tf.write_text(token + '\n')
            tf.chmod(0o600)
            self.args += ['--token-file', str(tf)]
        self.env = dict(os.environ, **env)
        # Run in the child before exec, e.g. to set a resource limit as a unit file would.
        self.preexec = preexec
        self.proc = None
        self.client = Client(self.port, token)
        self.starts = 0

    def start(self):
        if self.redis is not None and not self.redis.ping():
            self.redis.start()
        self.starts += 1
        self.log = self.root / f'service-{self.starts}.log'
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                         start_new_session=True, preexec_fn=self.preexec)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f'the service exited with {self.proc.returncode} at start: {self.args}\n{self.output()}')
            try:
                healthy = self.client.get('/healthz', timeout=2, validate=False).status == 200
            except OSError:
                healthy = False
            if healthy:
                self.take_token()
                return self
            if time.monotonic() > deadline:
                pytest.fail(f'the service did not answer /healthz within 30 s\n{self.output()}')
            time.sleep(0.05)

    def take_token(self):
        """Without --token-file the service requires the token it generated in its data dir
        (unless the test gave --no-token): the client sends it, as an operator's would."""
        if self.token is None and '--no-token' not in self.args:
            self.client.token = (self.data_dir / 'token').read_text().strip()

    def output(self):
        return self.log.read_text(errors='replace')[-5000:] if self.log.exists() else ''

    def stop(self, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def kill9(self):
        self.proc.kill()
        self.proc.wait(10)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        try:
            self.stop()
        finally:
            if self.proc is not None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            kill_leftovers(self.project)
            if self.redis is not None and not self.shared_redis:
                self.redis.stop()


def make_project(dest: pathlib.Path) -> None:
    """examples/service (the example is what is tested), plus the test-only playbooks."""
    if not (EXAMPLE / 'hello.yml').exists():
        pytest.fail(f'{EXAMPLE}/hello.yml is missing')
    shutil.copytree(EXAMPLE, dest, symlinks=True, ignore=shutil.ignore_patterns('.job-service'))
    shutil.copytree(TEST_PROJECT, dest, symlinks=True, dirs_exist_ok=True)


class Launcher:
    def __init__(self, base: pathlib.Path, backend='embedded'):
        self.base = base
        self.backend = backend
        self.services: list[Service] = []

    def __call__(self, start=True, **kw) -> Service:
        root = self.base / f's{len(self.services)}'
        root.mkdir(parents=True)
        kw.setdefault('backend', self.backend)
        svc = Service(root, **kw)
        self.services.append(svc)
        return svc.start() if start else svc

    def close(self):
        for svc in self.services:
            svc.cleanup()


BACKENDS = ('embedded', 'redis')


def pytest_configure(config):
    config.addinivalue_line('markers', 'backends(*names): run the test on these stores only (default: all)')


def pytest_generate_tests(metafunc):
    """Every test that starts a service runs on each store: the API's contract is the same."""
    if 'backend' in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker('backends')
        metafunc.parametrize('backend', list(only.args) if only else list(BACKENDS), scope='module')


@pytest.fixture
def service(tmp_path, backend):
    """A factory: service(workers=2, stub=False, token=None, ...) starts one and returns it."""
    launcher = Launcher(tmp_path, backend)
    yield launcher
    launcher.close()


@pytest.fixture(scope='module')
def module_service(tmp_path_factory, backend):
    launcher = Launcher(tmp_path_factory.mktemp('svc'), backend)
    yield launcher
    launcher.close()


@pytest.fixture
def uname():
    """A job name unique to the test."""
    return f't-{uuid.uuid4().hex[:12]}'


@pytest.fixture
def cpu_burners():
    """Two busy loops, so the machine is loaded while the test runs."""
    procs = [subprocess.Popen([sys.executable, '-c', 'while 1: pass']) for dummy in range(2)]
    yield procs
    for p in procs:
        p.kill()
        p.wait()


def assert_stats(stats: dict, hosts=('localhost',)):
    assert isinstance(stats, dict) and set(stats) == set(hosts), stats
    for host, counts in stats.items():
        assert set(counts) == STAT_KEYS, (host, counts)
        assert all(isinstance(v, int) and v >= 0 for v in counts.values()), (host, counts)
