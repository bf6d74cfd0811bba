# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Our request signer against the official OCI Python SDK, byte for byte: the same key, requests
and date must give the same signed headers. RSASSA-PKCS1-v1_5 is deterministic, so any
difference in the signing string, header list or encoding shows up here."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
OCI_PY = REPO / '.venv-oci' / 'bin' / 'python'
DATE = 'Mon, 23 Nov 2026 06:00:00 GMT'
BASE = 'https://objectstorage.us-ashburn-1.oraclecloud.com'
LOCAL = 'http://127.0.0.1:8123'
OBJECT = '/n/testns/b/ansible-state/o/web01%2Fsite.yml%2Fdeploy%20%22v2%22.json'
BODY = '{"job_name": "deploy", "metadata": {"ünï": "cødé"}}\n'
REQUESTS = [
    dict(name='get-namespace', method='GET', url=f'{BASE}/n'),
    dict(name='get-object', method='GET', url=f'{BASE}{OBJECT}'),
    dict(name='head-object', method='HEAD', url=f'{BASE}{OBJECT}'),
    dict(name='delete-object', method='DELETE', url=f'{BASE}{OBJECT}'),
    dict(name='list', method='GET', url=f'{BASE}/n/testns/b/ansible-state/o?prefix=web01%2F&limit=1000&fields=name'),
    dict(name='generic-put', method='PUT', url=f'{BASE}/n/testns/b/ansible-state/metadata', body=BODY),
    dict(name='generic-post', method='POST', url=f'{BASE}/n/testns/b', body='{"name": "b"}'),
    dict(name='put-object', method='PUT', url=f'{BASE}{OBJECT}', body=BODY, put_object=True),
    dict(name='local-port', method='GET', url=f'{LOCAL}{OBJECT}'),
    dict(name='local-put-object', method='PUT', url=f'{LOCAL}{OBJECT}', body=BODY, put_object=True),
]
for r in REQUESTS:
    r['date'] = DATE


def openssl(*args):
    subprocess.run(['openssl', *args], check=True, capture_output=True)


@pytest.fixture(scope='module')
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp('keys')
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', str(d / 'pkcs8.pem'))
    openssl('rsa', '-in', str(d / 'pkcs8.pem'), '-traditional', '-out', str(d / 'pkcs1.pem'))
    openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', str(d / 'pkcs8.pem'), '-passout', 'pass:s3cr3t pass',
            '-out', str(d / 'encrypted.pem'))
    openssl('pkcs8', '-topk8', '-v2', 'aes-128-cbc', '-in', str(d / 'pkcs8.pem'), '-passout', 'pass:other',
            '-out', str(d / 'encrypted128.pem'))
    # Oracle's docs suggest this trailer line after the END marker.
    (d / 'trailer.pem').write_text((d / 'pkcs8.pem').read_text() + 'OCI_API_KEY\n')
    der = subprocess.run(['openssl', 'rsa', '-in', str(d / 'pkcs8.pem'), '-pubout', '-outform', 'DER'],
                         check=True, capture_output=True).stdout
    digest = subprocess.run(['openssl', 'md5', '-c'], input=der, check=True, capture_output=True).stdout
    fingerprint = digest.decode().split('= ')[-1].strip()
    return d, fingerprint


def signed_part(headers):
    """The Authorization header and the values of the headers it covers. (The SDK also sends
    unsigned headers, such as a default content-type on GET, that the service ignores.)"""
    auth = headers['authorization']
    names = auth.split('headers="')[1].split('"')[0].split()
    return {'authorization': auth, **{n: headers[n] for n in names if n != '(request-target)'}}


def sign_both(spec, tmp_path):
    f = tmp_path / 'spec.json'
    f.write_text(json.dumps(spec))
    ours = subprocess.run(['cargo', 'run', '-q', '--locked', '-p', 'oci', '--example', 'sign', '--', str(f)],
                          cwd=REPO, check=True, capture_output=True, text=True).stdout
    sdk = subprocess.run([str(OCI_PY), str(pathlib.Path(__file__).parent / 'sdk_sign.py'), str(f)],
                         check=True, capture_output=True, text=True).stdout
    ours, sdk = json.loads(ours), json.loads(sdk)
    fingerprint = ours.pop('fingerprint')
    return fingerprint, {k: signed_part(v) for k, v in ours.items()}, {k: signed_part(v) for k, v in sdk.items()}


@pytest.mark.skipif(not OCI_PY.exists(), reason='.venv-oci (the pinned oci SDK) is missing: run make test')
@pytest.mark.parametrize('key_file,pass_phrase', [('pkcs8.pem', None), ('pkcs1.pem', None),
                                                  ('encrypted.pem', 's3cr3t pass'), ('encrypted128.pem', 'other'),
                                                  ('trailer.pem', None)])
def test_api_key_signatures_match_the_sdk(keys, tmp_path, key_file, pass_phrase):
    d, fingerprint = keys
    spec = dict(key_file=str(d / key_file), pass_phrase=pass_phrase, tenancy='ocid1.tenancy.oc1..aaaatenancy',
                user='ocid1.user.oc1..aaaauser', fingerprint=fingerprint, requests=REQUESTS)
    our_fingerprint, ours, sdk = sign_both(spec, tmp_path)
    assert our_fingerprint == fingerprint
    for name in sdk:
        assert ours[name] == sdk[name], name
    # The header lists OCI requires, and PutObject's exception.
    assert 'headers="date (request-target) host"' in sdk['get-object']['authorization']
    assert ('headers="date (request-target) host content-length content-type x-content-sha256"'
            in sdk['generic-put']['authorization'])
    assert 'headers="date (request-target) host"' in sdk['put-object']['authorization']


@pytest.mark.skipif(not OCI_PY.exists(), reason='.venv-oci (the pinned oci SDK) is missing: run make test')
def test_session_token_signatures_match_the_sdk(keys, tmp_path):
    d = keys[0]
    token = 'eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.'
    spec = dict(key_file=str(d / 'pkcs8.pem'), key_id=f'ST${token}', requests=REQUESTS)
    _fingerprint, ours, sdk = sign_both(spec, tmp_path)
    for name in sdk:
        assert ours[name] == sdk[name], name
    assert f'keyId="ST${token}"' in sdk['get-namespace']['authorization']
