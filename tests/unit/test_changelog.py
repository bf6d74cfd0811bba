# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The changelog comes from changelogs/ (antsibull-changelog), so it cannot drift: the fragments
and changelog.yaml lint clean, CHANGELOG.md is exactly what `antsibull-changelog generate` writes,
and the version galaxy.yml and Cargo.toml give is the latest release of changelog.yaml."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.version import Version

REPO = pathlib.Path(__file__).resolve().parents[2]


def antsibull_changelog():
    # The matrix venvs (make test-matrix) run tests/unit without it: only the primary venv pins it.
    pytest.importorskip('antsibull_changelog', reason='antsibull-changelog is only in the primary venv (tests/requirements.txt)')
    return [sys.executable, '-m', 'antsibull_changelog']


def test_fragments_and_changelog_yaml_lint_clean():
    proc = subprocess.run([*antsibull_changelog(), 'lint'], cwd=REPO, capture_output=True, text=True, check=False)
    # lint reports problems on stdout and may still exit 0.
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_changelog_md_is_what_antsibull_changelog_generates(tmp_path):
    # generate in a copy: it reads galaxy.yml and changelogs/, and writes CHANGELOG.md (and may
    # rewrite changelog.yaml), which must not touch the tree under test.
    copy = tmp_path / 'collection'
    copy.mkdir()
    shutil.copy(REPO / 'galaxy.yml', copy)
    shutil.copytree(REPO / 'changelogs', copy / 'changelogs')
    proc = subprocess.run([*antsibull_changelog(), 'generate'], cwd=copy, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    generated = (copy / 'CHANGELOG.md').read_text(encoding='utf-8')
    committed = (REPO / 'CHANGELOG.md').read_text(encoding='utf-8')
    assert committed == generated, (
        'CHANGELOG.md is generated: add a fragment under changelogs/fragments/ and run '
        '`antsibull-changelog generate` (see CONTRIBUTING.md), never edit it by hand')


def test_galaxy_cargo_and_changelog_agree_on_the_version():
    galaxy = yaml.safe_load((REPO / 'galaxy.yml').read_text(encoding='utf-8'))['version']
    with open(REPO / 'Cargo.toml', 'rb') as f:
        cargo = tomllib.load(f)['workspace']['package']['version']
    releases = yaml.safe_load((REPO / 'changelogs' / 'changelog.yaml').read_text(encoding='utf-8'))['releases']
    latest = max(releases, key=Version)
    assert galaxy == cargo == latest, f'galaxy.yml {galaxy}, Cargo.toml {cargo}, changelogs/changelog.yaml {latest}'


def test_every_fragment_is_yaml_with_known_sections():
    # antsibull-changelog lint says the same, with less to go on when it is not installed.
    config = yaml.safe_load((REPO / 'changelogs' / 'config.yaml').read_text(encoding='utf-8'))
    known = {name for name, _title in config['sections']} | {config['prelude_section_name'],
                                                             config['trivial_section_name']}
    for path in sorted((REPO / 'changelogs' / 'fragments').iterdir()):
        if path.name == '.keep':
            continue
        assert path.suffix in ('.yml', '.yaml'), path
        fragment = yaml.safe_load(path.read_text(encoding='utf-8'))
        assert isinstance(fragment, dict) and fragment, path
        assert set(fragment) <= known, (path, set(fragment) - known)
