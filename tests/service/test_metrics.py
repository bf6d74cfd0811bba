# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""GET /metrics (issue 21, section 3): OpenMetrics text from prometheus-client, read here by a
strict parser of that format (prometheus_client is not in the venv), with the histograms of queue
wait and run duration counting the jobs run, jobs by final status, queue depth and busy workers."""
import math
import re
import time


NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
SAMPLE = re.compile(rf'^({NAME})(?:\{{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\}})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
SUFFIXES = {'counter': ('_total', '_created'), 'gauge': ('',), 'histogram': ('_bucket', '_count', '_sum', '_created'),
            'unknown': ('',), 'info': ('_info',), 'stateset': ('',), 'gaugehistogram': ('_gbucket', '_gcount', '_gsum'),
            'summary': ('', '_count', '_sum', '_created')}


def parse_openmetrics(text):
    """{family: {'type', 'help', 'unit', 'samples': [(name, labels, value)]}}; asserts on anything
    the OpenMetrics 1.0 text format does not allow that this exposition could get wrong."""
    assert text.endswith('# EOF\n'), 'no # EOF at the end'
    lines = text[:-len('# EOF\n')].split('\n')
    assert lines[-1] == '', 'the line before # EOF is not ended'
    families, current, seen = {}, None, set()
    for line in lines[:-1]:
        assert line, 'an empty line'
        if line.startswith('#'):
            m = re.match(rf'^# (HELP|TYPE|UNIT) ({NAME}) (.*)$', line)
            assert m, f'not a descriptor: {line!r}'
            kind, name, rest = m.groups()
            if name != current:
                assert name not in families, f'family {name} split in two'
                families[name] = {'type': 'unknown', 'help': None, 'unit': None, 'samples': []}
                current = name
            fam = families[name]
            if kind == 'TYPE':
                assert rest in SUFFIXES, line
                fam['type'] = rest
            elif kind == 'HELP':
                # The encoder ends each HELP with a full stop: a help string that brings its own
                # shows as `..` to whoever reads the scrape.
                assert not rest.endswith('..'), f'a HELP ending in "..": {line!r}'
                fam['help'] = rest
            else:
                assert name.endswith('_' + rest), f'a unit must end the name: {line!r}'
                fam['unit'] = rest
            continue
        m = SAMPLE.match(line)
        assert m, f'not a sample line: {line!r}'
        name, labels, raw = m.groups()
        assert current is not None, f'a sample before any family: {line!r}'
        fam = families[current]
        assert any(name == current + s for s in SUFFIXES[fam['type']]), f'{name} is not of family {current}'
        labels = dict(LABEL.findall(labels or ''))
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen, f'sample repeated: {line!r}'
        seen.add(key)
        v = float(raw)
        if fam['type'] == 'counter' and name.endswith('_total'):
            assert v >= 0 and not math.isnan(v), line
        fam['samples'].append((name, labels, v))
    for name, fam in families.items():
        if fam['type'] == 'histogram':
            buckets = [(float(l['le']), v) for n, l, v in fam['samples'] if n.endswith('_bucket')]
            assert buckets and buckets[-1][0] == math.inf, f'{name}: no +Inf bucket'
            assert [b for b, _count in buckets] == sorted(b for b, _count in buckets), f'{name}: buckets out of order'
            assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), f'{name}: buckets not cumulative'
            count = value(families, name, name + '_count')
            assert buckets[-1][1] == count, f'{name}: +Inf bucket != count'
    return families


def value(families, family, sample, **labels):
    found = [v for n, l, v in families[family]['samples'] if n == sample and l == labels]
    assert len(found) == 1, (family, sample, labels, families.get(family))
    return found[0]


def scrape(c):
    r = c.get('/metrics')
    assert r.status == 200, r
    assert r.headers['content-type'] == 'application/openmetrics-text; version=1.0.0; charset=utf-8', r.headers
    return parse_openmetrics(r.text)


def test_metrics_count_the_jobs_run(service):
    svc = service(stub=True, workers=2)
    c = svc.client
    before = scrape(c)
    for family in ('ajs_queue_wait_seconds', 'ajs_run_duration_seconds'):
        assert before[family]['type'] == 'histogram' and before[family]['unit'] == 'seconds', before[family]
        assert value(before, family, family + '_count') == 0
    assert value(before, 'ajs_workers', 'ajs_workers') == 2
    for status in ('successful', 'failed', 'canceled'):
        assert value(before, 'ajs_jobs_finished', 'ajs_jobs_finished_total', status=status) == 0

    ok = [c.submit('hello.yml', query='?sync=true', expect=200).json() for _i in range(3)]
    assert all(j['status'] == 'successful' for j in ok), ok
    bad = c.submit('hello.yml', extra_vars={'stub_rc': 2}, query='?sync=true', expect=200).json()
    assert bad['status'] == 'failed', bad
    slow = c.submit('hello.yml', extra_vars={'stub_sleep': 2}, query='?sync=true', expect=200).json()
    assert slow['status'] == 'successful', slow
    m = scrape(c)
    assert value(m, 'ajs_queue_wait_seconds', 'ajs_queue_wait_seconds_count') == 5
    assert value(m, 'ajs_run_duration_seconds', 'ajs_run_duration_seconds_count') == 5
    # The slow run took more than a second, the others less: the buckets tell them apart.
    assert value(m, 'ajs_run_duration_seconds', 'ajs_run_duration_seconds_bucket', le='1.0') == 4
    assert value(m, 'ajs_run_duration_seconds', 'ajs_run_duration_seconds_sum') >= 2
    assert value(m, 'ajs_jobs_finished', 'ajs_jobs_finished_total', status='successful') == 4
    assert value(m, 'ajs_jobs_finished', 'ajs_jobs_finished_total', status='failed') == 1
    assert value(m, 'ajs_submitted', 'ajs_submitted_total') == 5
    assert value(m, 'ajs_runs_started', 'ajs_runs_started_total') == 5
    assert value(m, 'ajs_jobs', 'ajs_jobs', status='successful') == 4
    assert value(m, 'ajs_queue_depth', 'ajs_queue_depth') == 0
    assert value(m, 'ajs_workers_busy', 'ajs_workers_busy') == 0
    assert m['ajs_http_refused']['type'] == 'counter'
    assert all(f['help'] for f in m.values()), [n for n, f in m.items() if not f['help']]


def test_queue_depth_busy_workers_and_canceled(service):
    svc = service(stub=True, workers=1)
    c = svc.client
    running = c.submit('hello.yml', extra_vars={'stub_sleep': 30}).json()['job_id']
    deadline = time.monotonic() + 30
    while c.job(running)['status'] != 'running':
        assert time.monotonic() < deadline
        time.sleep(0.05)
    queued = [c.submit('hello.yml').json()['job_id'] for _i in range(2)]
    m = scrape(c)
    assert value(m, 'ajs_queue_depth', 'ajs_queue_depth') == 2
    assert value(m, 'ajs_workers_busy', 'ajs_workers_busy') == 1
    assert value(m, 'ajs_runs_active', 'ajs_runs_active') == 1
    for job_id in queued:
        assert c.post(f'/api/v1/jobs/{job_id}/cancel', {}).status == 200
    assert c.post(f'/api/v1/jobs/{running}/cancel', {}).status == 202
    c.wait_for(running)
    m = scrape(c)
    assert value(m, 'ajs_jobs_finished', 'ajs_jobs_finished_total', status='canceled') == 3
    # Only the job that ran has a run duration; the two canceled in the queue never started.
    assert value(m, 'ajs_run_duration_seconds', 'ajs_run_duration_seconds_count') == 1
    assert value(m, 'ajs_queue_wait_seconds', 'ajs_queue_wait_seconds_count') == 1
    assert value(m, 'ajs_workers_busy', 'ajs_workers_busy') == 0


def test_the_parser_is_strict():
    good = '# TYPE a counter\n# HELP a x\na_total 1\n# EOF\n'
    assert value(parse_openmetrics(good), 'a', 'a_total') == 1
    for bad in ('# TYPE a counter\na_total 1\n',                      # no EOF
                '# TYPE a counter\na 1\n# EOF\n',                      # a counter sample without _total
                '# TYPE a gauge\na 1\nb 2\n# EOF\n',                   # a sample of no family
                '# TYPE a gauge\n# HELP a x..\na 1\n# EOF\n',           # a full stop twice
                '# TYPE a histogram\na_bucket{le="1"} 2\na_bucket{le="+Inf"} 1\na_count 1\n# EOF\n'):
        try:
            parse_openmetrics(bad)
        except AssertionError:
            continue
        raise AssertionError(f'accepted: {bad!r}')
