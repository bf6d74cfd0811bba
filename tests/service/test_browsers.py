# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Web pages the operator opens must start nothing and read nothing: POSTs that are not JSON are
415, a `Host` that does not name the service (DNS rebinding) is 421, another web `Origin` is 403,
and no answer carries a permissive CORS header. The page attack runs in a real headless Chromium."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import threading

import pytest

from conftest import free_port

pytestmark = pytest.mark.backends('embedded')  # the checks come before the store: one is enough

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
# The checks against web pages come before the token, and they are all there is on loopback with
# --no-token: these tests run without one, the case where a page could otherwise get through.
NO_TOKEN = ['--no-token']


def raw(svc, method, path, headers, body=None, skip_host=False):
    """One request exactly as given: no Content-Type added, no Host when it gives one."""
    conn = http.client.HTTPConnection('127.0.0.1', svc.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=skip_host or 'Host' in headers, skip_accept_encoding=True)
        for k, v in headers.items():
            for one in v if isinstance(v, list) else [v]:
                conn.putheader(k, one)
        data = body.encode() if isinstance(body, str) else body
        if data is not None:
            conn.putheader('Content-Length', str(len(data)))
        conn.endheaders(data)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def refused(status, headers, body, code):
    assert status == code, (status, headers, body)
    assert headers.get('content-type', '').startswith('application/json'), headers
    assert json.loads(body)['detail'], body
    assert 'access-control-allow-origin' not in headers, headers


def refusals(svc):
    text = svc.client.get('/metrics').text
    found = dict(re.findall(r'^ajs_http_refused_total\{reason="(\w+)"\} (\d+)$', text, re.M))
    return {k: int(v) for k, v in found.items()}


def test_posts_must_say_json(service):
    svc = service(stub=True, extra_args=NO_TOKEN)
    c = svc.client
    job = c.submit('long.yml', extra_vars={'seconds': 120}).json()['job_id']
    body = json.dumps({'playbook': 'hello.yml'})
    # What a page can send without a preflight: text/plain, a form, multipart; or no type at all.
    for ctype in ('text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded',
                  'multipart/form-data; boundary=x', None, 'application/jsonx', 'text/json'):
        hdrs = {'Host': f'127.0.0.1:{svc.port}'} | ({'Content-Type': ctype} if ctype else {})
        refused(*raw(svc, 'POST', '/api/v1/jobs', hdrs, body), 415)
        refused(*raw(svc, 'POST', '/api/v1/jobs?sync=true', hdrs, body), 415)
        refused(*raw(svc, 'POST', f'/api/v1/jobs/{job}/cancel', hdrs), 415)
    assert [j['job_id'] for j in c.jobs()] == [job]
    assert c.job(job)['status'] != 'canceled'
    assert refusals(svc)['content_type'] == 21
    # JSON with parameters is JSON; a cancel says it too, with or without a body.
    r = c.post('/api/v1/jobs', {'playbook': 'hello.yml'}, headers={'Content-Type': 'Application/JSON; charset=utf-8'})
    assert r.status == 202, r
    r = c.post(f'/api/v1/jobs/{job}/cancel')
    assert r.status in (200, 202, 409), r
    r = c.post(f'/api/v1/jobs/{job}/cancel', {}, headers={'Content-Type': 'application/json'})
    assert r.status in (200, 202, 409), r


def test_host_must_name_the_service(service):
    """DNS rebinding: the page's own name resolves to 127.0.0.1; the request carries that name."""
    svc = service(stub=True, extra_args=NO_TOKEN)
    c = svc.client
    port = svc.port
    post = json.dumps({'playbook': 'hello.yml'})
    for host in ('rebind.evil.example', f'rebind.evil.example:{port}', f'localhost.evil.example:{port}',
                 f'127.0.0.1:{port + 1}', f'localhost:{port + 1}', '127.1', f'user@127.0.0.1:{port}'):
        code = 400 if '@' in host else 421
        for method, path in (('GET', '/api/v1/jobs'), ('GET', '/metrics'), ('GET', '/api/v1/openapi.json'),
                             ('GET', f'/api/v1/jobs/{"0" * 8}-0000-7000-8000-{"0" * 12}'), ('GET', '/nothing')):
            refused(*raw(svc, method, path, {'Host': host}), code)
        refused(*raw(svc, 'POST', '/api/v1/jobs', {'Host': host, 'Content-Type': 'application/json'}, post), code)
        r = c.get('/api/v1/jobs', headers={'Host': host})
        assert r.status == code, r  # and the OpenAPI document lists it
    refused(*raw(svc, 'GET', '/api/v1/jobs', {}, skip_host=True), 400)
    # Two Host headers (RFC 9112: 400), whichever a proxy or the service would read.
    refused(*raw(svc, 'GET', '/api/v1/jobs', {'Host': [f'127.0.0.1:{port}', 'rebind.evil.example']}), 400)
    refused(*raw(svc, 'GET', '/api/v1/jobs', {'Host': ['rebind.evil.example', f'127.0.0.1:{port}']}), 400)
    # Absolute-form targets name a host too.
    refused(*raw(svc, 'GET', 'http://rebind.evil.example/api/v1/jobs', {'Host': f'127.0.0.1:{port}'}), 421)
    assert c.jobs() == []
    for host in (f'127.0.0.1:{port}', f'localhost:{port}', f'LOCALHOST:{port}', 'localhost', '127.0.0.1',
                 f'[::1]:{port}'):
        status, headers, body = raw(svc, 'GET', '/api/v1/jobs', {'Host': host})
        assert status == 200, (host, status, body)
    # A health checker may know the service by a name of its own.
    status, headers, body = raw(svc, 'GET', '/healthz', {'Host': 'lb-probe.internal'})
    assert status == 200 and json.loads(body) == {'status': 'ok'}, (status, body)
    assert refusals(svc)['host'] == 7 * 7 + 4  # the 400s of a malformed or missing Host included


def test_public_url_names_the_service(service):
    svc = service(stub=True, extra_args=[*NO_TOKEN, '--public-url', 'https://jobs.example.test:8443/ansible',
                                         '--public-url', 'http://other.example.test'])
    port = svc.port
    for host in ('jobs.example.test', 'jobs.example.test:443', f'jobs.example.test:{port}', 'other.example.test:8443',
                 'third.example.test'):
        refused(*raw(svc, 'GET', '/api/v1/jobs', {'Host': host}), 421)
    for host in ('jobs.example.test:8443', 'JOBS.example.test:8443', 'other.example.test', 'other.example.test:80',
                 f'127.0.0.1:{port}', f'localhost:{port}'):
        status, headers, body = raw(svc, 'GET', '/api/v1/jobs', {'Host': host})
        assert status == 200, (host, status, body)


def test_origin_must_be_the_services_own(service):
    svc = service(stub=True, extra_args=NO_TOKEN)
    c = svc.client
    port = svc.port
    post = json.dumps({'playbook': 'hello.yml'})
    host = f'127.0.0.1:{port}'
    for origin in ('http://127.0.0.2:5555', f'http://127.0.0.2:{port}', f'http://localhost:{port}',
                   f'https://127.0.0.1:{port}', 'null', 'http://evil.example', 'file://', f'http://127.0.0.1:{port}/x'):
        refused(*raw(svc, 'GET', '/api/v1/jobs', {'Host': host, 'Origin': origin}), 403)
        refused(*raw(svc, 'GET', '/healthz', {'Host': host, 'Origin': origin}), 403)
        refused(*raw(svc, 'POST', '/api/v1/jobs', {'Host': host, 'Origin': origin,
                                                   'Content-Type': 'application/json'}, post), 403)
        refused(*raw(svc, 'OPTIONS', '/api/v1/jobs', {'Host': host, 'Origin': origin,
                                                      'Access-Control-Request-Method': 'POST'}), 403)
        assert c.get('/api/v1/jobs', headers={'Origin': origin}).status == 403  # the document lists it
    assert c.jobs() == []
    assert refusals(svc)['origin'] == 8 * 5
    # The service's own origin: same-origin, no CORS header needed or sent.
    status, headers, body = raw(svc, 'GET', '/api/v1/jobs', {'Host': host, 'Origin': f'http://{host}'})
    assert status == 200 and 'access-control-allow-origin' not in headers, (status, headers)


def test_allowed_origins_get_cors_naming_them(service):
    svc = service(stub=True, extra_args=[*NO_TOKEN, '--allowed-origin', 'http://ui.example.test:3000',
                                         '--public-url', 'https://jobs.example.test'])
    host = f'127.0.0.1:{svc.port}'
    post = json.dumps({'playbook': 'hello.yml'})
    for origin in ('http://ui.example.test:3001', 'https://ui.example.test:3000', 'http://ui.example.test'):
        refused(*raw(svc, 'OPTIONS', '/api/v1/jobs', {'Host': host, 'Origin': origin,
                                                      'Access-Control-Request-Method': 'POST'}), 403)
    # Behind a proxy the public URL's origin is the service's own.
    status, headers, body = raw(svc, 'GET', '/api/v1/jobs', {'Host': 'jobs.example.test', 'Origin': 'https://jobs.example.test'})
    assert status == 200 and 'access-control-allow-origin' not in headers, (status, headers)
    status, headers, body = raw(svc, 'OPTIONS', '/api/v1/jobs', {'Host': host, 'Origin': 'http://UI.example.test:3000',
                                                                 'Access-Control-Request-Method': 'POST'})
    assert status == 204, (status, headers, body)
    assert headers['access-control-allow-origin'] == 'http://ui.example.test:3000', headers
    assert 'content-type' in headers['access-control-allow-headers'], headers
    status, headers, body = raw(svc, 'POST', '/api/v1/jobs', {'Host': host, 'Origin': 'http://ui.example.test:3000',
                                                              'Content-Type': 'application/json'}, post)
    assert status == 202 and headers['access-control-allow-origin'] == 'http://ui.example.test:3000', (status, headers)


def test_any_address_listen_accepts_addresses_and_public_names_only(service):
    token = 't' * 32
    svc = service(stub=True, token=token, start=False, extra_args=['--public-url', 'http://jobs.example.test'])
    svc.args[svc.args.index('--listen') + 1] = f'0.0.0.0:{svc.port}'
    svc.start()
    auth = {'Authorization': f'Bearer {token}'}
    for host in (f'127.0.0.1:{svc.port}', f'10.1.2.3:{svc.port}', f'localhost:{svc.port}', 'jobs.example.test',
                 'jobs.example.test:80'):
        status, headers, body = raw(svc, 'GET', '/api/v1/jobs', {'Host': host} | auth)
        assert status == 200, (host, status, body)
    for host in (f'myhost:{svc.port}', f'rebind.evil.example:{svc.port}', f'10.1.2.3:{svc.port + 1}'):
        refused(*raw(svc, 'GET', '/api/v1/jobs', {'Host': host} | auth), 421)
    assert 'needs --public-url' not in svc.output()  # named in the log only when none is given
    assert 'Host accepted' in svc.output(), svc.output()


def test_flags_are_checked_at_start(tmp_path):
    from conftest import service_bin
    project = tmp_path / 'p'
    project.mkdir()
    for flag, value in (('--allowed-origin', '*'), ('--allowed-origin', 'null'), ('--allowed-origin', 'http://a/x'),
                        ('--allowed-origin', 'ftp://a'), ('--public-url', 'jobs.example.test'),
                        ('--public-url', 'http://u@jobs.example.test')):
        p = subprocess.run([str(service_bin()), 'serve', '--project-dir', str(project), flag, value],
                           capture_output=True, text=True, timeout=30, check=False)
        assert p.returncode == 2, (flag, value, p)
        assert flag in p.stderr and 'panicked' not in p.stderr, p.stderr


# ------------------------------------------------------------------------------ a real browser
ATTACK = '''<!doctype html><html><body><iframe name="sink"></iframe><script>
const target = "http://127.0.0.1:%(port)d";
const job = %(job)s;
const results = {};
async function attempt(name, f) {
  try { const r = await f(); results[name] = r.type + ":" + r.status; }
  catch (e) { results[name] = "error:" + e.name; }
}
function formPost() {
  // The classic JSON-in-a-text/plain-form trick, into an iframe: a top-level navigation.
  return new Promise(resolve => {
    const sink = document.querySelector("iframe");
    sink.onload = () => resolve("loaded");
    const f = document.createElement("form");
    f.method = "POST"; f.action = target + "/api/v1/jobs"; f.enctype = "text/plain"; f.target = "sink";
    const i = document.createElement("input");
    i.name = '{"playbook": "hello.yml", "x": "'; i.value = '"}';
    f.appendChild(i); document.body.appendChild(f); f.submit();
    setTimeout(() => resolve("timeout"), 10000);
  });
}
(async () => {
  const body = JSON.stringify({playbook: "hello.yml"});
  await attempt("nocors_text", () => fetch(target + "/api/v1/jobs",
    {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body}));
  await attempt("nocors_form", () => fetch(target + "/api/v1/jobs",
    {method: "POST", mode: "no-cors", body: new URLSearchParams({playbook: "hello.yml"})}));
  await attempt("cors_json", () => fetch(target + "/api/v1/jobs",
    {method: "POST", headers: {"Content-Type": "application/json"}, body}));
  await attempt("cors_get", () => fetch(target + "/api/v1/jobs"));
  await attempt("nocors_cancel", () => fetch(target + "/api/v1/jobs/" + job + "/cancel",
    {method: "POST", mode: "no-cors"}));
  results.form = await formPost();
  await fetch("/done", {method: "POST", body: JSON.stringify(results)});
})();
</script></body></html>'''


class Attacker(http.server.BaseHTTPRequestHandler):
    page = b''
    done = threading.Event()
    results: dict = {}

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if self.path == '/done' and not self.done.is_set():
            type(self).results = json.loads(data)
            self.done.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_web_page_starts_nothing(service, tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f'{CHROMIUM} is missing: tests/env/packages.sh /usr/bin/chromium:chromium installs it')
    svc = service(extra_args=NO_TOKEN)
    c = svc.client
    victim = c.submit('long.yml', extra_vars={'seconds': 120}).json()['job_id']
    before = c.jobs()
    Attacker.page = (ATTACK % {'port': svc.port, 'job': json.dumps(victim)}).encode()
    Attacker.done = threading.Event()
    server = http.server.ThreadingHTTPServer(('127.0.0.2', free_port()), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = f'http://127.0.0.2:{server.server_address[1]}/'
    browser = subprocess.Popen(
        [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         f'--user-data-dir={tmp_path / "chromium"}', page],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / 'chromium.log', 'wb'), start_new_session=True)
    try:
        assert Attacker.done.wait(90), (tmp_path / 'chromium.log').read_text(errors='replace')[-3000:]
    finally:
        os.killpg(browser.pid, signal.SIGKILL)
        browser.wait(10)
        server.shutdown()
    results = Attacker.results
    after = c.jobs()
    assert [j['job_id'] for j in after] == [j['job_id'] for j in before], (results, after)
    assert c.job(victim)['status'] in ('pending', 'running'), results
    # The page did reach the service: each attempt was refused there, not dropped by the browser.
    assert set(results) == {'nocors_text', 'nocors_form', 'cors_json', 'cors_get', 'nocors_cancel', 'form'}, results
    assert results['cors_json'].startswith('error') and results['cors_get'].startswith('error'), results
    counts = refusals(svc)
    assert counts['origin'] >= 6, (counts, results, svc.output())
    log = re.sub(r'\x1b\[[0-9;]*m', '', svc.log.read_text(errors='replace'))
    for path in ('/api/v1/jobs', f'/api/v1/jobs/{victim}/cancel'):
        assert re.search(rf'refused: a web page of another origin.*path={re.escape(path)}\b'
                         rf'|path={re.escape(path)}\b.*refused: a web page', log), (path, log)
    assert f'origin="http://127.0.0.2:{server.server_address[1]}"' in log, log
    assert c.post(f'/api/v1/jobs/{victim}/cancel').status in (200, 202)


def test_no_permissive_cors_anywhere():
    """No `CorsLayer`, no `*`: the only CORS header the service writes names one allowed origin."""
    src = pathlib.Path(__file__).resolve().parents[2] / 'crates' / 'job-service'
    text = '\n'.join(p.read_text() for p in src.rglob('*.rs')) + (src / 'Cargo.toml').read_text()
    assert 'CorsLayer' not in text and '"cors"' not in text
    assert not re.search(r'ALLOW_ORIGIN[^;]*"\*"', text)
