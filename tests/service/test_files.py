# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The files and flags the service trusts at start-up, as another local user could set them
against it: the data dir, the lock files, the `sqlite:` database, the --config file, secrets in
--help and in URLs, flags checked before anything is written, SIGHUP during the start."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import time

import pytest

from conftest import free_port, make_project, service_bin
from test_config import clean_env, run, write

TOKEN = '0123456789abcdef0123456789abcdef'


@pytest.fixture
def project(tmp_path):
    p = tmp_path / 'project'
    make_project(p)
    return p


def private_dir(path: pathlib.Path, mode=0o700) -> pathlib.Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def start(args, env=None, umask=0o022):
    """Starts a command, returns it and its first stdout line (empty when it exited)."""
    proc = subprocess.Popen([str(service_bin()), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env or clean_env(), start_new_session=True,
                            preexec_fn=lambda: os.umask(umask))
    return proc, proc.stdout.readline()


def stop(proc) -> str:
    """Stops it; returns its stderr."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=20)
    return err


def test_a_data_dir_others_may_write_is_refused_whatever_the_token_source(tmp_path, project):
    tokens = write(tmp_path / 'tokens', f'ops admin {TOKEN}\n')
    token = write(tmp_path / 'token', TOKEN + '\n')
    for source in (['--tokens-file', str(tokens)], ['--token-file', str(token)], ['--no-token']):
        data = private_dir(tmp_path / f'data{len(source)}{source[0]}', 0o777)
        r = run('serve', '--project-dir', str(project), '--data-dir', str(data), '--listen',
                f'127.0.0.1:{free_port()}', *source)
        assert r.returncode == 2, (source, r.stdout, r.stderr)
        assert '--data-dir' in r.stderr and 'chmod go-w' in r.stderr, r.stderr
        assert list(data.iterdir()) == [], f'{source}: written before the check: {list(data.iterdir())}'


def test_worker_checks_its_data_dir_too(tmp_path, project):
    data = private_dir(tmp_path / 'data', 0o770)
    r = run('worker', '--project-dir', str(project), '--data-dir', str(data), '--store', 'redis://127.0.0.1:1')
    assert r.returncode == 2 and 'chmod go-w' in r.stderr, r.stderr


def test_a_lock_symlink_is_not_followed_nor_its_target_truncated(tmp_path, project):
    victim = write(tmp_path / 'victim', 'precious\n')
    for name in ('lock', 'jobs.sqlite3.lock'):
        data = private_dir(tmp_path / f'data-{name}')
        (data / name).symlink_to(victim)
        r = run('serve', '--project-dir', str(project), '--data-dir', str(data), '--no-token',
                '--listen', f'127.0.0.1:{free_port()}', timeout=30)
        assert r.returncode != 0, r.stdout
        assert victim.read_text() == 'precious\n', name


def test_the_lock_and_database_are_created_0600_whatever_the_umask(tmp_path, project):
    data = private_dir(tmp_path / 'data')
    proc, line = start(['serve', '--project-dir', str(project), '--data-dir', str(data), '--no-token',
                        '--listen', f'127.0.0.1:{free_port()}'], umask=0)
    try:
        assert line.startswith('listening on'), line
        for name in ('lock', 'jobs.sqlite3', 'jobs.sqlite3.lock'):
            assert (data / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        stop(proc)


@pytest.mark.parametrize('case, needle', [
    ('relative', 'absolute path'),
    ('symlink', 'symlink'),
    ('group-writable', 'chmod 600'),
    ('dir-writable', 'chmod go-w'),
])
def test_a_sqlite_store_others_could_change_is_refused(tmp_path, project, case, needle):
    base = private_dir(tmp_path / 'db')
    db = base / 'jobs.db'
    url = f'sqlite:{db}'
    if case == 'relative':
        url = 'sqlite:jobs.db'
    elif case == 'symlink':
        write(base / 'real.db', '')
        db.symlink_to(base / 'real.db')
    elif case == 'group-writable':
        write(db, '', 0o660)
    elif case == 'dir-writable':
        base.chmod(0o777)
    data = tmp_path / 'data'
    r = run('serve', '--project-dir', str(project), '--data-dir', str(data), '--no-token',
            '--listen', f'127.0.0.1:{free_port()}', '--store', url)
    assert r.returncode == 2, r.stdout + r.stderr
    assert '--store' in r.stderr and needle in r.stderr, r.stderr
    assert not data.exists(), 'the data dir was created before the store was checked'


def test_an_old_world_readable_database_opens_with_a_warning(tmp_path, project):
    base = private_dir(tmp_path / 'db')
    db = write(base / 'jobs.db', '', 0o644)
    proc, line = start(['serve', '--project-dir', str(project), '--data-dir', str(tmp_path / 'data'),
                        '--no-token', '--listen', f'127.0.0.1:{free_port()}', '--store', f'sqlite:{db}'])
    err = stop(proc)
    assert line.startswith('listening on'), err
    assert 'readable by group or others' in err and 'chmod 600' in err, err


@pytest.mark.parametrize('case, needle', [
    ('group-writable', 'chmod go-w'),
    ('symlink', 'os error 40'),
    ('fifo', 'not a regular file'),
])
def test_a_config_file_others_could_change_is_refused(tmp_path, project, case, needle):
    config = tmp_path / 'c.toml'
    if case == 'group-writable':
        write(config, f'project-dir = "{project}"\n', 0o664)
    elif case == 'symlink':
        config.symlink_to(write(tmp_path / 'real.toml', f'project-dir = "{project}"\n'))
    elif case == 'fifo':
        os.mkfifo(config, 0o600)
    r = run('serve', '--config', str(config), timeout=10)
    assert r.returncode == 2, r.stdout + r.stderr
    assert str(config) in r.stderr and needle in r.stderr, r.stderr


def test_help_never_prints_a_store_password_from_the_file(tmp_path):
    config = write(tmp_path / 'c.toml', 'store = "redis://:hunter2pw@h"\n')
    r = run('serve', '--config', str(config), '--help')
    assert r.returncode == 0 and '--store' in r.stdout and 'hunter2pw' not in r.stdout + r.stderr


def test_a_query_string_password_is_never_printed(tmp_path, project):
    url = 'unix:///nonexistent/redis.sock?pass=hunter2pw'
    r = run('serve', '--project-dir', str(project), '--data-dir', str(tmp_path / 'data'), '--store', url)
    assert r.returncode == 2, r.stderr
    assert 'hunter2pw' not in r.stdout + r.stderr and 'pass=***' in r.stderr, r.stderr
    # On the command line it is a password every user can read: warned about.
    assert '/proc/' in r.stderr, r.stderr


@pytest.mark.parametrize('flags, needle', [
    (['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], '--tls-cert'),
    (['--max-connections', '0'], '--max-connections'),
])
def test_a_bad_flag_is_refused_before_anything_is_created(tmp_path, project, flags, needle):
    data = tmp_path / 'data'
    r = run('serve', '--project-dir', str(project), '--data-dir', str(data), *flags)
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert not data.exists(), list(data.iterdir())


@pytest.mark.parametrize('command', ['serve', 'worker'])
def test_sighup_during_the_start_does_not_end_it(tmp_path, project, command, redis_server_url):
    args = [command, '--project-dir', str(project), '--data-dir', str(private_dir(tmp_path / 'data'))]
    if command == 'serve':
        args += ['--no-token', '--listen', f'127.0.0.1:{free_port()}']
    else:
        args += ['--store', redis_server_url, '--redis-volatile']
    # From 5 ms: before that the process is still being exec'd here (/bin/true takes 5 ms on a
    # loaded CI machine), before any code of ours could take the signal.
    for delay in (0.005, 0.01, 0.02, 0.05):
        proc = subprocess.Popen([str(service_bin()), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=clean_env(), start_new_session=True)
        try:
            time.sleep(delay)
            proc.send_signal(signal.SIGHUP)
            line = proc.stdout.readline()
            assert line, f'{delay}s: exited {proc.wait(10)}: {proc.stderr.read()}'
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)
            assert proc.poll() is None, f'{delay}s: a second SIGHUP ended it ({proc.returncode})'
        finally:
            stop(proc)


@pytest.fixture
def redis_server_url(tmp_path, request):
    if 'worker' not in request.node.name:
        yield ''
        return
    from redisd import RedisServer
    server = RedisServer(tmp_path / 'redis')
    server.start()
    yield server.url()
    server.stop()


def test_a_tokens_file_flag_beats_the_files_no_token(tmp_path, project):
    tokens = write(tmp_path / 'tokens', f'ops admin {TOKEN}\n')
    config = write(tmp_path / 'c.toml', f'project-dir = "{project}"\nno-token = true\n')
    proc, line = start(['serve', '--config', str(config), '--tokens-file', str(tokens),
                        '--data-dir', str(tmp_path / 'data'), '--listen', f'127.0.0.1:{free_port()}'])
    err = stop(proc)
    assert line.startswith('listening on') and 'ops (admin)' in line, err


def test_repeatable_flags_split_on_commas_and_an_empty_switch_is_off(tmp_path, project):
    env = clean_env(AJS_PASS_ENV='AWS_*,KUBECONFIG', AJS_NO_TOKEN='',
                    AJS_ALLOWED_ORIGIN='https://a.example,https://b.example')
    data = tmp_path / 'data'
    proc, line = start(['serve', '--project-dir', str(project), '--data-dir', str(data),
                        '--listen', f'127.0.0.1:{free_port()}'], env=env)
    err = stop(proc)
    assert line.startswith('listening on') and 'token in' in line, err
    assert '"AWS_*", "KUBECONFIG"' in err, err
    assert (data / 'token').exists()
