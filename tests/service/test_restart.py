# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""kill -9 of the service while a playbook runs: at the next start that job is failed/lost and
its processes are gone, pending jobs run, and ended jobs are all still there."""

from __future__ import annotations

import sqlite3
import time

import pytest

from procs import deep_tree, descendants, group, in_dir, wait_gone, wait_leader


@pytest.mark.backends('embedded')  # the SQLite file; Redis: test_redis.py, test_multihost.py
def test_kill9_then_restart(service):
    svc = service(workers=1)
    c = svc.client
    ended = [c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id'],
             c.submit('fail.yml', query='?sync=true', expect=200).json()['job_id']]
    before = {j: c.job(j) for j in ended}
    assert [before[j]['status'] for j in ended] == ['successful', 'failed'], before

    running = c.submit('long.yml', extra_vars={'seconds': 300}).json()['job_id']
    pending = [c.submit('hello.yml', extra_vars={'greeting': f'p{i}'}).json()['job_id'] for i in range(3)]
    c.wait_for(running, statuses={'running'})
    leader = wait_leader(svc.proc.pid)
    tree = deep_tree(leader)
    assert all(c.job(j)['status'] == 'pending' for j in pending)

    svc.kill9()
    svc.start()
    job = c.job(running)
    assert job['status'] == 'failed' and job['reason'] == 'lost', job
    assert job['finished_at'], job
    assert job['error'].startswith('the service stopped while it ran on worker ' + job['worker']), job
    left = wait_gone(tree, timeout=10)
    assert not left, f'the lost run is still alive after the restart: {left}'
    assert not group(leader.pgid), group(leader.pgid)
    for j in pending:
        done = c.wait_for(j)
        assert done['status'] == 'successful' and done['attempt'] >= 1, done
    for j in ended:
        now = c.job(j)
        assert (now['status'], now['result'], now['finished_at']) == \
            (before[j]['status'], before[j]['result'], before[j]['finished_at']), (before[j], now)
    assert not in_dir(svc.project), f'left in the project dir: {in_dir(svc.project)}'
    ids = sorted(j['job_id'] for j in c.jobs())
    assert ids == sorted(ended + [running] + pending), ids
    # The lost job stays lost: nothing re-runs a half-run playbook by itself.
    svc.restart()
    assert c.job(running)['status'] == 'failed'
    assert not descendants(svc.proc.pid), descendants(svc.proc.pid)


def test_graceful_restart_keeps_everything(service):
    svc = service(stub=True)
    c = svc.client
    ids = [c.submit('hello.yml', extra_vars={'stub_rc': i % 2}).json()['job_id'] for i in range(6)]
    jobs = {j: c.wait_for(j) for j in ids}
    svc.restart()
    for j in ids:
        now = c.job(j)
        assert now['status'] == jobs[j]['status'] and now['result'] == jobs[j]['result'], (jobs[j], now)
    assert sorted(j['job_id'] for j in c.jobs()) == sorted(ids)


@pytest.mark.backends('embedded')  # the SQLite file; Redis: test_redis.py, test_multihost.py
def test_kill9_while_the_playbook_writes(service):
    """ansible-playbook dies of the closed stdout pipe soon after the kill: its long-running
    child must not outlive the restart."""
    svc = service(workers=1)
    c = svc.client
    job_id = c.submit('busy.yml', inventory='localhost,ticker').json()['job_id']
    leader = wait_leader(svc.proc.pid)
    tree = deep_tree(leader)
    c.wait_for(job_id, statuses={'running'})
    svc.kill9()
    time.sleep(3)  # the ticker writes, ansible-playbook meets the closed pipe
    svc.start()
    job = c.job(job_id)
    assert job['status'] == 'failed' and job['reason'] == 'lost', job
    left = wait_gone(tree, timeout=10)
    assert not left, f'the lost run is still alive after the restart: {left}'
    assert not in_dir(svc.project), f'left in the project dir: {in_dir(svc.project)}'


@pytest.mark.backends('embedded')  # the SQLite file; Redis: test_redis.py, test_multihost.py
def test_sigterm_claims_nothing_more_and_stops_runs_after_the_grace(service):
    """On SIGTERM a worker whose run ended takes no queued job: that job stays pending for the
    next start. A run still going at the end of --grace is stopped and ends failed/lost."""
    svc = service(workers=2, stub=True, grace='4s')
    c = svc.client
    long_run = c.submit('hello.yml', extra_vars={'stub_sleep': 300}).json()['job_id']
    short_run = c.submit('hello.yml', extra_vars={'stub_sleep': 1}).json()['job_id']
    c.wait_for(long_run, statuses={'running'})
    c.wait_for(short_run, statuses={'running'})
    queued = c.submit('hello.yml', extra_vars={'greeting': 'queued'}).json()['job_id']
    started = time.monotonic()
    svc.stop(timeout=30)
    assert time.monotonic() - started >= 3, 'the service did not give its runs the grace'
    with sqlite3.connect(svc.data_dir / 'jobs.sqlite3') as db:
        rows = dict((r[0], r[1:]) for r in db.execute('SELECT id, status, reason, attempt FROM jobs'))
    assert rows[short_run][:2] == ('successful', None), rows
    assert rows[long_run][:2] == ('failed', 'lost'), rows
    assert rows[queued] == ('pending', None, 0), rows
    svc.start()
    assert c.wait_for(queued)['status'] == 'successful'
