# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The README's lead pattern (the yaml block under "## Usage"), run as written: it must recover by
itself after a job that failed or was killed. The block is read out of README.md, so the README and
what is tested cannot drift apart; only the command and the name are swapped for the test's."""

from __future__ import annotations

import re
import textwrap
import time
import uuid

from conftest import REPO, finish, kill_all, playbook, processes_matching, start_playbook, wait_until

COMMAND = '/opt/db/migrate.sh'
NAME = 'db_migration'


def readme_pattern():
    text = (REPO / 'README.md').read_text()
    usage = text[text.index('\n## Usage\n'):]
    block = re.search(r'```yaml\n(.*?)```', usage, re.S).group(1)
    assert block.count(COMMAND) == 1 and NAME in block, 'the README pattern changed: update this test'
    return block


def pattern_playbook(tmp_path, name, command):
    tasks = readme_pattern().replace(COMMAND, command).replace(NAME, name)
    book = tmp_path / f'readme-{uuid.uuid4().hex[:6]}.yml'
    book.write_text('---\n- name: The README pattern\n  hosts: "{{ target }}"\n  gather_facts: false\n  tasks:\n'
                    + textwrap.indent(tasks, '    '))
    return book


def task_section(stdout, title):
    """The lines a task printed, from its TASK header to the next header."""
    start = stdout.index(f'TASK [{title}')
    end = stdout.find('\nTASK [', start + 1)
    return stdout[start:end if end != -1 else len(stdout)]


def assert_started_and_succeeded(run):
    assert run.rc == 0, run
    assert 'changed:' in task_section(run.stdout, 'Start it only when no job has that name'), run
    assert re.search(r'^(ok|changed): ', task_section(run.stdout, 'Wait for it by name'), re.M), run


def test_recovers_after_a_failed_job(target, name, tmp_path):
    failed = playbook(pattern_playbook(tmp_path, name, "sh -c 'exit 3'"), target, tmp_path)
    assert failed.rc != 0, failed
    assert 'fatal:' in task_section(failed.stdout, 'Wait for it by name'), failed

    rerun = playbook(pattern_playbook(tmp_path, name, "sh -c 'echo fresh'"), target, tmp_path)
    # The first step reports the failed job as data, the second removes it, the job starts again.
    assert re.search(r'^(ok|changed): ', task_section(rerun.stdout, 'Find the job by its name'), re.M), rerun
    assert 'changed:' in task_section(rerun.stdout, 'Remove a job that ended badly'), rerun
    assert_started_and_succeeded(rerun)

    # Clean now: a third run starts it again without a cleanup step.
    third = playbook(pattern_playbook(tmp_path, name, "sh -c 'echo again'"), target, tmp_path)
    assert 'skipping:' in task_section(third.stdout, 'Remove a job that ended badly'), third
    assert_started_and_succeeded(third)


KILL = """---
- name: Kill the job by its name
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Kill
      rstyczynski.ansible.async_kill:
        alias: "{{ name }}"
        grace: 1
"""


def test_recovers_after_a_killed_job(target, name, tmp_path):
    marker = f'marker_{uuid.uuid4().hex}'
    kill_book = tmp_path / 'kill.yml'
    kill_book.write_text(KILL)
    book = pattern_playbook(tmp_path, name, f"sh -c 'sleep 300; true' {marker}")
    try:
        proc, out = start_playbook(book, target, tmp_path)
        assert wait_until(lambda: processes_matching(marker), timeout=60)
        # The name is given a moment after the start: kill once the alias is there.
        deadline = time.monotonic() + 60
        while (killed := playbook(kill_book, target, tmp_path, name=name)).rc != 0:
            assert time.monotonic() < deadline, killed
            time.sleep(0.5)
        waited = finish(proc, out, timeout=120)
        assert waited.rc != 0, waited
        assert 'fatal:' in task_section(waited.stdout, 'Wait for it by name'), waited
    finally:
        kill_all(marker)

    rerun = playbook(pattern_playbook(tmp_path, name, "sh -c 'echo fresh'"), target, tmp_path)
    assert 'changed:' in task_section(rerun.stdout, 'Remove a job that ended badly'), rerun
    assert_started_and_succeeded(rerun)
