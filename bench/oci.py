# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Job records in OCI Object Storage, against the local fake endpoint (which verifies every
signature): our async_job_save / async_job_load binaries vs what the old roles ran, `oci os object
put --force` and `oci os object get` (pinned CLI, --no-retry). Medians of --reps calls each,
interleaved."""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import HOST_BIN as BINARY, REPO, Row, table  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(REPO / 'tests' / 'oci'))
from conftest import NAMESPACE, FakeServer, Keys  # noqa: E402  pylint: disable=wrong-import-position

BUCKET = 'bench'


def timed(cmd, env, cwd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0 or '"failed": true' in r.stdout.replace('"failed":true', '"failed": true'):
        sys.exit(f'{cmd[0]} failed: {r.stdout[-2000:]} {r.stderr[-2000:]}')
    return elapsed


def measure(reps=10):
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        (tmp / 'keys').mkdir()
        keys = Keys(tmp / 'keys')
        (tmp / 'srv').mkdir()
        server = FakeServer(keys, tmp / 'srv')
        try:
            mod_args = dict(job_name='deploy', host='web01', playbook_name='site.yml', backend='oci',
                            oci_bucket=BUCKET, oci_namespace=NAMESPACE, oci_config_file=str(keys.config),
                            oci_endpoint=server.endpoint)
            (tmp / 'save.json').write_text(json.dumps(dict(mod_args, ansible_job_id='j1.2', metadata={'n': 1})))
            (tmp / 'load.json').write_text(json.dumps(mod_args))
            record = tmp / 'record.json'
            record.write_text('{"job_name": "deploy", "host": "web01", "ansible_job_id": "j1.2", '
                              '"save_time": "2026-11-23T00:00:00Z", "metadata": {}}\n')
            cli = [str(REPO / '.venv-oci' / 'bin' / 'oci'), '--config-file', str(keys.config),
                   '--endpoint', server.endpoint, '--no-retry']
            obj = ['--bucket-name', BUCKET, '--namespace', NAMESPACE, '--name', 'web01/site.yml/deploy.json']
            runs = {'ours save': [], 'cli put': [], 'ours load': [], 'cli get': []}
            for _rep in range(reps):
                runs['ours save'].append(timed([str(BINARY / 'async_job_save'), str(tmp / 'save.json')], server.env, d))
                runs['cli put'].append(timed(cli + ['os', 'object', 'put', *obj, '--file', str(record), '--force'],
                                             server.env, d))
                runs['ours load'].append(timed([str(BINARY / 'async_job_load'), str(tmp / 'load.json')], server.env, d))
                runs['cli get'].append(timed(cli + ['os', 'object', 'get', *obj, '--file', str(tmp / 'got.json')],
                                             server.env, d))
        finally:
            server.stop()
    med = {k: statistics.median(v) for k, v in runs.items()}
    return [Row('records, OCI (fake endpoint)', 'save', med['ours save'], med['cli put'],
                'oci os object put --force', goal='>= 30x faster', faster_by=True),
            Row('records, OCI (fake endpoint)', 'load', med['ours load'], med['cli get'],
                'oci os object get', goal='>= 30x faster', faster_by=True)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--reps', type=int, default=10)
    args = ap.parse_args()
    print(table(measure(args.reps)))


if __name__ == '__main__':
    main()
