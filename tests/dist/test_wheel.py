# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""`pip install ansible-job-service` as the docs tell it: the x86_64 wheel into a fresh venv, with
no Rust on PATH, then the seed's curl sequence against the binary it put on PATH, with the token
the service wrote to its data dir."""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import time
import zipfile

from conftest import REPO, VERSION, file_says, free_port, wheel

EXAMPLE = REPO / 'examples' / 'service'
# ansible-core comes from the primary venv, as an operator's own Ansible venv would give it.
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'
RUN_TIMEOUT = 180


def test_each_wheel_holds_its_static_binary_and_both_linux_tags(tmp_path):
    for arch, machine in (('x86_64', 'x86-64'), ('aarch64', 'ARM aarch64')):
        whl = wheel(arch)
        # One file for every Linux of the architecture: glibc (manylinux) and musl (musllinux).
        assert f'manylinux_2_17_{arch}' in whl.name and f'musllinux_1_2_{arch}' in whl.name, whl.name
        with zipfile.ZipFile(whl) as z:
            scripts = [n for n in z.namelist() if n.endswith('.data/scripts/ansible-job-service')]
            assert len(scripts) == 1, z.namelist()
            out = tmp_path / arch
            out.write_bytes(z.read(scripts[0]))
        says = file_says(out)
        assert machine in says and ('statically linked' in says or 'static-pie' in says), says


def curl(*args: str, env) -> tuple[int, str]:
    """Real curl; returns (HTTP status, body)."""
    out = subprocess.run(['curl', '-sS', '-w', '\n%{http_code}', *args], capture_output=True, text=True,
                         env=env, timeout=60, check=True).stdout
    body, _sep, code = out.rpartition('\n')
    return int(code), body


def test_the_wheel_installs_without_rust_and_serves_the_seed_sequence(tmp_path, rustless_env):
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, env=rustless_env)
    # --no-index: the wheel alone, nothing built, nothing fetched.
    subprocess.run([str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet', '--no-index',
                    '--disable-pip-version-check', str(wheel('x86_64'))], check=True, env=rustless_env)
    env = rustless_env | {'PATH': f'{venv / "bin"}:{rustless_env["PATH"]}'}
    which = subprocess.run(['sh', '-c', 'command -v ansible-job-service'], capture_output=True, text=True,
                           env=env, check=True).stdout.strip()
    assert which == str(venv / 'bin' / 'ansible-job-service')
    version = subprocess.run(['ansible-job-service', '--version'], capture_output=True, text=True, env=env,
                             check=True).stdout
    assert version.strip() == f'ansible-job-service {VERSION}'

    port = free_port()
    data = tmp_path / 'data'
    base = f'http://127.0.0.1:{port}'
    proc = subprocess.Popen(
        ['ansible-job-service', 'serve', '--project-dir', str(EXAMPLE), '--listen', f'127.0.0.1:{port}',
         '--data-dir', str(data), '--ansible-playbook', str(ANSIBLE_PLAYBOOK), '--workers', '2'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f'listening on http://127.0.0.1:{port}'), (line, proc.stderr.read() if proc.poll() is not None else '')
        token = (data / 'token').read_text().strip()
        auth = ['-H', f'Authorization: Bearer {token}']
        json_body = ['-H', 'Content-Type: application/json']

        # No token, no job.
        status, _body = curl('-XPOST', f'{base}/api/v1/jobs', *json_body, '-d', '{"playbook": "hello.yml"}', env=env)
        assert status == 401

        status, body = curl('-XPOST', f'{base}/api/v1/jobs', *auth, *json_body, '-d',
                            '{"playbook": "hello.yml", "extra_vars": {"greeting": "hi"}, "inventory": "localhost,"}',
                            env=env)
        assert status == 202, body
        job = json.loads(body)
        assert job['status'] == 'pending'
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            status, body = curl(f'{base}/api/v1/jobs/{job["job_id"]}', *auth, env=env)
            assert status == 200, body
            got = json.loads(body)
            if got['status'] not in ('pending', 'running') or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert got['status'] == 'successful', got
        assert got['result']['rc'] == 0
        assert 'hi' in got['result']['stdout']
        assert got['result']['stats']['localhost']['ok'] == 2

        status, body = curl('-XPOST', f'{base}/api/v1/jobs?sync=true', *auth, *json_body, '-d',
                            '{"playbook": "hello.yml"}', env=env)
        assert status == 200, body
        sync = json.loads(body)
        assert sync['status'] == 'successful' and sync['rc'] == 0, sync
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0, proc.stderr.read()
