# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""ansible-doc sees every module of the installed collection, with no warnings."""

from __future__ import annotations

import json
import subprocess

import pytest

from ansible_warnings import our_warnings
from conftest import BIN, MODULES, ROLES, ansible_env


def ansible_doc(*args):
    return subprocess.run([str(BIN / 'ansible-doc'), *args], capture_output=True, text=True, env=ansible_env(),
                          check=False)


def test_list_has_every_module_and_no_warning():
    r = ansible_doc('-l', 'rstyczynski.ansible')
    assert r.returncode == 0, r.stderr
    assert our_warnings(r.stderr) == [], r.stderr
    # Exactly the modules of plugins/modules/: the installed collection has no more and no fewer.
    listed = sorted(line.split()[0].removeprefix('rstyczynski.ansible.') for line in r.stdout.splitlines()
                    if line.startswith('rstyczynski.ansible.'))
    assert listed == MODULES, r.stdout


@pytest.mark.parametrize('module', MODULES)
def test_module_doc_has_options_examples_and_returns(module):
    r = ansible_doc('--json', f'rstyczynski.ansible.{module}')
    assert r.returncode == 0, r.stderr

    doc = json.loads(r.stdout)[f'rstyczynski.ansible.{module}']
    assert doc['doc']['options'] and doc['examples'] and doc['return']


@pytest.mark.parametrize('module', MODULES)
def test_module_platform_is_linux(module):
    # The binaries are Linux ELF files and read /proc: "posix" would promise BSD and macOS.
    r = ansible_doc('--json', f'rstyczynski.ansible.{module}')
    platform = json.loads(r.stdout)[f'rstyczynski.ansible.{module}']['doc']['attributes']['platform']
    assert platform['platforms'] == 'linux', platform


@pytest.mark.parametrize('role', ROLES)
def test_role_doc_lists_its_variables(role):
    r = ansible_doc('-t', 'role', '--json', f'rstyczynski.ansible.{role}')
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)[f'rstyczynski.ansible.{role}']
    options = doc['entry_points']['main']['options']
    assert f'{role}_job_name' in options


def test_role_list_has_every_role():
    r = ansible_doc('-t', 'role', '-l', 'rstyczynski.ansible')
    assert r.returncode == 0 and our_warnings(r.stderr) == [], r.stderr
    for role in ROLES:
        assert f'rstyczynski.ansible.{role}' in r.stdout


@pytest.mark.parametrize('module', MODULES)
def test_module_doc_says_how_short_names_resolve(module):
    # The seed's examples call `async_status_id: alias=blah`; that resolves only in a play with
    # `collections: [rstyczynski.ansible]`, and every module's notes must say so.
    r = ansible_doc('--json', f'rstyczynski.ansible.{module}')
    notes = ' '.join(json.loads(r.stdout)[f'rstyczynski.ansible.{module}']['doc'].get('notes', []))
    assert 'collections: [rstyczynski.ansible]' in notes and "couldn't resolve module/action" in notes, notes
