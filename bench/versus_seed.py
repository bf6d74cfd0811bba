# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The job service on Redis beside the seed's own stack (FastAPI + rq + Redis + ansible-runner,
bench/seed), in one run, on one redis-server, with the same stub in place of ansible-playbook:
what is measured is each stack's own cost. The seed's stack serves the seed's API, so one load
generator and one harness drive both.

    make bench                      (all benchmarks; this one is a section of it)
    .venv/bin/python bench/versus_seed.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import stacks  # noqa: E402  pylint: disable=wrong-import-position
from common import REPO, JsonClient, Row, auth_header, table  # noqa: E402  pylint: disable=wrong-import-position

SECTION = "job service on Redis vs the seed's stack, stub playbook"
TARGET = REPO / 'target'
SERVICE = TARGET / 'service' / 'ansible-job-service'
LOADGEN = TARGET / 'service' / 'loadgen'
FINAL = ('successful', 'failed', 'canceled')
HELLO = '- name: Hello\n  hosts: all\n  connection: local\n  gather_facts: false\n  tasks: []\n'


def project(tmp):
    proj = tmp / 'project'
    proj.mkdir()
    (proj / 'hello.yml').write_text(HELLO)
    (proj / 'sleep.yml').write_text('# stub-sleep: 300\n' + HELLO)
    return proj


class Client(JsonClient):
    def call(self, method, path, body=None):
        status, answer = self.request(method, path, body)
        if status not in (200, 202):
            sys.exit(f'{method} {path}: {status} {str(answer)[:300]}')
        return answer

    def job(self, job_id):
        return self.call('GET', f'/api/v1/jobs/{job_id}')

    def wait(self, job_id, statuses=FINAL, timeout=300.0, pause=0.002):
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job['status'] in statuses:
                return job
            if time.monotonic() > deadline:
                return job
            time.sleep(pause)


def stamp(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()


def loadgen(*args):
    r = subprocess.run([str(LOADGEN), *map(str, args)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f'loadgen {args}: {r.stderr}')
    return json.loads(r.stdout)


def submit(stack, n, ids=False):
    out = loadgen('post', stack.base + '/api/v1/jobs', *auth_header(stack.token), '--body', json.dumps({'playbook': 'hello.yml'}),
                  '--n', n, '--clients', 16, *(['--ids'] if ids else []))
    if out['accepted'] != n:
        sys.exit(f'{stack.name}: {n} POSTs, {out["accepted"]} accepted: {out["statuses"]} {out["last_error"]}')
    return out


def started(client, n):
    """Sequential POSTs to idle workers: created_at -> started_at, from each stack's own record."""
    out = []
    for dummy in range(n):
        job = client.call('POST', '/api/v1/jobs', {'playbook': 'hello.yml'})
        done = client.wait(job['job_id'], pause=0.001)
        if done['status'] != 'successful':
            sys.exit(f'stub job did not succeed: {done}')
        out.append(stamp(done['started_at']) - stamp(done['created_at']))
    return out


def drain(stack, client, n):
    """n POSTs at 16 clients with the workers running; jobs/s from the first POST to the last end."""
    t0 = time.monotonic()
    ids = submit(stack, n, ids=True)['ids']
    for job_id in reversed(ids):
        if client.wait(job_id, pause=0.01)['status'] not in FINAL:
            sys.exit(f'{stack.name}: job {job_id} did not end')
    return n / (time.monotonic() - t0)


def hold_workers(client):
    ids = [client.call('POST', '/api/v1/jobs', {'playbook': 'sleep.yml'})['job_id'] for dummy in range(stacks.WORKERS)]
    for job_id in ids:
        if client.wait(job_id, statuses=('running',), timeout=60)['status'] != 'running':
            sys.exit('a sleep.yml job did not start')
    return ids


def get_p99(stack, job_id, seconds):
    out = loadgen('get', f'{stack.base}/api/v1/jobs/{job_id}', *auth_header(stack.token), '--rate', 1000, '--seconds', seconds, '--clients', 8)
    return out['p99_us'] / 1e6, out['per_s']


def kill_to_final(stack, client, job_id, cap):
    """kill -9 of the worker running this job; seconds until the job shows a final state, or
    None if it still did not after `cap` seconds."""
    job = client.job(job_id)
    stack.kill_worker_of(job if isinstance(stack, stacks.Ours) else job_id)
    t0 = time.monotonic()
    end = client.wait(job_id, timeout=cap, pause=0.2)
    return (time.monotonic() - t0, end) if end['status'] in FINAL else (None, end)


def run_stack(kind, tmp, redis, proj, n):
    """Every figure of one stack, on a flushed Redis."""
    redis.flush()
    stack = stacks.Seed(tmp, redis, proj) if kind == 'seed' else stacks.Ours(tmp, SERVICE, proj, redis)
    client = Client(stack.port, token=stack.token)
    res = {}
    try:
        posts = submit(stack, n['posts'])  # nobody takes jobs yet: the API and the store only
        res.update(post_per_s=posts['accepted_per_s'], post_p50=posts['p50_us'] / 1e6, post_p99=posts['p99_us'] / 1e6)
        stack.stop()
        redis.flush()
        stack = stacks.Seed(tmp, redis, proj) if kind == 'seed' else stacks.Ours(tmp, SERVICE, proj, redis)
        client = Client(stack.port, token=stack.token)
        stack.start_workers()
        time.sleep(1)
        res['rss_idle'] = stacks.rss_mb(stack.pids() + [redis.proc.pid])
        lat = started(client, n['seq'])
        res.update(started_p50=statistics.median(lat), started_p99=sorted(lat)[max(0, int(len(lat) * 0.99) - 1)])
        res['drain'] = drain(stack, client, n['drain'])
        held = hold_workers(client)
        res['get_p99'], res['get_rate'] = get_p99(stack, held[0], n['get_s'])
        res['kill'], res['kill_end'] = kill_to_final(stack, client, held[1], n['kill_cap'])
    finally:
        stack.stop()
    return res


def rss_after(kind, tmp, redis, proj, total, run_them):
    """RSS of every process of the stack (Redis included) after `total` jobs were submitted, and
    run to their end when `run_them`."""
    redis.flush()
    stack = stacks.Seed(tmp, redis, proj) if kind == 'seed' else stacks.Ours(tmp, SERVICE, proj, redis)
    try:
        if run_them:
            stack.start_workers()
        client = Client(stack.port, token=stack.token)
        done = 0
        while done < total:
            batch = min(2000, total - done)
            ids = submit(stack, batch, ids=run_them).get('ids', [])
            for job_id in reversed(ids):
                client.wait(job_id, pause=0.01)
            done += batch
        if not run_them:
            # Its workers belong in the sum: started now, they are busy with the queue.
            stack.start_workers()
        time.sleep(2)
        return stacks.rss_mb(stack.pids() + [redis.proc.pid])
    finally:
        stack.stop()


def measure(quick=False):
    if not (stacks.SEED_VENV / 'bin' / 'rq').exists():
        sys.exit(f'{stacks.SEED_VENV} is missing: `make seed-venv` installs the seed stack (make bench does)')
    n = ({'posts': 300, 'seq': 10, 'drain': 60, 'get_s': 1, 'kill_cap': 45, 'many': 500} if quick else
         {'posts': 2000, 'seq': 50, 'drain': 300, 'get_s': 5, 'kill_cap': 100, 'many': 10000})
    ours_n = dict(n, drain=n['drain'] * 5)
    with tempfile.TemporaryDirectory(prefix='bench-seed-') as d:
        tmp = pathlib.Path(d)
        proj = project(tmp)
        redis = stacks.Redis(tmp)
        try:
            seed = run_stack('seed', tmp, redis, proj, n)
            ours = run_stack('ours', tmp, redis, proj, ours_n)
            seed['rss_many'] = rss_after('seed', tmp, redis, proj, n['many'], run_them=False)
            ours['rss_many'] = rss_after('ours', tmp, redis, proj, n['many'], run_them=True)
        finally:
            redis.stop()
    return rows(seed, ours, n, ours_n), seed


def rows(seed, ours, n, ours_n):
    anchor = "the seed's stack"

    def row(what, key, unit='ms', goal=''):
        value, base = ours[key], seed[key]
        if unit != 'ms':
            value, base = round(value, 1), round(base, 1)
        return Row(SECTION, what, value, base, anchor, unit=unit, goal=goal)

    kill_seed = seed['kill']
    kill_note = (f'{kill_seed:.1f} s' if kill_seed is not None else
                 f'no final state after {n["kill_cap"]} s: the seed\'s record still says "{seed["kill_end"]["status"]}"')
    ratio_posts = ours['post_per_s'] / seed['post_per_s']
    return [
        row(f'submissions/s, {n["posts"]:,} POSTs at 16 clients (API and store)', 'post_per_s', '/s',
            f'>= 10x the seed and >= 2,000/s: {"met" if ratio_posts >= 10 and ours["post_per_s"] >= 2000 else "NOT met"}'
            f' ({ratio_posts:.0f}x)'),
        row('POST p50 at 16 clients', 'post_p50'),
        row('POST p99 at 16 clients', 'post_p99'),
        row('POST -> started_at p50, idle workers', 'started_p50', goal=met(ours['started_p50'] <= 0.005, '<= 5 ms')),
        row('POST -> started_at p99, idle workers', 'started_p99', goal=met(ours['started_p99'] <= 0.020, '<= 20 ms')),
        row(f'jobs/s drained, {stacks.WORKERS} workers (ours {ours_n["drain"]:,} jobs, the seed {n["drain"]:,})', 'drain',
            '/s', met(ours['drain'] >= 200, '>= 200/s')),
        row(f'GET /jobs/{{id}} p99 at 1,000 req/s, {stacks.WORKERS} jobs running', 'get_p99'),
        Row(SECTION, 'kill -9 of a worker mid-job -> a final state',
            round(ours['kill'], 1) if ours['kill'] is not None else float(n['kill_cap']),
            kill_seed, kill_note if kill_seed is None else anchor, unit='s',
            goal=met(ours['kill'] is not None and ours['kill'] <= 40, '<= 40 s')),
        row('RSS idle, every process (Redis included)', 'rss_idle', 'MB',
            met(ours['rss_idle'] <= seed['rss_idle'] / 3, "<= 1/3 of the seed's")),
        Row(SECTION, f'RSS after {n["many"]:,} jobs, every process (ours: all run; the seed: all submitted, then '
            'its workers started: running them all would take it minutes)', round(ours['rss_many'], 1),
            round(seed['rss_many'], 1), anchor, unit='MB',
            goal=met(ours['rss_many'] <= seed['rss_many'] / 3, "<= 1/3 of the seed's")),
    ]


def met(ok, goal):
    return f'{goal}: {"met" if ok else "NOT met"}'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true')
    args = ap.parse_args()
    out, dummy = measure(quick=args.quick)
    print(table(out))


if __name__ == '__main__':
    main()
