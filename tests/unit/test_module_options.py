# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Each module's documented options are what its binary accepts: an option the docs promise is
never refused by the binary as unsupported, and the binary takes no user option the docs hide.
The binaries' specs are read from the Rust sources (specs.rs), the options from DOCUMENTATION."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]

# Modules whose action plugin runs one binary with the task's own options. async_task's binary is
# only its host side (the action owns shell, command, record, ...); async_wait has no binary of
# its own (it loops over async_status_id).
PLAIN = ['async_status_id', 'async_alias', 'async_kill', 'async_job_info', 'async_prune', 'async_job_save',
         'async_job_load']


def opt_names(block: str) -> set[str]:
    return set(re.findall(r'Opt::\w+\("([a-z]\w*)"\)', block))


def binary_options() -> dict[str, set[str]]:
    """The user options (not `_`-prefixed) each binary's spec takes."""
    shared = {}
    backend = REPO / 'crates' / 'controller-modules' / 'src' / 'backend.rs'
    m = re.search(r'pub fn store_options\(\) -> Vec<Opt> \{(.*?)\n\}', backend.read_text(encoding='utf-8'), re.S)
    shared['backend::store_options()'] = opt_names(m.group(1)) if m else set()
    found: dict[str, set[str]] = {}
    for specs in REPO.glob('crates/*/src/specs.rs'):
        for m in re.finditer(r'pub fn (\w+)\(\) -> ArgSpec \{(.*?)\n\}', specs.read_text(encoding='utf-8'), re.S):
            names = opt_names(m.group(2))
            for call, more in shared.items():
                if call in m.group(2):
                    names |= more
            found[m.group(1)] = names
    return found


def doc_yaml(path: pathlib.Path) -> dict:
    text = path.read_text(encoding='utf-8')
    m = re.search(r'^\s*DOCUMENTATION = r?("""|\'\'\')(.*?)^\1', text, re.S | re.M)
    assert m, f'{path.relative_to(REPO)}: no DOCUMENTATION'
    return yaml.safe_load(m.group(2)) or {}


def documented(module: str) -> set[str]:
    """The module's options, those of its doc fragments (rstyczynski.ansible.<name>) included."""
    doc = doc_yaml(REPO / 'plugins' / 'modules' / f'{module}.py')
    options = set(doc.get('options') or {})
    for fragment in doc.get('extends_documentation_fragment') or []:
        name = fragment.removeprefix('rstyczynski.ansible.')
        options |= set(doc_yaml(REPO / 'plugins' / 'doc_fragments' / f'{name}.py').get('options') or {})
    return options


def test_the_specs_were_read():
    specs = binary_options()
    assert set(PLAIN) | {'async_task'} <= set(specs), sorted(specs)
    assert 'oci_bucket' in specs['async_job_save'] and 'alias' in specs['async_status_id']


@pytest.mark.parametrize('module', PLAIN)
def test_documented_options_are_what_the_binary_accepts(module):
    docs, spec = documented(module), binary_options()[module]
    assert docs == spec, (f'{module}: documented, not accepted: {sorted(docs - spec)}; '
                          f'accepted, not documented: {sorted(spec - docs)}')


def test_async_task_documents_every_option_of_its_host_side():
    hidden = binary_options()['async_task'] - documented('async_task')
    assert not hidden, f'async_task: the binary takes undocumented options {sorted(hidden)}'
