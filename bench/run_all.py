# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""`make bench`: every benchmark side by side in one run; prints the table and writes
docs/performance.md with it, the machine it ran on and how to reproduce it."""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import ceilings  # noqa: E402  pylint: disable=wrong-import-position
import job_inventory  # noqa: E402  pylint: disable=wrong-import-position
import module_alone  # noqa: E402  pylint: disable=wrong-import-position
import oci  # noqa: E402  pylint: disable=wrong-import-position
import poll_cost  # noqa: E402  pylint: disable=wrong-import-position
import records  # noqa: E402  pylint: disable=wrong-import-position
import service  # noqa: E402  pylint: disable=wrong-import-position
import sizes  # noqa: E402  pylint: disable=wrong-import-position
import versus_seed  # noqa: E402  pylint: disable=wrong-import-position
import wait_latency  # noqa: E402  pylint: disable=wrong-import-position
from common import BIN, REPO, table  # noqa: E402  pylint: disable=wrong-import-position

NOTES = REPO / 'bench' / 'performance-notes.md'


def machine():
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo', encoding='utf-8')
                if line.startswith('model name')), platform.machine())
    mem = next((line.split(':', 1)[1].strip() for line in open('/proc/meminfo', encoding='utf-8')
                if line.startswith('MemTotal')), '?')
    core = subprocess.run([str(BIN / 'ansible'), '--version'], capture_output=True, text=True, check=False)
    rustc = subprocess.run(['rustc', '--version'], capture_output=True, text=True, check=False)
    return [f'- CPU: {cpu}, {os.cpu_count()} cores; memory {mem}',
            f'- Kernel: {platform.system()} {platform.release()}; Python {platform.python_version()}',
            f'- {core.stdout.splitlines()[0] if core.stdout else "ansible-core ?"}; {rustc.stdout.strip()}']


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--quick', action='store_true', help='fewer repetitions, for trying the harness')
    args = ap.parse_args()
    q = args.quick
    t0 = time.monotonic()
    rows = []
    rows += poll_cost.measure(reps=1 if q else 3)
    rows += wait_latency.measure(runs=2 if q else 5, window=60 if q else 120)
    rows += module_alone.measure(reps=50 if q else 1000, anchor_reps=5 if q else 30)
    rows += records.measure(reps=1 if q else 3, n=10)
    rows += job_inventory.measure(reps=2 if q else 7)
    rows += oci.measure(reps=3 if q else 10)
    seed_rows, seed = versus_seed.measure(quick=q)
    rows += service.measure(reps=1 if q else 5, quick=q, seed=seed)
    rows += seed_rows
    rows += ceilings.measure(reps=1 if q else 3, quick=q)
    rows += sizes.measure()
    elapsed = time.monotonic() - t0
    text = table(rows)
    print(text)
    print(f'\n(took {elapsed:.0f} s)')
    if q:
        return
    doc = ['# Performance', '',
           f'Measured by `make bench` on {datetime.date.today().isoformat()}, in one run of {elapsed / 60:.1f} min. '
           'Times are medians; every "ours" sits beside its anchor, measured in the same run, interleaved '
           'where the harness allows.', '',
           '## Machine', '', *machine(), '',
           '## Results', '', text, '',
           NOTES.read_text().strip(), '']
    (REPO / 'docs' / 'performance.md').write_text('\n'.join(doc))
    print('wrote docs/performance.md')


if __name__ == '__main__':
    main()
