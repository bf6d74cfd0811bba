# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Every key a module returns is documented in its RETURN.

The existing e2e playbooks run, on connection local and over SSH+become, with a callback that
records every result of this collection's modules exactly as ansible-core hands it to callbacks
(tests/e2e/callbacks/record_results.py). The keys of those real results are then compared with the
RETURN that ansible-doc shows for the installed collection.

Keys ansible-core itself adds or defines for every module are not looked for in RETURN:
- changed, failed, msg, warnings, deprecations, exception, diff, skipped, skip_reason,
  ansible_facts, invocation: ansible-core's common return values (ansible-core documents them for
  all modules; `diff` belongs to the diff_mode attribute, `invocation` is the module's arguments);
- attempts, failed_when_result, failed_when_suppressed_exception (2.19 and later),
  changed_when_result: added by the task executor to a task with `until`, `failed_when`,
  `changed_when`;
- item, ansible_loop_var, ansible_index_var, ansible_loop: added by the task executor to loop items;
- stdout_lines, stderr_lines: the task executor derives them from stdout and stderr for every
  module, so they are ignored only where the module documents stdout (stderr);
- _ansible_*: internal to ansible-core, never shown to playbooks.
"""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from conftest import BIN, INVENTORY, MODULES, PLAYBOOKS, TARGETS, ansible_env, kill_all, records_bad_input_vars

CORE_KEYS = {'changed', 'failed', 'msg', 'warnings', 'deprecations', 'exception', 'diff', 'skipped', 'skip_reason',
             'ansible_facts', 'invocation', 'attempts', 'failed_when_result', 'failed_when_suppressed_exception',
             'changed_when_result', 'item', 'ansible_loop_var', 'ansible_index_var', 'ansible_loop'}
DERIVED = {'stdout_lines': 'stdout', 'stderr_lines': 'stderr'}


def runs(tmp_path, target, name, marker):
    """The playbooks and their variables: every module, in its modes, succeeding and failing."""
    task_record = {'state_dir': str(tmp_path / 'task-records'), 'metadata': {'by': 'test_return_docs'}}
    return [
        ('lifecycle.yml', {'name': f'{name}_life'}),
        ('kill.yml', {'name': f'{name}_kill', 'marker': marker}),
        ('inventory.yml', {'name': f'{name}_inv', 'marker': str(uuid.uuid4().int % 10**9)}),
        ('wait.yml', {'name': f'{name}_wait'}),
        ('check_mode.yml', {'name': f'{name}_check'}),
        ('bad_input.yml', {'name': f'{name}_bad', 'corrupt_job_file': f'~/.ansible_async/j{uuid.uuid4().int % 10**12}.1'}),
        ('compat.yml', {}),
        ('records_behaviour.yml', {'name': f'{name}_rec', 'records_dir': str(tmp_path / 'records-behaviour')}),
        ('records_bad_input.yml', records_bad_input_vars(tmp_path, target)),
        ('task_check_and_errors.yml', {'name': f'{name}_taskerr'}),
        # start and wait, with a record; then keep the finished job; then start it again.
        ('task.yml', {'name': f'{name}_task', 'cmd': 'echo out; echo err >&2', 'delay': 0.5, 'cleanup': False,
                      'record': task_record}),
        ('task.yml', {'name': f'{name}_task', 'cmd': 'echo out; echo err >&2', 'delay': 0.5, 'cleanup': False,
                      'record': task_record}),
        ('task.yml', {'name': f'{name}_task', 'cmd': 'echo out', 'delay': 0.5, 'restart': 'always',
                      'record': task_record}),
        ('task.yml', {'name': f'{name}_poll0', 'cmd': 'sleep 1', 'poll': 0}),
        ('wait_alias.yml', {'alias': f'{name}_poll0'}),
    ]


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    """{module: {key: [where it was seen]}} over every run on both targets."""
    if not INVENTORY.exists():
        pytest.fail(f'{INVENTORY} is missing: run `make ssh-target` (tests/env/sshd.sh start) first')
    seen = {m: {} for m in MODULES}
    marker = f'marker_{uuid.uuid4().hex}'
    try:
        for target in TARGETS:
            tmp_path = tmp_path_factory.mktemp(f'return-{target}')
            log = tmp_path / 'results.jsonl'
            env = ansible_env()
            env.update(ANSIBLE_CALLBACK_PLUGINS=str(PLAYBOOKS.parent / 'callbacks'),
                       ANSIBLE_CALLBACKS_ENABLED='record_results', RECORD_RESULTS_FILE=str(log))
            name = f'rd_{uuid.uuid4().hex[:10]}'
            for book, extra in runs(tmp_path, target, name, marker):
                extra_vars = dict(extra, target=target, out_file=str(tmp_path / f'out-{uuid.uuid4().hex[:8]}.json'))
                proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(PLAYBOOKS / book),
                                       '-e', json.dumps(extra_vars)], capture_output=True, text=True, env=env,
                                      cwd=str(tmp_path), timeout=600, check=False)
                assert proc.returncode == 0, f'{book} on {target} failed:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}'
            for line in log.read_text(encoding='utf-8').splitlines():
                r = json.loads(line)
                for key in r['result']:
                    seen[r['module']].setdefault(key, []).append(f"{target}: {r['task']} ({r['status']})")
    finally:
        kill_all(marker)
    # Kept for whoever debugs a failure: every key and where it was seen.
    (tmp_path_factory.getbasetemp() / 'returned-keys.json').write_text(json.dumps(seen, indent=1))
    return seen


def documented(module):
    proc = subprocess.run([str(BIN / 'ansible-doc'), '--json', f'rstyczynski.ansible.{module}'], capture_output=True,
                          text=True, env=ansible_env(), check=True)
    return set(json.loads(proc.stdout)[f'rstyczynski.ansible.{module}']['return'])


def undocumented(returned, doc):
    missing = {}
    for key, where in returned.items():
        if key in doc or key in CORE_KEYS or key.startswith('_ansible'):
            continue
        if key in DERIVED and DERIVED[key] in doc:
            continue
        missing[key] = where[:3]
    return missing


@pytest.mark.parametrize('module', MODULES)
def test_every_returned_key_is_documented(module, results):
    assert results[module], f'no playbook ran {module}'
    missing = undocumented(results[module], documented(module))
    assert not missing, f'{module} returns keys its RETURN does not document: {json.dumps(missing, indent=1)}'
