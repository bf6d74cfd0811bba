# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""`--store URL` (with `--store-file` and AJS_STORE) chooses where jobs live: `sqlite:PATH` or
`redis://...`, opened by one factory. Bad URLs, a store given two ways and a worker on the
embedded store are usage errors (exit 2) naming the flag; an embedded store is one process's."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import STUB, make_project, service_bin


def start_refused(tmp_path, command, *args, env=None):
    project = tmp_path / 'project'
    if not project.exists():
        make_project(project)
    p = subprocess.run([str(service_bin()), command, '--project-dir', str(project), '--data-dir',
                        str(tmp_path / 'data'), '--ansible-playbook', str(STUB), *args],
                       capture_output=True, text=True, timeout=30, check=False,
                       env=dict(os.environ, **(env or {})))
    assert 'panicked' not in p.stderr, p.stderr
    return p.returncode, p.stderr


@pytest.mark.backends('embedded')
def test_serve_keeps_its_jobs_where_store_says(service, tmp_path):
    db = tmp_path / 'elsewhere' / 'jobs.db'
    db.parent.mkdir()
    svc = service(stub=True, workers=1, extra_args=['--store', f'sqlite:{db}'])
    job = svc.client.submit('hello.yml', query='?wait=30', expect=200).json()
    assert job['status'] == 'successful', job
    assert db.exists() and db.stat().st_mode & 0o777 == 0o600
    assert not (svc.data_dir / 'jobs.sqlite3').exists(), 'the default file was used instead'
    assert f'store sqlite:{db}' in svc.output()
    # The same file after a restart: the job is still there.
    svc.stop()
    svc.start()
    assert svc.client.job(job['job_id'])['status'] == 'successful'


@pytest.mark.backends('embedded')
def test_an_embedded_store_is_refused_to_a_second_process(service, tmp_path):
    db = tmp_path / 'jobs.db'
    first = service(stub=True, workers=1, extra_args=['--store', f'sqlite:{db}'])
    assert first.client.get('/healthz').status == 200
    rc, err = start_refused(tmp_path / 'second', 'serve', '--store', f'sqlite:{db}', '--listen', '127.0.0.1:0')
    assert rc == 1 and 'another ansible-job-service uses' in err and str(db) in err, err


@pytest.mark.parametrize('command, args, env, words', [
    ('serve', ['--store', 'mysql://db'], None, ['--store mysql://db', 'sqlite:PATH', 'redis://']),
    ('serve', ['--store', 'rediss://db'], None, ['--store', 'TLS']),
    ('serve', ['--store', 'sqlite:'], None, ['--store', 'needs a path']),
    ('serve', ['--redis-url', 'sqlite:/tmp/x.db'], None, ['--redis-url', 'redis://']),
    # A flag wins over its variable (docs/job-service.md, "Configuration").
    ('serve', ['--store', 'redis://127.0.0.1:1'], {'AJS_STORE': 'redis://127.0.0.2:1'}, ['--store redis://127.0.0.1:1']),
    # Two spellings of the store at once are a clap conflict, from flags or variables alike.
    ('serve', [], {'AJS_STORE': 'redis://127.0.0.1:1', 'AJS_REDIS_URL': 'redis://127.0.0.1:1'}, ['--store', '--redis-url', 'cannot be used with']),
    ('serve', [], {'AJS_STORE': 'redis://:s3cret@127.0.0.1:1'}, ['AJS_STORE redis://***@127.0.0.1:1', 'start Redis']),
    ('worker', ['--store', 'sqlite:/tmp/x.db'], None, ['--store sqlite:/tmp/x.db', 'shared store']),
    ('worker', [], {'AJS_STORE': 'sqlite:/tmp/x.db'}, ['AJS_STORE', 'shared store']),
    ('worker', [], None, ['--store', 'shared store']),
])
def test_bad_stores_exit_2_naming_where_the_url_came_from(tmp_path, command, args, env, words):
    clean = {k: v for k, v in os.environ.items() if k not in ('AJS_STORE', 'AJS_REDIS_URL')}
    project = tmp_path / 'project'
    make_project(project)
    p = subprocess.run([str(service_bin()), command, '--project-dir', str(project), '--data-dir',
                        str(tmp_path / 'data'), '--ansible-playbook', str(STUB), '--listen', '127.0.0.1:0', *args]
                       if command == 'serve' else
                       [str(service_bin()), command, '--project-dir', str(project), '--data-dir',
                        str(tmp_path / 'data'), '--ansible-playbook', str(STUB), *args],
                       capture_output=True, text=True, timeout=30, check=False, env=dict(clean, **(env or {})))
    assert p.returncode == 2, p
    for w in words:
        assert w in p.stderr, (w, p.stderr)
    assert 's3cret' not in p.stderr and 'panicked' not in p.stderr, p.stderr


def test_a_store_file_readable_by_everyone_is_refused(tmp_path):
    url = tmp_path / 'store-url'
    url.write_text('redis://:pw@127.0.0.1:1\n')
    url.chmod(0o644)
    rc, err = start_refused(tmp_path, 'worker', '--store-file', str(url))
    assert rc == 2 and '--store-file' in err and 'chmod' in err, err
