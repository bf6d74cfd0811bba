# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Security defaults: a token off loopback, extra vars never on the command line, and an
environment from an allow-list."""

from __future__ import annotations

import os
import pathlib
import secrets
import stat
import subprocess

from conftest import free_port, service_bin
from procs import Proc, wait_leader


def test_non_loopback_listen_needs_a_token_file(tmp_path):
    project = tmp_path / 'p'
    project.mkdir()
    port = free_port()
    for addr in (f'0.0.0.0:{port}', f'[::]:{port}'):
        p = subprocess.run([str(service_bin()), 'serve', '--project-dir', str(project), '--data-dir',
                            str(tmp_path / 'd'), '--listen', addr], capture_output=True, text=True, timeout=30, check=False)
        assert p.returncode == 2, (addr, p)
        assert '--token-file' in p.stderr, (addr, p.stderr)
        assert 'panicked' not in p.stderr and 'RUST_BACKTRACE' not in p.stderr, p.stderr


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
