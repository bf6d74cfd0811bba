# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Issue 19, findings 9-11: a job whose stored form does not parse ends `failed`/`corrupt`
without blocking the queue or the list; a failed job says why in `error`; event lines the
reader cannot keep are counted (`dropped_events`, `ajs_events_dropped_total`), and the callback
cuts templated names so a 2 MB task name loses nothing."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest

from conftest import STUB


def events(c, job_id):
    r = c.get(f'/api/v1/jobs/{job_id}/events')
    assert r.status == 200, r
    return r.json()['events']


def metric(c, name):
    r = c.get('/metrics')
    assert r.status == 200, r
    found = re.search(rf'^{name} (\d+)$', r.text, re.M)
    assert found, r.text
    return int(found.group(1))


# ---------------------------------------------------------------------------------- finding 9
def test_a_corrupt_pending_job_ends_corrupt_and_the_queue_goes_on(service, backend):
    if backend == 'embedded':
        # The embedded store is one process's: the row is damaged while the service is down.
        svc = service(workers=1)
        c = svc.client
        bad = c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id']
        svc.stop()
        with sqlite3.connect(svc.data_dir / 'jobs.sqlite3') as db:
            n = db.execute("UPDATE jobs SET status = 'pending', reason = NULL, finished_at = NULL, "
                           "spec = '{not json' WHERE id = ?", (bad,)).rowcount
        assert n == 1
        svc.start()
    else:
        # An API process without workers queues both; the spec is damaged in Redis by a raw
        # client; then a worker process comes.
        svc = service(workers=0)
        c = svc.client
        bad = c.submit('hello.yml').json()['job_id']
        assert svc.redis.command('HSET', '{ajs}:job:' + bad, 'spec', '{not json').startswith(b':')
    good = c.submit('hello.yml', extra_vars={'greeting': 'after the corrupt one'}).json()['job_id']
    if backend == 'redis':
        service(workers=1, redis=svc.redis, project=svc.project)
    done = c.wait_for(good, timeout=90)
    assert done['status'] == 'successful', done
    job = c.wait_for(bad, timeout=30)
    assert (job['status'], job['reason']) == ('failed', 'corrupt'), job
    assert 'spec' in job['error'] and 'does not parse' in job['error'], job
    listed = {j['job_id']: j for j in c.jobs()}
    assert listed[bad]['reason'] == 'corrupt' and listed[good]['status'] == 'successful', listed
    failed = [j['job_id'] for j in c.jobs(status='failed')]
    assert failed == [bad], failed


# A row damaged below JSON (another SQLite type, bytes that are not UTF-8, a time that is text)
# reads as a rusqlite error, not as a spec that does not parse: it must end the same way.
DAMAGE = {
    'spec stored as a BLOB': "spec = CAST(spec AS BLOB)",
    'spec text that is not UTF-8': "spec = CAST(x'7bff7d' AS TEXT)",
    'created_at as text': "created_at = 'yesterday'",
}


@pytest.mark.backends('embedded')
def test_rows_damaged_below_json_end_corrupt_and_block_nothing(service, uname):
    svc = service(workers=1, stub=True)
    c = svc.client
    bad = {kind: c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id'] for kind in DAMAGE}
    holder = c.submit('hello.yml', query='?sync=true', expect=200, name=uname).json()['job_id']
    running = c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id']
    svc.stop()
    with sqlite3.connect(svc.data_dir / 'jobs.sqlite3') as db:
        for kind, how in DAMAGE.items():
            n = db.execute(f"UPDATE jobs SET status = 'pending', reason = NULL, finished_at = NULL, {how} "
                           "WHERE id = ?", (bad[kind],)).rowcount
            assert n == 1, kind
        # The name's holder, live and damaged: the name's next POST must not answer 500 forever.
        assert db.execute("UPDATE jobs SET status = 'running', reason = NULL, finished_at = NULL, "
                          "spec = CAST(spec AS BLOB) WHERE id = ?", (holder,)).rowcount == 1
        # A running row whose id does not parse: recovery at start must not stop the service.
        assert db.execute("UPDATE jobs SET status = 'running', reason = NULL, finished_at = NULL, "
                          "id = 'not-a-job-id' WHERE id = ?", (running,)).rowcount == 1
    svc.start()
    listed = {j['job_id']: j for j in c.jobs()}
    for kind, job_id in bad.items():
        job = c.wait_for(job_id, timeout=30)
        assert (job['status'], job['reason']) == ('failed', 'corrupt'), (kind, job)
        assert 'does not parse' in job['error'], (kind, job)
        assert job_id in listed, (kind, listed)
    # Nothing pending stays behind the damaged rows: the next job runs.
    good = c.submit('hello.yml', extra_vars={'greeting': 'after the damaged ones'}).json()['job_id']
    assert c.wait_for(good, timeout=90)['status'] == 'successful'
    # The damaged holder ended: restart decides, as for any ended job.
    again = c.submit('hello.yml', expect=200, name=uname).json()
    assert (again['job_id'], again['reason']) == (holder, 'corrupt'), again
    fresh = c.submit('hello.yml', name=uname, restart='on_failure').json()['job_id']
    assert fresh != holder
    assert c.wait_for(fresh, timeout=90)['status'] == 'successful'
    assert [j['job_id'] for j in c.jobs(status='pending')] == []
    svc.stop()
    with sqlite3.connect(svc.data_dir / 'jobs.sqlite3') as db:
        row = db.execute("SELECT status, reason FROM jobs WHERE id = 'not-a-job-id'").fetchone()
    assert row == ('failed', 'corrupt'), row


# --------------------------------------------------------------------------------- finding 10
def test_a_failed_task_is_the_error_of_its_job(service):
    c = service(workers=1).client
    job = c.submit('fail.yml', query='?sync=true', expect=200).json()
    job = c.job(job['job_id'])
    assert (job['status'], job['reason'], job['result']['rc']) == ('failed', 'rc', 2), job
    assert job['error'] == ('Fail with a clear message on localhost: '
                            'fail.yml failed on purpose on localhost'), job
    ok = c.job(c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id'])
    assert (ok['status'], ok['error'], ok['dropped_events']) == ('successful', None, 0), ok


def test_a_playbook_that_does_not_parse_gives_ansibles_error(service):
    svc = service(workers=1, start=False)
    (svc.project / 'broken.yml').write_text('- hosts: all\n  tasks:\n    - bogus_keyword_zz: 1\n')
    svc.start()
    c = svc.client
    job = c.job(c.submit('broken.yml', query='?sync=true', expect=200).json()['job_id'])
    assert (job['status'], job['reason']) == ('failed', 'rc'), job
    assert job['error'].startswith(f"ansible-playbook exited with code {job['result']['rc']}: "), job
    assert 'ERROR' in job['error'], job


def test_timeout_and_cancel_say_so(service):
    c = service(workers=2).client
    slow = c.submit('ticks.yml', timeout=2, extra_vars={'seconds': 120}).json()['job_id']
    busy = c.submit('ticks.yml', extra_vars={'seconds': 120}).json()['job_id']
    c.wait_for(busy, statuses={'running'})
    assert c.post(f'/api/v1/jobs/{busy}/cancel').status == 202
    job = c.wait_for(slow)
    assert (job['status'], job['reason']) == ('failed', 'timeout'), job
    assert job['error'] == 'ran longer than its timeout of 2 s and was stopped', job
    job = c.wait_for(busy)
    assert (job['status'], job['error']) == ('canceled', 'canceled while it ran'), job


def test_a_program_that_cannot_start_gives_the_os_error(service, tmp_path):
    program = tmp_path / 'bin' / 'ansible-playbook'
    program.parent.mkdir()
    shutil.copy(STUB, program)
    svc = service(workers=1, ansible_playbook=program)
    program.unlink()
    c = svc.client
    job = c.job(c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id'])
    assert (job['status'], job['reason']) == ('failed', 'spawn'), job
    assert job['error'] == f'cannot start {program}: no such file', job


# --------------------------------------------------------------------------------- finding 11
def test_a_two_megabyte_task_name_loses_no_event(service):
    c = service(workers=1).client
    job = c.job(c.submit('long_name.yml', query='?sync=true', expect=200).json()['job_id'])
    assert (job['status'], job['dropped_events']) == ('successful', 0), {**job, 'result': '...'}
    evs = events(c, job['job_id'])
    starts = [e['task'] for e in evs if e['event'] == 'playbook_on_task_start']
    assert len(starts) == 2 and starts[1] == 'After the long one', [s[:40] for s in starts]
    assert starts[0] == 'x' * 1024, len(starts[0])
    oks = [e for e in evs if e['event'] == 'runner_on_ok']
    assert [len(e['task']) for e in oks] == [1024, len('After the long one')], oks
    assert job['result']['stats']['localhost']['ok'] == 2, job['result']['stats']


def test_event_lines_over_the_limit_are_counted(service):
    svc = service(workers=1, extra_args=['--event-line-max', '1024'])
    c = svc.client
    assert metric(c, 'ajs_events_dropped_total') == 0
    job = c.job(c.submit('long_name.yml', query='?sync=true', expect=200).json()['job_id'])
    # The long task's start and its result are each over 1 KiB; the rest fits.
    assert (job['status'], job['dropped_events']) == ('successful', 2), {**job, 'result': '...'}
    names = [e.get('task') for e in events(c, job['job_id']) if e['event'] == 'playbook_on_task_start']
    assert names == ['After the long one'], names
    assert metric(c, 'ajs_events_dropped_total') == 2
    listed = {j['job_id']: j for j in c.jobs()}
    assert listed[job['job_id']]['dropped_events'] == 2, listed


def test_event_line_max_is_checked(tmp_path):
    import subprocess

    from conftest import service_bin
    r = subprocess.run([str(service_bin()), 'serve', '--project-dir', str(tmp_path), '--event-line-max', '10'],
                       capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and '--event-line-max' in r.stderr, r
