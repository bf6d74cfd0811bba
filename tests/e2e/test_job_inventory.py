# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_job_info and async_prune through real ansible-playbook, on connection local and over
SSH+become (the become user's async dir): listing, filters, check mode, prune, idempotence, and
full_cleanup's removal of claim files (tests/e2e/playbooks/inventory.yml asserts each)."""

from __future__ import annotations

import random

from conftest import kill_all, playbook


def test_inventory_and_prune(target, name, tmp_path):
    # `sleep 120.<digits>`: a command line no other test's process has, to kill if the run fails.
    marker = str(random.randrange(10**8, 10**9))
    try:
        run = playbook('inventory.yml', target, tmp_path, name=name, marker=marker)
        assert run.rc == 0, run
        # The listing saw the three jobs; the prune took exactly the two ended ones.
        assert run.out['info']['count'] == 3
        assert sorted(j['state'] for j in run.out['pruned']['jobs']) == ['failed', 'finished']
    finally:
        kill_all(f'sleep 120.{marker}')
