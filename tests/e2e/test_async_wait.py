# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""async_wait through real ansible-playbook, on both targets."""

from __future__ import annotations

import os
import signal
import time
import uuid

from conftest import kill_all, playbook, start_running_job, wrapper_runner_pid


def test_waits_fails_fast_and_cleans_up(target, name, tmp_path):
    run = playbook('wait.yml', target, tmp_path, name=name)
    assert run.rc == 0, run
    assert run.out['elapsed'] < 10, run.out['elapsed']


def test_dead_wrapper_fails_at_the_first_poll(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        jid = start_running_job(target, tmp_path, name, marker)
        os.kill(wrapper_runner_pid(jid), signal.SIGKILL)
        t0 = time.monotonic()
        run = playbook('wait_alias.yml', target, tmp_path, alias=name)
        waited = run.out['waited']
        assert waited['failed'] is True and waited['pid_missing'] is True, run
        assert waited['attempts'] == 1
        assert time.monotonic() - t0 < 30
    finally:
        kill_all(marker)
        playbook('status.yml', target, tmp_path, alias=name, mode='full_cleanup')


def test_tutorial_patterns_with_our_modules(target, tmp_path):
    """ansible-async-patterns.md: fire-and-forget, check later, several async tasks in a loop."""
    run = playbook('tutorial_patterns.yml', target, tmp_path)
    assert run.rc == 0, run
    assert 'Backup finished with return code: 0' in run.stdout
