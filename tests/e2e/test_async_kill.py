# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_kill through real ansible-playbook, on both targets: no process of the job survives."""

from __future__ import annotations

import uuid

from conftest import kill_all, playbook, processes_matching, wait_until


def test_kill_leaves_no_process_of_the_job(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        run = playbook('kill.yml', target, tmp_path, name=name, marker=marker)
        assert run.rc == 0, run
        pids = {s['pid'] for s in run.out['killed']['signalled']}
        assert wait_until(lambda: not processes_matching(marker), timeout=5), processes_matching(marker)
        # Every signalled process is gone from /proc, setsid'd grandchild included.
        assert wait_until(lambda: not [p for p in pids if _alive(p)], timeout=5)
    finally:
        kill_all(marker)


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat', encoding='utf-8') as f:
            return f.read().rsplit(')', 1)[1].split()[0] not in ('Z', 'X')
    except OSError:
        return False
