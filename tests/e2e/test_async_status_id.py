# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_status_id and async_alias through real ansible-playbook, on both targets."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import time
import uuid

from conftest import (finish, kill_all, playbook, processes_matching, start_playbook, start_running_job,
                      wait_until, wrapper_runner_pid)


def test_rerun_finds_the_job_by_name_and_does_not_start_it_again(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        first = playbook('named_job.yml', target, tmp_path, name=name, marker=marker)
        assert first.rc == 0, first
        assert first.out['found']['started'] is False
        jid = first.out['started']['ansible_job_id']
        assert first.out['aliased']['changed'] is True
        assert wait_until(lambda: len(processes_matching(marker)) == 1), processes_matching(marker)

        second = playbook('named_job.yml', target, tmp_path, name=name, marker=marker)
        assert second.rc == 0, second
        assert second.out['found']['started'] is True
        assert second.out['found']['finished'] is False
        assert second.out['found']['ansible_job_id'] == jid
        assert second.out['started'].get('skipped') is True
        assert len(processes_matching(marker)) == 1, 'the re-run started the job a second time'
    finally:
        kill_all(marker)
        playbook('status.yml', target, tmp_path, alias=name, mode='full_cleanup')


def test_wait_then_cleanup_and_full_cleanup(target, name, tmp_path):
    run = playbook('lifecycle.yml', target, tmp_path, name=name)
    assert run.rc == 0, run
    assert run.out['full']['changed'] is True


def test_killed_runner_is_reported_at_the_next_poll(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        jid = start_running_job(target, tmp_path, name, marker)

        healthy = playbook('status.yml', target, tmp_path, alias=name)
        assert healthy.out['status']['pid_missing'] is False, healthy
        assert healthy.out['status']['finished'] is False

        os.kill(wrapper_runner_pid(jid), signal.SIGKILL)
        poll = playbook('status.yml', target, tmp_path, alias=name)
        status = poll.out['status']
        assert status['failed'] is True, poll
        assert status['pid_missing'] is True
        assert status['finished'] is False
        assert 'async wrapper is gone' in status['msg']
        assert status['ansible_job_id'] == jid

        # A dead job can be removed; a live one could not.
        cleanup = playbook('status.yml', target, tmp_path, alias=name, mode='full_cleanup')
        assert cleanup.out['status']['changed'] is True, cleanup
    finally:
        kill_all(marker)


def test_cleanup_of_a_running_job_deletes_nothing(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        start = playbook('start_job.yml', target, tmp_path, name=name, cmd=f'sleep 30; echo {marker}')
        assert start.rc == 0, start
        for mode in ('cleanup', 'full_cleanup'):
            run = playbook('status.yml', target, tmp_path, alias=name, mode=mode)
            assert run.out['status']['changed'] is False, run
            assert 'still running' in run.out['status']['msg']
        still = playbook('status.yml', target, tmp_path, alias=name)
        assert still.out['status']['started'] is True and still.out['status']['finished'] is False
    finally:
        kill_all(marker)
        time.sleep(0.5)
        playbook('status.yml', target, tmp_path, alias=name, mode='full_cleanup')


def test_job_that_hits_its_async_limit(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    start = playbook('start_job.yml', target, tmp_path, name=name, cmd=f'sleep 30; echo {marker}', limit=2)
    assert start.rc == 0, start
    deadline = time.monotonic() + 30
    while True:
        run = playbook('status.yml', target, tmp_path, alias=name)
        if run.out['status']['finished'] or time.monotonic() > deadline:
            break
        time.sleep(1)
    status = run.out['status']
    assert status['finished'] is True, run
    assert status['failed'] is True
    assert status['msg'] == 'Timeout exceeded'
    # ansible-core's async_wrapper kills the process group of its child at the limit, but the
    # parent puts the child in that group (os.setpgid(sub_pid, sub_pid)) only after the fork. On a
    # loaded machine the child has sometimes started the module before that, and the command then
    # stays in the group of the wrapper's session (daemonize_self's setsid), out of reach of the
    # killpg (seen in 2 of 4 runs with both cores busy: the shell's pgid was that sid, not
    # child_pid). That is the builtin wrapper's race (docs/design.md, "Until loops and dead
    # jobs"); only a process in that exact spot is forgiven, and it is killed here.
    try:
        survivors = {pid: group_and_session(pid) for pid in processes_matching(marker)}
        escaped = {pid for pid, (pgid, sid) in survivors.items()
                   if pgid == sid and pgid not in (pid, status['child_pid'])}
        assert not set(survivors) - escaped, ('the timed-out job is still running', status['child_pid'], survivors)
    finally:
        kill_all(marker)
    playbook('status.yml', target, tmp_path, alias=name, mode='full_cleanup')


def group_and_session(pid):
    try:
        # /proc/<pid>/stat: "pid (comm) state ppid pgrp session ...", and comm may hold spaces.
        fields = pathlib.Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        return int(fields[2]), int(fields[3])
    except (OSError, IndexError, ValueError):
        return None, None


def test_check_mode(target, name, tmp_path):
    run = playbook('check_mode.yml', target, tmp_path, name=name)
    assert run.rc == 0, run


def test_bad_input_fails_clearly_and_deletes_nothing(target, name, tmp_path):
    corrupt = f'~/.ansible_async/j{uuid.uuid4().int % 10**12}.1'
    run = playbook('bad_input.yml', target, tmp_path, name=name, corrupt_job_file=corrupt)
    assert run.rc == 0, run
    assert 'Traceback' not in run.stdout
    assert run.out['cleanup']['changed'] is True


def test_answers_what_the_builtin_answers(target, tmp_path):
    run = playbook('compat.yml', target, tmp_path)
    assert run.rc == 0, run
    builtin, ours = run.out['builtin'], run.out['ours']
    for key, value in builtin.items():
        # failed_when_suppressed_exception: ansible-core 2.19+ keeps the builtin's exception
        # text when failed_when hides a failure; it is not part of the module's answer.
        if key in ('invocation', 'attempts', 'failed_when_result', 'changed', 'failed_when_suppressed_exception'):
            continue
        assert ours.get(key) == value, f'{key}: builtin {value!r}, ours {ours.get(key)!r}'
    assert ours['rc'] == 3 and ours['stdout_lines'] == ['out'] and ours['stderr_lines'] == ['err']
    running_b, running_o = run.out['builtin_running'], run.out['ours_running']
    for key in ('started', 'finished', 'ansible_job_id', 'results_file'):
        assert running_o[key] == running_b[key], key
    # An unknown jid: the builtin's keys, results_file included, with the same values.
    missing_b, missing_o = run.out['builtin_missing'], run.out['ours_missing']
    assert missing_b['msg'] == 'could not find job' and 'results_file' in missing_b, missing_b
    for key, value in missing_b.items():
        if key in ('invocation', 'failed_when_result', 'changed', 'exception', 'failed_when_suppressed_exception'):
            continue
        assert missing_o.get(key) == value, f'unknown jid, {key}: builtin {value!r}, ours {missing_o.get(key)!r}'


def test_delegate_to_agrees_with_the_wrapper(tmp_path, name):
    run = playbook('delegate.yml', 'localtarget', tmp_path, name=name)
    assert run.rc == 0, run


def test_spec_examples_run_as_written(tmp_path):
    """named-async-jobs.md examples 1-3 on both targets. Each sleeps 60 s as written, so they run
    side by side; examples 1 and 2 share the alias 'blah' and run one after the other."""
    rounds = [
        [('spec_example1.yml', 'localtarget'), ('spec_example2.yml', 'sshtarget'),
         ('spec_example3.yml', 'localtarget'), ('spec_example3.yml', 'sshtarget')],
        [('spec_example2.yml', 'localtarget'), ('spec_example1.yml', 'sshtarget')],
    ]
    for runs in rounds:
        started = [(pb, t, start_playbook(pb, t, tmp_path)) for pb, t in runs]
        for pb, t, (proc, out) in started:
            result = finish(proc, out)
            assert result.rc == 0, f'{pb} on {t}: {result}'


def test_a_link_out_of_the_async_dir_is_refused_and_never_followed(target, name, tmp_path):
    """jid_<name> -> ../elsewhere/<jid> and -> /abs/elsewhere/<jid>: status, full_cleanup and
    async_kill fail naming the link, read nothing through it, and delete nothing."""
    jid = f'j{uuid.uuid4().int % 10**12}.1'
    run = playbook('broken_alias.yml', target, tmp_path, name=name, jid=jid)
    assert run.rc == 0, run
    secret = f'SECRET_{name}'
    for task in ('status', 'full', 'kill'):
        for kind, result in zip(('rel', 'abs'), run.out[task]):
            assert result['failed'] is True, (task, kind, result)
            assert f'jid_{name}_{kind}' in result['msg'], (task, kind, result['msg'])
            assert 'broken alias' in result['msg'], (task, kind, result['msg'])
            assert secret not in json.dumps(result), (task, kind, result)
            assert not result.get('changed'), (task, kind, result)
    assert run.out['outside_after']['exists'] is True, 'a cleanup deleted the file outside the async dir'
    assert all(s['exists'] and s['islnk'] for s in run.out['links_after']), run.out['links_after']
