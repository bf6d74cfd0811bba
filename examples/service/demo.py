# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The job service's part of `make demo`: start it, run hello.yml async and sync, attach to a named
job by its name, cancel it, stop the service. Each request is printed as the curl command that
does the same, with the answer.

    python examples/service/demo.py [path/to/ansible-job-service]   (default: the one on PATH)
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, base):
        self.base = base
        # The service requires a token by default, loopback included; without --token-file it
        # writes one to <data-dir>/token at its first start.
        self.token = None

    def call(self, method, path, body=None, headers=None, show=True):
        url = self.base + path
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(headers or {})
        if method == 'POST':
            # Every POST says it is JSON, a body or not: the service refuses others (415), so a
            # web page cannot make a browser send one (urllib would say form-urlencoded).
            headers.setdefault('Content-Type', 'application/json')
        if show:
            curl = f"curl -s{' -X' + method if method != 'GET' else ''} '{url}'"
            if self.token is not None:
                curl += ' -H "Authorization: Bearer $TOKEN"'
            for k, v in (headers or {}).items():
                curl += f" -H '{k}: {v}'"
            if data is not None:
                curl += f" -d '{data.decode()}'"
            print(f'$ {curl}')
        if self.token is not None:
            headers['Authorization'] = f'Bearer {self.token}'
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                code, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            code, text = e.code, e.read().decode()
        answer = json.loads(text) if text.startswith('{') else text
        if show:
            shown = answer
            if isinstance(answer, dict):
                # What each step is about first (a line is cut at 400 characters), stdout never.
                first = [k for k in ('job_id', 'status', 'attached', 'name', 'reason', 'error') if k in answer]
                rest = [k for k in answer if k not in first and k != 'stdout']
                shown = {k: answer[k] for k in first + rest}
            print(f'  -> {code} {json.dumps(shown)[:400]}')
        return code, answer


def wait_healthy(client, proc):
    for _attempt in range(100):
        if proc.poll() is not None:
            sys.exit(f'demo FAILED: the service exited with {proc.returncode}')
        try:
            if client.call('GET', '/healthz', show=False)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit('demo FAILED: the service did not answer /healthz within 10 s')


def expect(cond, what):
    if not cond:
        sys.exit(f'demo FAILED: {what}')


def main():
    # examples/demo.sh passes the binary it built from source; alone, the one on PATH (pip install).
    binary = sys.argv[1] if len(sys.argv) > 1 else 'ansible-job-service'
    port = free_port()
    with tempfile.TemporaryDirectory(prefix='job-service-demo-') as data:
        cmd = [binary, 'serve', '--project-dir', str(HERE), '--data-dir', data, '--listen', f'127.0.0.1:{port}']
        print('### Start the job service: ' + ' '.join(cmd))
        proc = subprocess.Popen(cmd)  # pylint: disable=consider-using-with
        client = Client(f'http://127.0.0.1:{port}')
        try:
            wait_healthy(client, proc)  # /healthz needs no token
            token_file = pathlib.Path(data) / 'token'
            print(f'### TOKEN=$(cat {token_file})')
            client.token = token_file.read_text().strip()
            run(client)
        finally:
            print('### Stop the service (SIGTERM)')
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print('### Job service demo done: async, sync, one run per name, cancel.')


def run(client):
    print('### Submit hello.yml, then poll it until it ends')
    code, job = client.call('POST', '/api/v1/jobs',
                            {'playbook': 'hello.yml', 'extra_vars': {'greeting': 'hi'}, 'inventory': 'localhost,'},
                            headers={'Content-Type': 'application/json'})
    expect(code == 202 and job['status'] == 'pending', f'POST answered {code} {job}')
    for _attempt in range(120):
        code, now = client.call('GET', f"/api/v1/jobs/{job['job_id']}", show=False)
        if now['status'] not in ('pending', 'running'):
            break
        time.sleep(0.5)
    code, now = client.call('GET', f"/api/v1/jobs/{job['job_id']}")
    expect(now['status'] == 'successful', f'hello.yml ended {now["status"]}')
    print(f"  stats: {json.dumps(now['result']['stats'])}")

    print('### The same, synchronous: the answer comes when the run ended')
    code, done = client.call('POST', '/api/v1/jobs?sync=true',
                             {'playbook': 'hello.yml', 'extra_vars': {'greeting': 'hello again'}})
    expect(code == 200 and done['rc'] == 0 and 'hello again' in done['stdout'], f'sync answered {code} {done}')

    print('### A named job: the second POST of the name attaches to the first run instead of starting another')
    body = {'playbook': 'long.yml', 'name': 'demo-nightly', 'extra_vars': {'seconds': 120}}
    code, first = client.call('POST', '/api/v1/jobs', body)
    expect(code == 202, f'first POST of the name answered {code}')
    code, again = client.call('POST', '/api/v1/jobs', body)
    expect(code == 200 and again['attached'] and again['job_id'] == first['job_id'],
           f'second POST of the name answered {code} {again}')
    code, page = client.call('GET', '/api/v1/jobs?name=demo-nightly')
    expect(len(page['jobs']) == 1, 'the name has more than one job')

    print('### Cancel it: TERM to its process group, then it is canceled')
    code, canceled = client.call('POST', f"/api/v1/jobs/{first['job_id']}/cancel")
    expect(code in (200, 202), f'cancel answered {code} {canceled}')
    code, ended = client.call('GET', f"/api/v1/jobs/{first['job_id']}?wait=30")
    expect(ended['status'] == 'canceled', f"the canceled job is {ended['status']}")


if __name__ == '__main__':
    os.environ.setdefault('ANSIBLE_NOCOWS', '1')
    main()
