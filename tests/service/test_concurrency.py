# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""200 concurrent anonymous POSTs all get 202 and all end successful: no job is lost."""

from __future__ import annotations

import concurrent.futures
import threading
import time


def test_200_concurrent_posts_all_complete(service):
    svc = service(stub=True, workers=4)
    c = svc.client
    barrier = threading.Barrier(200)

    def post(i):
        barrier.wait(60)
        return c.post('/api/v1/jobs', {'playbook': 'hello.yml', 'extra_vars': {'i': i}}, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(post, range(200)))
    bad = [r for r in answers if r.status != 202]
    assert not bad, bad[:3]
    ids = {r.json()['job_id'] for r in answers}
    assert len(ids) == 200
    deadline = time.monotonic() + 240
    while True:
        jobs = c.jobs(limit=500)
        done = [j for j in jobs if j['status'] in ('successful', 'failed', 'canceled')]
        if len(done) == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert {j['job_id'] for j in jobs} == ids, f'{len(jobs)} jobs listed'
    statuses = {}
    for j in jobs:
        statuses[j['status']] = statuses.get(j['status'], 0) + 1
    assert statuses == {'successful': 200}, statuses
    calls = (svc.project / '.stub-calls').read_text().splitlines()
    assert len(calls) == 200, len(calls)
