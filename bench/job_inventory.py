# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_job_info and async_prune on an async dir of N job files (default 10,000), the binaries run
directly on this host with a JSON args file, as on a managed host. Anchors: what an operator does
today, `find` for the job files and Python's json.load of each (the inventory), `find -delete` (the
prune, which removes blindly, running jobs included). Each figure is the median of --reps runs."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import HOST_BIN, Row, table  # noqa: E402  pylint: disable=wrong-import-position

# What the command module's result looks like in a job file (ansible-core 2.19), small output.
FINISHED = {'changed': True, 'stdout': 'hi', 'stderr': '', 'rc': 0, 'cmd': 'echo hi',
            'start': '2026-12-07 10:00:00.000001', 'end': '2026-12-07 10:00:00.010001',
            'delta': '0:00:00.010000', 'msg': '',
            'invocation': {'module_args': {'_raw_params': 'echo hi', '_uses_shell': True}}}

ANCHOR_INVENTORY = r'''
import json, subprocess, sys
out = subprocess.run(["find", sys.argv[1], "-maxdepth", "1", "-type", "f", "-name", "j*"],
                     capture_output=True, text=True, check=True).stdout.split()
jobs = []
for path in out:
    with open(path) as f:
        jobs.append(json.load(f))
print(len(jobs))
'''


def fill(d, n):
    """n ended jobs: two in three finished, one in three failed; one in ten named. An hour old."""
    d.mkdir(parents=True, exist_ok=True)
    failed = dict(FINISHED, rc=1, failed=True)
    texts = (json.dumps(FINISHED), json.dumps(failed))
    old = time.time() - 3600
    for i in range(n):
        jid = 'j%012d.%d' % (100000000000 + i, 1000 + i)
        path = d / jid
        path.write_text(texts[i % 3 == 0])
        os.utime(path, (old, old))
        if i % 10 == 0:
            os.symlink(jid, d / ('jid_job%d' % i))


def cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def run_binary(name, args):
    """Wall time, CPU time (user + system, every thread), and the result."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(args, f)
    try:
        c0, t0 = cpu(), time.perf_counter()
        r = subprocess.run([str(HOST_BIN / name), f.name], capture_output=True, text=True, check=False)
        took, cpu_took = time.perf_counter() - t0, cpu() - c0
    finally:
        os.unlink(f.name)
    result = json.loads(r.stdout)
    if result.get('failed'):
        sys.exit(f'{name}: {result.get("msg")}')
    return took, cpu_took, result


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - t0


def measure(reps=5, n=10_000):
    info, info_anchor, prune, prune_anchor, info_cpu, prune_cpu = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = pathlib.Path(tmp)
        listed = base / 'listed'
        fill(listed, n)
        for _rep in range(reps):
            took, cpu_took, result = run_binary('async_job_info', {'_async_dir': str(listed)})
            info_cpu.append(cpu_took)
            if result['count'] != n:
                sys.exit(f'async_job_info listed {result["count"]} jobs of {n}')
            info.append(took)
            info_anchor.append(timed([sys.executable, '-c', ANCHOR_INVENTORY, str(listed)]))
        for rep in range(reps):
            ours, theirs = base / f'p{rep}', base / f'a{rep}'
            fill(ours, n)
            fill(theirs, n)
            took, cpu_took, result = run_binary('async_prune', {'_async_dir': str(ours), 'older_than': '30m'})
            prune_cpu.append(cpu_took)
            if len(result['jobs']) != n:
                sys.exit(f'async_prune removed {len(result["jobs"])} jobs of {n}')
            prune.append(took)
            prune_anchor.append(timed(['find', str(theirs), '-mindepth', '1', '-maxdepth', '1', '-mmin', '+30',
                                       '-delete']))
            shutil.rmtree(ours, ignore_errors=True)
            shutil.rmtree(theirs, ignore_errors=True)
    med = statistics.median
    return [Row('job inventory', f'async_job_info, {n:,} jobs, on the host', med(info), med(info_anchor),
                'find + Python json.load of each file', goal='< 50 ms'),
            Row('job inventory', f'async_prune, {n:,} ended jobs, on the host', med(prune), med(prune_anchor),
                'find -mmin -delete, blind', goal='< 1 s'),
            # On a busy machine the wall time includes waiting for a CPU; this is the work itself.
            Row('job inventory', f'async_job_info, {n:,} jobs, CPU time (user + system)', med(info_cpu), None, '-'),
            Row('job inventory', f'async_prune, {n:,} ended jobs, CPU time (user + system)', med(prune_cpu), None,
                '-')]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('-n', type=int, default=10_000, help='jobs in the async dir')
    args = ap.parse_args()
    print(table(measure(args.reps, args.n)))


if __name__ == '__main__':
    main()
