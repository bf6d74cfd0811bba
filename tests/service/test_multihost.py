# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Workers on three "hosts" (network namespaces with their own addresses) reach one Redis over
their own links. The API runs here. Each job must run exactly once, a dead or cut-off worker's
job must end failed/lost within the contract's 40 s, and the other workers must go on."""

from __future__ import annotations

import concurrent.futures
import time

import pytest

from fleet import Hosts, Worker, netns_ready, stub_runs
from procs import all_procs
from redisd import RedisServer

pytestmark = pytest.mark.backends('redis')

WHY_NOT = netns_ready()
if WHY_NOT:
    pytestmark = [pytestmark, pytest.mark.skip(reason=WHY_NOT)]


@pytest.fixture
def cluster(tmp_path, service):
    """Three hosts, a redis-server on their links, an API (no workers of its own) here."""
    hosts = Hosts(3)
    workers: list[Worker] = []
    redis = None
    try:
        hosts.create()
        redis = RedisServer(tmp_path / 'redis', bind=('127.0.0.1', *hosts.addresses())).start()
        api = service(stub=True, workers=0, redis=redis)

        def start(i, **kw):
            w = Worker(tmp_path, api.project, redis.url(hosts.addresses()[i]), f'host{i}',
                       netns=hosts.hosts[i][0], **kw).start()
            workers.append(w)
            return w

        yield api, hosts, start
    finally:
        for w in workers:
            w.cleanup()
        if redis is not None:
            redis.stop()
        hosts.destroy()


def worker_of(job):
    return job['worker'].split(':')[0]


def run_alive(job_id) -> bool:
    """The stub's run of this job (its cmdline names the job's extra-vars file) still exists."""
    for p in all_procs():
        try:
            if p.state != 'Z' and any(job_id in a for a in p.cmdline()):
                return True
        except OSError:
            continue
    return False


def wait_until_the_stub_runs(project, job_id, timeout=30):
    """"running" is recorded as the worker spawns the run; the kill must come after the run began."""
    deadline = time.monotonic() + timeout
    while job_id not in stub_runs(project):
        assert time.monotonic() < deadline, 'the stub never started the job'
        time.sleep(0.05)


def test_three_hosts_drain_300_jobs_each_exactly_once(cluster):
    api, _hosts, start = cluster
    for i in range(3):
        start(i, concurrency=4)
    c = api.client
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(lambda i: c.submit('hello.yml', extra_vars={'n': i}).json()['job_id'], range(300)))
    jobs = [c.wait_for(j, timeout=120) for j in ids]
    assert {j['status'] for j in jobs} == {'successful'}
    runs = stub_runs(api.project)
    assert len(runs) == 300 and sorted(runs) == sorted(ids), 'a job ran twice, or not at all'
    by_host = {worker_of(j) for j in jobs}
    assert by_host == {'host0', 'host1', 'host2'}, by_host


def test_kill9_of_a_worker_mid_job_ends_it_lost_within_40s_and_the_others_go_on(cluster):
    """With the default 30 s lease: this is the contract's own figure."""
    api, _hosts, start = cluster
    workers = [start(i) for i in range(3)]
    c = api.client
    job_id = c.submit('hello.yml', extra_vars={'stub_sleep': 300}).json()['job_id']
    job = c.wait_for(job_id, statuses={'running'})
    wait_until_the_stub_runs(api.project, job_id)
    victim = next(w for w in workers if w.name == worker_of(job))
    victim.kill9()
    killed = time.monotonic()
    job = c.wait_for(job_id, timeout=60)
    took = time.monotonic() - killed
    print(f'kill -9 of the worker -> {job["status"]}/{job["reason"]} after {took:.1f} s')
    assert (job['status'], job['reason']) == ('failed', 'lost'), job
    assert job['error'] == f"its worker {job['worker']} stopped renewing its lease (it died or lost the store)", job
    assert took <= 40, f'lost after {took:.1f} s'
    more = [c.submit('hello.yml').json()['job_id'] for dummy in range(6)]
    assert all(c.wait_for(j, timeout=60)['status'] == 'successful' for j in more)
    assert stub_runs(api.project).count(job_id) == 1, 'the lost job ran again'
    # The dead worker's run is an orphan on its host; the next worker started there kills it.
    assert run_alive(job_id)
    start(workers.index(victim), concurrency=1)
    deadline = time.monotonic() + 30
    while run_alive(job_id):
        assert time.monotonic() < deadline, 'the orphaned run was not killed by the next worker on its host'
        time.sleep(0.2)


def test_a_cut_link_longer_than_the_lease_ends_the_job_lost_and_nothing_runs_twice(cluster):
    api, hosts, start = cluster
    workers = [start(i, lease='5s') for i in range(3)]
    c = api.client
    job_id = c.submit('hello.yml', extra_vars={'stub_sleep': 120}).json()['job_id']
    job = c.wait_for(job_id, statuses={'running'})
    wait_until_the_stub_runs(api.project, job_id)
    cut = next(i for i, w in enumerate(workers) if w.name == worker_of(job))
    hosts.link(cut, up=False)
    try:
        started = time.monotonic()
        job = c.wait_for(job_id, timeout=60)
        took = time.monotonic() - started
        print(f'link down -> {job["status"]}/{job["reason"]} after {took:.1f} s')
        assert (job['status'], job['reason']) == ('failed', 'lost'), job
        # The cut-off worker stopped the run itself: nothing goes on behind a "lost" record.
        deadline = time.monotonic() + 15
        while run_alive(job_id):
            assert time.monotonic() < deadline, 'the cut-off worker kept running a lost job'
            time.sleep(0.2)
        time.sleep(2)
    finally:
        hosts.link(cut, up=True)
    # Only the reconnected worker is left: it must take new jobs, and the lost one never again.
    for i, w in enumerate(workers):
        if i != cut:
            assert w.stop() == 0, w.output()
    more = [c.submit('hello.yml').json()['job_id'] for dummy in range(3)]
    done = [c.wait_for(j, timeout=60) for j in more]
    assert {(d['status'], worker_of(d)) for d in done} == {('successful', f'host{cut}')}, done
    assert stub_runs(api.project).count(job_id) == 1, 'the lost job ran again'
    assert c.job(job_id)['status'] == 'failed'
