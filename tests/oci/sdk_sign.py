# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The official OCI SDK's side of the signature oracle: signs the requests described in a JSON
file (same format as crates/oci/examples/sign.rs) and prints the headers it produced.
Runs with the .venv-oci interpreter, where the pinned `oci` package lives."""

from __future__ import annotations

import json
import sys

import oci
from oci._vendor import requests
from oci.auth.signers import SecurityTokenSigner
from oci.signer import load_private_key_from_file

SIGNED = ('date', 'host', 'content-length', 'content-type', 'x-content-sha256', 'authorization')


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        spec = json.load(f)
    if spec.get('key_id', '').startswith('ST$'):
        key = load_private_key_from_file(spec['key_file'], spec.get('pass_phrase'))
        signer = SecurityTokenSigner(spec['key_id'][3:], key)
    else:
        signer = oci.signer.Signer(spec['tenancy'], spec['user'], spec['fingerprint'], spec['key_file'],
                                   pass_phrase=spec.get('pass_phrase'))
    out = {}
    for r in spec['requests']:
        headers = {'date': r['date']}
        if r['method'] in ('PUT', 'POST', 'PATCH'):
            headers['content-type'] = r.get('content_type', 'application/json')
        body = r['body'].encode('utf-8') if r.get('body') else None  # bytes, as the SDK sends objects
        prepared = requests.Request(r['method'], r['url'], headers=headers, data=body).prepare()
        if r.get('put_object'):
            signer.without_content_headers(prepared)
        else:
            signer(prepared)
        got = {k.lower(): v for k, v in prepared.headers.items()}
        out[r['name']] = {k: got[k] for k in SIGNED if k in got}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
