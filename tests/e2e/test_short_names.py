# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The original design's examples call the modules by their short names (`async_status_id:
alias="blah"`). They run once the play lists the collection (`collections:
[rstyczynski.ansible]`, README "Short names"), on connection local and over SSH+become, and fail
with ansible-core's "couldn't resolve module/action" without it."""

from __future__ import annotations

import json
import re
import subprocess
import uuid

from conftest import BIN, INVENTORY, PLAYBOOKS, ansible_env

BOOK = PLAYBOOKS / 'seed_short_names.yml'


def run(book, target, tmp_path):
    out = tmp_path / f'out-{target}.json'
    # A fresh async dir of the target user's: the examples' fixed alias `blah` meets no other test's.
    extra = {'target': target, 'out_file': str(out), 'ansible_async_dir': f'~/.ansible_async_short_{uuid.uuid4().hex[:8]}'}
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(book), '-e', json.dumps(extra)],
                          capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), timeout=600,
                          check=False)
    return proc, (json.loads(out.read_text()) if out.exists() else None), extra['ansible_async_dir']


def test_short_names_run_with_the_collection_listed(target, tmp_path):
    proc, status, async_dir = run(BOOK, target, tmp_path)
    try:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        assert re.search(rf'^{target}\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0', proc.stdout, re.M), proc.stdout
        assert status['finished'] and status['stdout'] == 'task-ran', status
    finally:
        subprocess.run([str(BIN / 'ansible'), target, '-i', str(INVENTORY), '-m', 'ansible.builtin.file',
                        '-a', f'path={async_dir} state=absent'], capture_output=True, env=ansible_env(), check=False)


def test_short_names_fail_to_resolve_without_it(tmp_path):
    """The defect the note is for: the same playbook without `collections:` does not load."""
    book = tmp_path / 'no_collections.yml'
    book.write_text(re.sub(r'^  collections:\n    - rstyczynski\.ansible\n', '', BOOK.read_text(), flags=re.M))
    assert not re.search(r'^  collections:', book.read_text(), re.M)
    proc, _status, _dir = run(book, 'localtarget', tmp_path)
    assert proc.returncode != 0
    assert "couldn't resolve module/action 'async_status_id'" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
