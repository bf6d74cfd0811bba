# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Every module's EXAMPLES block runs as pasted, with real ansible-playbook, on connection local
and over SSH+become.

Each block of plugins/modules/*.py (found from the directory, so a new module is run without being
listed here) is put as it is into one play, `hosts: <target>`, `gather_facts: false`. The play must
end with no task failed and none skipped: an example is a sequence a user copies, and a task it
skips (a claim that is lost, a job that is not found) is a step that shows nothing.

The only changes to the text are the obvious paths of SUBSTITUTIONS: a path under one of its
prefixes is moved into a directory of the test (same layout below it). Every such path that a
task runs as a command (the first word of `cmd`, `shell`, a `command`/`shell` task's free form,
or `argv[0]`) is made an executable stub that prints its name and exits 0 after STUB_SECONDS;
the parent directory of every other such path is created. An absolute path outside those
prefixes that a task runs fails the test: add its prefix to the table, or write the example
with a command every host has.

Isolation, outside the text: the play sets `ansible_async_dir` to a fresh directory of the target
user's home, and ansible-playbook runs in a fresh directory (the records' default state_dir is
relative to it), so the examples' fixed names (`nightly_backup`, `db_migration_v3`) meet no
other test's jobs. Jobs an example leaves running are killed afterwards."""

from __future__ import annotations

import ast
import os
import pathlib
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import uuid

import pytest
import yaml

from conftest import BIN, INVENTORY, REPO, ansible_env, wrapper_runner_pid

# Path prefix in an example -> the same path below the test's directory. Only what a reader sees
# at once is a placeholder for "your script" or "your directory".
SUBSTITUTIONS = ('/opt/', '/usr/local/bin/', '/var/lib/ansible/', '/var/log/')
STUB_SECONDS = 3
# The user each target's modules run as (tests/env/sshd.sh: sshtarget becomes ansible_become).
TARGET_USER = {'localtarget': pwd.getpwuid(os.getuid()).pw_name, 'sshtarget': 'ansible_become'}
# Examples that make no sense on a target, with the reason. None today.
SKIP = {}
PATH_RE = re.compile(r'(?<![\w./~-])(' + '|'.join(re.escape(p) for p in SUBSTITUTIONS) + r')[\w./-]*')


def module_examples():
    for path in sorted((REPO / 'plugins' / 'modules').glob('*.py')):
        for node in ast.parse(path.read_text(encoding='utf-8')).body:
            if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['EXAMPLES']:
                yield path.stem, node.value.value


EXAMPLES = dict(module_examples())
CASES = [(m, t) for m in EXAMPLES for t in ('localtarget', 'sshtarget') if (m, t) not in SKIP]


def commands_run(tasks):
    """The first word of every command the tasks run (command, shell, async_task's cmd/shell/argv)."""
    words = []
    for task in tasks:
        for key, value in task.items():
            short = key.rsplit('.', 1)[-1]
            if short in ('command', 'shell') and isinstance(value, str):
                words.append(value.split()[0])
            elif isinstance(value, dict):
                for opt in ('cmd', 'shell', 'argv'):
                    got = value.get(opt)
                    if isinstance(got, str) and got.split():
                        words.append(got.split()[0])
                    elif isinstance(got, list) and got:
                        words.append(str(got[0]))
    return words


def substitute(block, root):
    """The block with every path under SUBSTITUTIONS moved below root, and the paths it moved."""
    moved = sorted({m.group(0) for m in PATH_RE.finditer(block)})
    return PATH_RE.sub(lambda m: str(root) + m.group(0), block), moved


def prepare(block, root, owner):
    """Makes the world the example expects below root: stubs for its commands, parents for its
    other paths. Returns the play's text."""
    text, moved = substitute(block, root)
    tasks = yaml.safe_load(text)
    assert isinstance(tasks, list) and all(isinstance(t, dict) for t in tasks), 'EXAMPLES must be a list of tasks'
    commands = commands_run(tasks)
    foreign = [c for c in commands if c.startswith('/') and not c.startswith(str(root)) and not shutil.which(c)]
    assert not foreign, f'commands outside SUBSTITUTIONS that this host lacks: {foreign}'
    for original in moved:
        path = pathlib.Path(str(root) + original)
        path.parent.mkdir(parents=True, exist_ok=True)
        if str(path) in commands:
            path.write_text(f'#!/bin/sh\necho "{original} $*"\nsleep {STUB_SECONDS}\n')
            path.chmod(0o755)
    user = pwd.getpwnam(owner)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            os.chown(os.path.join(dirpath, name), user.pw_uid, user.pw_gid)
    os.chown(root, user.pw_uid, user.pw_gid)
    return text


def as_play(module, target, tasks_text, async_dir):
    header = textwrap.dedent(f"""\
        ---
        - name: EXAMPLES of {module}, as pasted
          hosts: {target}
          gather_facts: false
          vars:
            ansible_async_dir: {async_dir}
          tasks:
        """)
    body = re.sub(r'\A---\n', '', tasks_text.lstrip('\n'))
    return header + textwrap.indent(body, '    ')


def recap(stdout, target):
    line = next((ln for ln in stdout.splitlines() if ln.startswith(target) and 'ok=' in ln), '')
    return {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', line)}


def kill_jobs(async_dir):
    """Kills the process group of every job an example left running in its async dir."""
    if not async_dir.is_dir():
        return
    for entry in async_dir.iterdir():
        if re.fullmatch(r'j?\d+\.\d+', entry.name):
            pid = wrapper_runner_pid(entry.name)
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass


@pytest.mark.parametrize('module,target', CASES, ids=[f'{m}-{t}' for m, t in CASES])
def test_module_examples_run_as_pasted(module, target, tmp_path):
    if not INVENTORY.exists():
        pytest.fail(f'{INVENTORY} is missing: run `make ssh-target` (tests/env/sshd.sh start) first')
    owner = TARGET_USER[target]
    # The target user must reach the stubs: not below pytest's 0700 tmp_path.
    root = pathlib.Path(tempfile.mkdtemp(prefix='examples-'))
    root.chmod(0o755)
    async_name = f'.ansible_async_examples_{uuid.uuid4().hex[:8]}'
    async_dir = pathlib.Path(pwd.getpwnam(owner).pw_dir) / async_name
    try:
        play = as_play(module, target, prepare(EXAMPLES[module], root, owner), f'~/{async_name}')
        book = tmp_path / 'example.yml'
        book.write_text(play, encoding='utf-8')
        proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(book)],
                              capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), timeout=600,
                              check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, f'{module} EXAMPLES on {target} failed:\n{play}\n{out[-6000:]}'
        counts = recap(proc.stdout, target)
        assert counts.get('ok', 0) >= 1 and counts.get('failed', 1) == 0 and counts.get('unreachable', 1) == 0, out
        # ignored: a task that failed under ignore_errors; skipped: a step the sequence never reached,
        # except a recovery step (`when: <found>.job_failed`), which a run on a fresh host skips by design.
        recovery = len(re.findall(r'^\s*when:\s*[\w.]+\.job_failed\s*$', EXAMPLES[module], re.MULTILINE))
        assert counts.get('skipped', 1) == recovery and counts.get('ignored', 1) == 0, \
            f'{module} EXAMPLES on {target}: a step was skipped or failed under ignore_errors:\n{play}\n{out[-6000:]}'
    finally:
        kill_jobs(async_dir)
        shutil.rmtree(async_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def test_every_module_has_an_example_case():
    modules = sorted(p.stem for p in (REPO / 'plugins' / 'modules').glob('*.py') if p.stem != '__init__')
    assert sorted(EXAMPLES) == modules
    assert {m for m, _t in CASES} == set(modules)


@pytest.mark.parametrize('block,expected', [
    ('shell: /opt/app/migrate.sh >> /var/log/migrate.log', ['/opt/app/migrate.sh', '/var/log/migrate.log']),
    ('argv: [/usr/local/bin/backup, --full]', ['/usr/local/bin/backup']),
    ('state_dir: /var/lib/ansible/jobs', ['/var/lib/ansible/jobs']),
    ('path: /tmp/opt/x and ~/opt/y and /etc/hosts', []),
])
def test_substitution_table_moves_only_its_prefixes(block, expected, tmp_path):
    text, moved = substitute(block, tmp_path)
    assert moved == expected
    for path in expected:
        assert str(tmp_path) + path in text
