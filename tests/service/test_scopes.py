# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Tokens with names and scopes (`--tokens-file`), and what a job shows of how it was asked to
run: its submitter, limit, tags, check, timeout, extra var names, and their values only when
asked, never a secret one."""

from __future__ import annotations

import secrets
import signal
import time

import pytest

from test_security import refused_at_start

READ = 'r-' + secrets.token_hex(16)
SUBMIT = 's-' + secrets.token_hex(16)
ADMIN = 'a-' + secrets.token_hex(16)


def tokens_file(path, text):
    path.write_text(text)
    path.chmod(0o600)
    return path


def scoped(service, tmp_path, text=None, **kw):
    tf = tokens_file(tmp_path / 'tokens', text or (
        '# name scope secret\n'
        f'monitor read {READ}\n'
        '\n'
        f'ci submit {SUBMIT}\n'
        f'ops admin {ADMIN}\n'))
    kw.setdefault('stub', True)
    extra = [*kw.pop('extra_args', ()), '--tokens-file', str(tf)]
    svc = service(extra_args=extra, start=False, **kw)
    # With --tokens-file alone nothing is generated: the client starts with the admin token.
    svc.client.token = ADMIN
    svc.take_token = lambda: None
    return svc.start(), tf


def test_read_cannot_submit_or_cancel_submit_can(service, tmp_path):
    svc, _tokens = scoped(service, tmp_path)
    c = svc.client
    for path in ('/api/v1/jobs', '/metrics', '/api/v1/openapi.json'):
        assert c.get(path, token=READ).status == 200, path
    r = c.post('/api/v1/jobs', {'playbook': 'hello.yml'}, token=READ)
    assert r.status == 403, r
    detail = r.json()['detail']
    assert 'submit' in detail and '"monitor"' in detail and 'read' in detail, detail
    assert READ not in r.text
    assert c.jobs() == []
    assert not (svc.project / '.stub-calls').exists(), 'a read token started a run'
    r = c.post('/api/v1/jobs?sync=true', {'playbook': 'hello.yml'}, token=SUBMIT)
    assert r.status == 200 and r.json()['status'] == 'successful', r
    job_id = r.json()['job_id']
    r = c.post(f'/api/v1/jobs/{job_id}/cancel', {}, token=READ)
    assert r.status == 403 and 'submit' in r.json()['detail'], r
    # A submit token may cancel: this job has ended, so 409, not 403.
    assert c.post(f'/api/v1/jobs/{job_id}/cancel', {}, token=SUBMIT).status == 409
    pending = c.post('/api/v1/jobs', {'playbook': 'hello.yml', 'extra_vars': {'stub_sleep': 30}},
                     token=SUBMIT)
    assert pending.status == 202, pending
    r = c.post(f'/api/v1/jobs/{pending.json()["job_id"]}/cancel', {}, token=SUBMIT)
    assert r.status in (200, 202), r
    for tok in (None, 'wrong-' + READ, READ + 'x', READ[:-1]):
        assert c.get('/api/v1/jobs', token=tok).status == 401, tok
    assert c.get('/api/v1/jobs', token=ADMIN).status == 200
    out = svc.output()
    assert 'monitor (read), ci (submit), ops (admin)' in out, out
    assert all(s not in out for s in (READ, SUBMIT, ADMIN)), 'a secret is in the log'
    assert not (svc.data_dir / 'token').exists(), 'a token was generated beside --tokens-file'


def test_the_job_records_its_submitter(service, tmp_path):
    single = secrets.token_hex(20)
    svc, _tokens = scoped(service, tmp_path, token=single)
    c = svc.client
    by_ci = c.post('/api/v1/jobs?sync=true', {'playbook': 'hello.yml'}, token=SUBMIT).json()
    by_default = c.post('/api/v1/jobs?sync=true', {'playbook': 'hello.yml'}, token=single).json()
    assert c.job(by_ci['job_id'])['submitter'] == 'ci'
    # The old single token keeps working, as `default` with the admin scope.
    assert c.get(f'/api/v1/jobs/{by_default["job_id"]}', token=single).json()['submitter'] == 'default'
    listed = {j['job_id']: j['submitter'] for j in c.jobs()}
    assert listed == {by_ci['job_id']: 'ci', by_default['job_id']: 'default'}, listed
    # Another token's POST of the same name and payload attaches: the job keeps its submitter.
    name = 'n-' + secrets.token_hex(4)
    first = c.post('/api/v1/jobs', {'playbook': 'hello.yml', 'name': name,
                                    'extra_vars': {'stub_sleep': 30}}, token=SUBMIT)
    assert first.status == 202, first
    again = c.post('/api/v1/jobs', {'playbook': 'hello.yml', 'name': name,
                                    'extra_vars': {'stub_sleep': 30}}, token=ADMIN)
    assert again.status == 200 and again.json()['attached'] is True, again
    assert again.json()['submitter'] == 'ci', again
    c.post(f'/api/v1/jobs/{first.json()["job_id"]}/cancel', {}, token=ADMIN)


@pytest.mark.backends('embedded')
def test_no_token_submits_as_anonymous(service):
    svc = service(stub=True, extra_args=['--no-token'])
    job = svc.client.submit('hello.yml', query='?sync=true', expect=200).json()
    assert svc.client.job(job['job_id'])['submitter'] == 'anonymous'


def test_a_job_shows_what_it_ran_with_and_values_only_when_asked(service, tmp_path):
    svc, _tokens = scoped(service, tmp_path, extra_args=['--secret-var', 'vault_*', '--secret-var', 'PIN'])
    c = svc.client
    hidden = {k: secrets.token_hex(8) for k in ('db_password', 'vault_id', 'pin', 'api_token', 'deep')}
    extra = {
        'greeting': 'hi',
        'db_password': hidden['db_password'],
        'vault_id': hidden['vault_id'],
        'PIN': hidden['pin'],
        'conf': {'api_token': hidden['api_token'], 'port': 5432,
                 'list': [{'Secret_Key': hidden['deep']}, 2]},
    }
    r = c.post('/api/v1/jobs?sync=true', {
        'playbook': 'hello.yml', 'inventory': 'localhost,', 'limit': 'localhost',
        'tags': ['a', 'b'], 'check': True, 'timeout': 120, 'extra_vars': extra}, token=SUBMIT)
    assert r.status == 200 and r.json()['status'] == 'successful', r
    job_id = r.json()['job_id']
    for tok in (READ, SUBMIT, ADMIN):
        job = c.get(f'/api/v1/jobs/{job_id}', token=tok).json()
        assert job['submitter'] == 'ci'
        assert job['inventory'] == 'localhost,'
        assert (job['limit'], job['tags'], job['check'], job['timeout']) == ('localhost', ['a', 'b'], True, 120), job
        assert job['extra_var_names'] == ['greeting', 'db_password', 'vault_id', 'PIN', 'conf'], job
        assert 'extra_vars' not in job, job
        r = c.get(f'/api/v1/jobs/{job_id}?include=extra_vars', token=tok)
        assert r.status == 200, r
        shown = r.json()['extra_vars']
        assert shown == {
            'greeting': 'hi', 'db_password': '<secret>', 'vault_id': '<secret>', 'PIN': '<secret>',
            'conf': {'api_token': '<secret>', 'port': 5432, 'list': [{'Secret_Key': '<secret>'}, 2]},
        }, shown
        assert all(v not in r.text for v in hidden.values()), r.text
        listed = c.get('/api/v1/jobs?include=extra_vars', token=tok)
        assert listed.status == 200 and listed.json()['jobs'][0]['extra_vars'] == shown, listed
        assert all(v not in listed.text for v in hidden.values())
        plain = c.get('/api/v1/jobs', token=tok).json()['jobs'][0]
        assert 'extra_vars' not in plain and plain['limit'] == 'localhost', plain
    r = c.get(f'/api/v1/jobs/{job_id}?include=stdout')
    assert r.status == 422 and r.json()['field'] == 'include', r
    # A job that asked for nothing shows the defaults.
    bare = c.post('/api/v1/jobs?sync=true', {'playbook': 'hello.yml'}).json()
    job = c.job(bare['job_id'])
    assert (job['limit'], job['tags'], job['check'], job['timeout'], job['extra_var_names']) == \
        (None, None, False, None, []), job


@pytest.mark.backends('embedded')
def test_sighup_reads_the_tokens_again(service, tmp_path):
    svc, tf = scoped(service, tmp_path)
    c = svc.client
    new = 'n-' + secrets.token_hex(16)
    tokens_file(tf, f'ops admin {ADMIN}\nlate read {new}\n')
    svc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while c.get('/api/v1/jobs', token=new).status != 200:
        assert time.monotonic() < deadline, svc.output()
        time.sleep(0.1)
    assert c.get('/api/v1/jobs', token=READ).status == 401, 'a removed token still works'
    # A file that no longer passes is logged; the tokens stay as they were.
    tokens_file(tf, 'ops admin short\n')
    svc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while 'tokens stay as they were' not in svc.output():
        assert time.monotonic() < deadline, svc.output()
        time.sleep(0.1)
    assert svc.proc.poll() is None
    assert c.get('/api/v1/jobs', token=new).status == 200
    assert 'line 1' in svc.output()


def test_a_bad_tokens_file_exits_2_naming_the_file_and_line(tmp_path):
    tf = tmp_path / 'tokens'
    for text, line, says in [
        (f'# c\nci write {SUBMIT}\n', 2, 'scope "write"'),
        ('ci read short\n', 1, 'characters'),
        (f'ci read {READ}\n\nci admin {ADMIN}\n', 3, 'given twice'),
        (f'c/i read {READ}\n', 1, 'name "c/i"'),
        ('ci read\n', 1, 'name scope secret'),
    ]:
        tokens_file(tf, text)
        err = refused_at_start(tmp_path, '--tokens-file', str(tf))
        assert f'--tokens-file {tf} line {line}: ' in err and says in err, (text, err)
        assert all(s not in err for s in (READ, SUBMIT, ADMIN)), err
    tokens_file(tf, f'a read {READ}\nb admin {READ}\n')
    assert 'same secret' in refused_at_start(tmp_path, '--tokens-file', str(tf))
    tokens_file(tf, '# nobody\n')
    assert 'no tokens' in refused_at_start(tmp_path, '--tokens-file', str(tf))
    tokens_file(tf, f'ci read {READ}\n')
    tf.chmod(0o640)
    err = refused_at_start(tmp_path, '--tokens-file', str(tf))
    assert str(tf) in err and 'chmod 600' in err, err
    tf.chmod(0o600)
    err = refused_at_start(tmp_path, '--tokens-file', str(tf), '--no-token')
    assert '--no-token' in err and '--tokens-file' in err, err
    err = refused_at_start(tmp_path, '--tokens-file', str(tf), '--secret-var', 'a-b')
    assert '--secret-var' in err, err
