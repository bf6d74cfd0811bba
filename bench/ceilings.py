# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The job service against this machine's ceilings, measured in the same run, rep by rep:

- the HTTP ceiling: bench/ceiling (a trivial axum handler: a fixed 202, body read, not parsed)
  hit by the same bench/loadgen, the same 16 clients, the same POST (body, bearer header);
- the drain ceiling: bench/stub/ansible-playbook alone, WORKERS at a time, as many runs as the
  service drains.

Ours, embedded (`serve --workers 4`, one process) and on Redis (`serve --workers 0` + 4 `worker`
processes): every worker is first held by a sleep.yml job, so submissions/s measure the API and
the store alone (the queue only grows); then the holders are canceled and drain jobs/s is the
time from the cancel to the moment no job is pending or running.

The machine may be shared: the ratios (ours / ceiling, same rep) are the figures to read, not
the absolute rates.

    .venv/bin/python bench/ceilings.py [--quick] [--reps N]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import stacks  # noqa: E402  pylint: disable=wrong-import-position
from common import REPO, JsonClient, Row, auth_header, table  # noqa: E402  pylint: disable=wrong-import-position

SECTION = "job service vs this machine's ceilings, stub playbook"
TARGET = pathlib.Path(os.environ.get('CARGO_TARGET_DIR', REPO / 'target'))
SERVICE = TARGET / 'service' / 'ansible-job-service'
LOADGEN = TARGET / 'service' / 'loadgen'
CEILING = TARGET / 'service' / 'ceiling'
STUB = stacks.STUB_DIR / 'ansible-playbook'
HELLO = '- name: Hello\n  hosts: all\n  connection: local\n  gather_facts: false\n  tasks: []\n'
BODY = json.dumps({'playbook': 'hello.yml'})
CLIENTS = 16


def loadgen(*args):
    r = subprocess.run([str(LOADGEN), *map(str, args)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f'loadgen {args}: {r.stderr}')
    return json.loads(r.stdout)


def post(base, token, n):
    out = loadgen('post', base + '/api/v1/jobs', *auth_header(token), '--body', BODY, '--n', n, '--clients', CLIENTS)
    if out['accepted'] != n:
        sys.exit(f'{base}: {n} POSTs, {out["accepted"]} accepted: {out["statuses"]} {out["last_error"]}')
    return out['accepted_per_s']


def http_ceiling(n):
    port = stacks.free_port()
    proc = subprocess.Popen([str(CEILING), f'127.0.0.1:{port}'], stdout=subprocess.DEVNULL)
    try:
        stacks.wait_http(port, proc, 'bench/ceiling')
        # The same token the service gets: the request is the same size, the check is not done.
        post(f'http://127.0.0.1:{port}', 'x' * 43, 200)
        return post(f'http://127.0.0.1:{port}', 'x' * 43, n)
    finally:
        proc.terminate()
        proc.wait(10)


def stub_alone(proj, n):
    """n runs of the stub, stacks.WORKERS at a time, as a worker starts it: `-i localhost,
    hello.yml` in the project dir, fd 3 open for its stats event. xargs forks and execs each run
    itself: a Python launcher would be the bottleneck, not the stub."""
    script = f'seq {n} | xargs -P {stacks.WORKERS} -I @ {STUB} -i localhost, hello.yml 3>/dev/null >/dev/null'
    t0 = time.monotonic()
    subprocess.run(['sh', '-c', script], cwd=proj, check=True)
    return n / (time.monotonic() - t0)


class Client(JsonClient):
    def call(self, method, path, body=None, codes=(200, 202)):
        status, answer = self.request(method, path, body)
        if status not in codes:
            sys.exit(f'{method} {path}: {status} {str(answer)[:300]}')
        return answer

    def idle(self):
        return not any(self.call('GET', f'/api/v1/jobs?status={s}&limit=1')['jobs'] for s in ('pending', 'running'))


def ours(tmp, proj, redis, n_posts, n_drain):
    """(submissions/s with every worker held, drain jobs/s once they are let go)."""
    if redis:
        redis.flush()
    stack = stacks.Ours(tmp, SERVICE, proj, redis)
    try:
        stack.start_workers()
        client = Client(stack.port, token=stack.token)
        held = [client.call('POST', '/api/v1/jobs', {'playbook': 'sleep.yml'})['job_id'] for _w in range(stacks.WORKERS)]
        deadline = time.monotonic() + 60
        while any(client.call('GET', f'/api/v1/jobs/{j}')['status'] != 'running' for j in held):
            if time.monotonic() > deadline:
                sys.exit(f'{stack.name}: the sleep.yml jobs did not all start')
            time.sleep(0.02)
        post(stack.base, stack.token, 200)  # warm-up: connections, the first pages of the store
        posts = post(stack.base, stack.token, n_posts)
        # The drain runs what the two loads queued, minus nothing: time it over exactly n_drain
        # jobs by queuing the difference (or measuring what is there when it is more).
        queued = 200 + n_posts
        if queued < n_drain:
            post(stack.base, stack.token, n_drain - queued)
            queued = n_drain
        t0 = time.monotonic()
        for j in held:
            client.call('POST', f'/api/v1/jobs/{j}/cancel')
        while not client.idle():
            if time.monotonic() - t0 > 600:
                sys.exit(f'{stack.name}: jobs still pending or running after 600 s')
            time.sleep(0.01)
        drain = queued / (time.monotonic() - t0)
        failed = client.call('GET', '/api/v1/jobs?status=failed&limit=1')['jobs']
        if failed:
            sys.exit(f'{stack.name}: a stub job failed: {failed[0]}')
        client.close()
        return posts, drain
    finally:
        stack.stop()


def measure(reps=3, quick=False):
    n_posts, n_drain = (1000, 1200) if quick else (4000, 4200)
    runs = []
    with tempfile.TemporaryDirectory(prefix='bench-ceilings-') as d:
        tmp = pathlib.Path(d)
        proj = tmp / 'project'
        proj.mkdir()
        (proj / 'hello.yml').write_text(HELLO)
        (proj / 'sleep.yml').write_text('# stub-sleep: 600\n' + HELLO)
        redis = stacks.Redis(tmp)
        try:
            for _rep in range(reps):
                run = {'http': http_ceiling(n_posts)}
                run['emb_posts'], run['emb_drain'] = ours(tmp, proj, None, n_posts, n_drain)
                run['stub'] = stub_alone(proj, n_drain)
                run['redis_posts'], run['redis_drain'] = ours(tmp, proj, redis, n_posts, n_drain)
                runs.append(run)
                print(f'rep: {json.dumps({k: round(v) for k, v in run.items()})}', file=sys.stderr)
        finally:
            redis.stop()
    return rows(runs, n_posts, n_drain)


def rows(runs, n_posts, n_drain):
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    # The ratio of each rep against its own ceiling, then the median: a rep on a busier machine
    # lowers both.
    ratio = {k: statistics.median(r[k] / r['http' if k.endswith('posts') else 'stub'] for r in runs)
             for k in ('emb_posts', 'redis_posts', 'emb_drain', 'redis_drain')}
    http = 'trivial axum handler, same loadgen'
    stub = f'the stub alone, {stacks.WORKERS} at a time'

    def row(what, key, ceiling, anchor):
        goal = f'>= 0.50 of the ceiling: {"met" if ratio[key] >= 0.5 else "NOT met"} (median of per-rep ratios {ratio[key]:.2f})'
        return Row(SECTION, what, round(med[key]), round(med[ceiling]), anchor, unit='/s', goal=goal)

    def same(what, key):
        emb, red = ratio[f'emb_{key}'], ratio[f'redis_{key}']
        return Row(SECTION, what, round(emb, 2), round(red, 2), 'on Redis', unit='',
                   goal=f'embedded >= Redis: {"met" if emb >= red * 0.95 else "NOT met"} (within 5 % noise)')

    posts = f'submissions/s, {n_posts:,} POSTs at {CLIENTS} clients, workers held'
    drain = f'drain jobs/s, {n_drain:,} queued stub jobs, {stacks.WORKERS} workers'
    return [
        row(f'{posts}, embedded', 'emb_posts', 'http', http),
        row(f'{posts}, Redis', 'redis_posts', 'http', http),
        row(f'{drain}, embedded', 'emb_drain', 'stub', stub),
        row(f'{drain}, Redis', 'redis_drain', 'stub', stub),
        same('submissions: ratio to the ceiling, embedded vs Redis', 'posts'),
        same('drain: ratio to the ceiling, embedded vs Redis', 'drain'),
    ]


def main():
    global SERVICE  # pylint: disable=global-statement
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='1 rep, fewer requests')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--service', type=pathlib.Path, default=SERVICE)
    args = ap.parse_args()
    SERVICE = args.service
    print(table(measure(reps=1 if args.quick else args.reps, quick=args.quick)))


if __name__ == '__main__':
    main()
