# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Every venv installs from a lock that `make lock` made from the current top-level pins, and what
is installed is exactly what the lock says."""

from __future__ import annotations

import hashlib
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
LOCK_SCRIPT = REPO / 'scripts' / 'lock.sh'
# The .in files scripts/lock.sh resolves, with the Python version of each venv.
LISTED = dict(re.findall(r'^\s+(\S+\.in):(\d+\.\d+)$', LOCK_SCRIPT.read_text(), re.M)) if LOCK_SCRIPT.is_file() else {}
# Which venv each lock builds (Makefile); a venv that is not built here is not checked.
VENVS = {
    'tests/requirements.txt': '.venv',
    'tests/matrix/ansible-core-2.15.txt': '.venv-2.15',
    'tests/matrix/ansible-core-2.19.txt': '.venv-2.19',
    'tests/oci/requirements.txt': '.venv-oci',
    'tests/importer/requirements.txt': '.venv-importer',
    'bench/seed/requirements.txt': '.venv-seed',
    'tests/schemathesis/requirements.txt': '.venv-schemathesis',
    'packaging/python/requirements.txt': '.venv-dist',
}
PIN = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+?)\s*(?:\\|;|$)')

pytestmark = pytest.mark.skipif(not LOCK_SCRIPT.is_file(), reason='scripts/ is not shipped: a source-tree test')


def name(n):
    return re.sub(r'[-_.]+', '-', n).lower()


def pins(path):
    return {name(m.group(1)): m.group(2) for line in path.read_text().splitlines() if (m := PIN.match(line))}


def test_every_in_file_is_locked_and_every_lock_builds_a_venv():
    tracked = subprocess.run(['git', 'ls-files', '*.in'], cwd=REPO, capture_output=True, text=True, check=True)
    on_disk = set(tracked.stdout.split()) or {str(p.relative_to(REPO)) for p in REPO.glob('**/*.in')}
    assert set(LISTED) == on_disk, 'scripts/lock.sh LOCKS and the .in files of the tree differ'
    assert {k.removesuffix('.in') + '.txt' for k in LISTED} == set(VENVS)


@pytest.mark.parametrize('source', sorted(LISTED))
def test_lock_was_made_from_the_current_in_file(source):
    src = REPO / source
    lock = src.with_suffix('.txt')
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    first = lock.read_text().splitlines()[0]
    assert first == f'# input sha256: {digest} ({source}, Python {LISTED[source]})', (
        f'{source} changed after {lock.name} was made: run `make lock` (CONTRIBUTING.md, "Upgrading a pin")')


@pytest.mark.parametrize('source', sorted(LISTED))
def test_lock_pins_every_package_with_hashes_and_keeps_the_top_level_pins(source):
    src = REPO / source
    text = src.with_suffix('.txt').read_text()
    locked = pins(src.with_suffix('.txt'))
    for top, version in pins(src).items():
        assert locked.get(top) == version, f'{top}=={version} of {source} is not what the lock holds'
    # One entry per package: `name==version \` then its hash lines, nothing loose (>=, URLs, -e).
    entries = re.split(r'\n(?=[^\s#])', '\n'.join(line for line in text.splitlines() if not line.startswith('#')))
    for entry in filter(None, (e.strip() for e in entries)):
        assert PIN.match(entry), f'not an exact pin in {source}: {entry.splitlines()[0]}'
        assert '--hash=sha256:' in entry, f'no hash in {source}: {entry.splitlines()[0]}'


@pytest.mark.parametrize('lock', sorted(VENVS))
def test_the_built_venv_holds_exactly_the_lock(lock):
    venv = REPO / VENVS[lock]
    if not (venv / '.stamp').is_file():
        pytest.skip(f'{VENVS[lock]} is not built here')
    freeze = subprocess.run([str(venv / 'bin' / 'python'), '-m', 'pip', 'freeze', '--all',
                             '--disable-pip-version-check'], capture_output=True, text=True, check=True)
    installed = {name(k): v for k, v in (line.split('==', 1) for line in freeze.stdout.splitlines() if '==' in line)}
    locked = pins(REPO / lock)
    # pip (and setuptools on older Pythons) come with the interpreter's venv module, unless locked.
    installed = {k: v for k, v in installed.items() if k in locked or k not in ('pip', 'setuptools', 'wheel')}
    assert installed == locked
