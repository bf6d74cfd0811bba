# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Security defaults: a token by default (loopback included), extra vars never on the command line, and an
environment from an allow-list."""

from __future__ import annotations

import os
import pathlib
import re
import secrets
import stat
import subprocess

import pytest

from conftest import STUB, free_port, service_bin
from procs import Proc, wait_leader


def refused_at_start(tmp_path, *args, data_dir=None, listen=None):
    """`serve` with these flags exits 2 before it listens; its stderr is returned."""
    project = tmp_path / 'p'
    project.mkdir(exist_ok=True)
    p = subprocess.run([str(service_bin()), 'serve', '--project-dir', str(project), '--data-dir',
                        str(data_dir or tmp_path / 'd'), '--ansible-playbook', str(STUB),
                        '--listen', listen or f'127.0.0.1:{free_port()}', *args],
                       capture_output=True, text=True, timeout=30, check=False)
    assert p.returncode == 2, (args, p)
    assert 'panicked' not in p.stderr and 'RUST_BACKTRACE' not in p.stderr, p.stderr
    assert 'listening on' not in p.stdout, p.stdout
    return p.stderr


def test_no_token_is_refused_off_loopback(tmp_path):
    for addr in (f'0.0.0.0:{free_port()}', f'[::]:{free_port()}'):
        err = refused_at_start(tmp_path, '--no-token', listen=addr)
        assert '--no-token' in err and addr in err, (addr, err)
    err = refused_at_start(tmp_path, '--no-token', '--token-file', str(tmp_path / 'tok'))
    assert '--no-token' in err and '--token-file' in err, err


def test_a_token_is_required_by_default_on_loopback(service):
    """Any local user reaches 127.0.0.1: without --token-file the service makes a token of its
    own at the first start, 0600 in the data dir, and requires it."""
    svc = service(stub=True)
    tf = svc.data_dir / 'token'
    st = tf.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(), oct(st.st_mode)
    token = tf.read_text().strip()
    assert re.fullmatch(r'[0-9a-f]{64}', token), token
    out = svc.output()
    assert f'token in {tf}' in out, out
    assert token not in out, 'the token itself is printed'
    c = svc.client
    assert c.token == token
    for path in ('/api/v1/jobs', '/metrics', '/api/v1/openapi.json'):
        r = c.get(path, token=None)
        assert r.status == 401, (path, r)
        assert r.headers.get('www-authenticate', '').startswith('Bearer'), r
        assert c.get(path, token='0' * 64).status == 401, path
    r = c.request('POST', '/api/v1/jobs', json_body={'playbook': 'hello.yml'}, token=None)
    assert r.status == 401, r
    assert not (svc.project / '.stub-calls').exists()
    c.healthy()  # health checks need no token
    assert c.get('/metrics').status == 200
    assert c.submit('hello.yml', query='?sync=true', expect=200).json()['status'] == 'successful'
    svc.restart()
    assert tf.read_text().strip() == token, 'a restart changed the token'
    assert c.get('/api/v1/jobs').status == 200


def test_the_bearer_scheme_is_case_insensitive(service):
    svc = service(stub=True, token=secrets.token_urlsafe(24))
    c = svc.client
    for scheme in ('Bearer', 'bearer', 'BEARER', 'bEaReR'):
        r = c.get('/api/v1/jobs', headers={'Authorization': f'{scheme} {c.token}'})
        assert r.status == 200, (scheme, r)
    for value in (f'Basic {c.token}', f'Bearer{c.token}', c.token, f'Token {c.token}'):
        assert c.get('/api/v1/jobs', headers={'Authorization': value}).status == 401, value


def test_no_token_on_loopback_serves_and_warns(service):
    svc = service(stub=True, extra_args=['--no-token'])
    c = svc.client
    assert c.token is None
    assert c.get('/api/v1/jobs').status == 200
    assert c.submit('hello.yml', query='?sync=true', expect=200).json()['status'] == 'successful'
    out = re.sub(r'\x1b\[[0-9;]*m', '', svc.output())
    assert re.search(r'WARN.*--no-token', out), out
    assert 'no token: --no-token' in out, out
    assert not (svc.data_dir / 'token').exists()


def test_token_files_others_can_read_are_refused(tmp_path):
    tf = tmp_path / 'tok'
    tf.write_text(secrets.token_hex(32) + '\n')
    for mode in (0o640, 0o604, 0o660, 0o644):
        tf.chmod(mode)
        err = refused_at_start(tmp_path, '--token-file', str(tf))
        assert str(tf) in err and 'chmod 600' in err, (oct(mode), err)
    # The generated one too, if someone widened it since.
    data = tmp_path / 'data'
    data.mkdir(mode=0o700)
    (data / 'token').write_text(secrets.token_hex(32) + '\n')
    (data / 'token').chmod(0o644)
    err = refused_at_start(tmp_path, data_dir=data)
    assert str(data / 'token') in err and 'chmod 600' in err, err


def test_a_fifo_token_file_is_refused_without_blocking(tmp_path):
    """A FIFO in the token's place (or the Redis URL file's) would block an open without
    O_NONBLOCK until some writer came: the start hung forever. It is refused at once."""
    fifo = tmp_path / 'tok'
    os.mkfifo(fifo, 0o600)
    err = refused_at_start(tmp_path, '--token-file', str(fifo))
    assert str(fifo) in err and 'not a regular file' in err, err
    data = tmp_path / 'data'
    data.mkdir(mode=0o700)
    os.mkfifo(data / 'token', 0o600)
    err = refused_at_start(tmp_path, data_dir=data)
    assert 'not a regular file' in err, err
    url = tmp_path / 'redis-url'
    os.mkfifo(url, 0o600)
    err = refused_at_start(tmp_path, '--redis-url-file', str(url))
    assert '--redis-url-file' in err and 'not a regular file' in err, err


def test_a_token_that_cannot_be_sent_is_refused(tmp_path):
    tf = tmp_path / 'tok'
    tf.write_text('0123456789abcdef\u00e90123\n', encoding='utf-8')
    tf.chmod(0o600)
    err = refused_at_start(tmp_path, '--token-file', str(tf))
    assert 'visible ASCII' in err, err


def test_no_token_is_generated_in_a_data_dir_others_can_write(tmp_path):
    """Whoever may write in the data dir could plant a token of theirs (or the temporary file)."""
    for mode in (0o770, 0o703, 0o1777):
        data = tmp_path / f'data-{mode:o}'
        data.mkdir()
        data.chmod(mode)
        err = refused_at_start(tmp_path, data_dir=data)
        assert str(data) in err and 'chmod go-w' in err, (oct(mode), err)
        assert not (data / 'token').exists()


def test_token_files_of_another_user_are_refused(tmp_path):
    """A token another user could have planted (or can rewrite) is known to them."""
    if os.geteuid() != 0:
        pytest.skip('needs root to give a file to another user')
    nobody = 65534
    tf = tmp_path / 'tok'
    tf.write_text(secrets.token_hex(32) + '\n')
    tf.chmod(0o600)
    os.chown(tf, nobody, nobody)
    err = refused_at_start(tmp_path, '--token-file', str(tf))
    assert str(tf) in err and f'uid {nobody}' in err, err
    data = tmp_path / 'theirs'
    data.mkdir(mode=0o700)
    os.chown(data, nobody, nobody)
    err = refused_at_start(tmp_path, data_dir=data)
    assert '--data-dir' in err and f'uid {nobody}' in err, err
    assert not (data / 'token').exists()
    # Planted in a data dir of ours: refused as well.
    ours = tmp_path / 'ours'
    ours.mkdir(mode=0o700)
    (ours / 'token').write_text(secrets.token_hex(32) + '\n')
    (ours / 'token').chmod(0o600)
    os.chown(ours / 'token', nobody, nobody)
    err = refused_at_start(tmp_path, data_dir=ours)
    assert f'uid {nobody}' in err, err


def test_token_is_required_when_set(service):
    token = secrets.token_urlsafe(24)
    svc = service(stub=True, token=token)
    c = svc.client
    for path in ('/api/v1/jobs', f'/api/v1/jobs/{"0" * 8}-0000-7000-8000-{"0" * 12}'):
        for tok in (None, 'wrong', token + 'x', token[:-1]):
            r = c.get(path, token=tok)
            assert r.status == 401, (path, tok, r)
            assert r.headers.get('www-authenticate', '').startswith('Bearer'), r
    r = c.request('POST', '/api/v1/jobs', json_body={'playbook': 'hello.yml'}, token=None)
    assert r.status == 401, r
    r = c.request('POST', '/api/v1/jobs', json_body={'playbook': 'hello.yml'},
                  headers={'Authorization': f'Basic {token}'}, token=None)
    assert r.status == 401, r
    assert not (svc.project / '.stub-calls').exists()
    assert c.jobs() == []
    assert c.get('/api/v1/jobs').status == 200
    body = c.submit('hello.yml', query='?sync=true', expect=200).json()
    assert body['status'] == 'successful', body


def test_extra_vars_file_and_environment_of_the_run(service):
    secret = secrets.token_hex(16)
    env_secret = secrets.token_hex(16)
    svc = service(env={'SECRET_TOKEN_FOR_TEST': env_secret})
    c = svc.client
    job_id = c.submit('long.yml', extra_vars={'seconds': 120, 'password': secret}).json()['job_id']
    leader = wait_leader(svc.proc.pid)
    assert Proc(svc.proc.pid).environ().get('SECRET_TOKEN_FOR_TEST') == env_secret
    cmd = leader.cmdline()
    environ = leader.environ()
    cwd = leader.cwd()
    vars_files = [a[1:] for prev, a in zip(cmd, cmd[1:]) if prev in ('-e', '--extra-vars') and a.startswith('@')]
    vars_files += [a.split('@', 1)[1] for a in cmd if a.startswith(('-e@', '--extra-vars=@'))]
    assert vars_files, f'no -e @FILE on the command line: {cmd}'
    assert not any(secret in a for a in cmd), cmd
    assert not any(secret in v for v in environ.values()), 'the extra var is in the environment'
    for f in vars_files:
        st = os.stat(f)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        assert st.st_uid == os.getuid()
        assert secret in pathlib.Path(f).read_text()
        mode = stat.S_IMODE(os.stat(os.path.dirname(f)).st_mode)
        assert mode & 0o077 == 0, f'{os.path.dirname(f)} is {oct(mode)}'
    assert 'SECRET_TOKEN_FOR_TEST' not in environ, sorted(environ)
    assert not any(env_secret in v for v in environ.values()), sorted(environ)
    assert cwd == str(svc.project.resolve()), cwd
    assert c.post(f'/api/v1/jobs/{job_id}/cancel').status == 202
    job = c.wait_for(job_id)
    assert job['status'] == 'canceled'
