# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Job records on the filesystem: one async_job_save / async_job_load role call vs the same steps
done with builtin tasks, as the old roles did them (save: file + file + copy; load: stat + slurp +
from_json). Both kinds run in the same playbook run; each figure is per call, median of --reps runs."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import BIN, INVENTORY, REPO, Row, table  # noqa: E402  pylint: disable=wrong-import-position


def one_run(n, tmp):
    out = tmp / 'times.json'
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.collections'))
    cmd = [str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(REPO / 'bench/playbooks/records.yml'),
           '-e', json.dumps({'n': n, 'records_dir': str(tmp / 'records'), 'out_file': str(out)})]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(tmp), check=False)
    if r.returncode != 0:
        sys.exit(r.stdout[-3000:])
    t = [float(x) for x in json.loads(out.read_text())['t']]
    return [(t[i + 1] - t[i]) / n for i in range(4)]


def measure(reps=3, n=10):
    runs = []
    for _rep in range(reps):
        with tempfile.TemporaryDirectory() as d:
            runs.append(one_run(n, pathlib.Path(d)))
    med = [statistics.median(r[i] for r in runs) for i in range(4)]
    return [Row('records, filesystem', 'save, one role call', med[0], med[1], 'file + file + copy'),
            Row('records, filesystem', 'load, one role call', med[2], med[3], 'stat + slurp + from_json')]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('-n', type=int, default=10, help='calls of each kind per run')
    args = ap.parse_args()
    print(table(measure(args.reps, args.n)))


if __name__ == '__main__':
    main()
