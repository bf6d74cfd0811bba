# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""What every benchmark shares: a result row, the table that shows rows side by side, and the
HTTP client the job-service benchmarks use against ours and against the seed's stack alike."""

from __future__ import annotations

import dataclasses
import http.client
import json
import pathlib
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = REPO / '.venv' / 'bin'
INVENTORY = REPO / 'tests' / '.work' / 'sshd' / 'inventory.ini'
HOST_BIN = REPO / 'binaries' / 'linux-x86_64'


@dataclasses.dataclass
class Row:
    section: str
    what: str
    ours: float
    anchor: float | None
    anchor_name: str
    unit: str = 'ms'
    goal: str = ''
    # ratio = ours / anchor unless the goal is stated as "faster by", then anchor / ours.
    faster_by: bool = False

    def ratio(self):
        if not self.anchor:
            return None
        return self.anchor / self.ours if self.faster_by else self.ours / self.anchor

    def ratio_text(self):
        r = self.ratio()
        if r is None:
            return '-'
        if self.faster_by:
            return f'{r:.1f}x faster'
        return f'{r:.2f}' if r >= 0.01 else f'{r:.4f}'


def fmt(value, unit):
    if value is None:
        return '-'
    if unit == 'ms':
        return f'{value * 1000:.1f} ms' if value >= 0.01 else f'{value * 1000:.2f} ms'
    if unit == 'B':
        return f'{value:,.0f} B'
    # Rates and megabytes, ours and the anchors alike: four significant figures at the most.
    if value >= 1000:
        return f'{value:,.0f} {unit}'
    return f'{value:.4g} {unit}'


def table(rows):
    """Markdown: one line per measurement, ours beside its anchor."""
    lines = ['| measurement | ours | anchor | ratio (ours / anchor) | goal |', '|---|---|---|---|---|']
    for r in rows:
        anchor = f'{fmt(r.anchor, r.unit)} ({r.anchor_name})' if r.anchor is not None else r.anchor_name or '-'
        lines.append(f'| {r.section}: {r.what} | {fmt(r.ours, r.unit)} | {anchor} | {r.ratio_text()} | {r.goal} |')
    return '\n'.join(lines)


class JsonClient:
    """One keep-alive connection to 127.0.0.1:<port>: JSON in, JSON (or bytes) out. A broken
    connection is dropped, so the next request opens a new one."""

    def __init__(self, port, timeout=60, token=None):
        self.port, self.timeout, self.conn, self.token = port, timeout, None, token

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        try:
            resp, raw = self.send(method, path, data)
        except (OSError, http.client.HTTPException):
            # A server may close an idle keep-alive connection just as we send on it (uvicorn
            # does after 5 s): a GET is safe to send once more, on a new connection.
            if method != 'GET':
                raise
            resp, raw = self.send(method, path, data)
        ctype = resp.getheader('Content-Type', '')
        return resp.status, (json.loads(raw) if 'json' in ctype and raw else raw)

    def send(self, method, path, data):
        if self.conn is None:
            self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=self.timeout)
        # The service refuses any POST that is not JSON, a bodiless cancel included (a web page's
        # simple requests are not): every request but a GET says JSON.
        headers = {'Content-Type': 'application/json'} if method != 'GET' else {}
        if self.token:
            headers['Authorization'] = f'Bearer {self.token}'
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            return resp, resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def auth_header(token):
    """bench/loadgen's arguments that send the bearer token (none for a stack without one)."""
    return ['--header', f'Authorization: Bearer {token}'] if token else []


def read_token(data_dir, proc, deadline_s=30):
    """The token `serve` generates at its first start in <data-dir>/token (the default: the
    benchmarks run the service as users do, token check included)."""
    path = pathlib.Path(data_dir) / 'token'
    deadline = time.monotonic() + deadline_s
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f'ansible-job-service wrote no token in {path}')
        time.sleep(0.02)
    return path.read_text().strip()
