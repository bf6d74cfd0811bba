# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The service's limits and edges: the stdout cap keeps the tail, --sync-max bounds a held
request, a playbook that cannot start is failed/spawn, and --ttl purges ended jobs."""

from __future__ import annotations

import time


def test_stdout_cap_keeps_the_tail(service):
    c = service(extra_args=['--stdout-cap', '200']).client
    body = c.submit('hello.yml', query='?sync=true', expect=200).json()
    out = body['stdout']
    assert body['status'] == 'successful', body
    assert 0 < len(out.encode()) <= 200, out
    assert 'PLAY RECAP' in out or 'localhost' in out, out
    r = c.get(f'/api/v1/jobs/{body["job_id"]}/stdout?offset=0')
    assert r.status == 200, r
    total = int(r.headers['x-next-offset'])
    assert total > 200, f'X-Next-Offset {total}: hello.yml writes more than 200 bytes'
    assert r.body == out.encode(), (r.body, out)


def test_sync_max_bounds_sync_and_wait(service):
    c = service(extra_args=['--sync-max', '2s']).client
    for query in ('?sync=true', '?wait=100'):
        t0 = time.monotonic()
        r = c.submit('long.yml', query=query, expect=202, extra_vars={'seconds': 120})
        waited = time.monotonic() - t0
        job = r.json()
        assert job['status'] in ('pending', 'running'), job
        assert 1.8 <= waited < 30, (query, waited)
        assert c.post(f'/api/v1/jobs/{job["job_id"]}/cancel').status in (200, 202)
        assert c.wait_for(job['job_id'])['status'] == 'canceled'


def test_playbook_that_cannot_start_is_failed_spawn(service, tmp_path):
    broken = tmp_path / 'broken-ansible-playbook'
    broken.write_text('#!/nonexistent/interpreter\n')
    broken.chmod(0o755)
    svc = service(start=False)
    svc.args[svc.args.index('--ansible-playbook') + 1] = str(broken)
    svc.start()
    c = svc.client
    job_id = c.submit('hello.yml').json()['job_id']
    job = c.wait_for(job_id, timeout=60)
    assert job['status'] == 'failed' and job['reason'] == 'spawn', job
    c.healthy()


def test_ttl_purges_ended_jobs(service):
    svc = service(stub=True, extra_args=['--ttl', '3s'])
    c = svc.client
    old = c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id']
    time.sleep(3.5)
    recent = c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id']
    svc.restart()  # the purge runs at start, then every minute
    assert c.get(f'/api/v1/jobs/{old}').status == 404
    assert c.job(recent)['status'] == 'successful'
    assert [j['job_id'] for j in c.jobs()] == [recent]
