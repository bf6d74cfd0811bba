# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The three stacks the job-service comparison starts, each behind the same seed API on one
redis-server: the seed's own (uvicorn + rq workers, bench/seed), ours on Redis (an API process +
`worker` processes) and ours embedded (one process). Each can say its summed RSS and kill -9 the
worker that runs a given job."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

from common import read_token

REPO = pathlib.Path(__file__).resolve().parents[1]
SEED_DIR = REPO / 'bench' / 'seed'
SEED_VENV = REPO / '.venv-seed'
STUB_DIR = REPO / 'bench' / 'stub'
WORKERS = 4


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def rss_mb(pids):
    """VmRSS summed over these processes and all their descendants."""
    seen, todo, total = set(), list(pids), 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = pathlib.Path(f'/proc/{pid}/status').read_text()
            children = pathlib.Path(f'/proc/{pid}/task/{pid}/children').read_text().split()
        except OSError:
            continue
        total += next((int(ln.split()[1]) for ln in status.splitlines() if ln.startswith('VmRSS:')), 0)
        todo += [int(c) for c in children]
    return total / 1024


def wait_http(port, proc, what, timeout=60, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = pathlib.Path(log).read_text(errors='replace')[-2000:] if log else ''
            sys.exit(f'{what} exited at start (rc {proc.returncode})\n{tail}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f'{what} did not listen on {port} within {timeout} s')


class Redis:
    def __init__(self, tmp):
        self.port = free_port()
        self.dir = tmp / f'redis-{self.port}'
        self.dir.mkdir()
        # Persistent, as ansible-job-service requires (it refuses a Redis that loses its data on
        # a restart) and as production runs it: both stacks write the same append-only file.
        self.proc = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1', '--dir', str(self.dir),
             '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], stdout=subprocess.DEVNULL)
        wait_http(self.port, self.proc, 'redis-server')
        self.url = f'redis://127.0.0.1:{self.port}'

    def cli(self, *args):
        r = subprocess.run(['redis-cli', '-p', str(self.port), *args], capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def flush(self):
        self.cli('FLUSHALL')

    def stop(self):
        self.proc.terminate()
        self.proc.wait(15)


class Stack:
    """Processes behind http://127.0.0.1:<port>; `workers` run the jobs."""

    name = ''

    def __init__(self):
        self.port = free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        self.api = None
        self.workers: list[subprocess.Popen] = []
        # The bearer token clients send; the seed's stack has no auth.
        self.token = None

    def pids(self):
        return [p.pid for p in [self.api, *self.workers] if p is not None and p.poll() is None]

    def stop(self):
        for p in [*self.workers, self.api]:
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in [*self.workers, self.api]:
            if p is not None:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Seed(Stack):
    name = "the seed's stack"

    def __init__(self, tmp, redis, proj):
        super().__init__()
        self.tmp, self.redis = tmp, redis
        self.env = dict(os.environ, REDIS_URL=redis.url + '/0', SEED_PROJECT_DIR=str(proj),
                        PATH=f'{STUB_DIR}:{SEED_VENV / "bin"}:{os.environ.get("PATH", "")}')
        log = (tmp / f'seed-api-{self.port}.log').open('wb')
        self.api = subprocess.Popen([str(SEED_VENV / 'bin' / 'uvicorn'), 'app:app', '--port', str(self.port),
                                     '--log-level', 'warning'], cwd=SEED_DIR, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT)
        log.close()
        wait_http(self.port, self.api, 'the seed API (uvicorn)')

    def start_workers(self, n=WORKERS):
        for i in range(n):
            log = (self.tmp / f'seed-rq-{self.port}-{i}.log').open('wb')
            self.workers.append(subprocess.Popen(
                [str(SEED_VENV / 'bin' / 'rq'), 'worker', '-q', '-u', self.redis.url + '/0', 'ansible'],
                cwd=SEED_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        time.sleep(2)  # rq workers print nothing when ready; they register within a second here

    def kill_worker_of(self, job_id):
        """kill -9 of the rq worker that took this job, and of its work-horse: as a machine
        that died would leave them. rq's own records say which worker that is."""
        name = self.redis.cli('HGET', f'rq:job:{job_id}', 'worker_name')
        pid = int(self.redis.cli('HGET', f'rq:worker:{name}', 'pid') or 0)
        worker = next((w for w in self.workers if w.pid == pid), None)
        if worker is None:
            sys.exit(f'no rq worker of ours runs {job_id} (rq says {name!r}, pid {pid})')
        doomed = descendants(pid)
        worker.kill()
        for child in doomed:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.wait()


def descendants(pid):
    out = []
    try:
        for child in pathlib.Path(f'/proc/{pid}/task/{pid}/children').read_text().split():
            out += [int(child), *descendants(int(child))]
    except OSError:
        pass
    return out


class Ours(Stack):
    """`serve` on Redis with no workers of its own + WORKERS `worker` processes (one run each, as
    the seed's rq workers); or embedded: `serve --workers WORKERS`, one process."""

    def __init__(self, tmp, service_bin, proj, redis=None):
        super().__init__()
        self.name = 'ours, Redis' if redis else 'ours, embedded'
        self.tmp, self.bin, self.proj, self.redis = tmp, service_bin, proj, redis
        data = tmp / f'data-{self.port}'
        args = [str(service_bin), 'serve', '--project-dir', str(proj), '--data-dir', str(data),
                '--listen', f'127.0.0.1:{self.port}', '--ansible-playbook', str(STUB_DIR / 'ansible-playbook')]
        args += ['--redis-url', redis.url, '--workers', '0'] if redis else ['--workers', str(WORKERS)]
        log = (tmp / f'ours-api-{self.port}.log').open('wb')
        self.api = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.log = log.name
        # The default, as users run it: a generated token, checked on every request (the seed
        # checks none, so ours does a little more work per request).
        wait_http(self.port, self.api, 'ansible-job-service serve', log=self.log)
        self.token = read_token(data, self.api)

    def start_workers(self, n=WORKERS):
        if self.redis is None:
            return
        for i in range(n):
            log = (self.tmp / f'ours-worker-{self.port}-{i}.log').open('wb')
            self.workers.append(subprocess.Popen(
                [str(self.bin), 'worker', '--redis-url', self.redis.url, '--project-dir', str(self.proj),
                 '--data-dir', str(self.tmp / f'wdata-{self.port}-{i}'), '--concurrency', '1',
                 '--name', f'w{i}', '--ansible-playbook', str(STUB_DIR / 'ansible-playbook')],
                stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + 30
        while not all('ready' in (self.tmp / f'ours-worker-{self.port}-{i}.log').read_text() for i in range(n)):
            if time.monotonic() > deadline:
                sys.exit('ansible-job-service worker did not start')
            time.sleep(0.05)

    def kill_worker_of(self, job):
        name = job['worker'].split(':')[0]
        victim = self.workers[int(name[1:])]
        victim.kill()
        victim.wait()
