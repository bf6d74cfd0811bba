# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The Galaxy tarball `make collection` built: what an installed collection needs, and nothing of
the development tree (benchmarks, the fake OCI server, the SSH test host, lint config)."""

from __future__ import annotations

import json
import tarfile

import pytest

from conftest import REPO

DEV_ONLY = ('bench/', 'crates/', 'scripts/', 'tests/oci/', 'tests/env/', 'tests/e2e/', 'tests/aarch64/',
            '.ansible-lint', '.ansible/', '.venv', 'Makefile', 'Cargo.toml', '.cargo/', '.ci/')
PLATFORMS = ('linux-x86_64', 'linux-aarch64')


@pytest.fixture(scope='module')
def tarball():
    found = sorted((REPO / '.collections' / 'dist').glob('rstyczynski-ansible-*.tar.gz'))
    assert len(found) == 1, f'run `make collection` first: {found}'
    with tarfile.open(found[0]) as tar:
        return {m.name: m for m in tar.getmembers()}, json.loads(tar.extractfile('MANIFEST.json').read())


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
            member = members.get(f'bin/{platform}/{module}')
            assert member is not None and member.isfile() and member.mode & 0o111, f'bin/{platform}/{module}'


def test_manifest_has_documentation_and_issues_urls(tarball):
    _members, manifest = tarball
    info = manifest['collection_info']
    assert info['documentation'] == 'https://github.com/rstyczynski/ansible/blob/main/README.md'
    assert info['issues'] == 'https://github.com/rstyczynski/ansible/issues'
