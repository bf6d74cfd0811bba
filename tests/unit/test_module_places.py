# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""A new module is in every place it must be (CONTRIBUTING.md, "Add a module"), or this fails and
names the place. The lists are read from the tree, so nothing here names a module."""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]


def stems(folder, pattern):
    return {p.stem for p in (REPO / folder).glob(pattern) if p.stem != '__init__'}


BINARIES = stems('crates/host-modules/src/bin', '*.rs') | stems('crates/controller-modules/src/bin', '*.rs')
ACTIONS = stems('plugins/action', '*.py')
MODULES = stems('plugins/modules', '*.py')


def test_the_tree_has_modules():
    assert BINARIES and ACTIONS and MODULES, (BINARIES, ACTIONS, MODULES)


def test_every_binary_has_an_action_plugin_that_runs_it():
    for name in sorted(BINARIES):
        action = REPO / 'plugins' / 'action' / f'{name}.py'
        assert action.is_file(), f'{name}: the binary has no action plugin plugins/action/{name}.py'
        # The action plugin names the binary it runs (MODULE = '<name>' or run_binary('<name>', ...)).
        assert re.search(rf"['\"]{name}['\"]", action.read_text(encoding='utf-8')), (
            f"plugins/action/{name}.py never names the binary '{name}'")


def test_every_action_plugin_has_its_module_documentation():
    missing = sorted(ACTIONS - MODULES)
    assert not missing, f'action plugins without plugins/modules/<name>.py (the documentation): {missing}'


def test_every_module_documentation_has_an_action_plugin():
    # Every module of this collection runs through its action plugin: a binary or a loop over one.
    missing = sorted(MODULES - ACTIONS)
    assert not missing, f'modules without plugins/action/<name>.py: {missing}'


def test_every_module_has_an_integration_target():
    targets = {p.name for p in (REPO / 'tests' / 'integration' / 'targets').iterdir() if p.is_dir()}
    for name in sorted(MODULES):
        # A role may already own the plain name (async_job_save): then the target is <name>_module.
        assert targets & {name, f'{name}_module'}, f'{name}: no tests/integration/targets/{name}/'


def test_every_module_has_its_sanity_ignore_line():
    # validate-modules wants a GPLv3 header in every module; this collection is MIT (LICENSE).
    for ignore in sorted((REPO / 'tests' / 'sanity').glob('ignore-*.txt')):
        text = ignore.read_text(encoding='utf-8')
        for name in sorted(MODULES):
            line = f'plugins/modules/{name}.py validate-modules:missing-gplv3-license'
            assert re.search(rf'^{re.escape(line)} ', text, re.M), f'{ignore.relative_to(REPO)} lacks: {line}'
