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
    (['no-such-command'], 'no-such-command'),
])
def test_bad_usage_exits_2_naming_the_flag(args, flag, tmp_path):
    args = [str(tmp_path) if a == '.' else a for a in args]
    p = run(*args, '--data-dir', str(tmp_path / 'd')) if args[0] == 'serve' else run(*args)
    assert p.returncode == 2, p
    assert flag in p.stderr, p.stderr
    assert 'panicked' not in p.stderr, p.stderr


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
