# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""schemathesis (.venv-schemathesis, `make schemathesis-venv`) against the real service on each
store: requests generated from the service's own OpenAPI document, every phase, every check, and
no failure allowed. The document is exact when what it accepts the handlers accept (but for the
playbook and inventory files, which tests/schemathesis/hooks.py picks from the project), what it
refuses they refuse, and every answer is one it lists, in the shape it gives (issue 19, finding 12).

Bounded and seeded: at most MAX_EXAMPLES cases per operation and phase, MAX_TIME seconds of
fuzzing and stateful runs per store; the same seed gives the same cases."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest

from conftest import REPO

VENV = REPO / '.venv-schemathesis'
HOOKS = REPO / 'tests' / 'schemathesis'
TOKEN = 'schemathesis-' + 'k' * 32
SEED = 19
MAX_EXAMPLES = 15
MAX_TIME = 100


def schemathesis() -> pathlib.Path:
    exe = VENV / 'bin' / 'schemathesis'
    if not exe.is_file():
        pytest.fail(f'{exe} is missing: `make schemathesis-venv` builds it (make test-service does)')
    return exe


def test_hooks_use_the_documents_patterns(service):
    """The hooks swap only values the document accepts: their patterns are the document's."""
    import sys
    sys.path.insert(0, str(HOOKS))
    try:
        import patterns as hooks
    finally:
        sys.path.remove(str(HOOKS))
    svc = service(stub=True, token=TOKEN)
    doc = svc.client.get('/api/v1/openapi.json').json()
    body = doc['components']['schemas']['SubmitBody']['properties']
    assert body['playbook']['pattern'] == hooks.PLAYBOOK.pattern
    assert body['name']['pattern'] == hooks.NAME.pattern
    assert body['inventory']['pattern'].startswith('^(?:' + hooks.INVENTORY_FILE.pattern[1:-1] + '|')
    key = next(p for p in doc['paths']['/api/v1/jobs']['post']['parameters'] if p['name'] == 'Idempotency-Key')
    assert key['schema']['pattern'] == hooks.KEY.pattern


def test_the_service_keeps_its_openapi_document(service, tmp_path):
    exe = schemathesis()
    # A short --sync-max: a generated ?wait=86400 or ?sync=true holds a request 2 s, not 10 min.
    svc = service(stub=True, token=TOKEN, workers=2, extra_args=['--sync-max', '2s'])
    args = [
        str(exe), 'run', f'http://127.0.0.1:{svc.port}/api/v1/openapi.json',
        '-H', f'Authorization: Bearer {TOKEN}',
        '--checks', 'all',
        '--phases', 'examples,coverage,fuzzing,stateful',
        '--max-examples', str(MAX_EXAMPLES),
        '--max-time', str(MAX_TIME),
        '--seed', str(SEED),
        '--workers', '2',
        '--request-timeout', '30',
        '--generation-database', 'none',
        '--no-color',
    ]
    env = dict(os.environ, SCHEMATHESIS_HOOKS='hooks', PYTHONPATH=str(HOOKS))
    # Room for the phases that do not count against --max-time (examples, coverage) on a busy machine.
    r = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=MAX_TIME + 400, check=False)
    report = r.stdout + r.stderr
    print(report[-4000:])
    assert r.returncode == 0, f'schemathesis found the document and the service apart:\n{report[-25000:]}'
    # A run that generated (almost) nothing passes too: it must have tried the API for real.
    generated = re.search(r'(\d+) generated', report)
    assert generated and int(generated.group(1)) >= 1000, report[-3000:]
