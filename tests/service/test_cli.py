# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The command line: --help, bad usage (exit 2, naming the flag), and `openapi`."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import service_bin


def run(*args, timeout=30):
    return subprocess.run([str(service_bin()), *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize('args', [['--help'], ['serve', '--help'], ['worker', '--help'], ['openapi', '--help']])
def test_help(args):
    p = run(*args)
    assert p.returncode == 0, p
    assert 'Usage' in p.stdout or 'usage' in p.stdout, p.stdout


@pytest.mark.parametrize('args, flag', [
    (['serve', '--project-dir', '.', '--no-such-flag'], '--no-such-flag'),
    (['serve'], '--project-dir'),
    (['serve', '--project-dir', '.', '--workers', 'many'], '--workers'),
    (['serve', '--project-dir', '.', '--listen', 'not-an-address'], '--listen'),
    (['serve', '--project-dir', '.', '--ttl', 'forever'], '--ttl'),
    (['serve', '--project-dir', '.', '--grace', 'soon'], '--grace'),
    (['serve', '--project-dir', '/nonexistent/project/dir'], '--project-dir'),
    (['serve', '--project-dir', '.', '--ansible-playbook', '/nonexistent/ansible-playbook'], '--ansible-playbook'),
    (['serve', '--project-dir', '.', '--workers', '0'], '--workers 0'),
    (['serve', '--project-dir', '.', '--lease', '1s'], '--lease'),
    # Beyond 365d a duration would overflow the clock on every connection (a panic).
    (['serve', '--project-dir', '.', '--idle-timeout', '200000000000000d'], '--idle-timeout'),
    (['serve', '--project-dir', '.', '--sync-max', '366d'], '--sync-max'),
    (['serve', '--project-dir', '.', '--redis-url', 'redis://127.0.0.1:1'], '--redis-url'),
    (['serve', '--project-dir', '.', '--redis-url', 'redis://:s3cret@127.0.0.1:1'], '--redis-url redis://***@'),
    (['serve', '--project-dir', '.', '--redis-url', 'not a url'], '--redis-url'),
    (['worker', '--project-dir', '.'], '--redis-url'),
    (['worker', '--redis-url', 'redis://127.0.0.1:1'], '--project-dir'),
    (['worker', '--redis-url', 'redis://127.0.0.1:1', '--project-dir', '.'], '--redis-url'),
    (['worker', '--redis-url', 'redis://127.0.0.1:1', '--project-dir', '.', '--concurrency', '0'], '--concurrency'),
    (['worker', '--redis-url', 'redis://127.0.0.1:1', '--project-dir', '.', '--name', 'a:b'], '--name'),
    (['worker', '--redis-url', 'redis://127.0.0.1:1', '--project-dir', '.', '--lease', '2h'], '--lease'),
    (['no-such-command'], 'no-such-command'),
])
def test_bad_usage_exits_2_naming_the_flag(args, flag, tmp_path):
    args = [str(tmp_path) if a == '.' else a for a in args]
    p = run(*args, '--data-dir', str(tmp_path / 'd')) if args[0] in ('serve', 'worker') else run(*args)
    assert p.returncode == 2, p
    assert flag in p.stderr, p.stderr
    assert 'panicked' not in p.stderr, p.stderr
    assert 's3cret' not in p.stderr, 'a password reached a message'


def test_openapi_prints_the_served_document(service):
    p = run('openapi')
    assert p.returncode == 0, p
    printed = json.loads(p.stdout)
    from openapi_spec_validator import validate
    validate(printed)
    svc = service(stub=True)
    r = svc.client.get('/api/v1/openapi.json')
    assert r.status == 200, r
    assert printed == r.json()
