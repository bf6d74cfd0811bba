# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Bad input: each refusal is the documented 4xx naming the field, nothing is started, and the
service keeps serving."""

from __future__ import annotations

import json

import pytest

MIB = 1024 * 1024


def nest(depth):
    v = 'leaf'
    for dummy in range(depth):
        v = {'k': v}
    return v


# (id, body: dict or raw bytes, headers, status, field)
CASES = [
    ('malformed-json', b'{"playbook": "hello.yml"', None, 400, None),
    ('not-json', b'playbook=hello.yml', None, 400, None),
    ('empty-body', b'', None, 400, None),
    ('json-array', b'[{"playbook": "hello.yml"}]', None, 400, None),
    ('json-string', b'"hello.yml"', None, 400, None),
    ('json-null', b'null', None, 400, None),
    ('json-number', b'42', None, 400, None),
    ('bad-utf8', b'{"playbook": "hello\xff.yml"}', None, 400, None),
    ('over-1mib', {'playbook': 'hello.yml', 'extra_vars': {'blob': 'x' * (MIB + 1000)}}, None, 413, None),
    ('unicode-playbook', {'playbook': 'h\u00e9llo\u2603.yml'}, None, 422, 'playbook'),
    ('unicode-name', {'playbook': 'hello.yml', 'name': 'n\u00e4me'}, None, 422, 'name'),
    ('unicode-inventory', {'playbook': 'hello.yml', 'inventory': 'h\u00f6st,'}, None, 422, 'inventory'),
    ('playbook-missing', {'extra_vars': {}}, None, 422, 'playbook'),
    ('playbook-empty', {'playbook': ''}, None, 422, 'playbook'),
    ('playbook-dotdot', {'playbook': '../x.yml'}, None, 422, 'playbook'),
    ('playbook-dotdot-inside', {'playbook': 'inventories/../hello.yml'}, None, 422, 'playbook'),
    ('playbook-absolute', {'playbook': '/etc/passwd'}, None, 422, 'playbook'),
    ('playbook-absolute-yml', {'playbook': '/tmp/x.yml'}, None, 422, 'playbook'),
    ('playbook-symlink-outside', {'playbook': 'outside.yml'}, None, 422, 'playbook'),
    ('playbook-directory', {'playbook': 'adir.yml'}, None, 422, 'playbook'),
    ('playbook-not-yml', {'playbook': 'inventories/local.ini'}, None, 422, 'playbook'),
    ('playbook-no-such-file', {'playbook': 'nope.yml'}, None, 422, 'playbook'),
    ('playbook-option', {'playbook': '--version'}, None, 422, 'playbook'),
    ('playbook-nul', {'playbook': 'hello.yml\u0000x.yml'}, None, 422, 'playbook'),
    ('playbook-not-string', {'playbook': ['hello.yml']}, None, 422, 'playbook'),
    ('inventory-inline-ini', {'playbook': 'hello.yml', 'inventory': 'localhost ansible_connection=local'},
     None, 422, 'inventory'),
    ('inventory-ini-section', {'playbook': 'hello.yml', 'inventory': '[all]\nlocalhost\n'}, None, 422, 'inventory'),
    ('inventory-shell', {'playbook': 'hello.yml', 'inventory': 'host;touch /tmp/pwned,'}, None, 422, 'inventory'),
    ('inventory-subst', {'playbook': 'hello.yml', 'inventory': '$(id),'}, None, 422, 'inventory'),
    ('inventory-option', {'playbook': 'hello.yml', 'inventory': '--version,'}, None, 422, 'inventory'),
    ('inventory-outside-dir', {'playbook': 'hello.yml', 'inventory': 'hello.yml'}, None, 422, 'inventory'),
    ('inventory-absolute', {'playbook': 'hello.yml', 'inventory': '/etc/hosts'}, None, 422, 'inventory'),
    ('inventory-dotdot', {'playbook': 'hello.yml', 'inventory': 'inventories/../hello.yml'}, None, 422, 'inventory'),
    ('inventory-symlink-outside', {'playbook': 'hello.yml', 'inventory': 'inventories/outside.ini'},
     None, 422, 'inventory'),
    ('inventory-not-string', {'playbook': 'hello.yml', 'inventory': ['localhost']}, None, 422, 'inventory'),
    ('extra-vars-ansible-key', {'playbook': 'hello.yml',
                                'extra_vars': {'ansible_ssh_common_args': '-o ProxyCommand=touch /tmp/pwned'}},
     None, 422, 'extra_vars'),
    ('extra-vars-ansible-interpreter', {'playbook': 'hello.yml',
                                        'extra_vars': {'ansible_python_interpreter': '/bin/sh'}},
     None, 422, 'extra_vars'),
    ('extra-vars-too-deep', {'playbook': 'hello.yml', 'extra_vars': {'a': nest(12)}}, None, 422, 'extra_vars'),
    ('extra-vars-too-big', {'playbook': 'hello.yml', 'extra_vars': {'blob': 'x' * (65 * 1024)}},
     None, 422, 'extra_vars'),
    ('extra-vars-list', {'playbook': 'hello.yml', 'extra_vars': [1, 2]}, None, 422, 'extra_vars'),
    ('extra-vars-string', {'playbook': 'hello.yml', 'extra_vars': 'greeting=hi'}, None, 422, 'extra_vars'),
    ('extra-vars-bad-key', {'playbook': 'hello.yml', 'extra_vars': {'a b': 1}}, None, 422, 'extra_vars'),
    ('extra-vars-empty-key', {'playbook': 'hello.yml', 'extra_vars': {'': 1}}, None, 422, 'extra_vars'),
    ('unknown-field', {'playbook': 'hello.yml', 'foo': 1}, None, 422, 'foo'),
    ('unknown-field-typo', {'playbook': 'hello.yml', 'extravars': {}}, None, 422, 'extravars'),
    ('name-not-string', {'playbook': 'hello.yml', 'name': 5}, None, 422, 'name'),
    ('name-space', {'playbook': 'hello.yml', 'name': 'a b'}, None, 422, 'name'),
    ('name-slash', {'playbook': 'hello.yml', 'name': '../x'}, None, 422, 'name'),
    ('name-too-long', {'playbook': 'hello.yml', 'name': 'n' * 256}, None, 422, 'name'),
    ('name-empty', {'playbook': 'hello.yml', 'name': ''}, None, 422, 'name'),
    ('idempotency-key-bad', {'playbook': 'hello.yml'}, {'Idempotency-Key': 'a b'}, 422, None),
    ('restart-unknown', {'playbook': 'hello.yml', 'restart': 'sometimes'}, None, 422, 'restart'),
    ('timeout-string', {'playbook': 'hello.yml', 'timeout': '10'}, None, 422, 'timeout'),
    ('timeout-zero', {'playbook': 'hello.yml', 'timeout': 0}, None, 422, 'timeout'),
    ('timeout-negative', {'playbook': 'hello.yml', 'timeout': -5}, None, 422, 'timeout'),
    ('timeout-fraction', {'playbook': 'hello.yml', 'timeout': 1.5}, None, 422, 'timeout'),
    ('timeout-too-long', {'playbook': 'hello.yml', 'timeout': 604801}, None, 422, 'timeout'),
    ('check-string', {'playbook': 'hello.yml', 'check': 'yes'}, None, 422, 'check'),
    ('tags-number', {'playbook': 'hello.yml', 'tags': 5}, None, 422, 'tags'),
    ('tags-list-of-numbers', {'playbook': 'hello.yml', 'tags': [1]}, None, 422, 'tags'),
    ('limit-list', {'playbook': 'hello.yml', 'limit': ['localhost']}, None, 422, 'limit'),
    ('limit-shell', {'playbook': 'hello.yml', 'limit': 'localhost;id'}, None, 422, 'limit'),
]


@pytest.fixture(scope='module')
def svc(module_service, tmp_path_factory):
    s = module_service(stub=True)
    outside = tmp_path_factory.mktemp('outside')
    (outside / 'x.yml').write_text('- hosts: all\n  tasks: []\n')
    (outside / 'x.ini').write_text('localhost\n')
    (s.project / 'outside.yml').symlink_to(outside / 'x.yml')
    (s.project / 'inventories' / 'outside.ini').symlink_to(outside / 'x.ini')
    (s.project / 'adir.yml').mkdir()
    return s


def calls(s):
    f = s.project / '.stub-calls'
    return f.read_text().splitlines() if f.exists() else []


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_refused(svc, case):
    body, headers, status, field = case[1:]
    c = svc.client
    jobs_before, calls_before = c.jobs(), calls(svc)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = c.request('POST', '/api/v1/jobs', data=data, headers=headers)
    assert r.status == status, r
    assert r.is_json(), r
    err = r.json()
    assert isinstance(err.get('detail'), str) and err['detail'], err
    if field is not None:
        assert err.get('field') == field, err
    assert c.jobs() == jobs_before, 'a refused request created a job'
    assert calls(svc) == calls_before, 'a refused request ran ansible-playbook'
    c.healthy()


def test_unicode_in_extra_vars_is_accepted(service):
    c = service().client
    word = 'za\u017c\u00f3\u0142\u0107 \u2603 \U0001d11e \u65e5\u672c'
    body = c.submit('hello.yml', query='?sync=true', expect=200, extra_vars={'greeting': word}).json()
    assert body['status'] == 'successful', body
    assert word in body['stdout'], body['stdout']


def test_nothing_ran_at_all(svc):
    """After every refusal above, the service still has no job and never ran ansible-playbook."""
    assert svc.client.jobs() == []
    assert calls(svc) == []
    svc.client.healthy()
