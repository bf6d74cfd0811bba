# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""One license, the same everywhere: LICENSE is MIT, every manifest says MIT, and every source file
carries the same two-line header (scripts/license-headers.py writes it)."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_every_source_file_has_the_one_header():
    proc = subprocess.run([sys.executable, str(REPO / 'scripts' / 'license-headers.py'), '--check'],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_manifest_names_mit_and_nothing_else():
    assert (REPO / 'LICENSE').read_text(encoding='utf-8').startswith('MIT License')
    galaxy = (REPO / 'galaxy.yml').read_text(encoding='utf-8')
    assert re.search(r'^license:\n  - MIT\n(?!  - )', galaxy, re.M), galaxy
    assert 'license = "MIT"' in (REPO / 'Cargo.toml').read_text(encoding='utf-8')
    for meta in REPO.glob('roles/*/meta/main.yml'):
        assert 'license: MIT' in meta.read_text(encoding='utf-8'), meta
    for manifest in list(REPO.glob('crates/*/Cargo.toml')) + [REPO / 'bench' / 'noop' / 'Cargo.toml']:
        assert 'license.workspace = true' in manifest.read_text(encoding='utf-8'), manifest


def test_no_other_license_is_named_in_the_sources():
    files = subprocess.run(['git', 'ls-files', '*.py', '*.rs', '*.sh', '*.yml'], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    for name in files:
        if name == 'tests/unit/test_license.py':
            continue
        text = (REPO / name).read_text(encoding='utf-8', errors='replace')
        assert 'GNU General Public License' not in text and 'gpl-3.0' not in text, name
