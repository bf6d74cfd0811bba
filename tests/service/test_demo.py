# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The job service's part of `make demo` (examples/service/demo.py), run as the demo runs it: the
real binary with its defaults (a generated token), the real ansible-playbook. The README's first
command must work on a fresh machine, so the demo is a test like any other."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ANSIBLE_PLAYBOOK, EXAMPLE, REPO, service_bin


def test_the_service_demo_runs_as_make_demo_runs_it():
    env = dict(os.environ, PATH=f'{ANSIBLE_PLAYBOOK.parent}{os.pathsep}{os.environ.get("PATH", "")}')
    p = subprocess.run([sys.executable, str(EXAMPLE / 'demo.py'), str(service_bin())], cwd=REPO / 'examples',
                       capture_output=True, text=True, timeout=300, env=env, check=False)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-5000:]
    # What a reader of the demo is shown: the token's file, each request with the header it needs,
    # and the end (each step that fails exits non-zero: `expect` in demo.py).
    assert 'TOKEN=$(cat ' in out, out[-3000:]
    assert '-H "Authorization: Bearer $TOKEN"' in out, out[-3000:]
    assert 'Job service demo done' in out, out[-3000:]
