# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""A Redis that can lose acknowledged jobs is refused (issue 19, findings 5-7), on real
redis-servers set up as the issue found them: a memory limit with an eviction policy, no
persistence, a Redis that came back empty, a restart that left stale connections, a password
that must stay off the command line, an ACL user without CONFIG."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import STUB, make_project, service_bin
from fleet import stub_runs
from redisd import RedisServer

pytestmark = pytest.mark.backends('redis')


@pytest.fixture
def redis_factory(tmp_path):
    servers = []

    def make(name='redis', **options):
        server = RedisServer(tmp_path / name, **options).start()
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.stop()


def start_refused(tmp_path, command, url_args, *extra):
    """Runs `serve` or `worker` and expects it to refuse to start: (exit code, stderr)."""
    project = tmp_path / 'project'
    if not project.exists():
        make_project(project)
    args = [str(service_bin()), command, '--project-dir', str(project), '--data-dir',
            str(tmp_path / 'data'), '--ansible-playbook', str(STUB), *url_args, *extra]
    if command == 'serve':
        args += ['--listen', '127.0.0.1:0']
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f'{command} started on a Redis it must refuse: {args}\n{e.stderr}')
    return done.returncode, done.stderr


def wait_status(client, path, status, timeout=10, **kw):
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(path, **kw)
        if r.status == status:
            return r
        assert time.monotonic() < deadline, f'{path} still {r.status}, not {status}, after {timeout} s: {r}'
        time.sleep(0.2)


# ---------------------------------------------------------------------------------- finding 5
@pytest.mark.parametrize('command', ['serve', 'worker'])
def test_an_evicting_redis_is_refused_at_start(tmp_path, redis_factory, command):
    redis = redis_factory(maxmemory='4mb', policy='allkeys-lru')
    rc, err = start_refused(tmp_path, command, ['--redis-url', redis.url()])
    assert rc == 2, err
    assert 'maxmemory-policy is allkeys-lru' in err and 'maxmemory-policy noeviction' in err, err
    # --redis-volatile acknowledges lost persistence, never eviction.
    rc, err = start_refused(tmp_path, command, ['--redis-url', redis.url()], '--redis-volatile')
    assert rc == 2 and 'allkeys-lru' in err, err


def test_an_acl_user_without_config_is_checked_through_info(tmp_path, redis_factory):
    redis = redis_factory(maxmemory='4mb', policy='volatile-lru', password='admin-secret-1')
    url = redis.acl_user('ajs', 'ajs-secret-12345')
    with socket.create_connection(('127.0.0.1', redis.port), timeout=5) as s:
        s.sendall(RedisServer._wire(('AUTH', 'ajs', 'ajs-secret-12345')))
        assert s.recv(64).startswith(b'+OK')
        s.sendall(RedisServer._wire(('CONFIG', 'GET', 'maxmemory')))
        assert s.recv(256).startswith(b'-NOPERM'), 'the ACL user may CONFIG GET: the test proves nothing'
    rc, err = start_refused(tmp_path, 'serve', ['--redis-url', url])
    assert rc == 2 and 'maxmemory-policy is volatile-lru' in err, err
    assert 'ajs-secret-12345' not in err, 'the password reached a message'


def test_a_running_service_answers_503_while_redis_may_evict_and_recovers(service, redis_factory):
    redis = redis_factory()
    svc = service(stub=True, workers=1, redis=redis, extra_args=['--redis-check-every', '1s'])
    c = svc.client
    assert c.submit('hello.yml', query='?wait=30', expect=200).json()['status'] == 'successful'
    assert redis.command('CONFIG', 'SET', 'maxmemory', '100mb').startswith(b'+OK')
    assert redis.command('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru').startswith(b'+OK')
    r = wait_status(c, '/healthz', 503, timeout=10)
    assert 'allkeys-lru' in r.json()['detail'] and r.headers.get('retry-after'), r
    refused = c.submit('hello.yml', expect=503)
    assert 'noeviction' in refused.json()['detail'], refused
    assert 'refusing jobs until Redis is fixed' in svc.output(), svc.output()
    assert redis.command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction').startswith(b'+OK')
    wait_status(c, '/healthz', 200, timeout=10, validate=False)
    assert c.submit('hello.yml', query='?wait=30', expect=200).json()['status'] == 'successful'
    assert 'taking jobs again' in svc.output()


# ---------------------------------------------------------------------------------- finding 6
@pytest.mark.parametrize('command', ['serve', 'worker'])
def test_a_redis_without_persistence_is_refused_unless_acknowledged(tmp_path, redis_factory, command):
    redis = redis_factory(persist=False)
    rc, err = start_refused(tmp_path, command, ['--redis-url', redis.url()])
    assert rc == 2, err
    assert 'appendonly no, save ""' in err and '--redis-volatile' in err, err


def test_redis_volatile_acknowledges_a_redis_without_persistence(service, redis_factory):
    redis = redis_factory(persist=False)
    svc = service(stub=True, workers=1, redis=redis, extra_args=['--redis-volatile'])
    assert svc.client.submit('hello.yml', query='?wait=30', expect=200).json()['status'] == 'successful'
    assert '--redis-volatile: Redis keeps nothing on disk' in svc.output()


def test_a_redis_that_came_back_empty_is_found_and_the_running_job_ends_lost(service, redis_factory, uname):
    redis = redis_factory()
    svc = service(stub=True, workers=1, redis=redis, extra_args=['--redis-check-every', '1s'])
    c = svc.client
    job_id = c.submit('hello.yml', name=uname, extra_vars={'stub_sleep': 60}).json()['job_id']
    c.wait_for(job_id, statuses={'running'})
    # Redis restarts and its files are gone (a Redis without persistence, a lost volume).
    redis.stop()
    shutil.rmtree(redis.dir / 'appendonlydir', ignore_errors=True)
    redis.start()
    assert redis.command('DBSIZE') == b':0\r\n'
    deadline = time.monotonic() + 20
    while True:
        r = c.get(f'/api/v1/jobs/{job_id}')
        if r.status == 200 and r.json()['status'] == 'failed':
            break
        assert time.monotonic() < deadline, f'the job is not recorded lost: {r}\n{svc.output()}'
        time.sleep(0.2)
    job = r.json()
    assert job['reason'] == 'lost', job
    assert 'Redis lost this job' in job['result']['stdout'], job
    assert 'Redis lost data' in svc.output(), svc.output()
    # Its name is held by the lost job: a POST of the name does not run it again by itself.
    again = c.submit('hello.yml', name=uname, extra_vars={'stub_sleep': 60}, expect=None)
    assert again.status == 200 and again.json()['job_id'] == job_id, again
    assert stub_runs(svc.project) == [job_id]


def test_the_first_call_after_a_redis_restart_succeeds_on_two_api_processes(service, redis_factory):
    redis = redis_factory()
    a = service(stub=True, workers=0, redis=redis)
    b = service(stub=True, workers=0, redis=redis, project=a.project)
    first = a.client.submit('hello.yml').json()['job_id']
    assert b.client.get(f'/api/v1/jobs/{first}').status == 200
    redis.stop()
    # Down long enough for each process's own reconnect attempt to fail, as a real restart is.
    time.sleep(4)
    redis.start()
    assert redis.ping()
    got = a.client.get(f'/api/v1/jobs/{first}')
    posted = b.client.submit('hello.yml', expect=None)
    assert got.status == 200, got
    assert posted.status == 202, posted
    assert b.client.get(f'/api/v1/jobs/{first}').status == 200
    assert a.client.get(f'/api/v1/jobs/{posted.json()["job_id"]}').status == 200


# ---------------------------------------------------------------------------------- finding 7
@pytest.mark.parametrize('via', ['file', 'env', 'store-file', 'store-env'])
def test_the_redis_password_stays_off_the_command_line(service, redis_factory, via):
    password = 'pw-' + os.urandom(8).hex()
    redis = redis_factory(password=password)
    svc = service(stub=True, workers=1, redis=redis, redis_via=via)
    cmdline = pathlib_read(f'/proc/{svc.proc.pid}/cmdline')
    assert password.encode() not in cmdline and b'redis://' not in cmdline, cmdline
    assert svc.client.submit('hello.yml', query='?wait=30', expect=200).json()['status'] == 'successful'
    assert password not in svc.output()
    # The job went to this Redis (not to an embedded store the service fell back to).
    assert redis.command('ZCARD', '{ajs}:jobs') == b':1\r\n'


def test_a_redis_url_file_readable_by_everyone_is_refused(tmp_path, redis_factory):
    redis = redis_factory(password='pw-0123456789')
    url_file = tmp_path / 'redis-url'
    url_file.write_text(redis.url() + '\n')
    url_file.chmod(0o644)
    rc, err = start_refused(tmp_path, 'worker', ['--redis-url-file', str(url_file)])
    assert rc == 2 and '--redis-url-file' in err and 'chmod' in err, err
    assert 'pw-0123456789' not in err
    rc, err = start_refused(tmp_path, 'serve', ['--redis-url-file', str(url_file), '--redis-url', redis.url()])
    assert rc == 2 and 'cannot be used with' in err, err


def pathlib_read(path: str) -> bytes:
    with open(path, 'rb') as f:
        return f.read()
