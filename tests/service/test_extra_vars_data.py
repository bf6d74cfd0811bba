# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Extra vars are data (issue 19): a template a client sends is never rendered, on each
ansible-core of the matrix; the names ansible-core reserves are refused, checked against each
ansible-core's own list; an inventory file with an execute bit is refused unless the operator
allows inventory scripts."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

from conftest import REPO

# The venvs of `make venv` and `make matrix-venvs`; one not built here is skipped.
VENVS = {'2.15': REPO / '.venv-2.15', '2.19': REPO / '.venv-2.19', '2.21': REPO / '.venv'}


def venv_params():
    return [pytest.param(v, marks=pytest.mark.skipif(not (VENVS[v] / 'bin' / 'ansible-playbook').exists(),
                                                     reason=f'{VENVS[v]} is not built'))
            for v in VENVS]


def core_version(venv: pathlib.Path) -> str:
    code = 'from ansible.release import __version__ as v; print(v)'
    return subprocess.run([str(venv / 'bin' / 'python'), '-c', code],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def pipe(marker: pathlib.Path) -> str:
    return "{{ lookup('pipe', 'touch " + str(marker) + "') }}"


def echoed(stdout: str) -> object:
    """The payload echo_vars.yml printed: the `msg` line of its debug task, as JSON."""
    lines = [ln.strip() for ln in stdout.splitlines() if '"msg": "PAYLOAD=' in ln]
    assert len(lines) == 1, stdout
    msg = json.loads('{' + lines[0].rstrip(',') + '}')['msg']
    return json.loads(msg[len('PAYLOAD='):])


@pytest.mark.backends('embedded')
@pytest.mark.parametrize('core', venv_params())
def test_templates_in_extra_vars_are_data(service, core, tmp_path):
    venv = VENVS[core]
    assert core_version(venv).startswith(core + '.'), (core, venv)
    svc = service(ansible_playbook=venv / 'bin' / 'ansible-playbook')
    c = svc.client
    markers = {n: tmp_path / f'pwned-{n}' for n in ('greeting', 'key', 'value', 'item', 'deep', 'header')}
    # The finding as reported: hello.yml prints the greeting; the command must not run.
    body = c.submit('hello.yml', query='?sync=true', expect=200,
                    extra_vars={'greeting': pipe(markers['greeting'])}).json()
    assert not markers['greeting'].exists(), f'the greeting ran its command on ansible-core {core}'
    assert body['status'] == 'successful', body
    assert f"{pipe(markers['greeting'])} from localhost" in body['stdout'], body['stdout']
    # Keys, values and list items at any depth, and the other JSON types, arrive as sent.
    payload = {
        pipe(markers['key']): pipe(markers['value']),
        'list': [pipe(markers['item']), 1, -2, 2.5, 1e20, 18446744073709551615, True, False, None, [], {}],
        'deep': {'a': {'b': {'c': {'d': pipe(markers['deep'])}}}},
        'quoting': 'a"b\\c\nd\te\x7f\x85 é \ufeff 😀 {% raw %} {# x #} #: ,]} &*!|>\'%@` ? - ',
        # A header that sets other delimiters: a template without a brace (2.15 honours it).
        'header': "#jinja2:variable_start_string:'[[', variable_end_string:']]'\n[[ lookup('pipe', 'touch "
                  + str(markers['header']) + "') ]]",
        # ansible-core 2.19+ reads `!unsafe "123"` as 123: these must stay strings.
        'lookalikes': ['123', '', 'true', 'yes', 'No', 'null', '~', '1.5', '1e3', '0x1F', '1:20', '.inf',
                       '2001-12-14', '<<', '=', '*', '!', '&', 'hello world', 'a\tb',
                       # Python's `$` matches before a final newline: tagged, these resolved again.
                       '123\n', '0x1F\n', '1_000\n', '1.5\n', '2001-12-14\n', '~\n', 'null\n', 'true\n',
                       'on\n', '-.inf\n', '*\n', '=\n', '<<\n'],
        '': '',
        '123': 'numeric key', 'true': 'bool key', 'null': 'null key',
        'x' * 2000: 'long key',
        '{' * 2000: 'long key to tag',
    }
    # Top-level names that YAML 1.1 reads as other types, too.
    body = c.submit('echo_vars.yml', query='?sync=true', expect=200,
                    extra_vars={'payload': payload, 'yes': 'y', 'null_': None}).json()
    made = [str(m) for m in markers.values() if m.exists()]
    assert not made, f'a template in the extra vars ran on ansible-core {core}: {made}'
    assert body['status'] == 'successful', body
    assert echoed(body['stdout']) == payload


@pytest.mark.backends('embedded')
def test_templates_only_with_the_operator_flag(service, tmp_path):
    svc = service(extra_args=['--allow-templates-in-extra-vars'])
    assert '--allow-templates-in-extra-vars' in svc.output() and 'WARN' in svc.output(), svc.output()
    body = svc.client.submit('hello.yml', query='?sync=true', expect=200,
                             extra_vars={'greeting': '{{ "x" ~ 6 * 7 }}'}).json()
    assert body['status'] == 'successful', body
    assert 'x42 from localhost' in body['stdout'], body['stdout']


def refused(c, extra_vars) -> None:
    r = c.submit('hello.yml', expect=None, extra_vars=extra_vars)
    assert r.status == 422, (extra_vars, r)
    assert r.json()['field'] == 'extra_vars', r


@pytest.mark.backends('embedded')
@pytest.mark.parametrize('core', venv_params())
def test_every_name_ansible_core_reserves_is_refused(service, core):
    venv = VENVS[core]
    out = subprocess.run([str(venv / 'bin' / 'python'), str(pathlib.Path(__file__).parent / 'reserved_names.py')],
                         capture_output=True, text=True, check=True, timeout=120)
    oracle = json.loads(out.stdout)
    assert oracle['version'].startswith(core + '.'), oracle['version']
    names = oracle['names']
    # The ones the review named must be among what ansible-core gives: else the oracle is wrong.
    assert {'inventory_hostname', 'hostvars', 'groups', 'group_names', 'playbook_dir', 'role_path'} <= set(names)
    assert len(names) > 60, names
    c = service(stub=True).client
    accepted = [n for n in names if c.submit('hello.yml', expect=None, extra_vars={n: 'x'}).status != 422]
    assert not accepted, f'names ansible-core {oracle["version"]} reserves, accepted as extra vars: {accepted}'
    # 'omit' is no variable of VariableManager's on every release, but the template engine's own.
    refused(c, {'omit': 'x'})


@pytest.mark.backends('embedded')
def test_a_spoofed_host_name_is_refused(service):
    c = service().client
    r = c.submit('hello.yml', query='?sync=true', expect=None, extra_vars={'inventory_hostname': 'db-prod-1'})
    assert r.status == 422, r
    assert r.json()['field'] == 'extra_vars' and 'inventory_hostname' in r.json()['detail'], r
    # A name that only looks like one stays accepted: the refusal is of exact names.
    body = c.submit('hello.yml', query='?sync=true', expect=200, extra_vars={'hostname': 'x', 'my_vars': 1}).json()
    assert body['status'] == 'successful', body


def script_inventory(project: pathlib.Path, marker: pathlib.Path) -> str:
    script = project / 'inventories' / 'dynamic.sh'
    script.write_text(f'#!/bin/sh\ntouch {marker}\necho \'{{"all": {{"hosts": ["localhost"]}}, '
                      '"_meta": {"hostvars": {"localhost": {"ansible_connection": "local"}}}}\'\n')
    script.chmod(0o755)
    return 'inventories/dynamic.sh'


@pytest.mark.backends('embedded')
def test_an_inventory_with_an_execute_bit_is_refused(service, tmp_path):
    marker = tmp_path / 'inventory-ran'
    svc = service()
    rel = script_inventory(svc.project, marker)
    r = svc.client.submit('hello.yml', expect=None, inventory=rel)
    assert r.status == 422, r
    assert r.json()['field'] == 'inventory' and '--allow-inventory-scripts' in r.json()['detail'], r
    assert not marker.exists()
    # The same file without the bit is a static inventory again (YAML it is not: ansible-core
    # then finds no host in it, so the run fails, but it ran nothing).
    os.chmod(svc.project / rel, 0o644)
    body = svc.client.submit('hello.yml', query='?sync=true', expect=200, inventory=rel).json()
    assert not marker.exists(), body


@pytest.mark.backends('embedded')
def test_inventory_scripts_with_the_operator_flag(service, tmp_path):
    marker = tmp_path / 'inventory-ran'
    svc = service(extra_args=['--allow-inventory-scripts'])
    assert '--allow-inventory-scripts' in svc.output(), svc.output()
    rel = script_inventory(svc.project, marker)
    body = svc.client.submit('hello.yml', query='?sync=true', expect=200, inventory=rel).json()
    assert body['status'] == 'successful', body
    assert marker.exists()
