# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The oci backend of async_job_save / async_job_load against the fake Object Storage server
(which verifies every signature), with the real `oci` CLI reading and writing the same objects."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time

import pytest

from conftest import NAMESPACE, REPO

BINARY = REPO / 'binaries' / 'linux-x86_64'
BUCKET = 'ansible-state'


def module(name, args, tmp_path, env):
    """Runs a module binary as Ansible would: one args file in, one JSON object out."""
    args_file = tmp_path / f'args-{time.monotonic_ns()}.json'
    args_file.write_text(json.dumps(args))
    out = subprocess.run([str(BINARY / name), str(args_file)], capture_output=True, text=True, env=env,
                         cwd=str(tmp_path), timeout=120, check=False)
    assert out.stderr == '', out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def oci_args(fake):
    def make(**extra):
        base = dict(job_name='deploy', host='web01', playbook_name='site.yml', backend='oci', oci_bucket=BUCKET,
                    oci_config_file=str(fake.keys.config), oci_endpoint=fake.endpoint)
        base.update(extra)
        return base
    return make


def test_saved_record_reads_back_with_the_cli(fake, oci_args, tmp_path):
    saved = module('async_job_save', oci_args(ansible_job_id='j1.2', metadata={'ticket': 'T-1 "q"'},
                                              oci_namespace=NAMESPACE), tmp_path, fake.env)
    assert saved['changed'] is True, saved
    assert saved['state_file'] == f'oci://{BUCKET}/web01/site.yml/deploy.json'
    got = fake.oci('os', 'object', 'get', '--bucket-name', BUCKET, '--namespace', NAMESPACE,
                   '--name', 'web01/site.yml/deploy.json', '--file', tmp_path / 'got.json')
    assert got.returncode == 0, got.stderr
    record = json.loads((tmp_path / 'got.json').read_text())
    assert record['ansible_job_id'] == 'j1.2' and record['metadata'] == {'ticket': 'T-1 "q"'}
    assert list(record) == ['job_name', 'host', 'ansible_job_id', 'save_time', 'metadata']
    assert all(e['verified'] for e in fake.log() if not e['path'].startswith('/_fake'))


def test_object_the_old_role_put_with_the_cli_loads(fake, oci_args, tmp_path):
    old = tmp_path / 'old.json'
    old.write_text('{\n  "job_name": "deploy",\n  "host": "web01",\n  "ansible_job_id": "j889214147243.9938",\n'
                   '  "save_time": "2025-11-25T10:30:45Z",\n  "metadata": {"version": "2.1.0"}\n}\n')
    put = fake.oci('os', 'object', 'put', '--bucket-name', BUCKET, '--namespace', NAMESPACE,
                   '--name', 'web01/site.yml/deploy.json', '--file', old, '--force')
    assert put.returncode == 0, put.stderr
    loaded = module('async_job_load', oci_args(), tmp_path, fake.env)
    assert loaded['found'] is True, loaded
    assert loaded['ansible_job_id'] == 'j889214147243.9938' and loaded['metadata'] == {'version': '2.1.0'}
    # No namespace given: it was discovered with GET /n, once.
    assert [e['path'] for e in fake.log()].count('/n') == 1


def test_missing_is_not_found_but_auth_failure_is_an_error(fake, oci_args, tmp_path):
    missing = module('async_job_load', oci_args(oci_namespace=NAMESPACE), tmp_path, fake.env)
    assert missing['found'] is False and 'failed' not in missing, missing
    # OTHER is a valid key the service does not know: a real 401.
    denied = module('async_job_load', oci_args(oci_namespace=NAMESPACE, oci_profile='OTHER'), tmp_path, fake.env)
    assert denied['failed'] is True and 'found' not in denied, denied
    assert '401 NotAuthenticated' in denied['msg'] and 'opc-request-id' in denied['msg']
    for secret in ('PRIVATE KEY', 'Signature ', 'signature='):
        assert secret not in denied['msg']


def test_throttling_and_server_errors_are_retried(fake, oci_args, tmp_path):
    fake.fault(status=429, count=1, method='PUT')
    fake.fault(status=503, count=1, method='PUT')
    fake.fault(status=500, count=1, method='GET')
    saved = module('async_job_save', oci_args(ansible_job_id='j1.2', oci_namespace=NAMESPACE), tmp_path, fake.env)
    assert saved['changed'] is True, saved
    statuses = [(e['method'], e['status']) for e in fake.log() if not e['path'].startswith('/_fake')]
    assert statuses == [('GET', 500), ('GET', 404), ('PUT', 429), ('PUT', 503), ('PUT', 200)], statuses


def test_persistent_server_errors_fail_within_the_time_limit(fake, oci_args, tmp_path):
    fake.fault(status=500, count=1000)
    started = time.monotonic()
    saved = module('async_job_save', oci_args(ansible_job_id='j1.2', oci_namespace=NAMESPACE, oci_timeout=4),
                   tmp_path, fake.env)
    elapsed = time.monotonic() - started
    assert saved['failed'] is True and 'gave up after' in saved['msg'], saved
    assert elapsed < 8, elapsed


def test_twenty_concurrent_claims_have_one_winner(fake, oci_args, tmp_path):
    def claim(i):
        return module('async_job_save', oci_args(if_absent=True, oci_namespace=NAMESPACE, metadata={'i': i}),
                      tmp_path, fake.env)
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(claim, range(20)))
    assert all('failed' not in r for r in results), [r.get('msg') for r in results]
    winners = [r for r in results if r['claimed']]
    assert len(winners) == 1
    assert all(r['record'] == winners[0]['record'] for r in results)


def test_session_token_profile(fake, oci_args, tmp_path):
    saved = module('async_job_save', oci_args(ansible_job_id='j9.9', oci_namespace=NAMESPACE, oci_profile='SESSION'),
                   tmp_path, fake.env)
    assert saved['changed'] is True, saved


def test_state_absent_deletes_and_changed_is_truthful(fake, oci_args, tmp_path):
    args = oci_args(ansible_job_id='j1.2', oci_namespace=NAMESPACE)
    assert module('async_job_save', args, tmp_path, fake.env)['changed'] is True
    assert module('async_job_save', args, tmp_path, fake.env)['changed'] is False
    check = module('async_job_save', dict(args, state='absent', _ansible_check_mode=True), tmp_path, fake.env)
    assert check['changed'] is True
    assert module('async_job_load', oci_args(oci_namespace=NAMESPACE), tmp_path, fake.env)['found'] is True
    assert module('async_job_save', dict(args, state='absent'), tmp_path, fake.env)['changed'] is True
    assert module('async_job_save', dict(args, state='absent'), tmp_path, fake.env)['changed'] is False
    assert module('async_job_load', oci_args(oci_namespace=NAMESPACE), tmp_path, fake.env)['found'] is False


def test_config_problems_are_clear(fake, oci_args, tmp_path):
    bad_fp = tmp_path / 'config'
    bad_fp.write_text(fake.keys.config.read_text().replace(fake.keys.fingerprint, '00:11:22:33', 1))
    r = module('async_job_load', oci_args(oci_config_file=str(bad_fp), oci_namespace=NAMESPACE), tmp_path, fake.env)
    assert r['failed'] is True and 'fingerprint mismatch' in r['msg'] and '00:11:22:33' in r['msg'], r
    assert fake.keys.fingerprint in r['msg']
    r = module('async_job_load', oci_args(oci_profile='NOPE'), tmp_path, fake.env)
    assert r['failed'] is True and "profile 'NOPE' not found" in r['msg'], r
    r = module('async_job_load', dict(oci_args(), oci_bucket=None), tmp_path, fake.env)
    assert r['failed'] is True and 'oci_bucket' in r['msg'], r


def test_a_damaged_record_is_removed_by_state_absent_and_replaced_by_a_save(fake, oci_args, tmp_path):
    damaged = tmp_path / 'damaged.json'
    damaged.write_text('{"job_name": "deploy", "ho')

    def damage():
        put = fake.oci('os', 'object', 'put', '--bucket-name', BUCKET, '--namespace', NAMESPACE,
                       '--name', 'web01/site.yml/deploy.json', '--file', damaged, '--force')
        assert put.returncode == 0, put.stderr

    damage()
    args = oci_args(oci_namespace=NAMESPACE)
    for name, extra in (('async_job_load', {}), ('async_job_save', dict(if_absent=True))):
        r = module(name, dict(args, **extra), tmp_path, fake.env)
        assert r['failed'] is True and 'damaged' in r['msg'] and 'found' not in r, r
        assert 'state: absent' in r['msg'] and f'oci://{BUCKET}/web01/site.yml/deploy.json' in r['msg']
    check = module('async_job_save', dict(args, state='absent', _ansible_check_mode=True, _ansible_diff=True),
                   tmp_path, fake.env)
    assert check['changed'] is True and check['diff']['before'] == damaged.read_text(), check
    removed = module('async_job_save', dict(args, state='absent'), tmp_path, fake.env)
    assert 'failed' not in removed and removed['changed'] is True, removed
    assert removed['msg'] == 'damaged record deleted'
    assert module('async_job_load', args, tmp_path, fake.env)['found'] is False

    damage()
    saved = module('async_job_save', dict(args, ansible_job_id='j5.5'), tmp_path, fake.env)
    assert 'failed' not in saved and saved['changed'] is True, saved
    assert saved['msg'] == 'record saved over a damaged record'
    assert any('damaged' in w for w in saved['warnings']), saved
    loaded = module('async_job_load', args, tmp_path, fake.env)
    assert loaded['found'] is True and loaded['ansible_job_id'] == 'j5.5', loaded


@pytest.mark.parametrize('region', ['evil.example#', 'evil.example?', 'x@evil.example', 'evil.example/x',
                                    'evil.example:8443'])
def test_a_region_cannot_send_requests_elsewhere(fake, oci_args, tmp_path, region):
    config = tmp_path / 'config'
    config.write_text(fake.keys.config.read_text().replace('region=us-ashburn-1', f'region={region}'))
    r = module('async_job_load', dict(oci_args(oci_config_file=str(config)), oci_endpoint=None), tmp_path, fake.env)
    assert r['failed'] is True and f'invalid region {json.dumps(region)}' in r['msg'], r
    assert not [e for e in fake.log() if not e['path'].startswith('/_fake')]
