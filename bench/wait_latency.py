# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Waiting for a job: how late the wait returns after the job's end, and how many round trips a
long wait costs. Ours (async_status_id `wait`, async_wait's held waits) vs the builtin
async_status in an until loop with delay 5.

Latency: the job's own `end` (the command module's timestamp, taken on the host) to the moment
the controller has the wait task's result (a callback, bench/callbacks/wait_clock.py, notes it),
from whole ansible-playbook runs. The job lengths are spread evenly
over one delay (2 to 7 s), so the builtin's late polls are sampled across their phase, as a real
job's end is: its median is about delay / 2.

Round trips: the `attempts` a wait reports (one module invocation each) over `window` seconds of
waiting for a job that outlives them, scaled to 10 minutes.
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import BIN, INVENTORY, REPO, Row, table  # noqa: E402  pylint: disable=wrong-import-position
from poll_cost import env  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOKS = REPO / 'bench' / 'playbooks'
MODULES = ('ours', 'builtin')
DELAY = 5
WHERE = {'localtarget': 'local', 'sshtarget': 'SSH + become'}


def playbook(book, tmp, **extra):
    out, clock = tmp / 'out.json', tmp / 'clock'
    out.unlink(missing_ok=True)
    clock.unlink(missing_ok=True)
    cmd = [str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(PLAYBOOKS / book),
           '-e', json.dumps(dict(extra, out_file=str(out)))]
    e = dict(env(tmp), ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'bench' / 'callbacks'),
             ANSIBLE_CALLBACKS_ENABLED='wait_clock', WAIT_CLOCK_FILE=str(clock))
    r = subprocess.run(cmd, env=e, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f'{book} {extra} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}')
    got = json.loads(out.read_text())
    if clock.exists():
        got['returned_at'] = clock.read_text()
    return got


def late(target, module, duration, tmp):
    got = playbook('wait_latency.yml', tmp, target=target, module=module, duration=duration)
    # `end` is the host's local time; the host is this machine (the test sshd runs here).
    end = datetime.datetime.strptime(got['end'], '%Y-%m-%d %H:%M:%S.%f').timestamp()
    return float(got['returned_at']) - end


def latency(target, runs, tmp):
    durations = [2 + DELAY * (i + 0.5) / runs for i in range(runs)]
    lates = {m: [] for m in MODULES}
    for d in durations:
        for m in MODULES:  # interleaved, so machine noise hits both alike
            lates[m].append(late(target, m, round(d, 2), tmp))
    return {m: statistics.median(v) for m, v in lates.items()}


def round_trips(target, window, tmp):
    per_10_min = {}
    for m in MODULES:
        got = playbook('wait_round_trips.yml', tmp, target=target, module=m, window=window)
        waited = float(got['returned_at']) - float(got['started_at'])
        per_10_min[m] = got['attempts'] * 600 / waited
    return per_10_min


def measure(runs=5, window=120, targets=('localtarget', 'sshtarget')):
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        for target in targets:
            p50 = latency(target, runs, tmp)
            rows.append(Row('waiting for a job', f"job's end -> the wait returns, p50 of {runs}, {WHERE[target]}",
                            p50['ours'], p50['builtin'], f'builtin async_status until, delay {DELAY}',
                            goal='<= 100 ms'))
        if window is None:
            return rows
        target = targets[-1]
        trips = round_trips(target, window, tmp)
        rows.append(Row('waiting for a job', f'round trips per 10 min of waiting ({window} s measured, scaled), '
                        f'{WHERE[target]}', trips['ours'], trips['builtin'],
                        f'builtin async_status until, delay {DELAY}', unit='round trips', goal='<= 10'))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--runs', type=int, default=5, help='latency runs per module and target')
    ap.add_argument('--window', type=int, default=120, help='seconds of waiting the round trips are counted over')
    ap.add_argument('--targets', default='localtarget,sshtarget')
    ap.add_argument('--quick', action='store_true', help='2 runs, a 60 s window')
    ap.add_argument('--no-round-trips', action='store_true', help='the latency rows only')
    args = ap.parse_args()
    runs, window = (2, 60) if args.quick else (args.runs, args.window)
    print(table(measure(runs, None if args.no_round_trips else window, tuple(args.targets.split(',')))))


if __name__ == '__main__':
    main()
