# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_wait through real ansible-playbook, on both targets."""

from __future__ import annotations

import os
import signal
import time
import uuid

from conftest import REPO, finish, kill_all, playbook, start_playbook, start_running_job, wait_until, wrapper_runner_pid


def test_waits_fails_fast_and_cleans_up(target, name, tmp_path):
    run = playbook('wait.yml', target, tmp_path, name=name)
    assert run.rc == 0, run
    assert run.out['elapsed'] < 10, run.out['elapsed']


def test_dead_wrapper_fails_at_the_first_poll(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        jid = start_running_job(target, tmp_path, name, marker)
        os.kill(wrapper_runner_pid(jid), signal.SIGKILL)
        t0 = time.monotonic()
        run = playbook('wait_alias.yml', target, tmp_path, alias=name)
        waited = run.out['waited']
        assert waited['failed'] is True and waited['pid_missing'] is True, run
        assert waited['attempts'] == 1
        assert time.monotonic() - t0 < 30
    finally:
        kill_all(marker)
        playbook('status.yml', target, tmp_path, alias=name, mode='full_cleanup')


def test_tutorial_patterns_with_our_modules(target, tmp_path):
    """ansible-async-patterns.md: fire-and-forget, check later, several async tasks in a loop."""
    run = playbook('tutorial_patterns.yml', target, tmp_path)
    assert run.rc == 0, run
    assert 'Backup finished with return code: 0' in run.stdout


def test_held_wait_returns_once_without_retry_lines(target, name, tmp_path):
    start = playbook('start_job.yml', target, tmp_path, name=name, cmd='sleep 3; echo held')
    assert start.rc == 0, start
    run = playbook('wait_alias.yml', target, tmp_path, alias=name)
    waited = run.out['waited']
    assert not waited.get('failed') and waited['stdout'] == 'held', run
    # One round trip held on the host: retries/delay 1 would have taken 3 or more.
    assert waited['attempts'] == 1, waited
    assert 'FAILED - RETRYING' not in run.stdout


def _sshd_descendants():
    """Our test sshd's per-connection processes (and what they run), by the listener's pid."""
    listener = int((REPO / 'tests' / '.work' / 'sshd' / 'sshd.pid').read_text().split()[0])
    parents = {}
    for entry in os.scandir('/proc'):
        if entry.name.isdigit():
            try:
                stat = open(f'/proc/{entry.name}/stat', encoding='utf-8').read()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(')') + 2:].split()[1])
    found, frontier = [], {listener}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier}
        found += frontier
    return found


def _cmdline(pid):
    try:
        return open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def _holding():
    """async_status_id running under our sshd: the held wait is on."""
    return [p for p in _sshd_descendants() if 'async_status_id' in _cmdline(p)]


def test_a_connection_dropped_mid_wait_is_retried(name, tmp_path):
    """The SSH session is killed on the server side while async_wait holds: the wait reconnects
    and finishes instead of ending unreachable."""
    target = 'sshtarget'
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        start = playbook('start_job.yml', target, tmp_path, name=name, cmd=f'sleep 12; echo {marker}')
        assert start.rc == 0, start
        proc, out = start_playbook('wait_alias.yml', target, tmp_path, alias=name)
        assert wait_until(_holding, timeout=60), 'the held wait never started'
        for pid in _sshd_descendants():
            if 'sshd' in _cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        run = finish(proc, out, timeout=120)
        assert run.rc == 0, run
        waited = run.out['waited']
        assert not waited.get('failed') and waited['stdout'] == marker, run
        assert 'lost the connection while waiting' in run.stdout, run
    finally:
        kill_all(marker)
