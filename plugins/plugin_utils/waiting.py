# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Waiting for a job and cleaning up after it: shared by async_wait and async_task."""

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail


def check_polling(retries, delay):
    """The option checks every waiting module makes, with the same messages."""
    if delay <= 0:
        raise AnsibleActionFail('delay must be greater than 0')
    if retries < 0:
        raise AnsibleActionFail('retries must not be negative')


def wait_for(action, status_args, task_vars, retries, delay, timeout=None):
    """Polls async_status_id until the job ends, fails, or time or attempts run out.

    Returns (status, facts). A failed status ends the wait at once: a failed, killed or
    dead-wrapper job cannot finish later, so waiting out the retries would only hide it.
    """
    started = time.monotonic()
    facts = {}
    for attempt in range(1, retries + 2):
        status = action.run_binary('async_status_id', status_args, task_vars)
        facts.update(status.pop('ansible_facts', {}))
        if 'alias' in status_args and not status.get('started') and not status.get('failed'):
            status.update(failed=True, msg="no job is named '%s'" % status_args['alias'])
        if status.get('failed') or status.get('finished'):
            break
        if timeout is not None and time.monotonic() - started + delay > timeout:
            status.update(failed=True, msg='Job did not finish within %s seconds.' % timeout)
            break
        if attempt <= retries:
            time.sleep(delay)
    else:
        status.update(failed=True, msg='Ran out of attempts.')
    status['attempts'] = attempt
    return status, facts


def ended(status):
    return bool(status.get('started') and (status.get('finished') or status.get('killed')))


def clean_up(action, status_args, status, task_vars, mode='cleanup'):
    """Removes a finished or killed job's files (the original's rule); records what it did in
    status['cleanup'] and folds its `changed` into status."""
    erased = action.run_binary('async_status_id', dict(status_args, mode=mode), task_vars)
    erased.pop('ansible_facts', None)
    status['cleanup'] = {k: erased.get(k) for k in ('removed', 'msg')}
    # By jid, mode=cleanup says changed: false as the builtin does, even when it removed the job
    # file; what was removed is what changed.
    status['cleanup']['changed'] = bool(erased.get('removed'))
    status['changed'] = bool(status.get('changed')) or status['cleanup']['changed']
    return status
