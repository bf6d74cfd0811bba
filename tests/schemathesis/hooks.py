# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""schemathesis hooks for the job service (SCHEMATHESIS_HOOKS, tests/service/test_schemathesis.py).

What the OpenAPI document cannot say is left to these, and only that: a playbook or an inventory
file must exist in the project, and a `name` sent with an `Idempotency-Key` must equal it. A
generated value the document accepts for those is swapped for one that exists (or agrees); a value
the document refuses is left alone, so negative cases stay negative. schemathesis checks each case
again after the hooks, so what it expects follows what is sent."""

from __future__ import annotations

import schemathesis

# The document's own patterns; tests/service/test_schemathesis.py checks they are the served ones.
from patterns import INVENTORY_FILE, KEY, NAME, PLAYBOOK


@schemathesis.hook
def map_case(context, case):
    op = context.operation
    if op is None or op.method.upper() != 'POST' or op.path != '/api/v1/jobs' or not isinstance(case.body, dict):
        return case
    body = case.body
    if isinstance(body.get('playbook'), str) and PLAYBOOK.fullmatch(body['playbook']):
        body['playbook'] = 'hello.yml'
    if isinstance(body.get('inventory'), str) and INVENTORY_FILE.fullmatch(body['inventory']):
        body['inventory'] = 'inventories/local.ini'
    headers = case.headers or {}
    key = next((k for k in headers if k.lower() == 'idempotency-key'), None)
    name = body.get('name')
    if key and isinstance(name, str) and NAME.fullmatch(name) and isinstance(headers[key], str) \
            and KEY.fullmatch(headers[key]) and headers[key].strip('"') != name:
        headers[key] = name
    return case
