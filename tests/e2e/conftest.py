# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Drives real ansible-playbook runs against two targets: the controller itself (connection
local) and a real sshd on 127.0.0.1, logged in as an unprivileged user who becomes another
unprivileged user. `make test-e2e` installs the collection and starts the sshd first."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time
import uuid

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = pathlib.Path(__file__).resolve().parent / 'playbooks'
# E2E_VENV: the matrix runs the smoke set with an older ansible-core's venv (make test-matrix).
BIN = pathlib.Path(os.environ.get('E2E_VENV', REPO / '.venv')) / 'bin'
INVENTORY = pathlib.Path(os.environ.get('E2E_INVENTORY', REPO / 'tests' / '.work' / 'sshd' / 'inventory.ini'))
TARGETS = ['localtarget', 'sshtarget']
# The collection's modules and roles, as the tree has them: a new one is tested without being listed
# here (plugins/modules/<name>.py is the module's documentation, every module has one).
MODULES = sorted(p.stem for p in (REPO / 'plugins' / 'modules').glob('*.py') if p.stem != '__init__')
ROLES = sorted(p.parent.parent.name for p in (REPO / 'roles').glob('*/meta/argument_specs.yml'))


def ansible_env():
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / '.collections'),
        ANSIBLE_HOST_KEY_CHECKING='False',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_RETRY_FILES_ENABLED='0',
        ANSIBLE_DEPRECATION_WARNINGS='False',
        PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    return env


class Run:
    def __init__(self, proc: subprocess.CompletedProcess, out: dict):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.out = out

    def __repr__(self):
        return f'<Run rc={self.rc}>\n{self.stdout[-6000:]}'


def start_playbook(book, target, tmp_path, **extra):
    out = tmp_path / f'out-{uuid.uuid4().hex[:8]}.json'
    extra_vars = dict(extra, target=target, out_file=str(out))
    cmd = [str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(PLAYBOOKS / book),
           '-e', json.dumps(extra_vars)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ansible_env(),
                            cwd=str(tmp_path))
    return proc, out


def finish(proc, out, timeout=600) -> Run:
    stdout = proc.communicate(timeout=timeout)[0]
    data = json.loads(out.read_text()) if out.exists() else {}
    return Run(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, ''), data)


def playbook(book, target, tmp_path, **extra) -> Run:
    return finish(*start_playbook(book, target, tmp_path, **extra))


@pytest.fixture(params=TARGETS)
def target(request):
    if not INVENTORY.exists():
        pytest.fail(f'{INVENTORY} is missing: run `make ssh-target` (tests/env/sshd.sh start) first')
    return request.param


@pytest.fixture
def name():
    """A job name unique to the test, so targets and reruns never see each other's jobs."""
    return f'e2e_{uuid.uuid4().hex[:10]}'


def processes_matching(text):
    """Pids whose command line contains text (the ssh target runs on this machine too)."""
    pids = []
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / 'cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if text in cmdline and 'pytest' not in cmdline and 'ansible-playbook' not in cmdline:
            pids.append(int(entry.name))
    return pids


def wrapper_runner_pid(jid):
    """The async wrapper's runner: a wrapper process for this jid that leads its own process group."""
    prefix = jid.split('.')[0]
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / 'cmdline').read_bytes().split(b'\0')
            stat = (entry / 'stat').read_text()
        except OSError:
            continue
        if any(a.endswith(b'async_wrapper.py') and b == prefix.encode() for a, b in zip(argv, argv[1:])):
            pgid = int(stat[stat.rindex(')') + 2:].split()[2])
            if pgid == int(entry.name):
                return int(entry.name)
    return None


def kill_all(text):
    for pid in processes_matching(text):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def wait_until(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def start_running_job(target, tmp_path, name, marker) -> str:
    """Starts `sleep 60; echo <marker>` named `name` (start_job.yml) and returns its jid once the
    wrapper's runner is up, so a test can kill exactly that process."""
    start = playbook('start_job.yml', target, tmp_path, name=name, cmd=f'sleep 60; echo {marker}')
    assert start.rc == 0, start
    jid = start.out['started']['ansible_job_id']
    assert wait_until(lambda: wrapper_runner_pid(jid) is not None)
    return jid


def records_bad_input_vars(tmp_path, target):
    """What records_bad_input.yml needs: a store holding a corrupt record, and a file in the way."""
    records = tmp_path / 'records'
    corrupt = records / target / 'pb' / 'corrupt.json'
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"job_name": "corrupt", "ho')
    in_the_way = tmp_path / 'a-file'
    in_the_way.write_text('x')
    return {'records_dir': str(records), 'file_in_the_way': str(in_the_way)}
