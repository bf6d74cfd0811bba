# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""packaging/config.toml.example and packaging/tokens.example as an operator installs them: the
service starts from them and the tokens work with their scopes. Only the paths that cannot exist
here (/srv/ansible, /etc, /opt) and the port are rewritten; every other key is the shipped one,
so a key the service does not know, or one that means something else (`token-file` for a file
of `name scope secret` lines), fails here."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from conftest import DIST, REPO, binary, free_port

CONFIG = REPO / 'packaging' / 'config.toml.example'
TOKENS = REPO / 'packaging' / 'tokens.example'
EXAMPLE = REPO / 'examples' / 'service'
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'


def service_binary() -> pathlib.Path:
    """The release binary once `make dist` ran (as `make test-dist` does), else the source
    build, so that this test also runs in a checkout without the cross toolchains."""
    if any(DIST.glob('ansible-job-service-*-x86_64-linux')):
        return binary('x86_64')
    return REPO / 'target' / 'service' / 'ansible-job-service'


def rewrite(text: str, key: str, value: str, commented: bool = False) -> str:
    """`key = value` in place of the shipped line (or of its commented-out form); exactly one."""
    pattern = rf'^{"# " if commented else ""}{re.escape(key)} = .*$'
    new, n = re.subn(pattern, f'{key} = {json.dumps(value)}', text, flags=re.M)
    assert n == 1, f'{CONFIG.name}: {n} lines `{key} = ...`'
    return new


def tokens() -> dict[str, tuple[str, str]]:
    """{name: (scope, secret)} of tokens.example."""
    lines = [line.split() for line in TOKENS.read_text().splitlines() if line.strip() and not line.startswith('#')]
    return {name: (scope, secret) for name, scope, secret in lines}


def call(port, path, secret, body=None):
    req = urllib.request.Request(
        f'http://127.0.0.1:{port}{path}', method='POST' if body is not None else 'GET',
        data=json.dumps(body).encode() if body is not None else None,
        headers={'Authorization': f'Bearer {secret}', 'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'null')


def wait_healthy(proc, port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f'the service exited {proc.returncode}: {proc.stderr.read()}')
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f'no /healthz within {timeout} s')


def test_the_shipped_config_and_tokens_start_the_service(tmp_path, rustless_env):
    tokens_copy = tmp_path / 'tokens'
    tokens_copy.write_text(TOKENS.read_text())
    tokens_copy.chmod(0o600)
    port = free_port()
    text = CONFIG.read_text()
    text = rewrite(text, 'project-dir', str(EXAMPLE))
    text = rewrite(text, 'listen', f'127.0.0.1:{port}')
    text = rewrite(text, 'tokens-file', str(tokens_copy))
    text = rewrite(text, 'ansible-playbook', str(ANSIBLE_PLAYBOOK))
    text = rewrite(text, 'data-dir', str(tmp_path / 'data'), commented=True)
    config = tmp_path / 'config.toml'
    config.write_text(text)
    config.chmod(0o640)
    env = {k: v for k, v in rustless_env.items() if not k.startswith('AJS_')}
    proc = subprocess.Popen([str(service_binary()), 'serve', '--config', str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_healthy(proc, port)
        given = tokens()
        assert {scope for scope, _secret in given.values()} == {'read', 'submit', 'admin'}, given
        for name, (scope, secret) in given.items():
            status, body = call(port, '/api/v1/jobs', secret)
            assert status == 200 and body['jobs'] == [], (name, status, body)
        read = next(secret for scope, secret in given.values() if scope == 'read')
        status, body = call(port, '/api/v1/jobs', read, body={'playbook': 'hello.yml'})
        assert status == 403, (status, body)
        status, _body = call(port, '/api/v1/jobs', 'not-a-token-of-the-file-at-all')
        assert status == 401
    finally:
        proc.terminate()
        proc.wait(timeout=60)
