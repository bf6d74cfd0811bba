# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The seed's worker function: rq runs it in a forked work-horse; it runs the playbook through
ansible-runner and writes the outcome into the job's hash."""

from __future__ import annotations

import datetime
import json
import os
import tempfile

import ansible_runner
from redis import Redis

PROJECT = os.environ.get('SEED_PROJECT_DIR', os.getcwd())


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def run_playbook(job_id, playbook, extra_vars, inventory):
    r = Redis.from_url(os.environ.get('REDIS_URL', 'redis://localhost:6379/0'))
    key = f'job:{job_id}'
    r.hset(key, mapping={'status': 'running', 'started_at': now()})
    with tempfile.TemporaryDirectory(prefix='seed-') as private:
        # ansible-playbook from PATH: the bench puts its stub first there, for both stacks.
        result = ansible_runner.run(private_data_dir=private, project_dir=PROJECT, playbook=playbook,
                                    extravars=extra_vars, inventory=inventory, quiet=True)
        outcome = {'rc': result.rc, 'stdout': result.stdout.read(), 'stats': result.stats}
    status = 'successful' if result.rc == 0 else 'failed'
    r.hset(key, mapping={'status': status, 'finished_at': now(), 'result': json.dumps(outcome)})
    r.expire(key, 24 * 3600)
    return status
