# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Sizes of the shipped binaries (stripped, static), against the goals: on-host modules at most
600 KB (600,000 bytes) each, the OCI-capable controller binaries at most 3 MB."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import REPO, Row, table  # noqa: E402  pylint: disable=wrong-import-position

# Every binary of the two module crates (cargo makes one of each src/bin/*.rs), as the tree has them.
HOST = tuple(sorted(p.stem for p in (REPO / 'crates' / 'host-modules' / 'src' / 'bin').glob('*.rs')))
CONTROLLER = tuple(sorted(p.stem for p in (REPO / 'crates' / 'controller-modules' / 'src' / 'bin').glob('*.rs')))
LIMITS = {name: 600_000 for name in HOST} | {name: 3_000_000 for name in CONTROLLER}


def measure():
    rows = []
    for plat in sorted(p.name for p in (REPO / 'binaries').iterdir() if p.is_dir()):
        for name in HOST + CONTROLLER:
            path = REPO / 'binaries' / plat / name
            if path.exists():
                size = path.stat().st_size
                verdict = 'met' if size <= LIMITS[name] else 'MISSED'
                rows.append(Row('binary size', f'{name}, {plat}', size, None, '', unit='B',
                                goal=f'<= {LIMITS[name]:,} B: {verdict}'))
    return rows


def main():
    print(table(measure()))


if __name__ == '__main__':
    main()
