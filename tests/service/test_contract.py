# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The seed's "Testing Strategy" rows and every addition of the contract, against the real binary
and the real ansible-playbook."""

from __future__ import annotations

import datetime
import http.client
import json
import re
import time
import uuid

import yaml

from conftest import FINAL, assert_stats

JOB_FIELDS = {'job_id', 'status', 'playbook', 'inventory', 'created_at', 'started_at', 'finished_at', 'result',
              'name', 'reason', 'worker', 'attempt', 'cancel_requested'}


def ts(s):
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))


def fail_message(project):
    """The msg of the fail task in fail.yml, so the test follows the example's wording."""
    for play in yaml.safe_load((project / 'fail.yml').read_text()):
        for task in play.get('tasks', []):
            for key in ('ansible.builtin.fail', 'fail'):
                if isinstance(task.get(key), dict) and 'msg' in task[key]:
                    return task[key]['msg'].split('{{')[0].strip()
    return None


def test_submit_then_poll_to_successful(service):
    svc = service()
    c = svc.client
    word = f'hi-{uuid.uuid4().hex[:8]}'
    r = c.submit('hello.yml', extra_vars={'greeting': word}, inventory='localhost,')
    body = r.json()
    assert set(body) >= {'job_id', 'status', 'created_at', 'name', 'attached'}, body
    assert body['status'] == 'pending' and body['attached'] is False and body['name'] is None, body
    job_id = body['job_id']
    assert str(uuid.UUID(job_id)) == job_id, job_id
    assert r.headers['location'] == f'/api/v1/jobs/{job_id}', r
    ts(body['created_at'])

    job = c.wait_for(job_id)
    assert set(job) >= JOB_FIELDS, job
    assert job['status'] == 'successful', job
    assert job['job_id'] == job_id and job['playbook'] == 'hello.yml' and job['reason'] is None, job
    assert job['created_at'] == body['created_at'], (job, body)
    assert ts(job['created_at']) <= ts(job['started_at']) <= ts(job['finished_at']), job
    assert job['attempt'] == 1 and job['worker'], job
    res = job['result']
    assert res['rc'] == 0, job
    assert word in res['stdout'], res['stdout']
    assert_stats(res['stats'])
    assert res['stats']['localhost']['failures'] == 0 and res['stats']['localhost']['ok'] >= 1, res


def test_sync_answers_the_result(service):
    c = service().client
    word = f'sync-{uuid.uuid4().hex[:8]}'
    r = c.submit('hello.yml', query='?sync=true', expect=200, extra_vars={'greeting': word})
    body = r.json()
    assert set(body) >= {'job_id', 'status', 'rc', 'stdout', 'stats'}, body
    assert body['status'] == 'successful' and body['rc'] == 0, body
    assert word in body['stdout'], body['stdout']
    assert_stats(body['stats'])
    # The same job, as GET shows it.
    job = c.job(body['job_id'])
    assert job['status'] == 'successful' and job['result']['stdout'] == body['stdout'], job


def test_failing_playbook_is_failed_with_its_error(service):
    svc = service()
    c = svc.client
    r = c.submit('fail.yml', query='?sync=true', expect=200)
    body = r.json()
    assert body['status'] == 'failed' and body['rc'] not in (0, None), body
    assert 'FAILED!' in body['stdout'], body['stdout']
    msg = fail_message(svc.project)
    if msg:
        assert msg in body['stdout'], (msg, body['stdout'])
    assert_stats(body['stats'])
    assert body['stats']['localhost']['failures'] >= 1, body
    job = c.job(body['job_id'])
    assert job['status'] == 'failed' and job['reason'] == 'rc' and job['result']['rc'] == body['rc'], job


def test_unknown_and_malformed_ids(service):
    c = service(stub=True).client
    unknown = uuid.uuid4()
    for path in (f'/api/v1/jobs/{unknown}', f'/api/v1/jobs/{unknown}/stdout', f'/api/v1/jobs/{unknown}/events'):
        r = c.get(path)
        assert r.status == 404, r
        assert r.json()['detail'], r
    r = c.post(f'/api/v1/jobs/{unknown}/cancel')
    assert r.status == 404, r
    for bad in ('not-a-uuid', '12345', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'):
        r = c.get(f'/api/v1/jobs/{bad}')
        assert r.status == 400, r
        assert r.json()['detail'], r


def test_malformed_body_is_400(service):
    c = service(stub=True).client
    for data in (b'{"playbook": ', b'not json', b''):
        r = c.request('POST', '/api/v1/jobs', data=data)
        assert r.status == 400, (data, r)
        assert r.json()['detail'], r
    assert c.jobs() == []


def test_wait_on_post_and_get(service):
    c = service().client
    r = c.submit('hello.yml', query='?wait=120', expect=200)
    job = r.json()
    assert job['status'] == 'successful' and job['result']['rc'] == 0, job

    t0 = time.monotonic()
    r = c.submit('long.yml', query='?wait=1', expect=202, extra_vars={'seconds': 120})
    waited = time.monotonic() - t0
    job = r.json()
    assert job['status'] in ('pending', 'running'), job
    assert 0.9 <= waited < 30, waited
    t0 = time.monotonic()
    r = c.get(f'/api/v1/jobs/{job["job_id"]}?wait=1')
    assert r.status == 202 and r.json()['status'] in ('pending', 'running'), r
    assert 0.9 <= time.monotonic() - t0 < 30
    assert c.post(f'/api/v1/jobs/{job["job_id"]}/cancel').status in (200, 202)
    r = c.get(f'/api/v1/jobs/{job["job_id"]}?wait=120')
    assert r.status == 200 and r.json()['status'] == 'canceled', r


def test_list_filters_and_cursor_paging(service):
    c = service(stub=True, workers=2).client
    ok = [c.submit('hello.yml').json()['job_id'] for dummy in range(5)]
    bad = c.submit('hello.yml', extra_vars={'stub_rc': 2}).json()['job_id']
    named = c.submit('hello.yml', name='list-me').json()['job_id']
    for j in ok + [bad, named]:
        c.wait_for(j)
    everything = c.jobs()
    ids = [j['job_id'] for j in everything]
    assert sorted(ids) == sorted(ok + [bad, named]), everything
    created = [ts(j['created_at']) for j in everything]
    assert created == sorted(created, reverse=True), 'not newest first'
    assert ids[0] == named

    assert [j['job_id'] for j in c.jobs(status='failed')] == [bad]
    assert sorted(j['job_id'] for j in c.jobs(status='successful')) == sorted(ok + [named])
    assert c.jobs(status='running') == []
    assert [j['job_id'] for j in c.jobs(name='list-me')] == [named]
    assert c.jobs(name='nobody') == []

    pages, cursor = [], None
    while True:
        r = c.get('/api/v1/jobs?limit=2' + (f'&cursor={cursor}' if cursor else ''))
        assert r.status == 200, r
        page = r.json()
        assert len(page['jobs']) <= 2, page
        pages.append([j['job_id'] for j in page['jobs']])
        cursor = page['next_cursor']
        if not cursor:
            break
    assert [i for p in pages for i in p] == ids, pages
    assert len(pages) in (4, 5), pages
    for bad_limit in ('0', '501', 'x'):
        r = c.get(f'/api/v1/jobs?limit={bad_limit}')
        assert r.status in (400, 422), r


def read_stdout(c, job_id, offset):
    r = c.get(f'/api/v1/jobs/{job_id}/stdout?offset={offset}')
    assert r.status == 200, r
    assert r.headers['content-type'].startswith('text/plain'), r
    return r.body, int(r.headers['x-next-offset'])


def test_stdout_by_offset_while_running(service):
    c = service().client
    job_id = c.submit('ticks.yml', extra_vars={'seconds': 8}).json()['job_id']
    offset, chunks, offsets_while_running = 0, [], []
    deadline = time.monotonic() + 120
    while True:
        status = c.job(job_id)['status']
        chunk, nxt = read_stdout(c, job_id, offset)
        assert nxt == offset + len(chunk), (offset, len(chunk), nxt)
        chunks.append(chunk)
        offset = nxt
        if status == 'running':
            offsets_while_running.append(nxt)
        if status in FINAL:
            break
        assert time.monotonic() < deadline
        time.sleep(0.5)
    chunk, nxt = read_stdout(c, job_id, offset)
    chunks.append(chunk)
    grew = sorted(set(o for o in offsets_while_running if o > 0))
    assert len(grew) >= 2, f'X-Next-Offset did not grow while the job ran: {offsets_while_running}'
    job = c.job(job_id)
    assert job['status'] == 'successful', job
    assert b''.join(chunks).decode() == job['result']['stdout']
    # From the middle, and past the end.
    mid = len(chunks[0]) // 2 or 1
    body, nxt = read_stdout(c, job_id, mid)
    assert body == job['result']['stdout'].encode()[mid:]
    body, nxt2 = read_stdout(c, job_id, nxt)
    assert body == b'' and nxt2 == nxt


def events_of(c, job_id, after=None):
    r = c.get(f'/api/v1/jobs/{job_id}/events' + (f'?after={after}' if after is not None else ''))
    assert r.status == 200, r
    return r.json()


def test_events_json(service):
    c = service().client
    body = c.submit('hello.yml', query='?sync=true', expect=200).json()
    ev = events_of(c, body['job_id'])
    events = ev['events']
    seqs = [e['seq'] for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert ev['next'] == seqs[-1], ev
    names = [e['event'] for e in events]
    assert names[0] == 'playbook_on_start' and names[-1] == 'playbook_on_stats', names
    assert {'playbook_on_play_start', 'playbook_on_task_start', 'runner_on_ok'} <= set(names), names
    assert all('time' in e for e in events), events
    oks = [e for e in events if e['event'] == 'runner_on_ok']
    assert all(e['host'] == 'localhost' and 'task' in e for e in oks), oks
    stats = events[-1]['stats']
    assert stats == body['stats'], (stats, body['stats'])
    later = events_of(c, body['job_id'], after=2)
    assert [e['seq'] for e in later['events']] == seqs[2:], later


def sse(c, job_id, last_event_id=None, timeout=120):
    """The SSE stream to its end: a list of (id, event, data)."""
    conn = http.client.HTTPConnection('127.0.0.1', c.port, timeout=timeout)
    headers = {'Accept': 'text/event-stream'}
    if c.token:
        headers['Authorization'] = f'Bearer {c.token}'
    if last_event_id is not None:
        headers['Last-Event-ID'] = str(last_event_id)
    conn.request('GET', f'/api/v1/jobs/{job_id}/events', headers=headers)
    resp = conn.getresponse()
    assert resp.status == 200, (resp.status, resp.read())
    assert resp.getheader('content-type', '').startswith('text/event-stream'), resp.getheaders()
    out, cur = [], {}
    try:
        while True:
            line = resp.readline()
            if not line:
                break
            line = line.decode().rstrip('\r\n')
            if line == '':
                if cur:
                    out.append((cur.get('id'), cur.get('event', 'message'), cur.get('data', '')))
                    if cur.get('event') == 'end':
                        break
                cur = {}
            elif line.startswith(':'):
                continue
            else:
                k, dummy, v = line.partition(':')
                v = v[1:] if v.startswith(' ') else v
                cur[k] = cur[k] + '\n' + v if k == 'data' and k in cur else v
    finally:
        conn.close()
    return out


def test_events_sse_live_and_resumed(service):
    c = service().client
    job_id = c.submit('long.yml', extra_vars={'seconds': 3}).json()['job_id']
    stream = sse(c, job_id)
    assert stream and stream[-1][1] == 'end', stream
    events = [s for s in stream if s[1] != 'end']
    ids = [int(s[0]) for s in events]
    assert ids == list(range(1, len(ids) + 1)), stream
    for sid, name, data in events:
        d = json.loads(data)
        assert d['seq'] == int(sid) and d['event'] == name, (sid, name, d)
    assert events[0][1] == 'playbook_on_start' and events[-1][1] == 'playbook_on_stats', stream
    assert c.job(job_id)['status'] == 'successful'
    # The JSON list holds the same events.
    assert [e['seq'] for e in events_of(c, job_id)['events']] == ids
    resumed = sse(c, job_id, last_event_id=3)
    assert [int(s[0]) for s in resumed if s[1] != 'end'] == ids[3:], resumed
    assert resumed[-1][1] == 'end'


def test_healthz_metrics_openapi(service):
    svc = service(stub=True)
    c = svc.client
    c.healthy()
    c.submit('hello.yml', query='?sync=true', expect=200)
    r = c.get('/metrics')
    assert r.status == 200 and r.headers['content-type'].startswith('application/openmetrics-text;'), r
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?'
                        r' (\S+)( -?\d+)?$')
    names = set()
    for line in r.text.splitlines():
        if not line or line.startswith('#'):
            assert not line or re.match(r'^# (HELP|TYPE) \S+ ', line) or line.startswith('# '), line
            continue
        m = sample.match(line)
        assert m, f'not a Prometheus sample line: {line!r}'
        float(m.group(3))
        names.add(m.group(1))
    assert names, r.text
    r = c.get('/api/v1/openapi.json')
    assert r.status == 200 and r.json()['openapi'].startswith('3.1'), r
    paths = set(r.json()['paths'])
    assert {'/api/v1/jobs', '/api/v1/jobs/{job_id}', '/api/v1/jobs/{job_id}/stdout',
            '/api/v1/jobs/{job_id}/events', '/api/v1/jobs/{job_id}/cancel'} <= paths, paths


def test_timeout_fails_the_job(service):
    c = service().client
    t0 = time.monotonic()
    job_id = c.submit('long.yml', extra_vars={'seconds': 300}, timeout=2).json()['job_id']
    job = c.wait_for(job_id, timeout=120)
    assert job['status'] == 'failed' and job['reason'] == 'timeout', job
    assert time.monotonic() - t0 < 60
    assert ts(job['finished_at']) - ts(job['started_at']) >= datetime.timedelta(seconds=2), job


def test_check_limit_tags_reach_ansible_playbook(service):
    c = service().client
    plain = c.submit('options.yml', inventory='localhost,otherhost').json()['job_id']
    opts = c.submit('options.yml', inventory='localhost,otherhost', check=True, limit='otherhost',
                    tags=['extra']).json()['job_id']
    plain, opts = c.wait_for(plain), c.wait_for(opts)
    assert plain['status'] == 'successful' and opts['status'] == 'successful', (plain, opts)
    out = plain['result']['stdout']
    assert 'check_mode=False' in out and 'TAGGED-TASK-RAN' not in out, out
    assert_stats(plain['result']['stats'], hosts=('localhost', 'otherhost'))
    out = opts['result']['stdout']
    assert 'check_mode=True' in out and 'TAGGED-TASK-RAN' in out, out
    assert_stats(opts['result']['stats'], hosts=('otherhost',))
    tags_str = c.submit('options.yml', query='?sync=true', expect=200, tags='extra').json()
    assert 'TAGGED-TASK-RAN' in tags_str['stdout'], tags_str


def test_inventory_file_under_inventories(service):
    svc = service()
    body = svc.client.submit('hello.yml', query='?sync=true', expect=200, inventory='inventories/local.ini').json()
    assert body['status'] == 'successful', body
    assert 'localhost' in body['stats'], body


def test_openapi_describes_the_sync_and_wait_answers(service):
    """The answers of ?sync=true (200: job_id, status, rc, stdout, stats) and of ?wait=N past N
    (202: the job as GET shows it) are in the document; the client checks each against it."""
    c = service(stub=True).client
    r = c.submit('hello.yml', query='?sync=true', expect=200)
    assert set(r.json()) >= {'job_id', 'status', 'rc', 'stdout', 'stats'}, r
    r = c.submit('hello.yml', query='?wait=1', expect=202, extra_vars={'stub_sleep': 30})
    assert r.json()['status'] in ('pending', 'running') and 'playbook' in r.json(), r
    r = c.post(f'/api/v1/jobs/{r.json()["job_id"]}/cancel')
    assert r.status == 202, r
