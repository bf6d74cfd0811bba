# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The spec's OCI playbooks, unchanged, and the idempotent pattern with backend oci, through real
ansible-playbook against the fake endpoint. The playbooks name no endpoint: as the OCI CLI does,
our modules take it from OCI_CLI_ENDPOINT (and the config from OCI_CLI_CONFIG_FILE)."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import uuid

import pytest

from conftest import OCI_VENV, REPO

SPEC_COPIES = REPO / 'tests' / 'e2e' / 'spec'
PLAYBOOKS = REPO / 'tests' / 'e2e' / 'playbooks'
MAIN_VENV = REPO / '.venv'


@pytest.fixture
def play(fake, tmp_path):
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text(f'[production_servers]\nlocaltarget ansible_connection=local '
                         f'ansible_python_interpreter={MAIN_VENV}/bin/python\n')
    script = pathlib.Path('/opt/deploy/deploy.sh')
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text('#!/bin/sh\nsleep 5; echo deployed\n')
    script.chmod(0o755)
    env = dict(fake.env, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.collections'), ANSIBLE_NOCOLOR='1',
               OCI_CLI_CONFIG_FILE=str(fake.keys.config), OCI_CLI_ENDPOINT=fake.endpoint,
               PATH=f"{MAIN_VENV}/bin:{OCI_VENV}/bin:{os.environ['PATH']}")

    def run(book, cli=True, **extra):
        out = tmp_path / f'out-{uuid.uuid4().hex[:6]}.json'
        # cli=False: a PATH without the OCI CLI, as on a controller that never installed it.
        run_env = env if cli else dict(env, PATH=f"{MAIN_VENV}/bin:{os.environ['PATH']}")
        assert cli or shutil.which('oci', path=run_env['PATH']) is None, 'an oci CLI is on the PATH'
        r = subprocess.run([str(MAIN_VENV / 'bin' / 'ansible-playbook'), '-i', str(inventory), str(book),
                            '-e', json.dumps(dict(extra, out_file=str(out)))],
                           capture_output=True, text=True, env=run_env, cwd=str(tmp_path), timeout=300, check=False)
        return r, (json.loads(out.read_text()) if out.exists() else {})
    return run


def test_spec_oci_save_then_load(fake, play):
    saved = play(SPEC_COPIES / 'save_oci_backend_usage.yml')[0]
    assert saved.returncode == 0, saved.stdout + saved.stderr
    names = [o['name'] for o in fake.objects()]
    assert len(names) == 1 and names[0].startswith('localtarget/production_deployment/prod_deploy_'), names
    # What the spec's save wrote reads back with the real CLI, as the old role would have read it.
    got = fake.oci('os', 'object', 'get', '--bucket-name', 'ansible-prod-state', '--namespace', 'testns',
                   '--name', names[0], '--file', '-')
    assert got.returncode == 0 and json.loads(got.stdout)['metadata']['ticket'] == 'DEPLOY-12345', got.stderr
    loaded = play(SPEC_COPIES / 'load_oci_backend_usage.yml')[0]
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert all(e['verified'] for e in fake.log() if not e['path'].startswith('/_fake'))


def readme_oci_block(role):
    text = (REPO / 'roles' / role / 'README.md').read_text(encoding='utf-8')
    section = text.split('### OCI Backend Usage', 1)[1]
    return re.search(r'```yaml\n(.*?)```', section, re.S).group(1)


def test_role_readme_oci_examples_need_no_cli(fake, play, tmp_path):
    """The roles' README OCI examples, as pasted, on a controller without the OCI CLI: the save
    stores the record, the load reads it back through the service without error."""
    for role in ('async_job_save', 'async_job_load'):
        block = readme_oci_block(role)
        assert 'oci os' not in block, f'{role} README still calls the OCI CLI'
        book = tmp_path / f'{role}_readme_oci.yml'
        book.write_text(block, encoding='utf-8')
        r = play(book, cli=False)[0]
        assert r.returncode == 0, f'{role}: ' + r.stdout + r.stderr
    names = [o['name'] for o in fake.objects()]
    assert len(names) == 1 and names[0].startswith('localtarget/production_deployment/prod_deploy_'), names


def test_idempotent_pattern_with_oci_starts_once(fake, play):
    name, marker = f'job_{uuid.uuid4().hex[:8]}', f'marker_{uuid.uuid4().hex}'
    try:
        first, out1 = play(PLAYBOOKS / 'records_oci_idempotent.yml', name=name, marker=marker)
        assert first.returncode == 0, first.stdout
        second, out2 = play(PLAYBOOKS / 'records_oci_idempotent.yml', name=name, marker=marker)
        assert second.returncode == 0, second.stdout
        assert out1['found'] is False and out2['found'] is True
        assert out2['status']['ansible_job_id'] == out1['status']['ansible_job_id']
        assert out2['status']['started'] is True
        shells = [p for p in pathlib.Path('/proc').iterdir()
                  if p.name.isdigit() and _cmdline(p).startswith(b'/bin/sh\0-c\0') and marker.encode() in _cmdline(p)]
        assert len(shells) == 1, 'the job runs once'
    finally:
        subprocess.run(['pkill', '-f', marker], check=False)


def test_load_fails_loudly_when_the_service_rejects_us(fake, play):
    fake.fault(status=401, count=100)
    r, out = play(PLAYBOOKS / 'records_oci_idempotent.yml', name='job_denied', marker='never')
    assert r.returncode != 0 and out == {}, r.stdout
    assert '401' in r.stdout and 'Start it only if not found' not in r.stdout, r.stdout


def _cmdline(p):
    try:
        return (p / 'cmdline').read_bytes()
    except OSError:
        return b''
