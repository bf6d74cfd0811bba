# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Cancel: a pending job never starts, a running one loses its whole process tree, an ended one
stays as it was. /proc is the judge."""

from __future__ import annotations

from procs import deep_tree, group, in_dir, wait_gone, wait_leader


def test_cancel_pending_job(service):
    svc = service(workers=1)
    c = svc.client
    busy = c.submit('long.yml', extra_vars={'seconds': 120}).json()['job_id']
    c.wait_for(busy, statuses={'running'})
    queued = c.submit('hello.yml').json()['job_id']
    assert c.job(queued)['status'] == 'pending'
    r = c.post(f'/api/v1/jobs/{queued}/cancel')
    assert r.status == 200, r
    job = c.job(queued)
    assert job['status'] == 'canceled' and job['started_at'] is None, job
    assert c.post(f'/api/v1/jobs/{busy}/cancel').status == 202
    assert c.wait_for(busy)['status'] == 'canceled'
    # The worker is free again and the canceled job stayed canceled.
    after = c.submit('hello.yml', query='?sync=true', expect=200).json()
    assert after['status'] == 'successful', after
    job = c.job(queued)
    assert job['status'] == 'canceled' and job['started_at'] is None, job


def test_cancel_running_job_kills_its_process_tree(service):
    svc = service()
    c = svc.client
    job_id = c.submit('long.yml', extra_vars={'seconds': 300}).json()['job_id']
    leader = wait_leader(svc.proc.pid)
    assert leader.pgid == leader.pid, f'ansible-playbook is not the leader of its own process group: {leader}'
    tree = deep_tree(leader)
    assert c.job(job_id)['status'] == 'running'
    assert len(tree) >= 3, tree

    r = c.post(f'/api/v1/jobs/{job_id}/cancel')
    assert r.status == 202, r
    job = c.wait_for(job_id, timeout=60)
    assert job['status'] == 'canceled', job
    left = wait_gone(tree, timeout=2)
    assert not left, f'still alive after the job was canceled: {left}'
    assert not group(leader.pgid), group(leader.pgid)
    assert job['cancel_requested'] is True and job['finished_at'], job
    assert not in_dir(svc.project), in_dir(svc.project)


def test_cancel_ended_job_is_409(service):
    c = service(stub=True).client
    body = c.submit('hello.yml', query='?sync=true', expect=200).json()
    r = c.post(f'/api/v1/jobs/{body["job_id"]}/cancel')
    assert r.status == 409, r
    assert r.json()['detail'], r
    assert c.job(body['job_id'])['status'] == 'successful'
