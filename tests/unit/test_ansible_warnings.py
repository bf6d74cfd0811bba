# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""tests/support/ansible_warnings.py, the judge of every "no warning" assertion: it ignores what
ansible-core or a library prints about itself, and still catches what this collection causes.
Checked on text and on real ansible-doc runs with a warning planted on either side."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

from ansible_warnings import our_warnings

REPO = pathlib.Path(__file__).resolve().parents[2]
ANSIBLE_DOC = pathlib.Path(sys.executable).parent / 'ansible-doc'
SITE = next(p for p in sys.path if p.endswith('site-packages'))
CRYPTOGRAPHY_51 = (
    f'{SITE}/ansible/_internal/_ssh/_ssh_agent.py:18: CryptographyDeprecationWarning: DSA is deprecated and '
    'support will be removed in a future release. Use a more modern signature algorithm.\n'
    '  from cryptography.hazmat.primitives.asymmetric.dsa import (\n')


def test_a_library_warning_about_ansible_core_is_not_ours():
    assert our_warnings(CRYPTOGRAPHY_51) == []
    assert our_warnings(CRYPTOGRAPHY_51 + 'rstyczynski.ansible.async_alias   Give an async job a name\n') == []


def test_a_python_warning_from_a_file_of_the_collection_is_ours():
    planted = ('/home/u/.ansible/collections/ansible_collections/rstyczynski/ansible/plugins/action/x.py:3: '
               'UserWarning: planted\n  warnings.warn("planted")\n')
    assert our_warnings(CRYPTOGRAPHY_51 + planted) == [planted.rstrip('\n')]
    checkout = f'{REPO}/plugins/callback/job_events.py:9: DeprecationWarning: old\n'
    assert our_warnings(checkout) == [checkout.rstrip('\n')]


def test_an_ansible_warning_is_ours_wherever_it_stands():
    text = CRYPTOGRAPHY_51 + '[WARNING]: Skipping plugin x\n[DEPRECATION WARNING]: y\nsomething else: warning z\n'
    assert our_warnings(text) == ['[WARNING]: Skipping plugin x', '[DEPRECATION WARNING]: y',
                                  'something else: warning z']
    # An ansible warning that quotes a Python warning from elsewhere is still ansible's, so ours.
    quoted = '[WARNING]: plugin failed: /usr/lib/x.py:12: FooWarning: bar'
    assert our_warnings(quoted) == [quoted]


@pytest.fixture
def collection(tmp_path):
    """A copy of the checkout's plugins and meta as an installed collection, to plant warnings in."""
    root = tmp_path / 'collections'
    dest = root / 'ansible_collections' / 'rstyczynski' / 'ansible'
    for part in ('plugins', 'meta'):
        shutil.copytree(REPO / part, dest / part)
    return root


def ansible_doc(collections, *args, pythonpath=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'PYTHON'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR='1')
    if pythonpath:
        env['PYTHONPATH'] = str(pythonpath)
    return subprocess.run([str(ANSIBLE_DOC), *args], env=env, capture_output=True, text=True, check=False)


def test_a_warning_a_library_prints_in_a_real_ansible_doc_run_is_ignored(collection, tmp_path):
    # A sitecustomize stands in for any library that warns at import, from a path in site-packages.
    (tmp_path / 'sitecustomize.py').write_text(textwrap.dedent(f'''
        import warnings
        warnings.warn_explicit('planted by a library', UserWarning, {SITE + '/somelib/__init__.py'!r}, 7)
    '''))
    r = ansible_doc(collection, '-l', 'rstyczynski.ansible', pythonpath=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'planted by a library' in r.stderr
    assert our_warnings(r.stderr) == []


def test_a_python_warning_planted_in_our_doc_fragment_fails_a_real_ansible_doc_run(collection):
    fragment = collection / 'ansible_collections/rstyczynski/ansible/plugins/doc_fragments/records.py'
    head, future, rest = fragment.read_text().partition('from __future__ import annotations\n')
    fragment.write_text(head + future + "import warnings\nwarnings.warn('planted in our fragment')\n" + rest)
    r = ansible_doc(collection, '--json', 'rstyczynski.ansible.async_job_save')
    assert r.returncode == 0, r.stderr
    found = our_warnings(r.stderr)
    assert len(found) == 1 and 'planted in our fragment' in found[0], r.stderr


def test_an_ansible_warning_our_broken_module_doc_causes_fails_a_real_ansible_doc_list(collection):
    module = collection / 'ansible_collections/rstyczynski/ansible/plugins/modules/async_alias.py'
    text = module.read_text()
    short = next(line for line in text.splitlines() if line.startswith('short_description:'))
    module.write_text(text.replace(short, 'short_description: [unclosed', 1))
    r = ansible_doc(collection, '-l', 'rstyczynski.ansible')
    assert any('async_alias' in w for w in our_warnings(r.stderr)), r.stderr
