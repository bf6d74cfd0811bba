# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The release binaries: static for both architectures, the aarch64 one answering under qemu-user,
and each tarball holding the binary with what the operator installs beside it."""

from __future__ import annotations

import subprocess
import tarfile

import pytest

from conftest import ARCHES, DIST, VERSION, binary, file_says

MACHINE = {'x86_64': 'x86-64', 'aarch64': 'ARM aarch64'}


@pytest.mark.parametrize('arch', ARCHES)
def test_the_binary_is_static(arch):
    says = file_says(binary(arch))
    assert MACHINE[arch] in says, says
    # No interpreter (ld-linux) to find: it runs on any Linux of its architecture, whatever libc.
    assert 'statically linked' in says or 'static-pie linked' in says, says


def test_the_aarch64_binary_answers_under_qemu(rustless_env):
    out = subprocess.run(['qemu-aarch64-static', str(binary('aarch64')), '--version'], capture_output=True,
                         text=True, env=rustless_env, timeout=60, check=False)
    assert out.returncode == 0 and out.stdout.strip() == f'ansible-job-service {VERSION}', out
    # Its usage errors are the same as on x86_64: exit 2, naming the flag.
    out = subprocess.run(['qemu-aarch64-static', str(binary('aarch64')), 'serve', '--project-dir', '/nonexistent'],
                         capture_output=True, text=True, env=rustless_env, timeout=60, check=False)
    assert out.returncode == 2 and '--project-dir /nonexistent' in out.stderr, out


@pytest.mark.parametrize('arch', ARCHES)
def test_the_tarball_holds_the_binary_and_the_packaging(arch):
    name = f'ansible-job-service-{VERSION}-{arch}-linux'
    with tarfile.open(DIST / f'{name}.tar.gz') as t:
        members = {m.name: m for m in t.getmembers()}
        exe = members[f'{name}/ansible-job-service']
        assert exe.mode & 0o111 and exe.uid == 0
        assert t.extractfile(exe).read() == binary(arch).read_bytes()
        for f in ('systemd/ansible-job-service.service', 'systemd/ansible-job-service.sysusers.conf',
                  'systemd/ansible-job-service.tmpfiles.conf', 'config.toml.example', 'tokens.example', 'LICENSE'):
            assert f'{name}/{f}' in members, sorted(members)


def test_sha256sums_cover_every_artifact():
    listed = {}
    for line in (DIST / 'SHA256SUMS').read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip('*')] = digest
    assert set(listed) == {p.name for p in DIST.iterdir() if p.name != 'SHA256SUMS'}
    out = subprocess.run(['sha256sum', '--check', '--quiet', 'SHA256SUMS'], cwd=DIST, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out


def test_the_aarch64_binary_serves_from_its_sqlite_store_under_qemu(tmp_path, rustless_env):
    # The bundled SQLite is the one piece of C: compiled against glibc's headers, linked to musl
    # (scripts/dist.sh). A job through the store proves the two agree on aarch64 too. /bin/true
    # stands in for ansible-playbook: the store, not Ansible, is under test here.
    import json
    import signal
    import time
    import urllib.request

    from conftest import free_port

    project = tmp_path / 'project'
    project.mkdir()
    (project / 'site.yml').write_text('- hosts: all\n  tasks: []\n')
    port = free_port()
    proc = subprocess.Popen(
        ['qemu-aarch64-static', str(binary('aarch64')), 'serve', '--project-dir', str(project),
         '--listen', f'127.0.0.1:{port}', '--data-dir', str(tmp_path / 'data'), '--ansible-playbook', '/bin/true'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=rustless_env)
    try:
        assert proc.stdout.readline().startswith(f'listening on http://127.0.0.1:{port}')
        token = (tmp_path / 'data' / 'token').read_text().strip()
        headers = {'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'}
        req = urllib.request.Request(f'http://127.0.0.1:{port}/api/v1/jobs', data=b'{"playbook": "site.yml"}',
                                     headers=headers, method='POST')
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 202
            job = json.load(r)
        deadline = time.monotonic() + 120
        while True:
            get = urllib.request.Request(f'http://127.0.0.1:{port}/api/v1/jobs/{job["job_id"]}', headers=headers)
            with urllib.request.urlopen(get, timeout=60) as r:
                got = json.load(r)
            if got['status'] not in ('pending', 'running') or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert got['status'] == 'successful' and got['result']['rc'] == 0, got
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()
