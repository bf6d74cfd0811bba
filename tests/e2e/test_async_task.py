# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_task through real ansible-playbook, on both targets: one job per name, whatever the
number of runs, and the restart policies."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import time
import uuid

import pytest

from conftest import finish, kill_all, playbook, processes_matching, start_playbook, wait_until, wrapper_runner_pid


@pytest.fixture
def marker():
    text = f'marker_{uuid.uuid4().hex}'
    yield text
    kill_all(text)


def task(target, tmp_path, name, cmd, **opts):
    run = playbook('task.yml', target, tmp_path, name=name, cmd=cmd, **opts)
    assert run.rc == 0, run
    return run.out['task']


def long_job(marker):
    # Two processes, shell and sleep, both carry the marker in their command line.
    return f'sleep 120; echo {marker}'


def test_first_run_starts_and_a_rerun_attaches(target, name, marker, tmp_path):
    first = task(target, tmp_path, name, long_job(marker), poll=0)
    assert first['action'] == 'start' and first['changed'] is True and first['started'] is True, first
    again = task(target, tmp_path, name, long_job(marker), poll=0)
    assert again['action'] == 'attach' and again['changed'] is False, again
    assert again['ansible_job_id'] == first['ansible_job_id']
    time.sleep(1)
    # One shell runs the command line (its sleep child does not carry the marker).
    assert len(processes_matching(f'echo {marker}')) == 1


def test_concurrent_runs_start_one_job(target, name, marker, tmp_path):
    # Output first, then the sleep: see "Tests" in CONTRIBUTING.md (run_command can drop the last output).
    cmd = f'echo {marker}; sleep 4'
    runs = [start_playbook('task.yml', target, tmp_path, name=name, cmd=cmd, delay=0.5) for _run in range(4)]
    assert wait_until(lambda: processes_matching(marker), timeout=60)
    time.sleep(1)
    assert len(processes_matching(f'echo {marker}')) == 1, 'more than one run started the job'
    results = [finish(*r) for r in runs]
    for r in results:
        assert r.rc == 0, r
    tasks = [r.out['task'] for r in results]
    assert sorted(t['action'] for t in tasks).count('start') == 1, tasks
    assert {t['ansible_job_id'] for t in tasks} == {tasks[0]['ansible_job_id']}
    for t in tasks:
        assert t['finished'] is True and t['failed'] is False, json.dumps(t)
        # The first run to see the job finish reads its result and cleans up; the others say so.
        assert t.get('result_gone') or (t['rc'] == 0 and t['stdout'] == marker), json.dumps(t)
    assert sum(1 for t in tasks if not t.get('result_gone')) >= 1


def test_waits_for_the_result_and_cleans_up(target, name, tmp_path):
    done = task(target, tmp_path, name, 'echo done; sleep 1; exit 0', delay=0.5)
    assert done['action'] == 'start' and done['finished'] is True and done['stdout'] == 'done', done
    # The job file, its name and the name's claim file (issue 20: full_cleanup removes claims too).
    assert done['cleanup']['changed'] is True and len(done['cleanup']['removed']) == 3, done
    assert any(p.endswith('.claim') for p in done['cleanup']['removed']), done
    # Cleaned up: the next run starts it again.
    again = task(target, tmp_path, name, 'echo again', delay=0.5)
    assert again['action'] == 'start' and again['stdout'] == 'again'


def test_restart_policies(target, name, tmp_path):
    kept = dict(cleanup=False, delay=0.5)
    first = task(target, tmp_path, name, 'echo one', **kept)
    assert first['action'] == 'start' and first['stdout'] == 'one', first
    # never: the finished job's result stands, nothing runs.
    never = task(target, tmp_path, name, 'echo two', **kept)
    assert never['action'] == 'keep' and never['stdout'] == 'one' and never['changed'] is False, never
    assert never['ansible_job_id'] == first['ansible_job_id']
    # on_failure: a success is kept too.
    on_failure = task(target, tmp_path, name, 'echo two', restart='on_failure', **kept)
    assert on_failure['action'] == 'keep' and on_failure['stdout'] == 'one', on_failure
    # always: a new job, and the old one's file is gone.
    always = task(target, tmp_path, name, 'echo three; exit 5', restart='always', **kept)
    assert always['action'] == 'restart' and always['rc'] == 5 and always['failed'] is True, always
    assert always['previous_job_id'] == first['ansible_job_id']
    assert not os.path.exists(first['results_file'])
    # never, on a failed job: its failure is the answer.
    failed = task(target, tmp_path, name, 'echo four', **kept)
    assert failed['action'] == 'keep' and failed['failed'] is True and failed['rc'] == 5, failed
    # on_failure, on a failed job: run again.
    retried = task(target, tmp_path, name, 'echo four', restart='on_failure', delay=0.5)
    assert retried['action'] == 'restart' and retried['rc'] == 0 and retried['stdout'] == 'four', retried
    assert retried['cleanup']['changed'] is True


def test_a_dead_wrapper_is_reported_not_restarted(target, name, marker, tmp_path):
    started = task(target, tmp_path, name, long_job(marker), poll=0)
    jid = started['ansible_job_id']
    assert wait_until(lambda: wrapper_runner_pid(jid) is not None)
    os.kill(wrapper_runner_pid(jid), signal.SIGKILL)
    kill_all(marker)
    assert wait_until(lambda: not processes_matching(marker))
    time.sleep(0.5)
    dead = task(target, tmp_path, name, long_job(marker), poll=0)
    assert dead['action'] == 'dead' and dead['failed'] is True and dead['pid_missing'] is True, dead
    assert 'restart: on_failure' in dead['msg']
    assert not processes_matching(marker), 'a dead job was restarted'
    restarted = task(target, tmp_path, name, long_job(marker), poll=0, restart='on_failure')
    assert restarted['action'] == 'restart' and restarted['previous_job_id'] == jid, restarted
    assert wait_until(lambda: len(processes_matching(f'echo {marker}')) == 1)


def test_record_finds_the_job_after_the_controller_is_killed(target, name, marker, tmp_path):
    state_dir = tmp_path / 'records'
    record = {'state_dir': str(state_dir), 'metadata': {'ticket': 'T-1'}}
    proc, _out = start_playbook('task.yml', target, tmp_path, name=name, cmd=long_job(marker), delay=1, record=record)
    try:
        saved = state_dir / target / 'A named singleton job' / f'{name}.json'
        assert wait_until(saved.exists, timeout=60), proc
        time.sleep(1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    data = json.loads(saved.read_text())
    assert data['job_name'] == name and data['metadata'] == {'ticket': 'T-1'}
    recovered = playbook('records_recover.yml', target, tmp_path, name=name,
                         state_dir=str(state_dir), playbook_name='A named singleton job')
    assert recovered.rc == 0, recovered
    assert recovered.out['found'] is True and recovered.out['jid'] == data['ansible_job_id']
    assert recovered.out['status']['started'] is True and recovered.out['status']['finished'] is False
    rerun = task(target, tmp_path, name, long_job(marker), poll=0, record=record)
    assert rerun['action'] == 'attach' and rerun['ansible_job_id'] == data['ansible_job_id'], rerun
    assert len(processes_matching(f'echo {marker}')) == 1


def test_check_mode_and_bad_input(target, name, tmp_path):
    run = playbook('task_check_and_errors.yml', target, tmp_path, name=name)
    assert run.rc == 0, run


def test_an_async_dir_that_is_a_file_is_named(target, name, marker, tmp_path):
    """mkdir's "File exists" named neither the async dir nor what to do."""
    # Where the become user can see it: not under pytest's root-only tmp dir.
    blocker = pathlib.Path('/var/tmp') / f'rsa-async-file-{uuid.uuid4().hex[:8]}'
    blocker.write_text('')
    blocker.chmod(0o644)
    try:
        for async_dir in (blocker, blocker / 'inner'):
            out = task(target, tmp_path, name, long_job(marker), ansible_async_dir=str(async_dir))
            assert out['failed'] is True, out
            assert f'the async dir {async_dir} is not a directory ({blocker} is a file)' in out['msg'], out['msg']
            assert 'ansible_async_dir' in out['msg'] and 'File exists' not in out['msg'], out['msg']
            assert not processes_matching(marker), 'the command was started'
    finally:
        blocker.unlink()
