"""Over SSH with become, a binary is uploaded once and then runs from the become user's cache:
one round trip per poll, arguments on stdin. A broken cache entry costs speed, not correctness."""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import stat
import subprocess
import uuid

from conftest import BIN, INVENTORY, PLAYBOOKS, REPO, ansible_env

BINARY = REPO / '.collections' / 'ansible_collections' / 'rstyczynski' / 'ansible' / 'bin' / 'linux-x86_64'
CACHE = pathlib.Path(pwd.getpwnam('ansible_become').pw_dir) / '.ansible' / 'rstyczynski_ansible'


def poll(tmp_path, name):
    out = tmp_path / f'out-{uuid.uuid4().hex[:8]}.json'
    cmd = [str(BIN / 'ansible-playbook'), '-vvv', '-i', str(INVENTORY), str(PLAYBOOKS / 'status.yml'),
           '-e', json.dumps({'target': 'sshtarget', 'alias': name, 'out_file': str(out)})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    status = json.loads(out.read_text())['status']
    ask = proc.stdout.split('TASK [Ask]')[1].split('TASK [Hand results')[0]
    return status, ask


def cached_binary():
    import hashlib  # pylint: disable=import-outside-toplevel
    digest = hashlib.sha256((BINARY / 'async_status_id').read_bytes()).hexdigest()[:16]
    return CACHE / digest / 'async_status_id'


def test_second_poll_is_one_round_trip_from_the_cache(tmp_path):
    name = f'cache_{uuid.uuid4().hex[:8]}'
    first, _log = poll(tmp_path, name)
    assert first['started'] is False and not first.get('failed'), first
    path = cached_binary()
    st = path.stat()
    assert pwd.getpwuid(st.st_uid).pw_name == 'ansible_become'
    assert stat.S_IMODE(st.st_mode) == 0o700 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    second, log = poll(tmp_path, name)
    assert second == first
    assert 'PUT ' not in log, log
    # The platform probe (`uname`, once per playbook run) and the poll itself.
    execs = [line for line in log.splitlines() if 'SSH: EXEC ssh ' in line]
    assert len(execs) == 2 and 'uname -sm' in execs[0], log


def test_an_unusable_cache_entry_falls_back_to_uploading(tmp_path):
    name = f'cache_{uuid.uuid4().hex[:8]}'
    poll(tmp_path, name)
    path = cached_binary()
    os.chmod(path, 0o600)  # not executable: a miss
    try:
        status, log = poll(tmp_path, name)
        assert status['started'] is False and not status.get('failed'), status
        assert 'PUT ' in log
        assert os.access(path, os.X_OK), 'the miss should have refilled the cache'
    finally:
        os.chmod(path, 0o700)


def test_a_cache_entry_the_user_does_not_own_is_never_run(tmp_path):
    """Under a become that kept $HOME, the cache path would be in another user's home; an
    entry that is not the running user's own is ignored, and the binary is uploaded instead."""
    name = f'cache_{uuid.uuid4().hex[:8]}'
    path = cached_binary()
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chown(path.parent, 0, 0)
    os.chmod(path.parent, 0o755)
    path.write_text('#!/bin/sh\necho \'{"failed": true, "msg": "impostor"}\'\n')
    os.chmod(path, 0o755)
    try:
        status, log = poll(tmp_path, name)
        assert status['started'] is False and not status.get('failed'), status
        assert 'PUT ' in log
        assert 'impostor' in path.read_text(), 'the foreign entry should be left as it was'
    finally:
        path.unlink()
        path.parent.rmdir()
