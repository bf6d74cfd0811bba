# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The status module alone: the binary run directly with an args file, as Ansible runs it on a
target, in async dirs of 1, 100, 1,000 and 10,000 jobs (each job also has an alias).

Anchor: ansible-core's own async_status module run the same way (python -m, args file). Each
invocation is one posix_spawn + wait from this process; the spawn of /bin/true is shown as the
floor that the harness itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import BIN, HOST_BIN, REPO, Row, table  # noqa: E402  pylint: disable=wrong-import-position

FINISHED = (REPO / 'crates' / 'jobs' / 'fixtures' / 'finished_2.19.json').read_text()
RUNNING = (REPO / 'crates' / 'jobs' / 'fixtures' / 'started_2.19.json').read_text()
SIZES = (1, 100, 1000, 10000)


def spawn(argv, ok_codes=()):
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _pid, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, *ok_codes):
        sys.exit(f'{argv} failed')
    return elapsed


def make_dir(root, n):
    d = root / f'jobs-{n}'
    d.mkdir()
    for i in range(n):
        (d / f'j{i}.1').write_text(FINISHED)
        os.symlink(f'j{i}.1', d / f'jid_a{i}')
    # Unfinished and no wrapper: every status scans /proc (and fails with pid_missing, exit 1).
    (d / 'j999999.1').write_text(RUNNING)
    return d


def args_file(root, name, data):
    path = root / f'{name}.json'
    path.write_text(json.dumps(data))
    return str(path)


def median_of(reps, argv, before=None, ok_codes=()):
    times = []
    for _rep in range(reps):
        if before:
            before()
        times.append(spawn(argv, ok_codes))
    return statistics.median(times)


def measure(reps, anchor_reps):
    ours = str(HOST_BIN / 'async_status_id')
    python = str(BIN / 'python')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        floor = median_of(reps, ['/bin/true'])
        rows.append(Row('module alone', 'spawn of /bin/true (dynamically linked; the harness itself)', floor, None, ''))
        for n in SIZES:
            d = make_dir(root, n)
            last = n - 1
            by_jid = args_file(root, f'jid-{n}', {'jid': f'j{last}.1', '_async_dir': str(d)})
            by_alias = args_file(root, f'alias-{n}', {'alias': f'a{last}', '_async_dir': str(d)})
            running = args_file(root, f'run-{n}', {'jid': 'j999999.1', '_async_dir': str(d)})
            cleanup = args_file(root, f'clean-{n}', {'jid': f'j{last}.1', 'mode': 'full_cleanup', '_async_dir': str(d)})

            def restore(d=d, last=last):
                (d / f'j{last}.1').write_text(FINISHED)
                if not os.path.lexists(d / f'jid_a{last}'):
                    os.symlink(f'j{last}.1', d / f'jid_a{last}')

            builtin = args_file(root, f'builtin-{n}', {'ANSIBLE_MODULE_ARGS': {'jid': f'j{last}.1', '_async_dir': str(d)}})
            builtin_clean = args_file(root, f'builtin-clean-{n}', {'ANSIBLE_MODULE_ARGS': {
                'jid': f'j{last}.1', 'mode': 'cleanup', '_async_dir': str(d)}})
            anchor = median_of(anchor_reps, [python, '-m', 'ansible.modules.async_status', builtin])
            anchor_clean = median_of(anchor_reps, [python, '-m', 'ansible.modules.async_status', builtin_clean], restore)
            restore()
            label = f'{n:,} job' + ('' if n == 1 else 's')
            rows.append(Row('module alone', f'status by jid, {label}', median_of(reps, [ours, by_jid]), anchor,
                            'builtin async_status', goal='< 2 ms', faster_by=True))
            rows.append(Row('module alone', f'status by alias, {label}', median_of(reps, [ours, by_alias]), anchor,
                            'builtin by jid; it has no alias', goal='< 2 ms', faster_by=True))
            rows.append(Row('module alone', f'status of an unfinished job (/proc scan), {label}',
                            median_of(reps, [ours, running], ok_codes=(1,)), anchor, 'builtin async_status',
                            goal='< 2 ms', faster_by=True))
            rows.append(Row('module alone', f'full_cleanup, {label}', median_of(reps, [ours, cleanup], restore),
                            anchor_clean, 'builtin mode=cleanup (job file only)',
                            goal='< 50 ms' if n == 10000 else '', faster_by=True))
            shutil.rmtree(d)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=1000)
    ap.add_argument('--anchor-reps', type=int, default=30)
    args = ap.parse_args()
    print(table(measure(args.reps, args.anchor_reps)))


if __name__ == '__main__':
    main()
