# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The demo's playbooks (examples/), as `make demo` runs them, on both targets: a named job survives
a re-run and is started once."""

from __future__ import annotations

import subprocess

from conftest import BIN, INVENTORY, REPO, ansible_env

EXAMPLES = REPO / 'examples'


def _run(cmd, tmp_path):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_demo_named_job_survives_a_rerun(target, name, tmp_path):
    # The examples target the group `demo`; put this test's host in it, keeping its connection vars.
    # A name of its own, so that matrix runs in parallel never share the demo's job.
    groups = tmp_path / 'demo_group.ini'
    groups.write_text(f'[demo]\n{target}\n')
    inventory = ['-i', str(INVENTORY), '-i', str(groups), '-e', f'job_alias={name}']
    _run([str(BIN / 'ansible'), *inventory, 'demo', '-m', 'rstyczynski.ansible.async_status_id',
          '-a', f'alias={name} mode=full_cleanup'], tmp_path)
    first = _run([str(BIN / 'ansible-playbook'), *inventory, str(EXAMPLES / 'named_job.yml')], tmp_path)
    assert 'Started a NEW job' in first, first
    second = _run([str(BIN / 'ansible-playbook'), *inventory, str(EXAMPLES / 'named_job.yml')], tmp_path)
    assert 'NOT starting it again' in second, second
    assert 'Started a NEW job' not in second, second
    waited = _run([str(BIN / 'ansible-playbook'), *inventory, str(EXAMPLES / 'wait_job.yml')], tmp_path)
    assert 'migration done' in waited, waited
    # One held wait: the job's end is one task result, not a line per poll.
    assert 'FAILED - RETRYING' not in waited, waited


def test_demo_job_service(tmp_path):
    # The service's part of `make demo`, with this venv's ansible-playbook (the matrix runs it on
    # older ansible-core too, and with it the job_events callback); it exits non-zero when an
    # answer is not the one the demo shows.
    service = REPO / 'target' / 'service' / 'ansible-job-service'
    assert service.is_file(), f'{service} is missing: `make build` builds it'
    env = ansible_env()
    env['PATH'] = f"{BIN}:{env.get('PATH', '')}"
    proc = subprocess.run([str(BIN / 'python'), str(EXAMPLES / 'service' / 'demo.py'), str(service)],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Job service demo done' in proc.stdout, proc.stdout
    assert '"attached": true' in proc.stdout, proc.stdout
