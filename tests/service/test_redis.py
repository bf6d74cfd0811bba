# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The guarantees that only the Redis store has to keep, on one real redis-server: several API
processes deciding one name, a Redis restart in the middle of runs, a rolling restart of
`worker` processes. Runs are counted by the stub's own log: a duplicate run cannot hide."""

from __future__ import annotations

import collections
import concurrent.futures
import threading
import time

import pytest

from fleet import Worker, stub_runs
from redisd import RedisServer

pytestmark = pytest.mark.backends('redis')


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path / 'redis').start()
    yield server
    server.stop()


def test_two_api_processes_fifty_concurrent_named_posts_one_run(service, redis, uname):
    a = service(stub=True, workers=0, redis=redis)
    b = service(stub=True, workers=2, redis=redis, project=a.project)
    body = {'playbook': 'hello.yml', 'name': uname, 'extra_vars': {'stub_sleep': 2}}
    barrier = threading.Barrier(50)

    def post(i):
        barrier.wait()
        return (a if i % 2 else b).client.post('/api/v1/jobs', body)

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(post, range(50)))
    assert all(r.status in (200, 202) for r in answers), [r for r in answers if r.status not in (200, 202)]
    ids = {r.json()['job_id'] for r in answers}
    created = [r for r in answers if r.json()['attached'] is False]
    assert len(ids) == 1 and len(created) == 1, (ids, len(created))
    job = a.client.wait_for(ids.pop())
    assert job['status'] == 'successful', job
    assert stub_runs(a.project) == [job['job_id']]


def test_a_redis_restart_mid_run_loses_no_job_and_no_record(service, redis, tmp_path):
    """Jobs run in the API process and in a `worker` process: both must come back by themselves."""
    svc = service(stub=True, workers=1, redis=redis)
    worker = Worker(tmp_path, svc.project, redis.url(), 'survivor', concurrency=1).start()
    try:
        c = svc.client
        done = c.submit('hello.yml', query='?wait=30', expect=200).json()
        assert done['status'] == 'successful', done
        running = [c.submit('hello.yml', extra_vars={'stub_sleep': 4}).json()['job_id'] for dummy in range(2)]
        for job_id in running:
            c.wait_for(job_id, statuses={'running'})
        pending = [c.submit('hello.yml', extra_vars={'stub_sleep': 1}).json()['job_id'] for dummy in range(3)]
        redis.restart()
        # API and workers reconnect by themselves: no restart of theirs, no call to make. A
        # request in the moment Redis was away may fail (503); within seconds they work again.
        deadline = time.monotonic() + 15
        while True:
            r = c.submit('hello.yml', query='?wait=60', expect=None)
            if r.status == 200 or time.monotonic() > deadline:
                break
            assert r.status >= 500, r
            time.sleep(0.2)
        after = r.json()
        assert r.status == 200 and after['status'] == 'successful', r
        everything = [done['job_id'], *running, *pending, after['job_id']]
        for job_id in everything:
            job = c.wait_for(job_id, timeout=90)
            assert job['status'] == 'successful', job
        assert sorted(stub_runs(svc.project)) == sorted(everything), 'a job ran twice, or not at all'
        assert {j['job_id'] for j in c.jobs()} == set(everything)
        assert {j['worker'].split(':')[0] for j in c.jobs()} >= {'survivor'}, 'the worker process ran nothing'
        svc.client.healthy()
        assert worker.stop() == 0, worker.output()
    finally:
        worker.cleanup()


def test_a_rolling_restart_of_workers_drops_nothing(service, redis, tmp_path):
    api = service(stub=True, workers=0, redis=redis)
    c = api.client
    workers = [Worker(tmp_path, api.project, redis.url(), f'roll{i}').start() for i in range(3)]
    submitted: list[str] = []
    stop = threading.Event()

    def feed():
        while len(submitted) < 60 and not stop.is_set():
            submitted.append(c.submit('hello.yml', extra_vars={'stub_sleep': 0.3}).json()['job_id'])
            time.sleep(0.05)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        for i, w in enumerate(workers):
            assert w.stop() == 0, w.output()
            assert 'draining' in w.output(), w.output()
            workers[i] = Worker(tmp_path, api.project, redis.url(), f'roll{i}b').start()
        feeder.join(60)
    finally:
        stop.set()
        feeder.join()
        try:
            ends = collections.Counter(c.wait_for(j, timeout=60)['status'] for j in submitted)
        finally:
            for w in workers:
                w.stop()
                w.cleanup()
    assert len(submitted) == 60
    assert ends == {'successful': 60}, ends
    runs = stub_runs(api.project)
    assert sorted(runs) == sorted(submitted), 'a job ran twice, or not at all'
