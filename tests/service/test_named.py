# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Named jobs: one name, one run. A re-POST attaches, another payload is refused, and `restart`
decides what happens once the job ended."""

from __future__ import annotations

import concurrent.futures
import threading


def test_repost_attaches_and_other_payload_is_409(service, uname):
    c = service().client
    first = c.submit('long.yml', name=uname, extra_vars={'seconds': 120})
    job_id = first.json()['job_id']
    assert first.json()['name'] == uname and first.json()['attached'] is False, first

    again = c.submit('long.yml', expect=200, name=uname, extra_vars={'seconds': 120})
    body = again.json()
    assert body['job_id'] == job_id and body['attached'] is True and body['name'] == uname, body
    assert body['status'] in ('pending', 'running'), body

    by_header = c.submit('long.yml', expect=200, headers={'Idempotency-Key': uname}, extra_vars={'seconds': 120})
    assert by_header.json()['job_id'] == job_id and by_header.json()['attached'] is True, by_header

    for other in ({'extra_vars': {'seconds': 121}}, {'extra_vars': {'seconds': 120}, 'check': True},
                  {'extra_vars': {'seconds': 120}, 'limit': 'localhost'}):
        r = c.submit('long.yml', expect=409, name=uname, **other)
        err = r.json()
        assert err['field'] == 'name' and err['job_id'] == job_id and err['detail'], err
    r = c.submit('hello.yml', expect=409, headers={'Idempotency-Key': uname})
    assert r.json()['job_id'] == job_id, r

    assert [j['job_id'] for j in c.jobs(name=uname)] == [job_id]
    assert c.post(f'/api/v1/jobs/{job_id}/cancel').status in (200, 202)
    assert c.wait_for(job_id)['status'] == 'canceled'


def test_restart_policies_after_the_end(service, uname):
    c = service(stub=True).client
    ok = c.submit('hello.yml', name=uname).json()['job_id']
    assert c.wait_for(ok)['status'] == 'successful'

    for restart in (None, 'never', 'on_failure'):
        extra = {} if restart is None else {'restart': restart}
        r = c.submit('hello.yml', expect=200, name=uname, **extra)
        body = r.json()
        assert body['job_id'] == ok and body['attached'] is True and body['status'] == 'successful', (restart, body)

    r = c.submit('hello.yml', expect=202, name=uname, restart='always')
    again = r.json()['job_id']
    assert again != ok and r.json()['attached'] is False, r
    assert c.wait_for(again)['status'] == 'successful'
    assert sorted(j['job_id'] for j in c.jobs(name=uname)) == sorted([ok, again])

    failing = uname + '-f'
    bad = c.submit('hello.yml', name=failing, extra_vars={'stub_rc': 2}).json()['job_id']
    assert c.wait_for(bad)['status'] == 'failed'
    r = c.submit('hello.yml', expect=200, name=failing, extra_vars={'stub_rc': 2})
    assert r.json()['job_id'] == bad and r.json()['attached'] is True, r
    r = c.submit('hello.yml', expect=202, name=failing, restart='on_failure', extra_vars={'stub_rc': 2})
    rerun = r.json()['job_id']
    assert rerun != bad, r
    assert c.wait_for(rerun)['status'] == 'failed'
    # After the end, another payload is a new run only when restart says so.
    r = c.submit('hello.yml', expect=202, name=failing, restart='on_failure')
    assert c.wait_for(r.json()['job_id'])['status'] == 'successful'


def test_name_and_header_must_agree(service, uname):
    c = service(stub=True).client
    r = c.submit('hello.yml', expect=422, name=uname, headers={'Idempotency-Key': uname + 'x'})
    assert r.json()['field'] in ('name', 'Idempotency-Key'), r
    assert c.jobs() == []


def test_50_concurrent_posts_of_one_name_give_one_run(service, uname, cpu_burners):
    svc = service(workers=4)
    c = svc.client
    barrier = threading.Barrier(50)

    def post(dummy):
        barrier.wait(30)
        return c.post('/api/v1/jobs', {'playbook': 'hello.yml', 'name': uname, 'extra_vars': {'greeting': uname}})

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(post, range(50)))
    assert all(r.status in (200, 202) for r in answers), [r for r in answers if r.status not in (200, 202)][:3]
    ids = {r.json()['job_id'] for r in answers}
    assert len(ids) == 1, ids
    created = [r for r in answers if r.status == 202]
    assert len(created) == 1, [r.status for r in answers]
    assert all(r.json()['attached'] is True for r in answers if r.status == 200)
    job_id = ids.pop()
    assert c.wait_for(job_id)['status'] == 'successful'
    listed = c.jobs(name=uname)
    assert [j['job_id'] for j in listed] == [job_id], listed
    assert [j['job_id'] for j in c.jobs()] == [job_id]
