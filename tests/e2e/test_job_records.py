# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_job_save / async_job_load and their roles: the spec's playbooks as written, a controller
restart, concurrency, crash safety and bad input."""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import random
import re
import shutil
import signal
import stat
import subprocess
import textwrap
import time
import uuid

import pytest

from conftest import (BIN, INVENTORY, REPO, Run, ansible_env, finish, kill_all, playbook, processes_matching,
                      records_bad_input_vars, start_playbook, wait_until)

SPEC = REPO.parent / 'shared' / 'spec'
SPEC_COPIES = pathlib.Path(__file__).resolve().parent / 'spec'
BINARY = REPO / 'binaries' / 'linux-x86_64'
GROUPS = ['web_servers', 'production_servers', 'app_servers', 'batch_servers']
SCRIPTS = {
    '/opt/deploy/deploy.sh': 'sleep 20; echo deployed',
    '/opt/db/migrate.sh': 'sleep 20; echo "migrated $1"',
}


@pytest.fixture
def spec_env(tmp_path):
    """The spec's world: its host groups (both test targets in each) and its scripts."""
    if not INVENTORY.exists():
        pytest.fail(f'{INVENTORY} is missing: run `make ssh-target` first')
    hosts = [line for line in INVENTORY.read_text().splitlines() if line and not line.startswith('#')]
    groups = ''.join(f'[{g}:children]\ntargets\n' for g in GROUPS)
    inventory = tmp_path / 'spec-inventory.ini'
    inventory.write_text('[targets]\n' + '\n'.join(hosts) + '\n' + groups)
    for path, body in SCRIPTS.items():
        p = pathlib.Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f'#!/bin/sh\n{body}\n')
        p.chmod(0o755)
    yield inventory
    for path in SCRIPTS:
        kill_all(path)


def script_runs(script):
    """Running copies of a spec script: its interpreter's process (`/bin/sh <script> ...`)."""
    return [pid for pid in processes_matching(script)
            if pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().startswith(f'/bin/sh\0{script}'.encode())]


def spec_playbook(name, inventory, cwd, *args) -> Run:
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), str(SPEC_COPIES / name), *args],
                          capture_output=True, text=True, env=ansible_env(), cwd=str(cwd), check=False)
    return Run(subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout + proc.stderr, ''), {})


def record_path(cwd, host, playbook_name, job):
    return pathlib.Path(cwd) / '.ansible_async_state' / host / playbook_name / f'{job}.json'


def spec_blocks(readme):
    text = (SPEC / readme).read_text()
    out = {}
    for section in re.split(r'^### ', text, flags=re.M)[1:]:
        title = section.split('\n', 1)[0].strip()
        out[title] = re.findall(r'```yaml\n(.*?)```', section, flags=re.S)
    return out


@pytest.mark.skipif(not SPEC.exists(), reason='the spec is not beside this checkout')
def test_spec_copies_match_the_spec():
    save, load = spec_blocks('role-async_job_save.md'), spec_blocks('role-async_job_load.md')
    pairs = [
        (save['Basic Usage (Filesystem Backend)'][0], 'save_basic_usage.yml'),
        (save['OCI Backend Usage'][0], 'save_oci_backend_usage.yml'),
        (save['Idempotent Pattern (with async_job_load)'][0], 'save_idempotent_pattern.yml'),
        (load['Basic Usage (Filesystem Backend)'][0], 'load_basic_usage.yml'),
        (load['OCI Backend Usage'][0], 'load_oci_backend_usage.yml'),
        (load['Idempotent Pattern (with async_job_save)'][0], 'load_idempotent_pattern.yml'),
        (load['Checking Multiple Jobs'][0], 'load_checking_multiple_jobs.yml'),
    ]
    for block, name in pairs:
        assert (SPEC_COPIES / name).read_text() == block, name
    snippets = (SPEC_COPIES / 'load_output_variable_usage.yml').read_text()
    for title in ('Check if Job Exists', 'Use Job ID with async_status', 'Access Metadata',
                  'Handle Job Not Found Gracefully'):
        assert textwrap.indent(load[title][0].rstrip('\n'), '    ') in snippets, title


def test_basic_usage_save_then_load(spec_env, tmp_path):
    saved = spec_playbook('save_basic_usage.yml', spec_env, tmp_path)
    assert saved.rc == 0, saved
    for host in ('localtarget', 'sshtarget'):
        path = record_path(tmp_path, host, 'web_deployment', 'deploy_v2.1.0')
        record = json.loads(path.read_text())
        assert list(record) == ['job_name', 'host', 'ansible_job_id', 'save_time', 'metadata']
        assert record['host'] == host and record['metadata']['version'] == '2.1.0'
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
        # Saved on the controller as the controller's user, even for the become target.
        assert path.stat().st_uid == os.getuid()
    loaded = spec_playbook('load_basic_usage.yml', spec_env, tmp_path)
    assert loaded.rc == 0, loaded
    assert loaded.stdout.count('Job found - checking status') == 2, loaded


@pytest.mark.parametrize('book,script', [('save_idempotent_pattern.yml', '/opt/deploy/deploy.sh'),
                                         ('load_idempotent_pattern.yml', '/opt/db/migrate.sh')])
def test_idempotent_pattern_run_twice_starts_once(spec_env, tmp_path, book, script):
    kill_all(script)
    first = spec_playbook(book, spec_env, tmp_path)
    assert first.rc == 0, first
    assert wait_until(lambda: len(script_runs(script)) == 2), script_runs(script)
    second = spec_playbook(book, spec_env, tmp_path)
    assert second.rc == 0, second
    # Both hosts skip the start; the two lines come in the order the hosts answer.
    task = re.search(r'Start (?:deployment|migration) \(only if not exists\)\] \*+\n(.*?)\n\n', second.stdout, re.S)
    assert task and sorted(task.group(1).splitlines()) == ['skipping: [localtarget]', 'skipping: [sshtarget]'], second
    assert len(script_runs(script)) == 2, 'the second run started the job again'


def test_checking_multiple_jobs(spec_env, tmp_path):
    """As written, the spec reads role variables from a registered include_role, which never carries
    them (Ansible registers only the include's own result). The corrected form passes."""
    as_written = spec_playbook('load_checking_multiple_jobs.yml', spec_env, tmp_path)
    assert as_written.rc != 0
    assert "has no attribute 'async_job_load_found'" in as_written.stdout
    assert 'TASK [Check each batch job]' in as_written.stdout
    assert 'fatal' not in as_written.stdout.split('TASK [Display all job statuses]')[0]
    corrected = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(spec_env),
                                str(REPO / 'tests/e2e/playbooks/records_multiple_corrected.yml')],
                               capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), check=False)
    assert corrected.returncode == 0, corrected.stdout
    assert corrected.stdout.count('Not Found') == 6


def test_output_variable_usage_snippets(spec_env, tmp_path):
    setup = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(spec_env),
                            str(REPO / 'tests/e2e/playbooks/records_snippets_setup.yml')],
                           capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), check=False)
    assert setup.returncode == 0, setup.stdout
    run = spec_playbook('load_output_variable_usage.yml', spec_env, tmp_path)
    assert run.rc == 0, run
    assert run.stdout.count('Job exists!') == 2
    assert run.stdout.count('Job started by: tester') == 2
    assert run.stdout.count('Job found - checking status') == 2


def test_found_again_after_the_controller_dies(target, name, tmp_path):
    proc = start_playbook('records_restart.yml', target, tmp_path, name=name)[0]
    try:
        records = tmp_path / '.ansible_async_state' / target / 'A run that dies after saving'
        assert wait_until((records / f'{name}.json').exists, timeout=60), proc
        time.sleep(1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        recovered = playbook('records_recover.yml', target, tmp_path, name=name)
        assert recovered.rc == 0, recovered
        out = recovered.out
        assert out['found'] is True
        assert out['jid'] == json.loads((records / f'{name}.json').read_text())['ansible_job_id']
        assert out['status']['started'] is True and out['status']['finished'] is False
        assert out['status']['pid_missing'] is False
        # The builtin says started: 1 on ansible-core 2.15 (seen) and true on 2.19 and 2.21.
        assert out['builtin']['started'] in (True, 1)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_record_behaviour(target, name, tmp_path):
    run = playbook('records_behaviour.yml', target, tmp_path, name=name, records_dir=str(tmp_path / 'records'))
    assert run.rc == 0, run


def test_bad_input_fails_clearly_and_loses_nothing(target, tmp_path):
    run = playbook('records_bad_input.yml', target, tmp_path, **records_bad_input_vars(tmp_path, target))
    assert run.rc == 0, run
    assert 'Traceback' not in run.stdout


def test_role_names_a_missing_required_variable(tmp_path):
    run = playbook('records_missing_var.yml', 'localtarget', tmp_path)
    assert run.rc != 0
    assert 'async_job_save_host' in run.stdout, run


def run_binary(name, args, tmp_path):
    args_file = tmp_path / f'args-{uuid.uuid4().hex}.json'
    args_file.write_text(json.dumps(args))
    return subprocess.Popen([str(BINARY / name), str(args_file)], stdout=subprocess.PIPE, cwd=str(tmp_path))


def test_fifty_concurrent_claims_have_one_winner(tmp_path):
    args = dict(job_name='contested', host='h', playbook_name='p', if_absent=True,
                state_dir=str(tmp_path / 'records'), metadata={'n': 1})
    procs = [run_binary('async_job_save', dict(args, metadata={'claimer': i}), tmp_path) for i in range(50)]
    results = [json.loads(p.communicate()[0]) for p in procs]
    winners = [r for r in results if r['claimed']]
    assert len(winners) == 1, [r.get('msg') for r in results]
    assert sum(1 for r in results if r['claimed'] is False) == 49
    stored = json.loads((tmp_path / 'records/h/p/contested.json').read_text())
    assert stored['metadata'] == winners[0]['record']['metadata']
    assert all(r['record'] == stored for r in results if not r['claimed'])


def test_saves_killed_at_random_moments_never_tear_a_record(tmp_path):
    records = tmp_path / 'records'
    rng = random.Random(7)
    for i in range(1000):
        metadata = {'i': i, 'pad': 'x' * rng.randrange(0, 4000)}
        p = run_binary('async_job_save', dict(job_name='crash', host='h', playbook_name='p', ansible_job_id=f'j{i}.1',
                                              state_dir=str(records), metadata=metadata), tmp_path)
        time.sleep(rng.random() * 0.004)
        p.send_signal(signal.SIGKILL)
        p.wait()
    kept = list(records.rglob('*.json'))
    assert kept, 'no save ever completed'
    for path in kept:
        record = json.loads(path.read_text())
        assert record['job_name'] == 'crash' and record['ansible_job_id'].startswith('j')


def test_race_free_pattern_starts_once_among_concurrent_runs(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        runs = [start_playbook('records_race_free.yml', target, tmp_path, name=name, marker=marker) for _attempt in range(5)]
        results = [finish(*r) for r in runs]
        for r in results:
            assert r.rc == 0, r
        assert sum(1 for r in results if r.out['claimed']) == 1, [r.out for r in results]
        assert wait_until(lambda: len(processes_matching(marker)) >= 1)
        time.sleep(1)
        assert len(processes_matching(marker)) == 1, 'more than one run started the job'
        record = json.loads((tmp_path / '.ansible_async_state' / target / 'database_maintenance' /
                             f'{name}.json').read_text())
        winner = next(r for r in results if r.out['claimed'])
        assert record['ansible_job_id'] == winner.out['jid'] != ''
    finally:
        kill_all(marker)


@pytest.mark.parametrize('case', ['typo', 'escape', 'bad_backend', 'own_option', 'state_dir_is_a_file'])
def test_a_bad_record_starts_nothing(target, name, tmp_path, case):
    """async_task checks `record:` as async_job_save does before it claims or starts anything."""
    marker = f'marker_{uuid.uuid4().hex}'
    state_dir = str(tmp_path / 'records')
    a_file = tmp_path / 'a-file'
    a_file.write_text('')
    record, expected = {
        'typo': ({'stat_dir': state_dir},
                 'record: Unsupported parameters for (rstyczynski.ansible.async_job_save) module: stat_dir.'),
        'escape': ({'job_name': '../escape', 'state_dir': state_dir},
                   'record: invalid job_name "../escape": it contains \'/\''),
        'bad_backend': ({'backend': 'oci', 'oci_bucket': 'b', 'oci_config_file': str(tmp_path / 'no-config')},
                        'record: OCI config: cannot read ' + str(tmp_path / 'no-config')),
        'own_option': ({'state': 'absent', 'state_dir': state_dir},
                       'record: state cannot be set here; async_task sets it itself'),
        'state_dir_is_a_file': ({'state_dir': str(a_file)},
                                f'record: state_dir {a_file} is not a directory: {a_file} is a file.'),
    }[case]
    try:
        run = playbook('records_task_bad_record.yml', target, tmp_path, name=name, marker=marker, record=record)
        assert run.rc == 0, run
        task = run.out['task']
        time.sleep(1)
        assert not processes_matching(marker), f"the command was started: {task['msg']}"
        assert run.out['left'] == [], f"an alias or claim was created: {run.out['left']}"
        assert task['failed'] is True and task['msg'].startswith(expected), task['msg']
        assert 'started' not in task and 'ansible_job_id' not in task, task
        assert not (tmp_path / 'records').exists(), 'a record store was created'
    finally:
        kill_all(marker)


def test_records_in_directories_another_user_made_are_refused(target, name, tmp_path):
    """In a shared (1777) state dir another user makes <host>/<playbook>/ first and plants a record:
    neither her job id nor her claim is taken, and the error names the directory."""
    shared = pathlib.Path('/var/tmp') / f'rsa-shared-state-{uuid.uuid4().hex[:8]}'
    shared.mkdir()
    shared.chmod(0o1777)
    her = pwd.getpwnam('ansible_ssh')
    planted = json.dumps({'job_name': name, 'host': target, 'ansible_job_id': 'j666.6',
                          'save_time': '2026-01-01T00:00:00Z', 'metadata': {}})
    try:
        subprocess.run(['sh', '-c', 'mkdir -p "$1/$2/pb" && printf %s "$3" > "$1/$2/pb/$4.json"', 'plant',
                        str(shared), target, planted, name],
                       user=her.pw_uid, group=her.pw_gid, extra_groups=[], check=True)
        run = playbook('records_foreign.yml', target, tmp_path, name=name, records_dir=str(shared))
        assert run.rc == 0, run
        for step in ('load', 'claim'):
            result = run.out[step]
            assert result['failed'] is True, result
            assert result.get('ansible_job_id') != 'j666.6' and result.get('claimed') is not True, result
            assert f'{shared / target} is unsafe: it belongs to another user (uid {her.pw_uid})' in result['msg'], result
    finally:
        shutil.rmtree(shared)


def test_a_damaged_record_can_be_removed_and_replaced(target, name, tmp_path):
    """The way out the damaged-record error names works: state: absent removes it, a plain save
    replaces it (with a warning); load and claim still fail on it."""
    records = tmp_path / 'records'
    damaged = records / target / 'pb' / f'{name}.json'
    damaged.parent.mkdir(parents=True)
    run = playbook('records_damaged.yml', target, tmp_path, name=name, records_dir=str(records),
                   damaged_file=str(damaged))
    assert run.rc == 0, run
    out = run.out
    for step in ('load', 'claim'):
        assert out[step]['failed'] is True and 'damaged' in out[step]['msg'], out[step]
        assert 'not found' not in out[step]['msg'] and out[step].get('found') is not True
    assert 'state: absent' in out['load']['msg'] and 'without if_absent' in out['load']['msg']
    assert out['remove_check']['changed'] is True and out['remove_check']['diff']['before'] == '{"job_name": "x", "ho'
    assert out['remove']['failed'] is False and out['remove']['changed'] is True, out['remove']
    assert out['remove']['msg'] == 'damaged record deleted'
    assert out['gone']['found'] is False
    assert out['overwrite']['failed'] is False and out['overwrite']['changed'] is True, out['overwrite']
    assert out['overwrite']['msg'] == 'record saved over a damaged record'
    assert any('damaged' in w and 'replaced it' in w for w in out['overwrite']['warnings']), out['overwrite']
    assert out['reloaded']['found'] is True and out['reloaded']['ansible_job_id'] == 'j7.7'
    assert json.loads(damaged.read_text())['ansible_job_id'] == 'j7.7'
