# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The Galaxy tarball `make collection` built: what an installed collection needs, nothing of the
development tree (benchmarks, the fake OCI server, the SSH test host, lint config), and no binary
file where ansible-test reads Python (tests/tarball-checks.sh runs this file first)."""

from __future__ import annotations

import json
import shutil
import tarfile

import pytest
from ansible_test._internal.commands.sanity.compile import CompileTest
from ansible_test._internal.commands.sanity.pep8 import Pep8Test
from ansible_test._internal.commands.sanity.pylint import PylintTest
from ansible_test._internal.target import TestTarget as SanityTarget  # not a pytest class
from ansible_test._internal.util import is_binary_file

from conftest import REPO

DEV_ONLY = ('bench/', 'crates/', 'scripts/', 'tests/oci/', 'tests/env/', 'tests/e2e/', 'tests/aarch64/',
            'tests/importer/', 'tests/service/', 'tests/matrix/', 'tests/requirements.', 'bin/', '.ansible-lint',
            '.ansible/', '.venv', 'Makefile', 'Cargo.toml', '.cargo/', '.ci/')
PLATFORMS = ('linux-x86_64', 'linux-aarch64')


def built_tarball():
    found = sorted((REPO / '.collections' / 'dist').glob('rstyczynski-ansible-*.tar.gz'))
    assert len(found) == 1, f'run `make collection` first: {found}'
    return found[0]


@pytest.fixture(scope='module')
def tarball():
    with tarfile.open(built_tarball()) as tar:
        return {m.name: m for m in tar.getmembers()}, json.loads(tar.extractfile('MANIFEST.json').read())


@pytest.fixture(scope='module')
def unpacked(tmp_path_factory):
    root = tmp_path_factory.mktemp('tarball')
    with tarfile.open(built_tarball()) as tar:
        tar.extractall(root, filter='data')
    return root


# ansible-test's compile, pep8 and pylint parse every file they select as Python source; they
# select each .py file and each file under bin/, where ansible-core keeps its scripts. A binary
# there fails them (compile crashes). Their own filter_targets choose here, and ansible-test's own
# is_binary_file tells a binary, so this follows ansible-test when its rules change.
PYTHON_READERS = (CompileTest, Pep8Test, PylintTest)


def binaries_read_as_python(root):
    files = sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file())
    targets = [SanityTarget(name, None, None, '', symlink=False) for name in files]
    selected = {target.path for reader in PYTHON_READERS for target in reader().filter_targets(targets)}
    return sorted(name for name in selected if is_binary_file(str(root / name)))


def test_no_development_files(tarball):
    members, _manifest = tarball
    shipped = [name for name in members if name.startswith(DEV_ONLY)]
    assert not shipped, shipped


def test_every_platform_has_every_module_binary(tarball):
    members, _manifest = tarball
    modules = sorted(p.stem for p in (REPO / 'crates').glob('*-modules/src/bin/*.rs'))
    assert modules
    for platform in PLATFORMS:
        for module in modules:
            member = members.get(f'binaries/{platform}/{module}')
            assert member is not None and member.isfile() and member.mode & 0o111, f'binaries/{platform}/{module}'


def test_manifest_has_documentation_and_issues_urls(tarball):
    _members, manifest = tarball
    info = manifest['collection_info']
    assert info['documentation'] == 'https://github.com/rstyczynski/ansible/blob/main/README.md'
    assert info['issues'] == 'https://github.com/rstyczynski/ansible/issues'


def test_no_binary_where_ansible_test_reads_python(unpacked):
    found = binaries_read_as_python(unpacked)
    assert not found, f'binary files that ansible-test compile, pep8 and pylint would read as Python: {found}'


def test_binaries_in_bin_would_be_read_as_python(unpacked, tmp_path):
    # The layout before issue 18, bin/<system>-<arch>/, which failed sanity on the installed tarball.
    shutil.copytree(unpacked / 'binaries', tmp_path / 'bin')
    expected = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / 'bin').rglob('*') if p.is_file())
    assert expected and binaries_read_as_python(tmp_path) == expected
