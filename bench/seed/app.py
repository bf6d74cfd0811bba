# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The seed's API as its design document gives it: FastAPI in front, the job record in a Redis
hash `job:{id}` with a 24 h TTL, the run queued on rq. Written plainly, the way the document's
authors would, as the benchmark's anchor: no fixes of ours (a dead worker's job stays
"running", a re-POST runs again)."""

from __future__ import annotations

import datetime
import json
import os
import time
import uuid

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from redis import Redis
from rq import Queue

import tasks

redis_conn = Redis.from_url(os.environ.get('REDIS_URL', 'redis://localhost:6379/0'))
queue = Queue('ansible', connection=redis_conn)
app = FastAPI(title='Ansible job queue')
TTL = 24 * 3600


class JobRequest(BaseModel):
    playbook: str
    extra_vars: dict = {}
    inventory: str = 'localhost,'


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def view(job_id, data):
    result = data.get('result')
    return {
        'job_id': job_id,
        'status': data.get('status'),
        'playbook': data.get('playbook'),
        'created_at': data.get('created_at'),
        'started_at': data.get('started_at'),
        'finished_at': data.get('finished_at'),
        'result': json.loads(result) if result else None,
    }


@app.post('/api/v1/jobs', status_code=202)
def create_job(req: JobRequest, sync: bool = False):
    job_id = str(uuid.uuid4())
    created = now()
    key = f'job:{job_id}'
    redis_conn.hset(key, mapping={'status': 'pending', 'playbook': req.playbook, 'created_at': created})
    redis_conn.expire(key, TTL)
    queue.enqueue(tasks.run_playbook, job_id, req.playbook, req.extra_vars, req.inventory,
                  job_id=job_id, job_timeout=3600)
    if sync:
        while True:
            data = {k.decode(): v.decode() for k, v in redis_conn.hgetall(key).items()}
            if data.get('status') in ('successful', 'failed'):
                out = view(job_id, data)
                return {'job_id': job_id, 'status': out['status'], **(out['result'] or {})}
            time.sleep(0.5)
    return {'job_id': job_id, 'status': 'pending', 'created_at': created}


@app.get('/api/v1/jobs/{job_id}')
def get_job(job_id: str):
    data = redis_conn.hgetall(f'job:{job_id}')
    if not data:
        raise HTTPException(status_code=404, detail='job not found')
    return view(job_id, {k.decode(): v.decode() for k, v in data.items()})
