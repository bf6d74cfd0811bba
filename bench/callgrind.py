# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Instructions per request and per drained job, counted by valgrind's callgrind: the machine's
load changes wall-clock rates threefold between runs, but not how many instructions a request
costs. User-space instructions only; the kernel's share (fork, fsync, socket calls) is counted
in syscalls by `strace -c`, see docs/performance.md.

- submissions: the service (embedded, every worker held by a sleep.yml job) and bench/ceiling
  (a trivial axum handler) each under callgrind; counters zeroed, N POSTs from bench/loadgen,
  counters dumped; then the same wall time idle, dumped again. Per request = (load − idle) / N.
- drain: the service with N stub jobs queued behind the held workers; counters zeroed, the
  holders canceled, dumped when the queue is empty. Per job = that / N.

Needs binaries with symbols (the service profile strips them):

    CARGO_PROFILE_SERVICE_STRIP=false cargo build --profile service --locked \\
        --bin ansible-job-service --bin ceiling --bin loadgen --target-dir target/prof
    .venv/bin/python bench/callgrind.py [--n 2000] [--drain 300] [--out DIR]

The dumps stay in --out for `callgrind_annotate --inclusive=yes`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import stacks  # noqa: E402  pylint: disable=wrong-import-position
from common import REPO, JsonClient, auth_header, read_token  # noqa: E402  pylint: disable=wrong-import-position

PROF = REPO / 'target' / 'prof' / 'service'
HELLO = '- name: Hello\n  hosts: all\n  connection: local\n  gather_facts: false\n  tasks: []\n'
BODY = json.dumps({'playbook': 'hello.yml'})
CLIENTS = 16


def grind(cmd, out, tag):
    """cmd under callgrind, counters off until the first zero; returns the Popen."""
    vg = ['valgrind', '--tool=callgrind', f'--callgrind-out-file={out}/{tag}.%p', '--dump-instr=no',
          '--collect-atstart=yes', '--separate-threads=no', '--trace-children=no']
    log = (out / f'{tag}.log').open('wb')
    return subprocess.Popen(vg + cmd, stdout=log, stderr=subprocess.STDOUT)


def control(pid, what):
    subprocess.run(['callgrind_control', what, str(pid)], check=True, capture_output=True)


def dumped_instructions(out, tag, pid, part):
    """Ir of dump `part` (1-based) of that process."""
    path = out / f'{tag}.{pid}.{part}'
    for _attempt in range(200):
        if path.exists():
            text = path.read_text(errors='replace')
            m = re.search(r'^summary: (\d+)', text, re.M) or re.search(r'^totals: (\d+)', text, re.M)
            if m:
                return int(m.group(1))
        time.sleep(0.1)
    sys.exit(f'no callgrind dump {path}')


def loadgen(url, token, n):
    r = subprocess.run([str(PROF / 'loadgen'), 'post', url, *auth_header(token), '--body', BODY,
                        '--n', str(n), '--clients', str(CLIENTS)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f'loadgen: {r.stderr}')
    out = json.loads(r.stdout)
    if out['accepted'] != n:
        sys.exit(f'{n} POSTs, {out["accepted"]} accepted: {out["statuses"]} {out["last_error"]}')
    return out


def per_request(proc, out, tag, url, token, n):
    """(instructions per request net of idle, load Ir, idle Ir)."""
    loadgen(url, token, 50)  # warm-up: connections, first pages
    control(proc.pid, '-z')
    t0 = time.monotonic()
    loadgen(url, token, n)
    took = time.monotonic() - t0
    control(proc.pid, '-d')
    load = dumped_instructions(out, tag, proc.pid, 1)
    control(proc.pid, '-z')
    time.sleep(took)
    control(proc.pid, '-d')
    idle = dumped_instructions(out, tag, proc.pid, 2)
    return (load - idle) / n, load, idle, took


def ceiling(out, n):
    port = stacks.free_port()
    proc = grind([str(PROF / 'ceiling'), f'127.0.0.1:{port}'], out, 'ceiling')
    try:
        stacks.wait_http(port, proc, 'ceiling', timeout=120)
        return per_request(proc, out, 'ceiling', f'http://127.0.0.1:{port}/api/v1/jobs', 'x' * 43, n)
    finally:
        proc.terminate()
        proc.wait(60)


class Client(JsonClient):
    def call(self, method, path, body=None):
        status, answer = self.request(method, path, body)
        if status not in (200, 202):
            sys.exit(f'{method} {path}: {status} {str(answer)[:300]}')
        return answer

    def live(self):
        return sum(len(self.call('GET', f'/api/v1/jobs?status={s}&limit=1')['jobs']) for s in ('pending', 'running'))


def service(out, tmp, n, drain):
    proj = tmp / 'project'
    proj.mkdir()
    (proj / 'hello.yml').write_text(HELLO)
    (proj / 'sleep.yml').write_text('# stub-sleep: 600\n' + HELLO)
    port = stacks.free_port()
    data = tmp / 'data'
    cmd = [str(PROF / 'ansible-job-service'), 'serve', '--project-dir', str(proj), '--data-dir', str(data),
           '--listen', f'127.0.0.1:{port}', '--ansible-playbook', str(stacks.STUB_DIR / 'ansible-playbook'),
           '--workers', str(stacks.WORKERS)]
    proc = grind(cmd, out, 'service')
    try:
        stacks.wait_http(port, proc, 'ansible-job-service', timeout=120)
        token = read_token(data, proc, deadline_s=120)
        client = Client(port, token=token)
        held = [client.call('POST', '/api/v1/jobs', {'playbook': 'sleep.yml'})['job_id'] for _slot in range(stacks.WORKERS)]
        deadline = time.monotonic() + 120
        while any(client.call('GET', f'/api/v1/jobs/{j}')['status'] != 'running' for j in held):
            if time.monotonic() > deadline:
                sys.exit('the sleep.yml jobs did not all start')
            time.sleep(0.2)
        url = f'http://127.0.0.1:{port}/api/v1/jobs'
        submit = per_request(proc, out, 'service', url, token, n)
        # Every job POSTed so far is queued behind the holders, and all of them drain.
        if drain:
            loadgen(url, token, drain)
        queued = n + 50 + drain
        client.close()  # idle past --idle-timeout under valgrind: a fresh connection
        client = Client(port, token=token)
        control(proc.pid, '-z')
        t0 = time.monotonic()
        for j in held:
            client.call('POST', f'/api/v1/jobs/{j}/cancel')
        while client.live():
            time.sleep(0.5)
        took = time.monotonic() - t0
        control(proc.pid, '-d')
        drained = dumped_instructions(out, 'service', proc.pid, 3)
        client.close()
        return submit, (drained / queued, drained, queued, took)
    finally:
        proc.terminate()
        proc.wait(120)


def main():
    global PROF  # pylint: disable=global-statement
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=2000)
    ap.add_argument('--drain', type=int, default=0, help='extra stub jobs queued for the drain')
    ap.add_argument('--bin-dir', type=pathlib.Path, default=PROF)
    ap.add_argument('--out', type=pathlib.Path)
    args = ap.parse_args()
    PROF = args.bin_dir
    out = args.out or pathlib.Path(tempfile.mkdtemp(prefix='callgrind-'))
    out.mkdir(parents=True, exist_ok=True)
    c = ceiling(out, args.n)
    with tempfile.TemporaryDirectory(prefix='callgrind-svc-') as d:
        s, dr = service(out, pathlib.Path(d), args.n, args.drain)
    print(f'dumps in {out}')
    print(f'ceiling: {c[0]:,.0f} instructions/request (load {c[1]:,}, idle {c[2]:,}, {c[3]:.1f} s)')
    print(f'service: {s[0]:,.0f} instructions/request (load {s[1]:,}, idle {s[2]:,}, {s[3]:.1f} s)')
    print(f'ratio: {s[0] / c[0]:.2f}')
    print(f'drain: {dr[0]:,.0f} instructions/job ({dr[1]:,} over {dr[2]} jobs, {dr[3]:.1f} s)')


if __name__ == '__main__':
    main()
