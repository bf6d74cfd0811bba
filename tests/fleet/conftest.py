# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""A real fleet: three hosts in network namespaces, each with its own address, link and sshd
(tests/env/fleet.sh), driven by real ansible-playbook with the installed collection. The hosts
share this machine's filesystem and /proc, so a test sees each host's job processes, tells them
apart by a marker holding the host's name, and can cut one host's link (`ip link set ... down`)."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
FLEET_SH = REPO / 'tests' / 'env' / 'fleet.sh'
STATE = REPO / 'tests' / '.work' / 'fleet'
INVENTORY = STATE / 'inventory.ini'
INSTALLED = REPO / '.collections' / 'ansible_collections' / 'rstyczynski' / 'ansible'
# The become user's home: each host's async dir (ansible_async_dir, ~/.ansible_async_host<i>) is in it.
BECOME_HOME = pathlib.Path('/home/ansible_become')


def _e2e_helpers():
    # tests/e2e/conftest.py is a module named `conftest` too, so it is loaded under another name.
    spec = importlib.util.spec_from_file_location('e2e_conftest', REPO / 'tests' / 'e2e' / 'conftest.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_e2e = _e2e_helpers()
ansible_env, processes_matching, wait_until, kill_all = (_e2e.ansible_env, _e2e.processes_matching,
                                                         _e2e.wait_until, _e2e.kill_all)
BIN = _e2e.BIN


@pytest.fixture(scope='session')
def fleet():
    """Starts the fleet (tests/env/fleet.sh start) and removes it after the session."""
    if os.geteuid() != 0:
        pytest.skip('the fleet needs root (network namespaces, users, sshd)')
    if not (INSTALLED / 'MANIFEST.json').exists():
        pytest.fail(f'{INSTALLED} is missing: run `make collection` first')
    started = subprocess.run([str(FLEET_SH), 'start'], capture_output=True, text=True, check=False)
    assert started.returncode == 0, f'fleet.sh start failed:\n{started.stdout}\n{started.stderr}'
    hosts = json.loads((STATE / 'hosts.json').read_text())
    yield Fleet(hosts)
    stopped = subprocess.run([str(FLEET_SH), 'stop'], capture_output=True, text=True, check=False)
    assert stopped.returncode == 0, f'fleet.sh stop failed:\n{stopped.stderr}'


class Fleet:
    def __init__(self, hosts: dict):
        self.hosts = hosts
        self.names = sorted(hosts)

    def link(self, host: str, up: bool):
        cmd = ['ip', 'link', 'set', self.hosts[host]['link'], 'up' if up else 'down']
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f'{" ".join(cmd)}: {done.stderr}'

    def async_dir(self, host: str) -> pathlib.Path:
        return BECOME_HOME / self.hosts[host]['async_dir'].removeprefix('~/')

    def jid_named(self, host: str, name: str) -> str | None:
        """The jid host's name points to, read from the host's async dir (jid_<name> -> <jid>)."""
        link = self.async_dir(host) / f'jid_{name}'
        try:
            return os.path.basename(os.readlink(link))
        except OSError:
            return None

    def namespace_of(self, pid: int) -> str | None:
        done = subprocess.run(['ip', 'netns', 'identify', str(pid)], capture_output=True, text=True, check=False)
        return done.stdout.strip() or None


@pytest.fixture
def name():
    """A job name unique to the test."""
    return f'fleet_{uuid.uuid4().hex[:10]}'


@pytest.fixture
def marker():
    """Text in the job's command line; `<marker>-<host>` tells the hosts' processes apart."""
    text = f'marker_{uuid.uuid4().hex}'
    yield text
    kill_all(text)


@pytest.fixture
def control_dir():
    """A ControlPersist socket dir of the test's own, so no SSH master outlives into another test.
    Short, under /tmp: a socket path has at most 107 bytes, and ssh adds a 40-char hash and a suffix."""
    path = tempfile.mkdtemp(prefix='rsa-cp-', dir='/tmp')
    yield path
    # The masters exit on their own (ControlPersist); ask them now, so none is left behind.
    for sock in pathlib.Path(path).iterdir():
        subprocess.run(['ssh', '-o', f'ControlPath={sock}', '-O', 'exit', 'x'], capture_output=True, check=False)
    shutil.rmtree(path, ignore_errors=True)


class Run:
    """One ansible-playbook run over the fleet: its rc, output, each host's registered result and
    the time that result was handed over, and the PLAY RECAP counts per host."""

    def __init__(self, proc: subprocess.CompletedProcess, out_dir: pathlib.Path, began: float):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.began = began
        self.results, self.done_after = {}, {}
        for f in out_dir.glob('*.json'):
            self.results[f.stem] = json.loads(f.read_text())
            self.done_after[f.stem] = f.stat().st_mtime - began
        self.recap = {m.group(1): {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', m.group(2))}
                      for m in re.finditer(r'^(\S+)\s+:\s+(ok=.*)$', self.stdout, re.M)}

    def __repr__(self):
        return f'<Run rc={self.rc}>\n{self.stdout[-8000:]}'


def start_playbook(book, tmp_path, control_dir, **extra):
    out_dir = tmp_path / f'out-{uuid.uuid4().hex[:8]}'
    out_dir.mkdir()
    cmd = [str(BIN / 'ansible-playbook'), '-i', str(INVENTORY), str(HERE / 'playbooks' / book),
           '-e', json.dumps(dict(extra, out_dir=str(out_dir)))]
    env = dict(ansible_env(), ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir)
    began = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            cwd=str(tmp_path))
    return proc, out_dir, began


def finish(proc, out_dir, began, timeout=300) -> Run:
    stdout = proc.communicate(timeout=timeout)[0]
    return Run(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, ''), out_dir, began)


def playbook(book, tmp_path, control_dir, **extra) -> Run:
    return finish(*start_playbook(book, tmp_path, control_dir, **extra))


def kill_session(pid: int):
    """SIGKILL to every process in pid's session: the async wrapper's daemon leads it (setsid), and
    its runner and the command's process group are in it."""
    sid = os.getsid(pid)
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass
