# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""What every benchmark shares: a result row and the table that shows rows side by side."""

from __future__ import annotations

import dataclasses
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = REPO / '.venv' / 'bin'
INVENTORY = REPO / 'tests' / '.work' / 'sshd' / 'inventory.ini'
HOST_BIN = REPO / 'bin' / 'linux-x86_64'


@dataclasses.dataclass
class Row:
    section: str
    what: str
    ours: float
    anchor: float | None
    anchor_name: str
    unit: str = 'ms'
    goal: str = ''
    # ratio = ours / anchor unless the goal is stated as "faster by", then anchor / ours.
    faster_by: bool = False

    def ratio(self):
        if not self.anchor:
            return None
        return self.anchor / self.ours if self.faster_by else self.ours / self.anchor

    def ratio_text(self):
        r = self.ratio()
        if r is None:
            return '-'
        if self.faster_by:
            return f'{r:.1f}x faster'
        return f'{r:.2f}' if r >= 0.01 else f'{r:.4f}'


def fmt(value, unit):
    if value is None:
        return '-'
    if unit == 'ms':
        return f'{value * 1000:.1f} ms' if value >= 0.01 else f'{value * 1000:.2f} ms'
    if unit == 'B':
        return f'{value:,.0f} B'
    return f'{value:g} {unit}'


def table(rows):
    """Markdown: one line per measurement, ours beside its anchor."""
    lines = ['| measurement | ours | anchor | ratio (ours / anchor) | goal |', '|---|---|---|---|---|']
    for r in rows:
        anchor = f'{fmt(r.anchor, r.unit)} ({r.anchor_name})' if r.anchor is not None else r.anchor_name or '-'
        lines.append(f'| {r.section}: {r.what} | {fmt(r.ours, r.unit)} | {anchor} | {r.ratio_text()} | {r.goal} |')
    return '\n'.join(lines)
