# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Configuration as an operator gives it: flags, AJS_ variables and a --config file (and which
wins), the default data dir outside the project, --pass-env, --version on every command."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import ANSIBLE_PLAYBOOK, STUB, free_port, make_project, service_bin


def clean_env(**extra):
    """The test runner's environment without any AJS_ variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('AJS_') and k != 'STATE_DIRECTORY'}
    env.update(extra)
    return env


def run(*args, env=None, timeout=30):
    return subprocess.run([str(service_bin()), *args], capture_output=True, text=True, timeout=timeout,
                          check=False, env=env or clean_env())


def first_line(args, env):
    """Starts `serve`, returns its `listening on` line (or its output if it exited), stops it."""
    proc = subprocess.Popen([str(service_bin()), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        line = proc.stdout.readline()
        if not line:
            proc.wait(10)
            pytest.fail(f'exited {proc.returncode}: {proc.stderr.read()}')
        return line
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        proc.stdout.close()
        proc.stderr.close()


def write(path: pathlib.Path, text: str, mode=0o600) -> pathlib.Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def project(tmp_path):
    p = tmp_path / 'project'
    make_project(p)
    return p


def test_a_flag_beats_its_variable_which_beats_the_file(tmp_path, project):
    """One start, one value from each source: --workers on the command line over AJS_WORKERS
    over the file; --listen from AJS_LISTEN over the file; --data-dir and --ttl from the file
    only. The `listening on` line shows what won."""
    file_port, env_port = free_port(), free_port()
    cfg = write(tmp_path / 'ajs.toml', f'''
project-dir = "{project}"
listen = "127.0.0.1:{file_port}"
workers = 5
data-dir = "{tmp_path / 'from-file'}"
ttl = "1w"
ansible-playbook = "{STUB}"
''')
    env = clean_env(AJS_WORKERS='4', AJS_LISTEN=f'127.0.0.1:{env_port}')
    line = first_line(['serve', '--config', str(cfg), '--workers', '3'], env)
    assert line.startswith(f'listening on http://127.0.0.1:{env_port} '), line
    assert ', 3 workers,' in line, line
    assert f'store sqlite:{tmp_path / "from-file"}/jobs.sqlite3' in line, line
    # Without the flag, the variable; without the variable, the file.
    line = first_line(['serve', '--config', str(cfg)], env)
    assert ', 4 workers,' in line, line
    env.pop('AJS_WORKERS')
    env.pop('AJS_LISTEN')
    line = first_line(['serve'], dict(env, AJS_CONFIG=str(cfg)))
    assert line.startswith(f'listening on http://127.0.0.1:{file_port} ') and ', 5 workers,' in line, line


@pytest.mark.parametrize('text, needle', [
    ('workerz = 3\n', 'key `workerz`: no such flag'),
    ('workers = "many"\n', '--workers'),
    ('ttl = "400d"\n', 'at most 365d'),
    ('listen = ["127.0.0.1:1", "127.0.0.1:2"]\n', 'key `listen`: takes one value'),
    ('workers = \n', 'line 2:'),
])
def test_a_bad_file_is_exit_2_naming_the_key_and_the_file(tmp_path, project, text, needle):
    cfg = write(tmp_path / 'bad.toml', f'project-dir = "{project}"\n' + text)
    p = run('serve', '--config', str(cfg), '--data-dir', str(tmp_path / 'd'))
    assert p.returncode == 2, p
    assert needle in p.stderr, p.stderr
    if 'key' in needle:
        assert str(cfg) in p.stderr, p.stderr
    assert 'panicked' not in p.stderr


def test_a_redis_password_from_the_file_or_the_environment_is_never_printed(tmp_path, project):
    cfg = write(tmp_path / 'r.toml', f'project-dir = "{project}"\nredis-url = "redis://:s3cret@127.0.0.1:1"\n')
    p = run('serve', '--config', str(cfg), '--data-dir', str(tmp_path / 'd'))
    assert p.returncode == 2 and 'redis://***@127.0.0.1:1' in p.stderr, p
    # A command line is readable by all: only there is the password warned about.
    assert 'cmdline' not in p.stderr and 's3cret' not in p.stderr + p.stdout, p
    p = run('serve', '--project-dir', str(project), '--help', env=clean_env(AJS_REDIS_URL='redis://:s3cret@h'))
    assert p.returncode == 0 and 'AJS_REDIS_URL' in p.stdout and 's3cret' not in p.stdout, p.stdout
    write(cfg, cfg.read_text(), mode=0o644)
    p = run('serve', '--config', str(cfg))
    assert p.returncode == 2 and 'chmod' in p.stderr and 's3cret' not in p.stderr, p


def test_worker_reads_the_environment_and_the_file(tmp_path, project):
    """The worker's --redis-url comes from the file and its --project-dir from AJS_PROJECT_DIR:
    it gets as far as connecting to that Redis."""
    cfg = write(tmp_path / 'w.toml', 'redis-url = "redis://127.0.0.1:1"\nconcurrency = 2\n')
    p = run('worker', '--config', str(cfg), '--data-dir', str(tmp_path / 'd'),
            env=clean_env(AJS_PROJECT_DIR=str(project)))
    assert p.returncode == 2, p
    assert '--redis-url redis://127.0.0.1:1' in p.stderr, p.stderr
    p = run('worker', '--config', str(cfg), env=clean_env(AJS_PROJECT_DIR=str(project)) | {'AJS_CONCURRENCY': '0'})
    assert p.returncode == 2 and '--concurrency' in p.stderr, p


@pytest.mark.parametrize('command', ['serve', 'worker', 'openapi'])
def test_version_on_every_command(command):
    p = run(command, '--version')
    assert p.returncode == 0, p
    assert re.fullmatch(r'ansible-job-service\S* \d+\.\d+\.\d+\S*', p.stdout.strip()), p.stdout


@pytest.mark.parametrize('value', ['1w', '1h 30m', '90', '2d'])
def test_durations_in_humantime_and_bare_seconds(tmp_path, project, value):
    line = first_line(['serve', '--project-dir', str(project), '--data-dir', str(tmp_path / 'd'), '--ttl', value,
                       '--listen', f'127.0.0.1:{free_port()}', '--ansible-playbook', str(STUB)], clean_env())
    assert line.startswith('listening on '), line


def test_the_default_data_dir_is_outside_the_project(tmp_path, project):
    """systemd's STATE_DIRECTORY first. Nothing is written into the project."""
    sd = tmp_path / 'systemd-state'
    sd.mkdir(mode=0o700)
    line = first_line(['serve', '--project-dir', str(project), '--ansible-playbook', str(STUB),
                       '--listen', f'127.0.0.1:{free_port()}'], clean_env(STATE_DIRECTORY=f'{sd}:/x/other'))
    assert f'token in {sd}/token' in line and f'store sqlite:{sd}/jobs.sqlite3' in line, line
    assert not (project / '.job-service').exists()


@pytest.fixture
def as_a_user():
    """(argv prefix, a directory that user may write): the command runs as `nobody` when the
    tests run as root (root's default is /var/lib, not the XDG one)."""
    top = pathlib.Path(tempfile.mkdtemp(prefix='ajs-xdg-'))
    top.chmod(0o755)
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which('setpriv'):
            pytest.skip('running as root without setpriv')
        os.chown(top, 65534, 65534)
        prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']
    try:
        yield prefix, top
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize('xdg', [True, False], ids=['XDG_STATE_HOME', 'HOME'])
def test_a_users_default_data_dir_is_the_xdg_state_home(as_a_user, xdg):
    """For a normal user: $XDG_STATE_HOME/ansible-job-service, else
    ~/.local/state/ansible-job-service, made 0700 with its missing parents."""
    prefix, top = as_a_user
    project = top / 'project'
    make_project(project)
    for d in [project, *project.rglob('*')]:
        d.chmod(d.stat().st_mode | 0o055)
    home = top / 'home'
    home.mkdir()
    if prefix:
        os.chown(home, 65534, 65534)
    env = clean_env(HOME=str(home))
    env.pop('XDG_STATE_HOME', None)
    if xdg:
        env['XDG_STATE_HOME'] = str(home / 'xdg' / 'state')
        made = [home / 'xdg', home / 'xdg' / 'state']
    else:
        made = [home / '.local', home / '.local' / 'state']
    dd = made[-1] / 'ansible-job-service'
    proc = subprocess.Popen([*prefix, str(service_bin()), 'serve', '--project-dir', str(project),
                             '--ansible-playbook', str(STUB), '--listen', f'127.0.0.1:{free_port()}'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert f'token in {dd}/token' in line and f'store sqlite:{dd}/jobs.sqlite3' in line, \
            line + proc.stderr.read() if not line else line
    finally:
        proc.terminate()
        proc.wait(15)
        proc.stdout.close()
        proc.stderr.close()
    for d in [*made, dd]:
        assert d.stat().st_mode & 0o777 == 0o700, d
    assert not (project / '.job-service').exists()


@pytest.mark.backends('embedded')
def test_pass_env_passes_the_named_variables_only(service):
    """A variable --pass-env names (a glob) reaches the playbook; another one of the service's
    environment does not, nor does one the built-in allow-list lacks."""
    svc = service(start=False, ansible_playbook=ANSIBLE_PLAYBOOK,
                  extra_args=['--pass-env', 'PASSENV_OK_*', '--pass-env', 'KUBECONFIG'],
                  env={'PASSENV_OK_1': 'yes-one', 'KUBECONFIG': '/k/config', 'PASSENV_SECRET': 'hidden'})
    (svc.project / 'print_env.yml').write_text('''- name: Print the environment
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Print
      ansible.builtin.debug:
        msg: "A=[{{ lookup('env', 'PASSENV_OK_1') }}] K=[{{ lookup('env', 'KUBECONFIG') }}] S=[{{ lookup('env', 'PASSENV_SECRET') }}]"
''')
    svc.start()
    job_id = svc.client.submit('print_env.yml', inventory='localhost,').json()['job_id']
    job = svc.client.wait_for(job_id)
    out = job['result']['stdout']
    assert job['status'] == 'successful', job
    assert 'A=[yes-one] K=[/k/config] S=[]' in out, out


def test_pass_env_refuses_what_is_not_a_name(tmp_path, project):
    p = run('serve', '--project-dir', str(project), '--data-dir', str(tmp_path / 'd'), '--pass-env', 'AWS-*')
    assert p.returncode == 2 and '--pass-env' in p.stderr, p
