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

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = REPO / '.venv' / 'bin'
INVENTORY = REPO / 'tests' / '.work' / 'sshd' / 'inventory.ini'


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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('-n', type=int, default=10, help='calls of each kind per run')
    args = ap.parse_args()
    runs = []
    for _rep in range(args.reps):
        with tempfile.TemporaryDirectory() as d:
            runs.append(one_run(args.n, pathlib.Path(d)))
    med = [statistics.median(r[i] for r in runs) for i in range(4)]
    print(f'job records, filesystem, per call (median of {args.reps} runs of {args.n} calls each)')
    print(f"{'operation':<8} {'role':>10} {'builtin steps':>14} {'role/builtin':>13}")
    print(f"{'save':<8} {med[0] * 1000:>7.1f} ms {med[1] * 1000:>11.1f} ms {med[0] / med[1]:>13.2f}")
    print(f"{'load':<8} {med[2] * 1000:>7.1f} ms {med[3] * 1000:>11.1f} ms {med[2] / med[3]:>13.2f}")


if __name__ == '__main__':
    main()
