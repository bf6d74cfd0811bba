# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The service's log (issue 21, section 3): an access line per request and a line per job
transition, readable text without colour codes when stderr is a file, one JSON object a line with
--log-format json, and usage errors for a bad format or RUST_LOG. The tests read the real binary's
stderr after real requests and a real ansible-playbook run."""
import json
import re
import subprocess

import pytest

from conftest import service_bin

ANSI = re.compile(r'\x1b\[')


def text_lines(svc):
    return svc.log.read_text(errors='replace').splitlines()


def test_text_log_has_access_lines_and_the_three_transitions(service):
    svc = service()
    c = svc.client
    c.healthy()
    job_id = c.submit('hello.yml').json()['job_id']
    job = c.wait_for(job_id)
    assert job['status'] == 'successful', job
    # A query value may hold anything: the log shows the parameter's name, never its value.
    assert c.get('/api/v1/jobs?name=secret-value-42&limit=5').status == 200
    assert c.get('/api/v1/jobs', token=None).status == 401
    svc.stop()
    lines = text_lines(svc)
    text = '\n'.join(lines)
    assert not ANSI.search(text), 'colour codes in a redirected log:\n' + text[-3000:]
    assert 'secret-value-42' not in text, text[-3000:]

    def access(method, path, status, token):
        pat = re.compile(rf'INFO request\{{method={method} path={re.escape(path)}\}}: access: '
                         rf'status={status} ms=[0-9.]+ token="?{re.escape(token)}"?$')
        return [l for l in lines if pat.search(l)]

    assert access('GET', '/healthz', 200, '-'), text[-3000:]
    assert access('POST', '/api/v1/jobs', 202, 'default'), text[-3000:]
    assert access('GET', f'/api/v1/jobs/{job_id}', 200, 'default'), text[-3000:]
    assert access('GET', '/api/v1/jobs?name&limit', 200, 'default'), text[-3000:]
    assert access('GET', '/api/v1/jobs', 401, '-'), text[-3000:]

    def transition(what, *fields):
        found = [l for l in lines if re.search(rf' job: {what} job={job_id}\b', l)]
        assert len(found) == 1, (what, text[-3000:])
        for f in fields:
            assert re.search(f, found[0]), (f, found[0])
        return found[0]

    submitted = transition('submitted', r'playbook=hello\.yml', r'submitter="?default"?', r'name="?-"?')
    # The submission's line is inside its request's span: whoever reads it sees which call it was.
    assert 'request{method=POST path=/api/v1/jobs}' in submitted, submitted
    transition('started', r'worker="?[^ ]+:\d+"?', r'attempt=1', r'queue_wait_s=[0-9.]+')
    transition('ended', r'status="?successful"?', r'reason="?-"?', r' rc=0 ', r'run_s=[0-9.]+')


def test_failed_and_canceled_jobs_end_with_their_reason(service):
    svc = service(stub=True, workers=1)
    c = svc.client
    failed = c.submit('hello.yml', extra_vars={'stub_rc': 3}, query='?sync=true', expect=200).json()
    assert failed['status'] == 'failed', failed
    # One worker busy with a long run: the second job stays pending and its cancel ends it.
    long = c.submit('hello.yml', extra_vars={'stub_sleep': 30}).json()['job_id']
    pending = c.submit('hello.yml').json()['job_id']
    assert c.post(f'/api/v1/jobs/{pending}/cancel', {}).status == 200
    assert c.post(f'/api/v1/jobs/{long}/cancel', {}).status == 202
    c.wait_for(long)
    svc.stop()
    text = svc.log.read_text()
    assert re.search(rf' job: ended job={failed["job_id"]} status="?failed"? reason="?rc"? rc=3 ', text), text[-3000:]
    assert re.search(rf' job: ended job={pending} status="?canceled"? reason="?-"? worker="?-"?', text), text[-3000:]
    assert re.search(rf' job: ended job={long} status="?canceled"?', text), text[-3000:]
    assert not re.search(rf' job: started job={pending}', text), text[-3000:]


def test_json_log_is_one_object_a_line_with_the_fields(service):
    svc = service(stub=True, extra_args=['--log-format', 'json'])
    c = svc.client
    job_id = c.submit('hello.yml', query='?sync=true', expect=200).json()['job_id']
    svc.stop()
    objs = []
    for line in text_lines(svc):
        if line.startswith('listening on '):  # the start line goes to stdout, not the log
            continue
        obj = json.loads(line)  # every line parses
        assert isinstance(obj, dict) and {'timestamp', 'level', 'target'} <= set(obj), line
        objs.append(obj)
    posts = [o for o in objs if o['target'] == 'access' and o.get('span', {}).get('path') == '/api/v1/jobs?sync']
    assert len(posts) == 1, objs
    post = posts[0]
    assert post['span']['method'] == 'POST' and post['status'] == 200 and post['token'] == 'default', post
    assert isinstance(post['ms'], float) and post['level'] == 'INFO', post
    jobs = {o['message']: o for o in objs if o['target'] == 'job' and o.get('job') == job_id}
    assert set(jobs) == {'submitted', 'started', 'ended'}, objs
    assert jobs['submitted']['playbook'] == 'hello.yml' and jobs['submitted']['submitter'] == 'default'
    assert isinstance(jobs['started']['queue_wait_s'], float), jobs['started']
    assert jobs['ended']['status'] == 'successful', jobs['ended']
    assert not any(ANSI.search(json.dumps(o)) for o in objs)


def test_rust_log_filters_a_target(service):
    svc = service(stub=True, env={'RUST_LOG': 'access=warn,info'})
    c = svc.client
    c.submit('hello.yml', query='?sync=true', expect=200)
    svc.stop()
    text = svc.log.read_text()
    assert ' access: ' not in text, text[-3000:]
    assert ' job: ended ' in text, text[-3000:]


@pytest.mark.parametrize('args, env, needle', [
    (['--log-format', 'xml'], {}, '--log-format'),
    ([], {'RUST_LOG': 'access=loud'}, 'RUST_LOG'),
])
def test_bad_log_settings_are_usage_errors(tmp_path, args, env, needle):
    r = subprocess.run([str(service_bin()), 'serve', '--project-dir', str(tmp_path), *args],
                       capture_output=True, text=True, timeout=30, env={'PATH': '/usr/bin:/bin', **env},
                       check=False)
    assert r.returncode == 2, r
    assert needle in r.stderr and 'panicked' not in r.stderr, r.stderr
