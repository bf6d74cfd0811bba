# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Every playbook and task example a user may copy passes the project's ansible-lint, production
profile: the YAML blocks of README.md, roles/*/README.md and docs/*.md, and every module's EXAMPLES.

A block that is a list of plays is linted as it is; a list of tasks is put into a play first. A
block that is a mapping is a snippet of variables, not something ansible-lint can check alone, unless
it has a key of a play or a task: then it is a playbook written as a mapping by mistake, and fails."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import textwrap

import pytest
import yaml

from conftest import BIN, REPO, ansible_env

FENCE = re.compile(r'^```ya?ml[ \t]*\n(.*?)^```', re.M | re.S)
# Keys that make a mapping a play or a task rather than variables (module names have dots).
PLAY_OR_TASK_KEYS = {'hosts', 'tasks', 'roles', 'block', 'import_playbook', 'name', 'include_tasks', 'import_tasks'}


def markdown_examples():
    files = [REPO / 'README.md', *sorted(REPO.glob('roles/*/README.md')), *sorted(REPO.glob('docs/*.md'))]
    for path in files:
        text = path.read_text(encoding='utf-8')
        for match in FENCE.finditer(text):
            line = text.count('\n', 0, match.start(1)) + 1
            yield f'{path.relative_to(REPO)}:{line}', match.group(1)


def module_examples():
    for path in sorted((REPO / 'plugins' / 'modules').glob('*.py')):
        for node in ast.parse(path.read_text(encoding='utf-8')).body:
            if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['EXAMPLES']:
                yield f'{path.relative_to(REPO)}:EXAMPLES', node.value.value


def as_playbook(where, block):
    """The block as a playbook file's text, or None for a snippet of variables."""
    data = yaml.safe_load(block)
    if isinstance(data, dict):
        return None
    assert isinstance(data, list) and data and all(isinstance(item, dict) for item in data), \
        f'{where}: neither a playbook, nor tasks, nor variables'
    body = re.sub(r'\A---\n', '', block.lstrip('\n'))
    if all('hosts' in item or 'import_playbook' in item for item in data):
        return '---\n' + body
    return ('---\n- name: Example from ' + where.replace(':', ' line ') + '\n'
            '  hosts: all\n  gather_facts: false\n  tasks:\n' + textwrap.indent(body, '    '))


EXAMPLES = [*markdown_examples(), *module_examples()]


def line_of(location):
    lines = location.get('lines', {})
    return lines.get('begin') or location.get('positions', {}).get('begin', {}).get('line')


def slug(where):
    return re.sub(r'[^A-Za-z0-9]+', '_', where).strip('_') + '.yml'


@pytest.fixture(scope='module')
def lint(tmp_path_factory):
    """One ansible-lint run over all examples (it takes seconds to start): {file name: [violations]}."""
    work = tmp_path_factory.mktemp('examples')
    for where, block in EXAMPLES:
        book = as_playbook(where, block)
        if book is not None:
            (work / slug(where)).write_text(book, encoding='utf-8')
    # The project's own config, minus its exclusions (they name paths of the repo, not of here).
    (work / '.ansible-lint').write_text('---\nprofile: production\n', encoding='utf-8')
    report = work / 'report.json'
    proc = subprocess.run(
        [str(BIN / 'ansible-lint'), '--offline', '--profile', 'production', '-c', str(work / '.ansible-lint'),
         '-f', 'json', *sorted(p.name for p in work.glob('*.yml'))],
        cwd=work, capture_output=True, text=True, env=ansible_env(), check=False)
    report.write_text(proc.stdout, encoding='utf-8')
    assert proc.returncode in (0, 2), f'ansible-lint did not run (rc {proc.returncode}):\n{proc.stderr[-4000:]}'
    found = {}
    for v in json.loads(proc.stdout or '[]'):
        found.setdefault(v['location']['path'].rsplit('/', 1)[-1], []).append(
            f"{v['check_name']} line {line_of(v['location'])}: {v['description']}")
    linted = {p.name for p in work.glob('*.yml')}
    return linted, found


@pytest.mark.parametrize('where,block', EXAMPLES, ids=[where for where, _block in EXAMPLES])
def test_example_passes_ansible_lint_production(where, block, lint):
    linted, found = lint
    if as_playbook(where, block) is None:
        keys = set(yaml.safe_load(block))
        assert not keys & PLAY_OR_TASK_KEYS and not [k for k in keys if '.' in k], \
            f'{where}: a play or task written as a mapping; make it a list'
        return
    assert slug(where) in linted
    assert not found.get(slug(where)), f'{where}:\n' + '\n'.join(found[slug(where)])


def test_every_source_has_examples():
    sources = {where.rsplit(':', 1)[0] for where, _block in EXAMPLES}
    expected = {'README.md', 'roles/async_job_save/README.md', 'roles/async_job_load/README.md'}
    expected |= {str(p.relative_to(REPO)) for p in (REPO / 'plugins' / 'modules').glob('*.py')}
    assert expected <= sources, expected - sources
